// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of kernel_ext, whether the current code may sleep, as far as the kernel can tell: the
 * check of a ProcessContext made at run time (kernel_ext/context.rs: `new_checked`, for a module's
 * init and `in_process_context`). See helpers.h.
 */

#include <linux/irqflags.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include "helpers.h"

bool dw_may_sleep(void)
{
	return !in_atomic() && !irqs_disabled() && task_is_running(current);
}
