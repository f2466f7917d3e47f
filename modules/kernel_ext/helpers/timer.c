// SPDX-License-Identifier: GPL-2.0
/* C helpers of kernel_ext, timers (and the timer of delayed work): see helpers.h. */

#include <linux/sched/task_stack.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include "helpers.h"

/*
 * Timers and work items on the stack must be announced to debugobjects (and forgotten before the
 * stack frame goes), or CONFIG_DEBUG_OBJECTS reports them. Rust code may pin one anywhere, so
 * the layer looks where it is. Without debugobjects the _on_stack variants are the plain
 * functions (or nothing), as are these helpers: the layer then calls timer_init_key itself and
 * none of them, and they are left out (kernel_ext/timer.rs, workqueue.rs).
 */
#ifdef CONFIG_DEBUG_OBJECTS_WORK
bool dw_object_is_on_stack(const void *obj)
{
	return object_is_on_stack(obj);
}

void dw_delayed_work_destroy(struct delayed_work *dwork)
{
	if (object_is_on_stack(dwork))
		destroy_delayed_work_on_stack(dwork);
}
#endif

#ifdef CONFIG_DEBUG_OBJECTS_TIMERS
void dw_timer_init_key(struct timer_list *timer, void (*func)(struct timer_list *),
		       unsigned int flags, const char *name, struct lock_class_key *key)
{
	if (object_is_on_stack(timer))
		timer_init_key_on_stack(timer, func, flags, name, key);
	else
		timer_init_key(timer, func, flags, name, key);
}

void dw_timer_destroy(struct timer_list *timer)
{
	if (object_is_on_stack(timer))
		timer_destroy_on_stack(timer);
}
#endif
