// SPDX-License-Identifier: GPL-2.0

//! Wait queues: sleeping until a condition holds (`struct wait_queue_head`).
//!
//! C header: [`include/linux/wait.h`](srctree/include/linux/wait.h).
//!
//! The `kernel` crate's [`CondVar`](kernel::sync::CondVar) pairs a wait queue with a lock. The
//! lab's kthread protocol uses the plain C pattern instead: a condition on atomics, checked by
//! `wait_event_interruptible` and made true by another thread before `wake_up_interruptible`.
//!
//! C's `wait_event` evaluates the condition with the task's wait entry, on its stack, already on
//! the queue. In Rust the condition is user code, which may panic; a kernel panic does not
//! unwind, so the dying task would leave its entry queued on a freed stack, for the next
//! `wake_up` to write through. So here the condition runs only while the entry is off the queue,
//! with the task running, and a count of wake-ups closes the window that C's order closes: a
//! wake-up between the condition and the queueing makes the wait look again instead of
//! sleeping. The wait borrows the context ([`MaySleep`]) mutably, so the condition cannot sleep
//! through it (it should not: it is checked again on every wake-up).
//!
//! # Examples
//!
//! ```
//! use kernel::{prelude::*, sync::atomic::{Atomic, Relaxed}};
//! use kernel_ext::{context::ProcessContext, wait::{new_wait_queue, WaitQueue}};
//!
//! #[pin_data]
//! struct Door {
//!     open: Atomic<bool>,
//!     #[pin]
//!     queue: WaitQueue,
//! }
//!
//! fn wait_for_door(door: &Door, ctx: &mut ProcessContext) -> Result {
//!     door.queue.wait_interruptible(ctx, || door.open.load(Relaxed))
//! }
//!
//! fn open_door(door: &Door) {
//!     door.open.store(true, Relaxed);
//!     door.queue.wake_up_interruptible();
//! }
//! # let door = KBox::pin_init(
//! #     pin_init!(Door { open: Atomic::new(false), queue <- new_wait_queue!() }),
//! #     GFP_KERNEL,
//! # )?;
//! # open_door(&door);
//! # kernel_ext::context::in_process_context(|ctx| wait_for_door(&door, ctx))??;
//! # Ok::<(), Error>(())
//! ```

use super::context::{might_sleep, MaySleep};
use kernel::{
    bindings,
    error::code::ERESTARTSYS,
    prelude::*,
    str::CStr,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        LockClassKey,
    },
    types::Opaque,
};

/// Creates a [`WaitQueue`] initialiser with a lock class of its own (`init_waitqueue_head`).
// Each module compiles this whole layer in but may not use every part of it.
#[allow(unused_macros)]
macro_rules! new_wait_queue {
    () => {
        $crate::kernel_ext::wait::WaitQueue::new(
            $crate::kernel_ext::sync::lock_class_name!(),
            ::kernel::static_lock_class!(),
        )
    };
}
#[allow(unused_imports)]
pub(crate) use new_wait_queue;

/// A wait queue head.
///
/// # Invariants
///
/// `raw` was initialised by `__init_waitqueue_head` and has not moved since. `wakes` grows by one
/// before each wake-up of `raw` (wrapping).
#[pin_data]
pub struct WaitQueue {
    wakes: Atomic<u32>,
    #[pin]
    raw: Opaque<bindings::wait_queue_head>,
}

// SAFETY: Wait queues are designed to be used from any thread; their lock protects them.
unsafe impl Send for WaitQueue {}
// SAFETY: As above.
unsafe impl Sync for WaitQueue {}

