// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of kernel_ext, the lockdep check of a BhDisabled token as it is made
 * (kernel_ext/context.rs). Empty without lockdep, where the layer does not call it. See helpers.h.
 */

#include <linux/lockdep.h>
#include "helpers.h"

#ifdef CONFIG_PROVE_LOCKING
void dw_assert_bh_disabled(void)
{
	lockdep_assert_in_softirq();
}
#endif
