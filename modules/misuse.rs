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

use kernel::{
    new_spinlock, new_spinlock_irq,
    prelude::*,
    sync::{SpinLock, SpinLockIrq},
};
use kernel_ext::{
    bh::local_bh_disable,
    completion::CountingCompletion,
    context::{BhDisabled, ProcessContext},
    module::{InProcessContext, ProcessModule},
    sync::{new_spinlock_bh, SpinLockBh},
    time::jiffies,
    timer::{new_timer, Timer, TimerCallback},
    workqueue::{new_work, OwnedWork, WorkCallback},
};

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

struct Idle;

impl WorkCallback for Idle {
    fn run(_work: &OwnedWork<Self>, _ctx: &mut ProcessContext) {}
}

/// A timer that drops the work item it holds.
#[pin_data]
struct Dropper {
    #[pin]
    work: SpinLockBh<Option<Pin<KBox<OwnedWork<Idle>>>>>,
    #[pin]
    done: CountingCompletion,
}

impl TimerCallback for Dropper {
    fn run(timer: &Timer<Self>, bh: &BhDisabled) {
        let work = timer.work.lock_with(bh).take();
        drop(work);
        timer.done.complete();
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
    let work = KBox::pin_init(new_work!(Idle), GFP_KERNEL)?;
    let timer = KBox::pin_init(
        new_timer!(try_pin_init!(Dropper {
            work <- new_spinlock_bh!(Some(work)),
            done <- CountingCompletion::new(),
        }? Error)),
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

struct Misuse;

impl ProcessModule for Misuse {
    fn init(_module: &'static ThisModule, ctx: &mut ProcessContext) -> Result<Self> {
        match module_parameters::case.value() {
            0 => {}
            1 => sleep_under_spinlock(ctx)?,
            2 => drop_work_in_timer(ctx)?,
            3 => bh_under_irq_lock(ctx)?,
            _ => return Err(EINVAL),
        }
        pr_info!("[misuse] done\n");
        Ok(Misuse)
    }
}
