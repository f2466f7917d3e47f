// SPDX-License-Identifier: GPL-2.0

//! The workqueue toolbox of the lab text: delayed work, dedicated workqueues, and work on every
//! CPU.
//!
//! Loading the module:
//! 1. queues a delayed work item to run in 1 s, and another for 10 s that it cancels at once;
//! 2. creates an ordered (single-threaded) workqueue, queues three items, flushes it: they run
//!    one after the other, in order;
//! 3. creates a per-CPU workqueue and runs an item on it;
//! 4. runs a function on every online CPU (`schedule_on_each_cpu`).
//!
//! Unloading cancels the delayed work if still pending, and destroys the queues after running
//! what is on them.

use kernel::{cpu::CpuId, current, prelude::*};
use kernel_ext::{
    context::ProcessContext,
    deferred::impl_deferred_fields,
    module::{InProcessContext, ProcessModule},
    task::TaskExt,
    time::HZ,
    workqueue::{
        new_work, schedule_on_each_cpu, HasOwnedWork, OnEachCpu, OwnedQueue, OwnedWork,
        WorkCallback,
    },
};

#[path = "../kernel_ext/mod.rs"]
mod kernel_ext;

module! {
    type: InProcessContext<ToolboxModule>,
    name: "dw_wq_toolbox",
    authors: ["Deferred work lab in Rust"],
    description: "Delayed work, dedicated workqueues and schedule_on_each_cpu",
    license: "GPL",
}

/// A work item that says where it ran.
#[pin_data(PinnedDrop)]
struct Say {
    #[pin]
    work: OwnedWork<Self>,
    name: &'static str,
}

impl_deferred_fields! {
    impl DeferredFields for Say {
        work: OwnedWork,
    }
}

impl WorkCallback for Say {
    fn run(this: &Self, _ctx: &mut ProcessContext) {
        let task = current!();
        pr_info!(
            "[{}] ran on cpu {}, pid {} ({})\n",
            this.name,
            CpuId::current().as_u32(),
            task.pid(),
            task.comm()
        );
    }
}

/// What every CPU runs.
struct EachCpu;

impl OnEachCpu for EachCpu {
    fn run(_ctx: &mut ProcessContext) {
        let task = current!();
        pr_info!(
            "[on_each_cpu] cpu {}: pid {} ({})\n",
            CpuId::current().as_u32(),
            task.pid(),
            task.comm()
        );
    }
}

fn work(name: &'static str) -> Result<Pin<KBox<Say>>> {
    KBox::pin_init(
        pin_init!(Say {
            work <- new_work!(),
            name,
        }),
        GFP_KERNEL,
    )
}

struct ToolboxModule {
    delayed: Pin<KBox<Say>>,
    cancelled: Pin<KBox<Say>>,
    per_cpu_item: Pin<KBox<Say>>,
    // Destroyed before its items drop (fields drop in order): destroying runs what is queued.
    _ordered: OwnedQueue,
    ordered_items: [Pin<KBox<Say>>; 3],
    _per_cpu: OwnedQueue,
}

impl ProcessModule for ToolboxModule {
    fn init(_module: &'static ThisModule, ctx: &mut ProcessContext) -> Result<Self> {
        pr_info!("[toolbox_init] Init module\n");
        let this = Self {
            delayed: work("delayed 1 s")?,
            cancelled: work("delayed 10 s")?,
            ordered_items: [work("ordered 1")?, work("ordered 2")?, work("ordered 3")?],
            per_cpu_item: work("per-cpu")?,
            _ordered: OwnedQueue::new_ordered(c"dw_ordered", ctx)?,
            _per_cpu: OwnedQueue::new_per_cpu(c"dw_per_cpu", 1, ctx)?,
        };

        this.delayed.queue_after(HZ);
        this.cancelled.queue_after(10 * HZ);
        pr_info!("[delayed] queued for 1 s and for 10 s\n");
        let was_pending = this.cancelled.work.cancel(ctx);
        pr_info!("[delayed] the 10 s one cancelled while pending: {was_pending}\n");

        for item in &this.ordered_items {
            item.queue_on(&this._ordered);
        }
        this._ordered.flush(ctx);
        pr_info!("[ordered] flushed\n");

        this.per_cpu_item.queue_on(&this._per_cpu);
        this._per_cpu.flush(ctx);

        schedule_on_each_cpu::<EachCpu>(ctx)?;
        pr_info!("[on_each_cpu] done\n");
        Ok(this)
    }

    fn exit(&mut self, _ctx: &mut ProcessContext) {
        pr_info!("[toolbox_exit] Exit module\n");
        // Unloading with work on a dedicated queue: destroying the queue runs it first.
        self.ordered_items[2].queue_on(&self._ordered);
    }
}
