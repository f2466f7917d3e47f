// SPDX-License-Identifier: GPL-2.0
/*
 * dw_c_bench: the C twin of dw_bench (bench.rs), a benchmark of deferred work.
 *
 * At load, in this order, `samples` times each (the measurements first, then the printing):
 *
 * 1. timer_lateness_ns, timer_lateness_jiffies: a one-shot timer armed d = 1 to 4 ticks ahead,
 *    just after a tick: how much later than d ticks its callback runs.
 * 2. periodic_error_ns, periodic_error_jiffies: a timer re-armed by its callback every PERIOD
 *    ticks (the lab's mod_timer(t, jiffies + P)): each period's deviation from P.
 * 3. work_handoff_ns: from a timer callback queueing a work item to the work running.
 * 4. kthread_wakeup_ns: from waking a kernel thread asleep on a wait queue to it running.
 *
 * Then it prints "start samples=N hz=HZ", each metric as lines of up to 16 values in sample
 * order ("timer_lateness_ns 12 -3 ..."), and "done". The code follows bench.rs line for line
 * where the languages allow, with the kernel's C API in place of kernel_ext: the same calls
 * underneath (timer_list and mod_timer, a delayed_work on system_percpu_wq, a kthread on a wait
 * queue, complete/wait_for_completion), so the difference is the cost of the Rust abstractions.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/timer.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

static int samples = 1000;
module_param(samples, int, 0);
MODULE_PARM_DESC(samples, "Samples per measurement");

/* The periodic timer's period, in ticks. */
#define PERIOD 2

/* Values per printed line. */
#define PER_LINE 16

/* When a callback ran. */
struct tick {
	s64 ns;
	unsigned long jiffies;
};

static void tick_record(struct tick *tick, s64 ns, unsigned long jiffies)
{
	WRITE_ONCE(tick->ns, ns);
	WRITE_ONCE(tick->jiffies, jiffies);
}

/* 1. A one-shot timer that records when it fires. */
struct one_shot {
	struct timer_list timer;
	struct tick tick;
	struct completion done;
};

static void one_shot_fn(struct timer_list *t)
{
	struct one_shot *timer = timer_container_of(timer, t, timer);
	s64 ns = ktime_get_ns();

	tick_record(&timer->tick, ns, jiffies);
	complete(&timer->done);
}

static int timer_lateness(s64 *lateness_ns, s64 *lateness_jiffies, size_t n)
{
	struct one_shot *timer = kzalloc(sizeof(*timer), GFP_KERNEL);
	size_t i;

	if (!timer)
		return -ENOMEM;
	timer_setup(&timer->timer, one_shot_fn, 0);
	init_completion(&timer->done);
	for (i = 0; i < n; i++) {
		unsigned long d = 1 + i % 4;
		unsigned long j0 = jiffies, j;
		s64 t0;

		while (!time_after(jiffies, j0))
			cpu_relax();
		t0 = ktime_get_ns();
		j = jiffies;
		mod_timer(&timer->timer, j + d);
		wait_for_completion(&timer->done);
		lateness_ns[i] = READ_ONCE(timer->tick.ns) - (t0 + (s64)d * TICK_NSEC);
		lateness_jiffies[i] = (long)(READ_ONCE(timer->tick.jiffies) - (j + d));
	}
	timer_shutdown_sync(&timer->timer);
	kfree(timer);
	return 0;
}

/* 2. A timer re-armed by its callback until it has fired n_ticks times. */
struct periodic {
	struct timer_list timer;
	size_t fired;
	struct tick *ticks;
	size_t n_ticks;
	struct completion done;
};

static void periodic_fn(struct timer_list *t)
{
	struct periodic *timer = timer_container_of(timer, t, timer);
	s64 ns = ktime_get_ns();
	unsigned long jf = jiffies;
	size_t k = READ_ONCE(timer->fired);

	tick_record(&timer->ticks[k], ns, jf);
	WRITE_ONCE(timer->fired, k + 1);
	if (k + 1 < timer->n_ticks)
		mod_timer(&timer->timer, jiffies + PERIOD);
	else
		complete(&timer->done);
}

static int periodic(s64 *error_ns, s64 *error_jiffies, size_t n)
{
	struct periodic *timer = kzalloc(sizeof(*timer), GFP_KERNEL);
	size_t k;

	if (!timer)
		return -ENOMEM;
	timer->ticks = kvcalloc(n + 1, sizeof(*timer->ticks), GFP_KERNEL);
	if (!timer->ticks) {
		kfree(timer);
		return -ENOMEM;
	}
	timer->n_ticks = n + 1;
	timer_setup(&timer->timer, periodic_fn, 0);
	init_completion(&timer->done);
	mod_timer(&timer->timer, jiffies + PERIOD);
	wait_for_completion(&timer->done);
	for (k = 0; k < n; k++) {
		struct tick *prev = &timer->ticks[k], *this = &timer->ticks[k + 1];

		error_ns[k] = READ_ONCE(this->ns) - READ_ONCE(prev->ns) - PERIOD * TICK_NSEC;
		error_jiffies[k] =
			(long)(READ_ONCE(this->jiffies) - READ_ONCE(prev->jiffies)) - PERIOD;
	}
	timer_shutdown_sync(&timer->timer);
	kvfree(timer->ticks);
	kfree(timer);
	return 0;
}

/* 3. A timer whose callback queues a work item; shut down before the work is cancelled. */
struct handoff {
	struct timer_list timer;
	s64 timer_ns;
	struct delayed_work work;
	s64 work_ns;
	struct completion done;
};

