// SPDX-License-Identifier: GPL-2.0
/* C helpers of kernel_ext, tasklets (kernel_ext/tasklet.rs): see helpers.h. */

#include <linux/interrupt.h>
#include "helpers.h"

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
