// SPDX-License-Identifier: GPL-2.0

//! Misuses that compile, and what the kernel reports for them: the run-time half of
//! `kernel_ext`'s context checks (`tests/compile-fail/` is the compile-time half).
//!
//! The compiler cannot see the `kernel` crate's atomic sections, nor where a value is dropped;
//! `kernel_ext`'s sleeping functions and drops check with `might_sleep()`, and its bottom-half
//! guards with lockdep. Each `case` (a module parameter) does one misuse in safe code at load;
//! the test harness expects exactly the report it names. None of them really sleeps, so the
//! guest goes on normally.
//!
//! 1. A sleeping function under a `kernel` crate `SpinLock` (a completion that is already
//!    complete, so it does not sleep): `BUG: sleeping function called from invalid context` at
//!    the call, in this file.
//! 2. An `OwnedWork` dropped in a timer callback: the same report, at the work item's drop in
//!    `kernel_ext/workqueue.rs`.
//! 3. Bottom halves disabled under a `SpinLockIrq`: a lockdep `WARNING` in `kernel_ext`'s helper
//!    (`local_bh_enable` would turn interrupts back on under the lock), and the kernel's own at
//!    the enable.
//! 4. A kernel thread that drops its own `KThread` (which would wait for its own exit): a
//!    `WARNING` at the drop in `kernel_ext/kthread.rs`; the thread is asked to stop, and holds
//!    the module until it has exited half a second later (an `rmmod` meanwhile is refused).
//! 5. A wait condition that panics once the thread has slept: the panic's `Oops` kills the
//!    thread, and nothing else: its wait entry is off the queue while the condition runs, so the
//!    wake-ups after its death touch nothing of it, and its `KThread`'s drop frees the data the
//!    dead thread held (the boot's leak check sees nothing left).
//! 6. An ioctl that forgets a `BhGuard`: a line naming the ioctl and a `WARNING` as it returns,
//!    from `kernel_ext`'s misc device, which then enables bottom halves again (the process would
//!    otherwise die of its next page fault). The device is `/dev/dw_misuse`, for this case only.
//! 7. A module init and exit that each forget a `BhGuard`: each named as it returns, with a
//!    `WARNING`, and bottom halves enabled again (`insmod` and `rmmod` go on normally).

use kernel::{
    new_mutex, new_spinlock, new_spinlock_irq,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc, Mutex, SpinLock, SpinLockIrq,
    },
};
use kernel_ext::{
    bh::local_bh_disable,
    completion::CountingCompletion,
    context::{BhDisabled, ProcessContext},
    deferred::impl_deferred_fields,
    kthread::{KThread, KThreadContext, ThreadFn},
    miscdev::{SharedDevice, SharedMiscDevice},
    module::{InProcessContext, ProcessModule},
    sync::{new_spinlock_bh, SpinLockBh},
    time::{jiffies, HZ},
    timer::{new_timer, HasTimer, Timer, TimerCallback},
    wait::{new_wait_queue, WaitQueue},
    workqueue::{new_work, OwnedWork, WorkCallback},
};

#[path = "../kernel_ext/mod.rs"]
mod kernel_ext;

module! {
    type: InProcessContext<Misuse>,
    name: "dw_misuse",
    authors: ["Deferred work lab in Rust"],
    description: "Misuses that compile, for the run-time context checks",
    license: "GPL",
    params: {
        case: u32 {
            default: 0,
            description: "The misuse to do at load (see misuse.rs); 0: none",
        },
    },
}

/// A work item that does nothing.
#[pin_data(PinnedDrop)]
struct Idle {
    #[pin]
    work: OwnedWork<Self>,
}

impl_deferred_fields! {
    impl DeferredFields for Idle {
        work: OwnedWork,
    }
}

impl WorkCallback for Idle {
    fn run(_this: &Self, _ctx: &mut ProcessContext) {}
}

/// A timer that drops the work item it holds.
#[pin_data(PinnedDrop)]
struct Dropper {
    #[pin]
    timer: Timer<Self>,
    #[pin]
    work: SpinLockBh<Option<Pin<KBox<Idle>>>>,
    #[pin]
    done: CountingCompletion,
}

impl_deferred_fields! {
    impl DeferredFields for Dropper {
        timer: Timer,
    }
}

impl TimerCallback for Dropper {
    fn run(this: &Self, bh: &BhDisabled) {
        let work = this.work.lock_with(bh).take();
        drop(work);
        this.done.complete();
    }
}

fn sleep_under_spinlock(ctx: &mut ProcessContext) -> Result {
    let lock: Pin<KBox<SpinLock<()>>> = KBox::pin_init(new_spinlock!(()), GFP_KERNEL)?;
    let done = KBox::pin_init(CountingCompletion::new(), GFP_KERNEL)?;
    done.complete();
    let _guard = lock.lock();
    pr_info!("[misuse] waiting for a completion under a spinlock\n");
    done.wait_for_completion(ctx);
    Ok(())
}

fn drop_work_in_timer(ctx: &mut ProcessContext) -> Result {
    let work = KBox::pin_init(pin_init!(Idle { work <- new_work!() }), GFP_KERNEL)?;
    let timer = KBox::pin_init(
        try_pin_init!(Dropper {
            timer <- new_timer!(),
            work <- new_spinlock_bh!(Some(work)),
            done <- CountingCompletion::new(),
        }? Error),
        GFP_KERNEL,
    )?;
    pr_info!("[misuse] dropping a work item in a timer callback\n");
    timer.arm_at(jiffies().wrapping_add(1));
    timer.done.wait_for_completion(ctx);
    Ok(())
}

