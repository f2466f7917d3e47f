// SPDX-License-Identifier: GPL-2.0
/*
 * dw_c_procmon: the C twin of dw_procmon (procmon.rs + deferred_device.rs), lab task 7.
 * /dev/deferred: SET arms a one-shot timer, CANCEL disarms it, ALLOC has the timer queue a work
 * item that calls alloc_io(), MON adds a process to the list the timer checks every second.
 * The same ioctl numbers, errnos, log lines, locking and teardown order as the Rust module.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/ioctl.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/workqueue.h>

MODULE_DESCRIPTION("Lab task 7: /dev/deferred with the process monitor (C twin of dw_procmon)");
MODULE_AUTHOR("Deferred work lab in Rust");
MODULE_LICENSE("GPL");

#define MY_IOCTL_TIMER_SET	_IOW('k', 1, unsigned long)
#define MY_IOCTL_TIMER_CANCEL	_IO('k', 2)
#define MY_IOCTL_TIMER_ALLOC	_IOW('k', 3, unsigned long)
#define MY_IOCTL_TIMER_MON	_IO('k', 4)

/* From the misc range reserved for local use; being fixed, a second /dev/deferred gets EBUSY. */
#define DEVICE_MINOR		243

#define TIMER_TYPE_NONE		-1
#define TIMER_TYPE_SET		0
#define TIMER_TYPE_ALLOC	1
#define TIMER_TYPE_MON		2

struct mon_proc {
	struct task_struct *task;	/* holds a task reference until reported or unloaded */
	struct list_head list;
};

/* The Rust device is the same struct (DeviceData), its timer and work item fields of it. */
static struct {
	struct timer_list timer;
	int timer_type;			/* TIMER_TYPE_*; ioctls and the timer race on it */
	/*
	 * A delayed_work, always queued without delay: the Rust OwnedWork is one underneath (one
	 * type for now and later), so a benchmark of the two compares like with like.
	 */
	struct delayed_work work;
	/* Protects list: spin_lock_bh in the ioctl, spin_lock in the timer handler. */
	spinlock_t lock;
	struct list_head list;		/* of struct mon_proc */
} dev;

/* The lab's slow allocation: sleeps 5 seconds. Process context only. */
static void alloc_io(void)
{
	schedule_timeout_interruptible(5 * HZ);
	pr_info("Yawn! I've been sleeping for 5 seconds.\n");
}

static void work_handler(struct work_struct *work)
{
	pr_info("[%s] pid = %d, comm = %s\n", __func__, current->pid, current->comm);
	alloc_io();
}

/* Reports each monitored process that has died, and drops it with its task reference. */
static void report_dead_tasks(void)
{
	struct mon_proc *p, *next;

	/* A timer handler: bottom halves are off already, the plain lock is enough. */
	spin_lock(&dev.lock);
	list_for_each_entry_safe(p, next, &dev.list, list) {
		if (READ_ONCE(p->task->__state) != TASK_DEAD)
			continue;
		list_del(&p->list);
		pr_info("task %s (%d) is dead\n", p->task->comm, p->task->pid);
		put_task_struct(p->task);
		kfree(p);
	}
	spin_unlock(&dev.lock);
}

static void timer_handler(struct timer_list *tl)
{
	pr_info("[%s] pid = %d, comm = %s\n", __func__, current->pid, current->comm);
	switch (READ_ONCE(dev.timer_type)) {
	case TIMER_TYPE_ALLOC:
		/* Atomic context: alloc_io() sleeps, so a worker thread calls it. */
		queue_delayed_work(system_percpu_wq, &dev.work, 0);
		break;
	case TIMER_TYPE_MON:
		report_dead_tasks();
		mod_timer(&dev.timer, jiffies + HZ);
		break;
	}
}

/* Arms the timer to fire secs seconds from now; a timer takes up to MAX_JIFFY_OFFSET ticks. */
static int arm(int timer_type, unsigned long secs)
{
	if (secs > MAX_JIFFY_OFFSET / HZ)
		return -EINVAL;
	WRITE_ONCE(dev.timer_type, timer_type);
	mod_timer(&dev.timer, jiffies + secs * HZ);
	return 0;
}

