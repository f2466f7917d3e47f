// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of kernel_ext, whether the current code runs in a task (kernel_ext/context.rs:
 * `in_task`, for KThread's check of a thread that drops itself). See helpers.h.
 */

#include <linux/preempt.h>
#include "helpers.h"

bool dw_in_task(void)
{
	return in_task();
}
