// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of kernel_ext, a CondVar waiting on a SpinLockBh guard: the backend's relock, which
 * takes the lock again after the wait the way the guard had taken it (kernel_ext/sync.rs). See
 * helpers.h.
 */

#include <linux/bug.h>
#include <linux/lockdep.h>
#include <linux/spinlock.h>
#include "helpers.h"

/* The guard disabled bottom halves (dw_spin_lock_bh_unless_off() returned true). */
void dw_spin_relock_bh(spinlock_t *lock)
{
	/* As dw_local_bh_disable(): spin_unlock_bh() will turn interrupts on. */
	lockdep_assert_irqs_enabled();
	spin_lock_bh(lock);
}

/*
 * The guard was taken with bottom halves already off: the wait slept in atomic context (the
 * kernel has said "scheduling while atomic" already). Name the lock type too.
 */
void dw_spin_relock_bh_off(spinlock_t *lock)
{
	WARN_ONCE(1, "a CondVar waited on a SpinLockBh guard taken with bottom halves off (lock_with): it slept in atomic context\n");
	spin_lock(lock);
}
