// SPDX-License-Identifier: GPL-2.0

//! Benchmark of deferred work on the safe abstractions of `kernel_ext`.
//!
//! At load, in this order, `samples` times each (the measurements first, then the printing):
//!
//! 1. `timer_lateness_ns`, `timer_lateness_jiffies`: a one-shot timer armed `d` = 1 to 4 ticks
//!    ahead, just after a tick: how much later than `d` ticks its callback runs.
//! 2. `periodic_error_ns`, `periodic_error_jiffies`: a timer re-armed by its callback every
//!    `PERIOD` ticks (the lab's `mod_timer(t, jiffies + P)`): each period's deviation from `P`.
//! 3. `work_handoff_ns`: from a timer callback queueing a work item to the work running.
//! 4. `kthread_wakeup_ns`: from waking a kernel thread asleep on a wait queue to it running.
//!
//! Then it prints `start samples=N hz=HZ`, each metric as lines of up to 16 values in sample
//! order (`timer_lateness_ns 12 -3 ...`), and `done`. `dw_c_bench` (`c/bench.c`) is its twin,
//! in plain C on the kernel's C API, line for line where the languages allow: the difference
//! between the two is the cost of the abstractions. Timestamps here are nanoseconds of the
//! monotonic clock since the module's `epoch` (C: since boot); only differences are printed.

use kernel::{
    fmt,
    prelude::*,
    processor::cpu_relax,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
    time::{Instant, Monotonic},
};
use kernel_ext::{
    completion::CountingCompletion,
    context::{BhDisabled, ProcessContext},
    deferred::impl_deferred_fields,
    kthread::{KThread, KThreadContext, ThreadFn},
    module::{InProcessContext, ProcessModule},
    time::{jiffies, time_after, HZ, TICK_NSEC},
    timer::{new_timer, HasTimer, Timer, TimerCallback},
    wait::{new_wait_queue, WaitQueue},
    workqueue::{new_work, HasOwnedWork, OwnedWork, WorkCallback},
};

#[path = "../../modules/kernel_ext/mod.rs"]
mod kernel_ext;

module! {
    type: InProcessContext<Bench>,
    name: "dw_bench",
    authors: ["Deferred work lab in Rust"],
    description: "Deferred work benchmark on the Rust abstractions (twin: dw_c_bench)",
    license: "GPL",
    params: {
        samples: i32 {
            default: 1000,
            description: "Samples per measurement",
        },
    },
}

/// The periodic timer's period, in ticks.
const PERIOD: usize = 2;

/// Values per printed line.
const PER_LINE: usize = 16;

/// Nanoseconds since `epoch`: this module's `ktime_get_ns()`.
fn now_ns(epoch: Instant<Monotonic>) -> i64 {
    epoch.elapsed().as_nanos()
}

/// Signed difference of two tick counts, across wraparound.
fn jiffies_diff(a: usize, b: usize) -> i64 {
    a.wrapping_sub(b) as isize as i64
}

/// When a callback ran.
struct Tick {
    ns: Atomic<i64>,
    jiffies: Atomic<usize>,
}

impl Tick {
    fn new() -> Self {
        Self {
            ns: Atomic::new(0),
            jiffies: Atomic::new(0),
        }
    }

    fn record(&self, ns: i64, jiffies: usize) {
        self.ns.store(ns, Relaxed);
        self.jiffies.store(jiffies, Relaxed);
    }
}

/// 1. A one-shot timer that records when it fires.
#[pin_data(PinnedDrop)]
struct OneShot {
    #[pin]
    timer: Timer<Self>,
    epoch: Instant<Monotonic>,
    tick: Tick,
    #[pin]
    done: CountingCompletion,
}

impl_deferred_fields! {
    impl DeferredFields for OneShot {
        timer: Timer,
    }
}

impl TimerCallback for OneShot {
    fn run(timer: &Self, _bh: &BhDisabled) {
        timer.tick.record(now_ns(timer.epoch), jiffies());
        timer.done.complete();
    }
}

