// SPDX-License-Identifier: GPL-2.0
/* C helpers of kernel_ext, execution context: see helpers.h. */

#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <linux/lockdep.h>
#include <linux/preempt.h>
#include "helpers.h"

void dw_assert_bh_disabled(void)
{
	lockdep_assert_in_softirq();
}

bool dw_may_sleep(void)
{
	return !in_atomic() && !irqs_disabled();
}