/* Adds process nr (of the caller's pid namespace) to the list the timer checks every second. */
static int monitor(unsigned long nr)
{
	struct task_struct *task;
	struct mon_proc *p;
	struct pid *pid;

	if (nr > INT_MAX)	/* not a pid_t */
		return -ESRCH;
	pid = find_get_pid(nr);
	if (!pid)
		return -ESRCH;
	task = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!task)
		return -ESRCH;

	p = kmalloc_obj(*p);
	if (!p) {
		put_task_struct(task);
		return -ENOMEM;
	}
	p->task = task;
	spin_lock_bh(&dev.lock);
	list_add_tail(&p->list, &dev.list);
	spin_unlock_bh(&dev.lock);

	WRITE_ONCE(dev.timer_type, TIMER_TYPE_MON);
	mod_timer(&dev.timer, jiffies + HZ);
	return 0;
}

static const char *command_name(unsigned int cmd)
{
	switch (cmd) {
	case MY_IOCTL_TIMER_SET:
		return "Set timer";
	case MY_IOCTL_TIMER_CANCEL:
		return "Cancel timer";
	case MY_IOCTL_TIMER_ALLOC:
		return "Allocate memory";
	case MY_IOCTL_TIMER_MON:
		return "Monitor pid";
	default:
		return "Unknown command";
	}
}

static int deferred_open(struct inode *inode, struct file *file)
{
	pr_info("[%s] Device opened\n", __func__);
	return 0;
}

static int deferred_release(struct inode *inode, struct file *file)
{
	pr_info("[%s] Device released\n", __func__);
	return 0;
}

static long deferred_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	pr_info("[%s] Command: %s\n", __func__, command_name(cmd));
	switch (cmd) {
	case MY_IOCTL_TIMER_SET:
		return arm(TIMER_TYPE_SET, arg);
	case MY_IOCTL_TIMER_CANCEL:
		timer_delete_sync(&dev.timer);
		return 0;
	case MY_IOCTL_TIMER_ALLOC:
		return arm(TIMER_TYPE_ALLOC, arg);
	case MY_IOCTL_TIMER_MON:
		return monitor(arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations deferred_fops = {
	.owner = THIS_MODULE,	/* rmmod is refused while the device is open */
	.open = deferred_open,
	.release = deferred_release,
	.unlocked_ioctl = deferred_ioctl,
	.compat_ioctl = compat_ptr_ioctl,	/* as the Rust miscdevice */
};

static struct miscdevice deferred_miscdev = {
	.minor = DEVICE_MINOR,
	.name = "deferred",
	.fops = &deferred_fops,
};

static int __init deferred_init(void)
{
	int err;

	pr_info("[%s] Init module\n", __func__);
	dev.timer_type = TIMER_TYPE_NONE;
	timer_setup(&dev.timer, timer_handler, 0);
	INIT_DELAYED_WORK(&dev.work, work_handler);
	spin_lock_init(&dev.lock);
	INIT_LIST_HEAD(&dev.list);

	/* Files may be opened as soon as it is registered: everything is ready by now. */
	err = misc_register(&deferred_miscdev);
	if (err == -EBUSY)
		pr_err("/dev/deferred is taken: load only one of dw_deferred, dw_workqueue, dw_procmon\n");
	return err;
}

static void __exit deferred_exit(void)
{
	struct mon_proc *p, *next;

	pr_info("[%s] Exit module\n", __func__);
	misc_deregister(&deferred_miscdev);
	/* Waits for a running handler and turns its mod_timer() into a no-op. */
	timer_shutdown_sync(&dev.timer);
	/*
	 * Cancel it, or wait for a sleeping alloc_io(), and leave it disabled: as the Rust device's
	 * drop stops its timer and its work item before its list goes.
	 */
	disable_delayed_work_sync(&dev.work);
	/* No file is open and the timer is gone: nothing else can reach the list. */
	list_for_each_entry_safe(p, next, &dev.list, list) {
		list_del(&p->list);
		put_task_struct(p->task);
		kfree(p);
	}
}

module_init(deferred_init);
module_exit(deferred_exit);