static void handoff_timer_fn(struct timer_list *t)
{
	struct handoff *timer = timer_container_of(timer, t, timer);

	WRITE_ONCE(timer->timer_ns, ktime_get_ns());
	/* What OwnedWork::queue() calls: queue_delayed_work_on(WORK_CPU_UNBOUND,
	 * system_percpu_wq, work, 0).
	 */
	schedule_delayed_work(&timer->work, 0);
}

static void handoff_work_fn(struct work_struct *w)
{
	struct handoff *work = container_of(to_delayed_work(w), struct handoff, work);

	WRITE_ONCE(work->work_ns, ktime_get_ns());
	complete(&work->done);
}

static int work_handoff(s64 *ns, size_t n)
{
	struct handoff *timer = kzalloc(sizeof(*timer), GFP_KERNEL);
	size_t i;

	if (!timer)
		return -ENOMEM;
	timer_setup(&timer->timer, handoff_timer_fn, 0);
	INIT_DELAYED_WORK(&timer->work, handoff_work_fn);
	init_completion(&timer->done);
	for (i = 0; i < n; i++) {
		mod_timer(&timer->timer, jiffies + 1);
		wait_for_completion(&timer->done);
		ns[i] = READ_ONCE(timer->work_ns) - READ_ONCE(timer->timer_ns);
	}
	timer_shutdown_sync(&timer->timer);
	disable_delayed_work_sync(&timer->work);
	kfree(timer);
	return 0;
}

/* 4. A kernel thread that, each time go is set and it is woken, records when it runs. */
struct waker {
	bool go;
	wait_queue_head_t wq;
	s64 woken_ns;
	struct completion done;
};

static int waker_fn(void *data)
{
	struct waker *waker = data;

	for (;;) {
		/* Kernel threads ignore signals: only go or a stop request ends this wait. */
		wait_event_interruptible(waker->wq, READ_ONCE(waker->go) || kthread_should_stop());
		if (kthread_should_stop())
			return 0;
		WRITE_ONCE(waker->woken_ns, ktime_get_ns());
		WRITE_ONCE(waker->go, false);
		complete(&waker->done);
	}
}

static int kthread_wakeup(s64 *ns, size_t n)
{
	struct waker *waker = kzalloc(sizeof(*waker), GFP_KERNEL);
	struct task_struct *thread;
	size_t i;

	if (!waker)
		return -ENOMEM;
	init_waitqueue_head(&waker->wq);
	init_completion(&waker->done);
	thread = kthread_run(waker_fn, waker, "dw_bench_thread");
	if (IS_ERR(thread)) {
		kfree(waker);
		return PTR_ERR(thread);
	}
	for (i = 0; i < n; i++) {
		s64 t;

		/* Let the thread go back to sleep. */
		schedule_timeout_uninterruptible(1);
		t = ktime_get_ns();
		WRITE_ONCE(waker->go, true);
		wake_up_interruptible(&waker->wq);
		wait_for_completion(&waker->done);
		ns[i] = READ_ONCE(waker->woken_ns) - t;
	}
	/* Stops the thread and waits until it has exited. */
	kthread_stop(thread);
	kfree(waker);
	return 0;
}

static void print_metric(const char *metric, const s64 *values, size_t n)
{
	char line[PER_LINE * sizeof(" -9223372036854775808")];
	size_t i, j;

	for (i = 0; i < n; i += PER_LINE) {
		int len = 0;

		for (j = i; j < n && j < i + PER_LINE; j++)
			len += scnprintf(line + len, sizeof(line) - len, " %lld", values[j]);
		pr_info("%s%s\n", metric, line);
	}
}

/* The results, one value per sample, allocated before measuring. */
enum metric {
	TIMER_LATENESS_NS,
	TIMER_LATENESS_JIFFIES,
	PERIODIC_ERROR_NS,
	PERIODIC_ERROR_JIFFIES,
	WORK_HANDOFF_NS,
	KTHREAD_WAKEUP_NS,
	NR_METRICS
};

static const char *const metric_names[NR_METRICS] = {
	"timer_lateness_ns", "timer_lateness_jiffies", "periodic_error_ns",
	"periodic_error_jiffies", "work_handoff_ns", "kthread_wakeup_ns",
};

/* Runs and prints everything at load; nothing is left running afterwards. */
static int __init bench_init(void)
{
	s64 *m[NR_METRICS] = {};
	size_t n;
	int i, ret = -ENOMEM;

	if (samples <= 0)
		return -EINVAL;
	n = samples;
	for (i = 0; i < NR_METRICS; i++) {
		m[i] = kvcalloc(n, sizeof(s64), GFP_KERNEL);
		if (!m[i])
			goto out;
	}
	ret = timer_lateness(m[TIMER_LATENESS_NS], m[TIMER_LATENESS_JIFFIES], n);
	if (!ret)
		ret = periodic(m[PERIODIC_ERROR_NS], m[PERIODIC_ERROR_JIFFIES], n);
	if (!ret)
		ret = work_handoff(m[WORK_HANDOFF_NS], n);
	if (!ret)
		ret = kthread_wakeup(m[KTHREAD_WAKEUP_NS], n);
	if (ret)
		goto out;

	pr_info("start samples=%zu hz=%d\n", n, HZ);
	for (i = 0; i < NR_METRICS; i++)
		print_metric(metric_names[i], m[i], n);
	pr_info("done\n");
out:
	for (i = 0; i < NR_METRICS; i++)
		kvfree(m[i]);
	return ret;
}

static void __exit bench_exit(void)
{
}

module_init(bench_init);
module_exit(bench_exit);

MODULE_AUTHOR("Deferred work lab in Rust");
MODULE_DESCRIPTION("Deferred work benchmark in C (twin: dw_bench)");
MODULE_LICENSE("GPL");
