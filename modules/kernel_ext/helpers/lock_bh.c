// SPDX-License-Identifier: GPL-2.0
/* C helpers of kernel_ext, taking and releasing a SpinLockBh (kernel_ext/sync.rs): see helpers.h. */

#include <linux/lockdep.h>
#include <linux/preempt.h>
#include <linux/spinlock.h>
#include "helpers.h"

/*
 * Where bottom halves are already off on this CPU (a timer or tasklet callback, or under
 * local_bh_disable()), spin_lock() is enough, as in C; elsewhere spin_lock_bh(). Returns whether
 * bottom halves were disabled here, for the unlock to undo.
 */
bool dw_spin_lock_bh_unless_off(spinlock_t *lock)
{
	if (softirq_count()) {
		spin_lock(lock);
		return false;
	}
	/* As dw_local_bh_disable(): spin_unlock_bh() will turn interrupts on. */
	lockdep_assert_irqs_enabled();
	spin_lock_bh(lock);
	return true;
}

/* Undoes dw_spin_lock_bh_unless_off() (or dw_spin_relock_bh(): @disabled_bh true). */
void dw_spin_unlock_bh_if(spinlock_t *lock, bool disabled_bh)
{
	if (disabled_bh)
		spin_unlock_bh(lock);
	else
		spin_unlock(lock);
}
