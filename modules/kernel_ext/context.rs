// SPDX-License-Identifier: GPL-2.0

//! Proof of execution context, as types: the lab's lesson, checked by the compiler.
//!
//! C header: [`include/linux/preempt.h`](srctree/include/linux/preempt.h).
//!
//! Timer and tasklet callbacks run in atomic (softirq) context and must never sleep; work items,
//! kernel threads and file operations run in process context and may. In C, a sleep in the wrong
//! context is found at run time, if `CONFIG_DEBUG_ATOMIC_SLEEP` is on and the path is taken
//! (`BUG: scheduling while atomic`). Here, a function that may sleep takes a [`ProcessContext`],
//! which only process-context callbacks of this layer receive; atomic callbacks receive a
//! [`BhDisabled`] instead. So sleeping in a timer callback does not compile in safe code:
//!
//! ```compile_fail
//! use kernel_ext::{context::{BhDisabled, ProcessContext}, timer::{Timer, TimerCallback}};
//!
//! fn sleepy(_ctx: &ProcessContext) {}
//!
//! struct Oops;
//! impl TimerCallback for Oops {
//!     fn run(_timer: &Timer<Self>, bh: &BhDisabled) {
//!         sleepy(bh); // error: expected `&ProcessContext`, found `&BhDisabled`
//!     }
//! }
//! ```
//!
//! Neither token can be created by safe code outside this layer, copied, or sent to another
//! thread, and a `&` to one cannot outlive the callback that received it.

use core::marker::PhantomData;
use kernel::{bindings, prelude::*, time::Jiffies};

/// Proof that the current code runs in process context and may sleep.
///
/// Received by the process-context callbacks of this layer: work items
/// ([`OwnedWork`](super::workqueue::OwnedWork)) and misc device file operations
/// ([`SharedDevice`](super::miscdev::SharedDevice)).
pub struct ProcessContext {
    /// Neither `Send` nor `Sync`: the proof belongs to the thread that received it.
    _not_send: PhantomData<*mut ()>,
}

impl ProcessContext {
    /// Creates the proof.
    ///
    /// # Safety
    ///
    /// The caller must run in process context (not in an interrupt, softirq, or with preemption,
    /// interrupts or bottom halves disabled, nor holding a spinlock) for as long as the returned
    /// value is used.
    #[inline]
    pub(crate) unsafe fn new() -> Self {
        Self {
            _not_send: PhantomData,
        }
    }

    /// Claims process context without proof. Exists only for the lab's deliberate bug (task 4):
    /// see its call site.
    ///
    /// # Safety
    ///
    /// As for [`ProcessContext::new`].
    #[inline]
    pub unsafe fn assume_unchecked() -> Self {
        // SAFETY: The caller upholds the same requirements.
        unsafe { Self::new() }
    }

    /// Sleeps for up to `timeout` ticks, or until a signal arrives: `set_current_state(
    /// TASK_INTERRUPTIBLE); schedule_timeout(timeout)` in C. Returns the ticks left (0 when the
    /// whole timeout elapsed).
    #[inline]
    pub fn schedule_timeout_interruptible(&self, timeout: Jiffies) -> Jiffies {
        // `MAX_SCHEDULE_TIMEOUT` (`LONG_MAX`) means "forever".
        let timeout = c_long::try_from(timeout).unwrap_or(c_long::MAX);
        // SAFETY: `self` proves that the caller may sleep; the timeout is in range.
        let left = unsafe { bindings::schedule_timeout_interruptible(timeout) };
        Jiffies::try_from(left).unwrap_or(0)
    }

    /// Sleeps for `timeout` ticks, signals or not: `schedule_timeout_uninterruptible(timeout)` in
    /// C. Returns the ticks left (0 unless woken explicitly, e.g. by `wake_up_process`).
    #[inline]
    pub fn schedule_timeout_uninterruptible(&self, timeout: Jiffies) -> Jiffies {
        // `MAX_SCHEDULE_TIMEOUT` (`LONG_MAX`) means "forever".
        let timeout = c_long::try_from(timeout).unwrap_or(c_long::MAX);
        // SAFETY: `self` proves that the caller may sleep; the timeout is in range.
        let left = unsafe { bindings::schedule_timeout_uninterruptible(timeout) };
        Jiffies::try_from(left).unwrap_or(0)
    }
}

/// Proof that bottom halves (softirqs) cannot run on this CPU right now, because the code runs
/// in one (a timer or tasklet callback) or disabled them.
///
/// With it, data shared with a bottom half can be locked without disabling bottom halves again
/// ([`SpinLockBh::lock_with`](super::sync::SpinLockBh)).
pub struct BhDisabled {
    /// Neither `Send` nor `Sync`: the state belongs to this CPU.
    _not_send: PhantomData<*mut ()>,
}

impl BhDisabled {
    /// Creates the proof.
    ///
    /// # Safety
    ///
    /// Bottom halves must be disabled on this CPU, or the caller must be running in one, for as
    /// long as the returned value is used.
    #[inline]
    pub(crate) unsafe fn new() -> Self {
        Self {
            _not_send: PhantomData,
        }
    }
}
