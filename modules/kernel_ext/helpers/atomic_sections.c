// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of kernel_ext, the check that a callback returns in the context it was called in
 * (kernel_ext/context.rs: `returns_balanced`). Only where might_sleep() checks
 * (CONFIG_DEBUG_ATOMIC_SLEEP): empty elsewhere, where the layer does not call them. See helpers.h.
 */

#include <linux/bottom_half.h>
#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <linux/preempt.h>
#include "helpers.h"

#ifdef CONFIG_DEBUG_ATOMIC_SLEEP
unsigned int dw_atomic_state(void)
{
	unsigned int count = preempt_count() & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_MASK | PREEMPT_MASK);

	return count | (irqs_disabled() ? DW_IRQS_DISABLED : 0);
}

/*
 * Ends the atomic sections begun since dw_atomic_state() returned @state: interrupts on again if
 * they were, bottom halves enabled as often as they were disabled (running what became pending),
 * and the preempt count (a lock that was kept held stays held) restored, as call_timer_fn() does
 * after a callback's "preempt leak".
 */
void dw_end_atomic_sections(unsigned int state)
{
	if (!(state & DW_IRQS_DISABLED) && irqs_disabled())
		local_irq_enable();
	while (softirq_count() > (state & SOFTIRQ_MASK) && !in_hardirq())
		local_bh_enable();
	if (dw_atomic_state() != state)
		preempt_count_set(state & ~DW_IRQS_DISABLED);
}
#endif
