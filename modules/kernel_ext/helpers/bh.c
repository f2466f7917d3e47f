// SPDX-License-Identifier: GPL-2.0
/* C helpers of kernel_ext, bottom halves: see helpers.h. */

#include <linux/bottom_half.h>
#include <linux/spinlock.h>
#include "helpers.h"

void dw_spin_lock_bh(spinlock_t *lock)
{
	spin_lock_bh(lock);
}

void dw_spin_unlock_bh(spinlock_t *lock)
{
	spin_unlock_bh(lock);
}

int dw_spin_trylock_bh(spinlock_t *lock)
{
	return spin_trylock_bh(lock);
}

void dw_local_bh_disable(void)
{
	local_bh_disable();
}

void dw_local_bh_enable(void)
{
	local_bh_enable();
}
