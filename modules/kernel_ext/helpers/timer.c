// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of kernel_ext, the end of a Timer (kernel_ext/timer.rs): a timer on the stack is
 * forgotten by debugobjects (timer_init.c announced it). Empty without debugobjects, where
 * timer_destroy_on_stack() does nothing and the layer does not call it. See helpers.h.
 */

#include <linux/sched/task_stack.h>
#include <linux/timer.h>
#include "helpers.h"

#ifdef CONFIG_DEBUG_OBJECTS_TIMERS
void dw_timer_destroy(struct timer_list *timer)
{
	if (object_is_on_stack(timer))
		timer_destroy_on_stack(timer);
}
#endif
