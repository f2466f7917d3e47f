// SPDX-License-Identifier: GPL-2.0

//! Wait queues: sleeping until a condition holds (`struct wait_queue_head`).
//!
//! C header: [`include/linux/wait.h`](srctree/include/linux/wait.h).
//!
//! The `kernel` crate's [`CondVar`](kernel::sync::CondVar) pairs a wait queue with a lock. The
//! lab's kthread protocol uses the plain C pattern instead: a condition on atomics, checked by
//! `wait_event_interruptible` and made true by another thread before `wake_up_interruptible`.
//!
//! The condition is evaluated with the task already marked as sleeping
//! (`TASK_INTERRUPTIBLE`), so it must not sleep itself: that would lose wake-ups and warn
//! (`do not call blocking ops when !TASK_RUNNING`). The wait borrows the [`ProcessContext`]
//! mutably, so the condition cannot use it.
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
//! ```

use super::context::{might_sleep, ProcessContext};
use kernel::{
    bindings, error::code::ERESTARTSYS, prelude::*, str::CStr, sync::LockClassKey, types::Opaque,
};

/// Creates a [`WaitQueue`] initialiser with a lock class of its own (`init_waitqueue_head`).
// Each module compiles this whole layer in but may not use every part of it.
#[allow(unused_macros)]
macro_rules! new_wait_queue {
    () => {
        $crate::kernel_ext::wait::WaitQueue::new(
            ::kernel::optional_name!(),
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
/// `raw` was initialised by `__init_waitqueue_head` and has not moved since.
#[pin_data]
pub struct WaitQueue {
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
    /// `condition` runs with the task marked as sleeping: it must not sleep, and cannot use
    /// `ctx`, which the wait holds.
    #[inline]
    #[track_caller]
    pub fn wait_interruptible(
        &self,
        _ctx: &mut ProcessContext,
        condition: impl Fn() -> bool,
    ) -> Result {
        might_sleep();
        if condition() {
            return Ok(());
        }
        // `___wait_event` in C (Linux 7.3's), with the condition inlined as there.
        let entry = Opaque::<bindings::wait_queue_entry>::uninit();
        // SAFETY: `entry` is valid for writes. It stays in this frame, unmoved, and is off the
        // queue again whenever this returns (below; kernel Rust does not unwind, so `condition`
        // cannot leave this frame another way).
        unsafe { bindings::init_wait_entry(entry.get(), 0) };
        loop {
            // SAFETY: `raw` is initialised by the type invariants, `entry` above. Queues `entry`
            // (once) and marks the task sleeping, or, with a signal pending, takes `entry` off
            // the queue and fails.
            let interrupted = unsafe {
                bindings::prepare_to_wait_event(
                    self.raw.get(),
                    entry.get(),
                    bindings::TASK_INTERRUPTIBLE as c_int,
                )
            };
            if condition() {
                break;
            }
            if interrupted != 0 {
                return Err(ERESTARTSYS);
            }
            // SAFETY: `_ctx` proves the task may sleep.
            unsafe { bindings::schedule() };
            // Woken (or not yet asleep): the condition first, as C does, which spares a
            // `prepare_to_wait_event` when it holds.
            if condition() {
                break;
            }
        }
        // SAFETY: As above; marks the task running and takes `entry` off the queue.
        unsafe { bindings::finish_wait(self.raw.get(), entry.get()) };
        Ok(())
    }

    /// Wakes one interruptible sleeper (and all non-exclusive ones): `wake_up_interruptible`.
    /// Callable from any context.
    #[inline]
    pub fn wake_up_interruptible(&self) {
        // SAFETY: `raw` is initialised by the type invariants.
        unsafe {
            bindings::__wake_up(
                self.raw.get(),
                bindings::TASK_INTERRUPTIBLE,
                1,
                core::ptr::null_mut(),
            )
        };
    }

    /// Wakes one sleeper of any kind (and all non-exclusive ones): `wake_up` in C.
    #[inline]
    pub fn wake_up(&self) {
        // SAFETY: `raw` is initialised by the type invariants.
        unsafe {
            bindings::__wake_up(
                self.raw.get(),
                bindings::TASK_NORMAL,
                1,
                core::ptr::null_mut(),
            )
        };
    }
}