fn timer_lateness(
    epoch: Instant<Monotonic>,
    lateness_ns: &mut [i64],
    lateness_jiffies: &mut [i64],
    ctx: &ProcessContext,
) -> Result {
    let timer = KBox::pin_init(
        try_pin_init!(OneShot {
            timer <- new_timer!(),
            epoch,
            tick: Tick::new(),
            done <- CountingCompletion::new(),
        }? Error),
        GFP_KERNEL,
    )?;
    for i in 0..lateness_ns.len() {
        let d = 1 + i % 4;
        let j0 = jiffies();
        while !time_after(jiffies(), j0) {
            cpu_relax();
        }
        let t0 = now_ns(epoch);
        let j = jiffies();
        timer.arm_at(j.wrapping_add(d));
        timer.done.wait_for_completion(ctx);
        lateness_ns[i] = timer.tick.ns.load(Relaxed) - (t0 + d as i64 * TICK_NSEC);
        lateness_jiffies[i] = jiffies_diff(timer.tick.jiffies.load(Relaxed), j.wrapping_add(d));
    }
    Ok(())
}

/// 2. A timer re-armed by its callback until it has fired `ticks.len()` times.
#[pin_data(PinnedDrop)]
struct Periodic {
    #[pin]
    timer: Timer<Self>,
    epoch: Instant<Monotonic>,
    fired: Atomic<usize>,
    ticks: KVVec<Tick>,
    #[pin]
    done: CountingCompletion,
}

impl_deferred_fields! {
    impl DeferredFields for Periodic {
        timer: Timer,
    }
}

impl TimerCallback for Periodic {
    fn run(timer: &Self, _bh: &BhDisabled) {
        let (ns, jf) = (now_ns(timer.epoch), jiffies());
        let k = timer.fired.load(Relaxed);
        if let Some(tick) = timer.ticks.get(k) {
            tick.record(ns, jf);
        }
        timer.fired.store(k + 1, Relaxed);
        if k + 1 < timer.ticks.len() {
            timer.arm_at(jiffies().wrapping_add(PERIOD));
        } else {
            timer.done.complete();
        }
    }
}

fn periodic(
    epoch: Instant<Monotonic>,
    error_ns: &mut [i64],
    error_jiffies: &mut [i64],
    ctx: &ProcessContext,
) -> Result {
    let mut firings = KVVec::with_capacity(error_ns.len() + 1, GFP_KERNEL)?;
    for _ in 0..=error_ns.len() {
        firings.push(Tick::new(), GFP_KERNEL)?;
    }
    let timer = KBox::pin_init(
        try_pin_init!(Periodic {
            timer <- new_timer!(),
            epoch,
            fired: Atomic::new(0),
            ticks: firings,
            done <- CountingCompletion::new(),
        }? Error),
        GFP_KERNEL,
    )?;
    timer.arm_at(jiffies().wrapping_add(PERIOD));
    timer.done.wait_for_completion(ctx);
    for (k, pair) in timer.ticks.windows(2).enumerate() {
        let (prev, this) = (&pair[0], &pair[1]);
        error_ns[k] = this.ns.load(Relaxed) - prev.ns.load(Relaxed) - PERIOD as i64 * TICK_NSEC;
        error_jiffies[k] =
            jiffies_diff(this.jiffies.load(Relaxed), prev.jiffies.load(Relaxed)) - PERIOD as i64;
    }
    Ok(())
}

/// 3. A timer whose callback queues a work item, both fields of one struct: its drop shuts the
/// timer down and cancels the work before anything else goes.
#[pin_data(PinnedDrop)]
struct Handoff {
    #[pin]
    timer: Timer<Self>,
    #[pin]
    work: OwnedWork<Self>,
    epoch: Instant<Monotonic>,
    timer_ns: Atomic<i64>,
    work_ns: Atomic<i64>,
    #[pin]
    done: CountingCompletion,
}

impl_deferred_fields! {
    impl DeferredFields for Handoff {
        timer: Timer,
        work: OwnedWork,
    }
}

impl TimerCallback for Handoff {
    fn run(this: &Self, _bh: &BhDisabled) {
        this.timer_ns.store(now_ns(this.epoch), Relaxed);
        this.queue();
    }
}

impl WorkCallback for Handoff {
    fn run(this: &Self, _ctx: &mut ProcessContext) {
        this.work_ns.store(now_ns(this.epoch), Relaxed);
        this.done.complete();
    }
}

