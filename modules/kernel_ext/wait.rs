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
use kernel::{bindings, ffi::c_void, prelude::*, str::CStr, sync::LockClassKey, types::Opaque};

unsafe extern "C" {
    fn dw_wait_event_interruptible(
        wq: *mut bindings::wait_queue_head,
        condition: Option<unsafe extern "C" fn(*const c_void) -> bool>,
        data: *const c_void,
    ) -> c_int;
}

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
        /// # Safety
        ///
        /// `data` must point to a live `F`.
        unsafe extern "C" fn check<F: Fn() -> bool>(data: *const c_void) -> bool {
            // SAFETY: `data` is the `&F` passed below, alive for the whole wait.
            unsafe { (*data.cast::<F>())() }
        }
        fn checker<F: Fn() -> bool>(_: &F) -> unsafe extern "C" fn(*const c_void) -> bool {
            check::<F>
        }
        let check_fn = checker(&condition);
        let data: *const c_void = core::ptr::from_ref(&condition).cast();
        // SAFETY: `raw` is initialised; `_ctx` proves we may sleep; `data` points to `condition`,
        // which lives until the call returns, and `check_fn` reads it as the right type.
        let ret = unsafe { dw_wait_event_interruptible(self.raw.get(), Some(check_fn), data) };
        kernel::error::to_result(ret)
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
