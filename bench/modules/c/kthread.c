// SPDX-License-Identifier: GPL-2.0
/*
 * dw_c_kthread: the C twin of dw_kthread (kthread.rs), lab task 6.
 * A kernel thread that exits in step with module unload: two wait queues, two atomic flags.
 * Like the Rust KThread, the module holds a reference to the thread and stops it with
 * kthread_stop(), so no module code runs once the module is gone. (kthread_exit() is a
 * kernel function now, hence my_kthread_init/exit.)
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/wait.h>

MODULE_DESCRIPTION("Lab task 6: a kernel thread (C twin of dw_kthread)");
MODULE_AUTHOR("Deferred work lab in Rust");
MODULE_LICENSE("GPL");

static DECLARE_WAIT_QUEUE_HEAD(wq_stop_thread);
static atomic_t flag_stop_thread = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(wq_thread_terminated);
static atomic_t flag_thread_terminated = ATOMIC_INIT(0);

static struct task_struct *thread;

static int my_thread_f(void *data)
{
	pr_info("[%s] Current process id is %d (%s)\n", __func__, current->pid, current->comm);

	/* Kernel threads ignore signals, so only the module's request ends this wait. */
	wait_event_interruptible(wq_stop_thread, atomic_read_acquire(&flag_stop_thread));

	pr_info("[%s] Exiting\n", __func__);
	atomic_set_release(&flag_thread_terminated, 1);
	wake_up_interruptible(&wq_thread_terminated);
	return 0;
}

static int __init my_kthread_init(void)
{
	pr_info("[kthread_init] Init module\n");
	thread = kthread_create(my_thread_f, NULL, "%s", "mykthread0");
	if (IS_ERR(thread))
		return PTR_ERR(thread);
	/* Our own reference: kthread_stop() needs the task even if the thread has exited. */
	get_task_struct(thread);
	wake_up_process(thread);
	return 0;
}

static void __exit my_kthread_exit(void)
{
	atomic_set_release(&flag_stop_thread, 1);
	wake_up_interruptible(&wq_stop_thread);
	wait_event_interruptible(wq_thread_terminated,
				 atomic_read_acquire(&flag_thread_terminated));
	pr_info("[kthread_exit] Exit module\n");
	/* Waits until the thread has really exited, then drops our reference. */
	kthread_stop_put(thread);
}

module_init(my_kthread_init);
module_exit(my_kthread_exit);
