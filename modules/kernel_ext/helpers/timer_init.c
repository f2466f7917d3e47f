// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of kernel_ext, initialising a timer: a Timer's (kernel_ext/timer.rs) or the timer of
 * an OwnedWork's delayed work (kernel_ext/workqueue.rs). See helpers.h.
 *
 * Timers on the stack must be announced to debugobjects (and forgotten before the stack frame
 * goes: timer.c), or CONFIG_DEBUG_OBJECTS reports them. Rust code may pin one anywhere, so the
 * layer looks where it is. Without debugobjects timer_init_key_on_stack() is timer_init_key(),
 * which the layer then calls itself: this file is empty.
 */

#include <linux/sched/task_stack.h>
#include <linux/timer.h>
#include "helpers.h"

#ifdef CONFIG_DEBUG_OBJECTS_TIMERS
void dw_timer_init_key(struct timer_list *timer, void (*func)(struct timer_list *),
		       unsigned int flags, const char *name, struct lock_class_key *key)
{
	if (object_is_on_stack(timer))
		timer_init_key_on_stack(timer, func, flags, name, key);
	else
		timer_init_key(timer, func, flags, name, key);
}
#endif