impl WaitQueue {
    /// Creates an empty wait queue. Prefer the [`new_wait_queue!`] macro.
    #[inline]
    pub fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        pin_init!(Self {
            wakes: Atomic::new(0),
            // INVARIANT: initialised by `__init_waitqueue_head`, and pinned.
            // SAFETY: `slot` is valid for writes and pinned; `name` and `key` live forever.
            raw <- Opaque::ffi_init(|slot| unsafe {
                bindings::__init_waitqueue_head(slot, name.as_char_ptr(), key.as_ptr())
            }),
        })
    }

    /// Sleeps until `condition` returns true, checking it before sleeping and after each wake-up:
    /// `wait_event_interruptible` in C. Fails with `ERESTARTSYS` if a signal arrives first (in a
    /// kernel thread: once `kthread_stop` was called, every time).
    ///
    /// `condition` runs with the task running and its wait entry off the queue (see the module's
    /// documentation), and cannot use `ctx`, which the wait holds.
    #[inline]
    #[track_caller]
    pub fn wait_interruptible(
        &self,
        _ctx: &mut impl MaySleep,
        condition: impl Fn() -> bool,
    ) -> Result {
        might_sleep();
        // Read before the condition: a waker changes the condition, then counts its wake-up
        // (`Release`), so a wake-up that this count does not include comes after what the
        // condition saw.
        let mut wakes = self.wakes.load(Acquire);
        if condition() {
            return Ok(());
        }
        let entry = Opaque::<bindings::wait_queue_entry>::uninit();
        // SAFETY: `entry` is valid for writes and stays in this frame, unmoved. It is queued only
        // between `prepare_to_wait_event` and `finish_wait` below, where no user code runs (a
        // panic there would end the task, without unwinding, with `entry` still queued).
        unsafe { bindings::init_wait_entry(entry.get(), 0) };
        loop {
            // SAFETY: `raw` is initialised by the type invariants, `entry` above and off the
            // queue. Queues `entry` and marks the task sleeping or, with a signal pending, leaves
            // it off the queue and the task running, and fails.
            let interrupted = unsafe {
                bindings::prepare_to_wait_event(
                    self.raw.get(),
                    entry.get(),
                    bindings::TASK_INTERRUPTIBLE as c_int,
                )
            };
            if interrupted != 0 {
                return Err(ERESTARTSYS);
            }
            // A wake-up since the condition was checked may have missed `entry`: it was not
            // queued yet. One that finds it queued wakes the task. The queue's lock orders the
            // two: a waker that took it before `prepare_to_wait_event` counted before it too.
            if self.wakes.load(Relaxed) == wakes {
                // SAFETY: `_ctx` proves the task may sleep.
                unsafe { bindings::schedule() };
            }
            // SAFETY: As above; marks the task running and takes `entry` off the queue.
            unsafe { bindings::finish_wait(self.raw.get(), entry.get()) };
            wakes = self.wakes.load(Acquire);
            if condition() {
                return Ok(());
            }
        }
    }

    /// Wakes one interruptible sleeper (and all non-exclusive ones): `wake_up_interruptible`.
    /// Callable from any context.
    #[inline]
    pub fn wake_up_interruptible(&self) {
        self.wake(bindings::TASK_INTERRUPTIBLE);
    }

    /// Wakes one sleeper of any kind (and all non-exclusive ones): `wake_up` in C.
    #[inline]
    pub fn wake_up(&self) {
        self.wake(bindings::TASK_NORMAL);
    }

    /// `__wake_up(raw, mode, 1, NULL)`, counted.
    #[inline]
    fn wake(&self, mode: c_uint) {
        // INVARIANT: Counted before the wake-up, after what the caller changed.
        self.wakes.fetch_add(1, Release);
        // SAFETY: `raw` is initialised by the type invariants.
        unsafe { bindings::__wake_up(self.raw.get(), mode, 1, core::ptr::null_mut()) };
    }
}

#[cfg(dw_kunit)]
#[kunit_tests(kernel_ext_wait)]
mod tests {
    use super::*;
    use crate::kernel_ext::{
        context::BhDisabled,
        deferred::impl_deferred_fields,
        testing::{process_context, Flag},
        timer::{new_timer, HasTimer, Timer, TimerCallback},
    };
    use kernel::{current, sync::Arc};

    /// A flag and its wait queue, opened by a timer.
    #[pin_data(PinnedDrop)]
    struct Opener {
        #[pin]
        timer: Timer<Self>,
        flag: Arc<Flag>,
    }

    impl_deferred_fields! {
        impl DeferredFields for Opener {
            timer: Timer,
        }
    }

    impl TimerCallback for Opener {
        fn run(this: &Self, _bh: &BhDisabled) {
            this.flag.set.store(true, Release);
            this.flag.queue.wake_up_interruptible();
        }
    }

    /// The current task's state (`TASK_RUNNING` is 0).
    fn current_state() -> u32 {
        // SAFETY: The current task is live; its state is read once.
        unsafe { core::ptr::read_volatile(&raw const (*current!().as_ptr()).__state) }
    }

    #[test]
    fn wait_condition_runs_with_the_task_running() -> Result {
        let mut ctx = process_context();
        let flag = Arc::pin_init(Flag::new(), GFP_KERNEL)?;
        let opened = flag.clone();
        let timer = KBox::pin_init(
            pin_init!(Opener { timer <- new_timer!(), flag: opened }),
            GFP_KERNEL,
        )?;
        timer.arm_after(kernel::time::Delta::from_millis(20));
        let (checks, running) = (core::cell::Cell::new(0), core::cell::Cell::new(0));
        flag.queue.wait_interruptible(&mut ctx, || {
            checks.set(checks.get() + 1);
            if current_state() == bindings::TASK_RUNNING {
                running.set(running.get() + 1);
            }
            flag.set.load(Acquire)
        })?;
        // Once before sleeping, once woken: never with the task marked as sleeping (and its
        // wait entry queued), where a panic would leave the entry behind.
        assert!(checks.get() >= 2);
        assert_eq!(running.get(), checks.get());
        Ok(())
    }
}
