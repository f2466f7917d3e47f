// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of kernel_ext, an OwnedWork's delayed work on the stack (kernel_ext/workqueue.rs),
 * announced to debugobjects and forgotten before the stack frame goes, as timer_init.c and
 * timer.c do for timers. Empty without debugobjects, where it does not matter where a work item
 * lives and the layer calls neither. See helpers.h.
 */

#include <linux/sched/task_stack.h>
#include <linux/workqueue.h>
#include "helpers.h"

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
