// SPDX-License-Identifier: GPL-2.0

//! Lab task 6: a kernel thread that exits in step with module unload.
//!
//! The lab's protocol: two wait queues and two atomic flags. Unloading sets `flag_stop_thread`
//! and wakes the thread; the thread sets `flag_thread_terminated` and wakes the module's exit,
//! which waits for it. ([`KThread`] then also waits until the thread has really exited, so no
//! module code runs after unload.)

use kernel::{
    current,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Release},
        Arc,
    },
};
use kernel_ext::{
    context::ProcessContext,
    kthread::{KThread, KThreadContext, ThreadFn},
    module::{InProcessContext, ProcessModule},
    task::TaskExt,
    wait::{new_wait_queue, WaitQueue},
};

#[path = "../kernel_ext/mod.rs"]
mod kernel_ext;

module! {
    type: InProcessContext<KthreadModule>,
    name: "dw_kthread",
    authors: ["Deferred work lab in Rust"],
    description: "Lab task 6: a kernel thread that exits in step with module unload",
    license: "GPL",
}

/// What the module and its thread share.
#[pin_data]
struct Protocol {
    flag_stop_thread: Atomic<bool>,
    #[pin]
    wq_stop_thread: WaitQueue,
    flag_thread_terminated: Atomic<bool>,
    #[pin]
    wq_thread_terminated: WaitQueue,
}

impl ThreadFn for Protocol {
    fn run(&self, ctx: &mut KThreadContext) {
        let task = current!();
        pr_info!(
            "[my_thread_f] Current process id is {} ({})\n",
            task.pid(),
            task.comm()
        );

        // TODO/3: wait on `wq_stop_thread` until `flag_stop_thread` is set (`wait_interruptible`).
        // Only the module's request ends this wait (or `kthread_stop`, which makes it fail; the
        // thread then exits all the same).
        let _ = self
            .wq_stop_thread
            .wait_interruptible(ctx, || self.flag_stop_thread.load(Acquire));

        pr_info!("[my_thread_f] Exiting\n");
        // TODO/2: set `flag_thread_terminated` and wake up `wq_thread_terminated`
        self.flag_thread_terminated.store(true, Release);
        self.wq_thread_terminated.wake_up_interruptible();
    }
}

struct KthreadModule {
    // TODO: the module owns its thread (`KThread<Protocol>`), which it stops on unload
    thread: KThread<Protocol>,
}

impl ProcessModule for KthreadModule {
    fn init(_module: &'static ThisModule, ctx: &mut ProcessContext) -> Result<Self> {
        pr_info!("[kthread_init] Init module\n");
        let protocol = Arc::pin_init(
            pin_init!(Protocol {
                flag_stop_thread: Atomic::new(false),
                wq_stop_thread <- new_wait_queue!(),
                flag_thread_terminated: Atomic::new(false),
                wq_thread_terminated <- new_wait_queue!(),
            }),
            GFP_KERNEL,
        )?;
        Ok(Self {
            // TODO: create and start the thread `mykthread0` with `protocol` (`KThread::run`)
            thread: KThread::run(c"mykthread0", protocol, ctx)?,
        })
    }

    fn exit(&mut self, ctx: &mut ProcessContext) {
        // TODO/6: set `flag_stop_thread`, wake up `wq_stop_thread`, then wait on
        // `wq_thread_terminated` until `flag_thread_terminated` is set
        let protocol = self.thread.data();
        protocol.flag_stop_thread.store(true, Release);
        protocol.wq_stop_thread.wake_up_interruptible();
        let _ = protocol
            .wq_thread_terminated
            .wait_interruptible(ctx, || protocol.flag_thread_terminated.load(Acquire));
        pr_info!("[kthread_exit] Exit module\n");
    }
}
