// SPDX-License-Identifier: GPL-2.0

//! What the layer's KUnit suites share (the `#[kunit_tests]` at the bottom of its files): built,
//! as they are, only into `dw_kunit` (`--cfg=dw_kunit`, set in `modules/Kbuild`).

use super::{
    context::{BhDisabled, ProcessContext},
    deferred::impl_deferred_fields,
    kthread::{KThreadContext, ThreadFn},
    tasklet::{Tasklet, TaskletCallback},
    time::HZ,
    timer::{new_timer, Timer, TimerCallback},
    wait::{new_wait_queue, WaitQueue},
    workqueue::{new_work, OwnedWork, WorkCallback},
};
use kernel::{
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        Arc,
    },
};

/// KUnit runs each test case in a kernel thread, in process context.
pub(super) fn process_context() -> ProcessContext {
    // SAFETY: See above: test cases may sleep; the context is used only by the test case.
    unsafe { ProcessContext::new() }
}

pub(super) fn sleep_ms(ms: usize) {
    process_context().schedule_timeout_interruptible(ms * HZ / 1000 + 1);
}

/// Counts the runs of its timer, tasklet and work item, shared with the test through an `Arc`.
#[pin_data(PinnedDrop)]
pub(super) struct Count {
    #[pin]
    pub(super) timer: Timer<Self>,
    #[pin]
    pub(super) tasklet: Tasklet<Self>,
    #[pin]
    pub(super) work: OwnedWork<Self>,
    runs: Arc<Atomic<u32>>,
}

impl_deferred_fields! {
    impl DeferredFields for Count {
        timer: Timer,
        tasklet: Tasklet,
        work: OwnedWork,
    }
}

impl Count {
    pub(super) fn new() -> Result<(impl PinInit<Self>, Arc<Atomic<u32>>)> {
        let runs = Arc::new(Atomic::new(0), GFP_KERNEL)?;
        let shared = runs.clone();
        let init = pin_init!(Self {
            timer <- new_timer!(),
            tasklet <- Tasklet::new(),
            work <- new_work!(),
            runs: shared,
        });
        Ok((init, runs))
    }

    fn bump(&self) {
        self.runs.fetch_add(1, Relaxed);
    }
}

impl TimerCallback for Count {
    fn run(this: &Self, _bh: &BhDisabled) {
        this.bump();
    }
}

impl TaskletCallback for Count {
    fn run(this: &Self, _bh: &BhDisabled) {
        this.bump();
    }
}

impl WorkCallback for Count {
    fn run(this: &Self, _ctx: &mut ProcessContext) {
        this.bump();
    }
}

/// A flag and its wait queue. As a kernel thread's function, it notes that it ran (1), then
/// waits for the flag; stopped before it is set, it notes that (2).
#[pin_data]
pub(super) struct Flag {
    pub(super) set: Atomic<bool>,
    #[pin]
    pub(super) queue: WaitQueue,
    pub(super) ran: Atomic<u32>,
}

impl Flag {
    pub(super) fn new() -> impl PinInit<Self> {
        pin_init!(Self { set: Atomic::new(false), queue <- new_wait_queue!(), ran: Atomic::new(0) })
    }
}

impl ThreadFn for Flag {
    fn run(&self, ctx: &mut KThreadContext) {
        self.ran.store(1, Release);
        while self
            .queue
            .wait_interruptible(ctx, || self.set.load(Acquire))
            .is_err()
        {
            // `kthread_stop` makes every interruptible wait fail from then on.
            if ctx.should_stop() {
                self.ran.store(2, Release);
                return;
            }
        }
    }
}