fn bh_under_irq_lock(ctx: &mut ProcessContext) -> Result {
    let lock: Pin<KBox<SpinLockIrq<()>>> = KBox::pin_init(new_spinlock_irq!(()), GFP_KERNEL)?;
    let _guard = lock.lock();
    pr_info!("[misuse] disabling bottom halves under an IRQ-disabling spinlock\n");
    drop(local_bh_disable(ctx));
    Ok(())
}

/// A thread that drops its own `KThread`, which its data holds.
#[pin_data]
struct SelfDropper {
    #[pin]
    handle: Mutex<Option<KThread<SelfDropper>>>,
    #[pin]
    handed: CountingCompletion,
    #[pin]
    dropped: CountingCompletion,
}

impl ThreadFn for SelfDropper {
    fn run(&self, ctx: &mut KThreadContext) {
        self.handed.wait_for_completion(ctx);
        let handle = self.handle.lock().take();
        drop(handle);
        pr_info!(
            "[misuse] the thread dropped its own KThread; should it stop? {}\n",
            ctx.should_stop()
        );
        self.dropped.complete();
        ctx.schedule_timeout_uninterruptible(HZ / 2);
        pr_info!("[misuse] the thread that dropped its own KThread exits\n");
    }
}

fn kthread_drops_itself(ctx: &mut ProcessContext) -> Result {
    let data = Arc::pin_init(
        try_pin_init!(SelfDropper {
            handle <- new_mutex!(None),
            handed <- CountingCompletion::new(),
            dropped <- CountingCompletion::new(),
        }? Error),
        GFP_KERNEL,
    )?;
    pr_info!("[misuse] a kernel thread drops its own KThread\n");
    *data.handle.lock() = Some(KThread::run(c"dw_misuse_self", data.clone(), ctx)?);
    data.handed.complete();
    data.dropped.wait_for_completion(ctx);
    Ok(())
}

/// A thread whose wait condition panics on its second check, after the thread slept.
#[pin_data]
struct PanickingWait {
    checks: Atomic<u32>,
    #[pin]
    queue: WaitQueue,
}

impl ThreadFn for PanickingWait {
    fn run(&self, ctx: &mut KThreadContext) {
        let _ = self.queue.wait_interruptible(ctx, || {
            let check = self.checks.fetch_add(1, Relaxed) + 1;
            assert!(
                check < 2,
                "[misuse] the wait condition panics on check {check}"
            );
            false
        });
    }
}

fn panic_in_wait_condition(ctx: &mut ProcessContext) -> Result {
    let data = Arc::pin_init(
        pin_init!(PanickingWait {
            checks: Atomic::new(0),
            queue <- new_wait_queue!(),
        }),
        GFP_KERNEL,
    )?;
    let thread = KThread::run(c"dw_misuse_wait", data.clone(), ctx)?;
    ctx.schedule_timeout_uninterruptible(HZ / 10);
    pr_info!("[misuse] waking a thread whose wait condition panics\n");
    data.queue.wake_up_interruptible();
    ctx.schedule_timeout_uninterruptible(HZ / 10);
    // The thread is dead: stopping it returns at once, and its task can be freed.
    drop(thread);
    ctx.schedule_timeout_uninterruptible(HZ / 2);
    // A wait entry left on the queue would now point into the freed task and its stack.
    pr_info!("[misuse] waking the queue of the dead thread\n");
    data.queue.wake_up_interruptible();
    Ok(())
}

/// `/dev/dw_misuse`, whose every ioctl forgets to enable bottom halves again.
struct ForgetfulDevice;

/// A misc minor no other module of the lab takes.
const FORGETFUL_MINOR: u8 = 244;

impl SharedDevice for ForgetfulDevice {
    fn ioctl(&self, cmd: u32, _arg: usize, ctx: &mut ProcessContext) -> Result<isize> {
        pr_info!("[misuse] ioctl {cmd:#x} forgets a BhGuard\n");
        core::mem::forget(local_bh_disable(ctx));
        Ok(0)
    }
}

struct Misuse {
    _device: Option<Pin<KBox<SharedMiscDevice<ForgetfulDevice>>>>,
    forget_at_exit: bool,
}

impl ProcessModule for Misuse {
    fn init(_module: &'static ThisModule, ctx: &mut ProcessContext) -> Result<Self> {
        let mut device = None;
        match module_parameters::case.value() {
            0 => {}
            1 => sleep_under_spinlock(ctx)?,
            2 => drop_work_in_timer(ctx)?,
            3 => bh_under_irq_lock(ctx)?,
            4 => kthread_drops_itself(ctx)?,
            5 => panic_in_wait_condition(ctx)?,
            6 => {
                let data = Arc::new(ForgetfulDevice, GFP_KERNEL)?;
                let register = SharedMiscDevice::register(c"dw_misuse", FORGETFUL_MINOR, data);
                device = Some(KBox::pin_init(register, GFP_KERNEL)?);
            }
            7 => {
                pr_info!("[misuse] init forgets a BhGuard\n");
                core::mem::forget(local_bh_disable(ctx));
            }
            _ => return Err(EINVAL),
        }
        pr_info!("[misuse] done\n");
        Ok(Misuse {
            _device: device,
            forget_at_exit: module_parameters::case.value() == 7,
        })
    }

    fn exit(&mut self, ctx: &mut ProcessContext) {
        if self.forget_at_exit {
            pr_info!("[misuse] exit forgets a BhGuard\n");
            core::mem::forget(local_bh_disable(ctx));
        }
    }
}