fn work_handoff(epoch: Instant<Monotonic>, ns: &mut [i64], ctx: &ProcessContext) -> Result {
    let timer = KBox::pin_init(
        try_pin_init!(Handoff {
            timer <- new_timer!(),
            work <- new_work!(),
            epoch,
            timer_ns: Atomic::new(0),
            work_ns: Atomic::new(0),
            done <- CountingCompletion::new(),
        }? Error),
        GFP_KERNEL,
    )?;
    for slot in ns.iter_mut() {
        timer.arm_at(jiffies().wrapping_add(1));
        timer.done.wait_for_completion(ctx);
        *slot = timer.work_ns.load(Relaxed) - timer.timer_ns.load(Relaxed);
    }
    Ok(())
}

/// 4. A kernel thread that, each time `go` is set and it is woken, records when it runs.
#[pin_data]
struct Waker {
    epoch: Instant<Monotonic>,
    go: Atomic<bool>,
    #[pin]
    wq: WaitQueue,
    woken_ns: Atomic<i64>,
    #[pin]
    done: CountingCompletion,
}

impl ThreadFn for Waker {
    fn run(&self, ctx: &mut KThreadContext) {
        loop {
            // Only `go` ends this wait, or `kthread_stop`, which makes it fail.
            let _ = self.wq.wait_interruptible(ctx, || self.go.load(Relaxed));
            if ctx.should_stop() {
                return;
            }
            self.woken_ns.store(now_ns(self.epoch), Relaxed);
            self.go.store(false, Relaxed);
            self.done.complete();
        }
    }
}

fn kthread_wakeup(epoch: Instant<Monotonic>, ns: &mut [i64], ctx: &ProcessContext) -> Result {
    let waker = Arc::pin_init(
        try_pin_init!(Waker {
            epoch,
            go: Atomic::new(false),
            wq <- new_wait_queue!(),
            woken_ns: Atomic::new(0),
            done <- CountingCompletion::new(),
        }? Error),
        GFP_KERNEL,
    )?;
    let thread = KThread::run(c"dw_bench_thread", waker, ctx)?;
    let waker = thread.data();
    for slot in ns.iter_mut() {
        // Let the thread go back to sleep.
        ctx.schedule_timeout_uninterruptible(1);
        let t = now_ns(epoch);
        waker.go.store(true, Relaxed);
        waker.wq.wake_up_interruptible();
        waker.done.wait_for_completion(ctx);
        *slot = waker.woken_ns.load(Relaxed) - t;
    }
    // Dropping `thread` stops it (`kthread_stop`) and waits until it has exited.
    Ok(())
}

/// Up to [`PER_LINE`] values, each after a space.
struct Values<'a>(&'a [i64]);

impl fmt::Display for Values<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|v| write!(f, " {v}"))
    }
}

fn print_metric(metric: &str, values: &[i64]) {
    for line in values.chunks(PER_LINE) {
        pr_info!("{metric}{}\n", Values(line));
    }
}

/// The metrics, in printing order.
const METRICS: [&str; 6] = [
    "timer_lateness_ns",
    "timer_lateness_jiffies",
    "periodic_error_ns",
    "periodic_error_jiffies",
    "work_handoff_ns",
    "kthread_wakeup_ns",
];

/// Runs and prints everything at load; nothing is left running afterwards.
struct Bench;

impl ProcessModule for Bench {
    fn init(_module: &'static ThisModule, ctx: &mut ProcessContext) -> Result<Self> {
        let n = usize::try_from(module_parameters::samples.value())
            .ok()
            .filter(|&n| n > 0)
            .ok_or(EINVAL)?;
        // The results, one value per sample, allocated before measuring.
        let zeros = || KVVec::from_elem(0, n, GFP_KERNEL);
        let mut m = [zeros()?, zeros()?, zeros()?, zeros()?, zeros()?, zeros()?];
        let [lateness_ns, lateness_jiffies, periodic_ns, periodic_jiffies, handoff_ns, wakeup_ns] =
            &mut m;
        let epoch = Instant::<Monotonic>::now();
        timer_lateness(epoch, lateness_ns, lateness_jiffies, ctx)?;
        periodic(epoch, periodic_ns, periodic_jiffies, ctx)?;
        work_handoff(epoch, handoff_ns, ctx)?;
        kthread_wakeup(epoch, wakeup_ns, ctx)?;

        pr_info!("start samples={n} hz={HZ}\n");
        for (metric, values) in METRICS.iter().zip(&m) {
            print_metric(metric, values);
        }
        pr_info!("done\n");
        Ok(Bench)
    }
}
