// SPDX-License-Identifier: GPL-2.0
/* C helpers of kernel_ext: see helpers.h. */

#include <linux/bottom_half.h>
#include <linux/interrupt.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
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

void dw_tasklet_schedule(struct tasklet_struct *t)
{
	tasklet_schedule(t);
}

void dw_tasklet_hi_schedule(struct tasklet_struct *t)
{
	tasklet_hi_schedule(t);
}

void dw_tasklet_disable(struct tasklet_struct *t)
{
	tasklet_disable(t);
}

void dw_tasklet_enable(struct tasklet_struct *t)
{
	tasklet_enable(t);
}

/* wait_event_interruptible() is a macro over its condition: here the condition is a callback. */
int dw_wait_event_interruptible(struct wait_queue_head *wq, bool (*condition)(const void *),
				const void *data)
{
	return wait_event_interruptible(*wq, condition(data));
}
