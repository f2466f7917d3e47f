// SPDX-License-Identifier: GPL-2.0
/* C helpers of kernel_ext, wait queues: see helpers.h. */

#include <linux/wait.h>
#include "helpers.h"

/* wait_event_interruptible() is a macro over its condition: here the condition is a callback. */
int dw_wait_event_interruptible(struct wait_queue_head *wq, bool (*condition)(const void *),
				const void *data)
{
	return wait_event_interruptible(*wq, condition(data));
}
