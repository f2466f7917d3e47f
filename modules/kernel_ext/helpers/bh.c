// SPDX-License-Identifier: GPL-2.0
/* C helpers of kernel_ext, bottom halves: see helpers.h. */

#include <linux/bottom_half.h>
#include <linux/bug.h>
#include <linux/lockdep.h>
#include <linux/preempt.h>
#include <linux/spinlock.h>
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

/*
 * SpinLockBh (kernel_ext/sync.rs). Where bottom halves are already off on this CPU (a timer or
 * tasklet callback, or under local_bh_disable()), spin_lock() is enough, as in C; elsewhere
 * spin_lock_bh(). Returns whether bottom halves were disabled here, for the unlock to undo.
 */
bool dw_spin_lock_bh_unless_off(spinlock_t *lock)
{
	if (softirq_count()) {
		spin_lock(lock);
		return false;
	}
	dw_spin_lock_bh(lock);
	return true;
}

void dw_spin_lock_bh(spinlock_t *lock)
{
	/* As dw_local_bh_disable(): spin_unlock_bh() will turn interrupts on. */
	lockdep_assert_irqs_enabled();
	spin_lock_bh(lock);
}

/* Undoes dw_spin_lock_bh_unless_off() (or dw_spin_lock_bh(): @disabled_bh true). */
void dw_spin_unlock_bh_if(spinlock_t *lock, bool disabled_bh)
{
	if (disabled_bh)
		spin_unlock_bh(lock);
	else
		spin_unlock(lock);
}

/*
 * Takes the lock again after a CondVar wait on a guard taken with bottom halves already off:
 * that wait slept in atomic context (the kernel has said "scheduling while atomic" already).
 * Name the lock type too.
 */
void dw_spin_relock_bh_off(spinlock_t *lock)
{
	WARN_ONCE(1, "a CondVar waited on a SpinLockBh guard taken with bottom halves off (lock_with): it slept in atomic context\n");
	spin_lock(lock);
}
