/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers of kernel_ext: wrappers for the macros and inline functions that Rust cannot call.
 * They are grouped by topic (bh.c, tasklet.c, wait.c); each module links its own copy of the
 * topics it uses (see modules/Kbuild), so the names need no module prefix to be unique between
 * modules, only the dw_ prefix to stay clear of the kernel's own symbols.
 */
#ifndef DW_KERNEL_EXT_HELPERS_H
#define DW_KERNEL_EXT_HELPERS_H

#include <linux/interrupt.h>
#include <linux/spinlock_types.h>
#include <linux/wait.h>

void dw_spin_lock_bh(spinlock_t *lock);
void dw_spin_unlock_bh(spinlock_t *lock);
int dw_spin_trylock_bh(spinlock_t *lock);

void dw_local_bh_disable(void);
void dw_local_bh_enable(void);

void dw_tasklet_schedule(struct tasklet_struct *t);
void dw_tasklet_hi_schedule(struct tasklet_struct *t);
void dw_tasklet_disable(struct tasklet_struct *t);
void dw_tasklet_enable(struct tasklet_struct *t);

int dw_wait_event_interruptible(struct wait_queue_head *wq, bool (*condition)(const void *),
				const void *data);

#endif
