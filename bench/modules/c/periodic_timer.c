// SPDX-License-Identifier: GPL-2.0
/*
 * dw_c_periodic_timer: the C twin of dw_periodic_timer (periodic_timer.rs), lab task 2.
 * A timer re-armed from its own handler every TIMER_TIMEOUT seconds; the same log lines.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/timer.h>

MODULE_DESCRIPTION("Lab task 2: a periodic timer (C twin of dw_periodic_timer)");
MODULE_AUTHOR("Deferred work lab in Rust");
MODULE_LICENSE("GPL");

#define TIMER_TIMEOUT 1

static struct timer_list timer;
/* Only the handler touches it, and a timer's handler never runs twice at once. */
static unsigned long nseconds;

static void timer_handler(struct timer_list *tl)
{
	nseconds += TIMER_TIMEOUT;
	pr_info("[%s] nseconds = %lu\n", __func__, nseconds);
	mod_timer(&timer, jiffies + TIMER_TIMEOUT * HZ);
}

static int __init timer_init(void)
{
	pr_info("[%s] Init module\n", __func__);
	timer_setup(&timer, timer_handler, 0);
	mod_timer(&timer, jiffies + TIMER_TIMEOUT * HZ);
	return 0;
}

static void __exit timer_exit(void)
{
	pr_info("[%s] Exit module\n", __func__);
	/* Waits for a running handler and turns its mod_timer() into a no-op. */
	timer_shutdown_sync(&timer);
}

module_init(timer_init);
module_exit(timer_exit);
