// SPDX-License-Identifier: GPL-2.0
/* C helpers of kernel_ext, execution context: see helpers.h. */

#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <linux/lockdep.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include "helpers.h"

/* Called only with lockdep (kernel_ext/context.rs), where the assertion is not empty. */
#ifdef CONFIG_PROVE_LOCKING
void dw_assert_bh_disabled(void)
{
	lockdep_assert_in_softirq();
}
#endif

bool dw_in_task(void)
{
	return in_task();
}

bool dw_may_sleep(void)
{
	return !in_atomic() && !irqs_disabled() && task_is_running(current);
}

/* Called only where might_sleep() checks (kernel_ext/context.rs: `returns_balanced`). */
#ifdef CONFIG_DEBUG_ATOMIC_SLEEP
unsigned int dw_atomic_state(void)
{
	unsigned int count = preempt_count() & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_MASK | PREEMPT_MASK);

	return count | (irqs_disabled() ? DW_IRQS_DISABLED : 0);
}
#endif
