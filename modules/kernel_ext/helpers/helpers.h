/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers of kernel_ext: wrappers for the macros and inline functions that Rust cannot call.
 * They are grouped by what the layer calls them for, a topic per file, so that each module links
 * only the topics it calls (see ../helpers.mk), its own copy of them: the names need no module
 * prefix to be unique between modules, only the dw_ prefix to stay clear of the kernel's own
 * symbols.
 */
#ifndef DW_KERNEL_EXT_HELPERS_H
#define DW_KERNEL_EXT_HELPERS_H

#include <linux/interrupt.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/workqueue.h>

/* bh_disabled.c */
void dw_assert_bh_disabled(void);

/* atomic_sections.c */
/* The preempt count's levels, with this bit set when interrupts are off (the levels leave it clear). */
#define DW_IRQS_DISABLED (1U << 31)
unsigned int dw_atomic_state(void);
void dw_end_atomic_sections(unsigned int state);

/* in_task.c */
bool dw_in_task(void);

/* may_sleep.c */
bool dw_may_sleep(void);

/* bh.c */
void dw_local_bh_disable(void);
void dw_local_bh_enable(void);

/* lock_bh.c */
bool dw_spin_lock_bh_unless_off(spinlock_t *lock);
void dw_spin_unlock_bh_if(spinlock_t *lock, bool disabled_bh);

/* condvar_bh.c */
void dw_spin_relock_bh(spinlock_t *lock);
void dw_spin_relock_bh_off(spinlock_t *lock);

/* timer_init.c */
void dw_timer_init_key(struct timer_list *timer, void (*func)(struct timer_list *),
		       unsigned int flags, const char *name, struct lock_class_key *key);

/* timer.c */
void dw_timer_destroy(struct timer_list *timer);

/* work.c */
bool dw_object_is_on_stack(const void *obj);
void dw_delayed_work_destroy(struct delayed_work *dwork);

/* tasklet.c */
void dw_tasklet_schedule(struct tasklet_struct *t);
void dw_tasklet_hi_schedule(struct tasklet_struct *t);
void dw_tasklet_disable(struct tasklet_struct *t);
void dw_tasklet_enable(struct tasklet_struct *t);

#endif
