// SPDX-License-Identifier: GPL-2.0

//! Tasklets, and bottom halves disabled around shared data, as the lab text describes them.
//!
//! Loading the module runs five short demonstrations, each logged:
//! 1. scheduling a tasklet twice while bottom halves are disabled (nested, around data the
//!    tasklet shares) runs it once, when the outermost `local_bh_enable` comes;
//! 2. a high-priority tasklet runs before a normal one scheduled earlier;
//! 3. a disabled tasklet stays silent until it is enabled;
//! 4. a tasklet can schedule itself again;
//! 5. a BH workqueue, the modern replacement of tasklets, runs a work item in the same context.

use kernel::{
    new_work,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
    workqueue::{self, impl_has_work, Work, WorkItem},
};
use kernel_ext::{
    bh::local_bh_disable,
    context::{BhDisabled, ProcessContext},
    deferred::impl_deferred_fields,
    module::{InProcessContext, ProcessModule},
    sync::{new_spinlock_bh, SpinLockBh},
    tasklet::{HasTasklet, Tasklet, TaskletCallback},
    time::HZ,
    workqueue::flush,
};

#[path = "../kernel_ext/mod.rs"]
mod kernel_ext;

module! {
    type: InProcessContext<TaskletModule>,
    name: "dw_tasklet",
    authors: ["Deferred work lab in Rust"],
    description: "Tasklets, bottom-half disabling and a BH workqueue",
    license: "GPL",
}

/// A tasklet that counts its runs, in data it shares with process context.
#[pin_data(PinnedDrop)]
struct Counter {
    #[pin]
    tasklet: Tasklet<Self>,
    name: &'static str,
    #[pin]
    runs: SpinLockBh<u32>,
}

impl_deferred_fields! {
    impl DeferredFields for Counter {
        tasklet: Tasklet,
    }
}

impl TaskletCallback for Counter {
    fn run(this: &Self, bh: &BhDisabled) {
        let mut runs = this.runs.lock_with(bh);
        *runs += 1;
        pr_info!("[{}] tasklet ran ({} so far)\n", this.name, *runs);
    }
}

fn counter(name: &'static str) -> impl PinInit<Counter> {
    pin_init!(Counter {
        tasklet <- Tasklet::new(),
        name,
        runs <- new_spinlock_bh!(0),
    })
}

/// A tasklet that schedules itself until it has run `ROUNDS` times.
#[pin_data(PinnedDrop)]
struct Rescheduling {
    #[pin]
    tasklet: Tasklet<Self>,
    rounds: Atomic<u32>,
}

impl_deferred_fields! {
    impl DeferredFields for Rescheduling {
        tasklet: Tasklet,
    }
}

impl Rescheduling {
    const ROUNDS: u32 = 3;
}

impl TaskletCallback for Rescheduling {
    fn run(this: &Self, _bh: &BhDisabled) {
        let round = this.rounds.fetch_add(1, Relaxed) + 1;
        pr_info!("[resched] run {round} of {}\n", Self::ROUNDS);
        if round < Self::ROUNDS {
            this.schedule();
        }
    }
}

/// A work item for the BH workqueue, with the `kernel` crate's own `Work`.
#[pin_data]
struct BhItem {
    #[pin]
    work: Work<BhItem>,
}

impl_has_work! {
    impl HasWork<Self> for BhItem { self.work }
}

impl WorkItem for BhItem {
    type Pointer = Arc<BhItem>;

    fn run(_this: Arc<BhItem>) {
        pr_info!("[bh_work] work item ran on the BH workqueue, in softirq context\n");
    }
}

struct TaskletModule {
    shared: Pin<KBox<Counter>>,
    hi: Pin<KBox<Counter>>,
    normal: Pin<KBox<Counter>>,
    disabled: Pin<KBox<Counter>>,
    rescheduling: Pin<KBox<Rescheduling>>,
}

impl TaskletModule {
    fn runs(counter: &Counter, bh: &BhDisabled) -> u32 {
        *counter.runs.lock_with(bh)
    }

    /// 1: twice scheduled with bottom halves off (nested) is once run, at the outer enable.
    fn nested_bh_disable(&self, ctx: &mut ProcessContext) {
        let outer = local_bh_disable(ctx);
        let inner = outer.nest();
        self.shared.schedule();
        self.shared.schedule();
        pr_info!(
            "[bh] scheduled twice, bottom halves off: ran {} times\n",
            Self::runs(&self.shared, &inner)
        );
        drop(inner);
        pr_info!(
            "[bh] inner enable, still off: ran {} times\n",
            Self::runs(&self.shared, &outer)
        );
        drop(outer);
        let bh = local_bh_disable(ctx);
        pr_info!(
            "[bh] outer enable: ran {} times\n",
            Self::runs(&self.shared, &bh)
        );
    }

    /// 2: the high-priority softirq runs before the normal one.
    fn priorities(&self, ctx: &mut ProcessContext) {
        let bh = local_bh_disable(ctx);
        self.normal.schedule();
        self.hi.hi_schedule();
        pr_info!("[prio] scheduled normal, then hi\n");
        drop(bh);
    }

    /// 3: a disabled tasklet waits for its enable.
    fn disable_enable(&self, ctx: &mut ProcessContext) {
        let disabled = self.disabled.tasklet.disable(ctx);
        self.disabled.schedule();
        ctx.schedule_timeout_interruptible(HZ / 10);
        pr_info!(
            "[disabled] scheduled 100 ms ago: ran {} times\n",
            Self::runs(&self.disabled, &local_bh_disable(ctx))
        );
        drop(disabled);
        ctx.schedule_timeout_interruptible(HZ / 10);
        pr_info!(
            "[disabled] enabled 100 ms ago: ran {} times\n",
            Self::runs(&self.disabled, &local_bh_disable(ctx))
        );
    }

    /// 5: the same context, with a BH workqueue.
    fn bh_workqueue(ctx: &ProcessContext) -> Result {
        let item = Arc::pin_init(
            pin_init!(BhItem { work <- new_work!("BhItem::work") }),
            GFP_KERNEL,
        )?;
        let _ = workqueue::system_bh().enqueue(item.clone());
        flush(&item.work, ctx);
        Ok(())
    }
}

impl ProcessModule for TaskletModule {
    fn init(_module: &'static ThisModule, ctx: &mut ProcessContext) -> Result<Self> {
        pr_info!("[tasklet_init] Init module\n");
        let this = Self {
            shared: KBox::pin_init(counter("shared"), GFP_KERNEL)?,
            hi: KBox::pin_init(counter("hi"), GFP_KERNEL)?,
            normal: KBox::pin_init(counter("normal"), GFP_KERNEL)?,
            disabled: KBox::pin_init(counter("disabled"), GFP_KERNEL)?,
            rescheduling: KBox::pin_init(
                pin_init!(Rescheduling {
                    tasklet <- Tasklet::new(),
                    rounds: Atomic::new(0),
                }),
                GFP_KERNEL,
            )?,
        };
        this.nested_bh_disable(ctx);
        this.priorities(ctx);
        this.disable_enable(ctx);
        this.rescheduling.schedule();
        ctx.schedule_timeout_interruptible(HZ / 10);
        Self::bh_workqueue(ctx)?;
        Ok(this)
    }

    fn exit(&mut self, _ctx: &mut ProcessContext) {
        pr_info!("[tasklet_exit] Exit module\n");
        // Unloading with a tasklet scheduled: dropping it waits until it has run.
        self.shared.schedule();
    }
}
