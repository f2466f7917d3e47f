// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of kernel_ext, bottom halves disabled by hand: BhGuard (kernel_ext/bh.rs) and
 * SpinLockBh's try_lock (kernel_ext/sync.rs). See helpers.h.
 */

#include <linux/bottom_half.h>
#include <linux/lockdep.h>
#include "helpers.h"

/*
 * local_bh_enable() turns interrupts on: disabling bottom halves with interrupts off would
 * break the caller's interrupt-disabled section when the guard is dropped. Say so here, where
 * the guard is made, rather than only at the enable.
 */
void dw_local_bh_disable(void)
{
	lockdep_assert_irqs_enabled();
	local_bh_disable();
}

void dw_local_bh_enable(void)
{
	local_bh_enable();
}
