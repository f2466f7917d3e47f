// SPDX-License-Identifier: GPL-2.0

//! Tasklets: deferred functions run in softirq context (`struct tasklet_struct`).
//!
//! C header: [`include/linux/interrupt.h`](srctree/include/linux/interrupt.h).
//!
//! A scheduled tasklet runs soon, once, on the CPU that scheduled it, in softirq context (atomic:
//! it must not sleep). Scheduling it again before it runs does nothing more. A tasklet never runs
//! on two CPUs at once. [`Tasklet::hi_schedule`] uses the high-priority softirq, which runs before
//! the normal one. While [disabled](Tasklet::disable), a scheduled tasklet waits.
//!
//! Like [`Timer`](super::timer::Timer), a [`Tasklet`] owns the `'static` data its callback uses;
//! dropping it kills it (`tasklet_kill`: waits until it is neither scheduled nor running) before
//! the data goes. That may sleep, so a tasklet is dropped in process context (`might_sleep()`
//! reports it otherwise).
//!
//! A [disabled](Tasklet::disable) tasklet stays disabled while the guard lives. A guard that was
//! [`core::mem::forget`]-ten would leave it disabled for ever, and `tasklet_kill` would then
//! wait for ever for a scheduled tasklet: so the tasklet counts its disables, and its drop
//! enables it again as often as guards were forgotten (the scheduled callback then runs once
//! more, on data that is still alive) before killing it.
//!
//! Tasklets are deprecated in new code: BH workqueues
//! ([`kernel::workqueue::system_bh`]) run work items in the same softirq context and are their
//! replacement. `dw_tasklet` shows one next to its tasklets.
//!
//! # Examples
//!
//! ```
//! use kernel::prelude::*;
//! use kernel_ext::{context::BhDisabled, tasklet::{Tasklet, TaskletCallback}};
//!
//! struct Hello;
//!
//! impl TaskletCallback for Hello {
//!     fn run(_tasklet: &Tasklet<Self>, _bh: &BhDisabled) {
//!         pr_info!("hello from softirq context\n");
//!     }
//! }
//!
//! let tasklet = KBox::pin_init(Tasklet::new(Hello), GFP_KERNEL)?;
//! tasklet.schedule();
//! drop(tasklet); // Waits until it has run.
//! # Ok::<(), Error>(())
//! ```

use super::context::{might_sleep, BhDisabled, MaySleep};
use core::{marker::PhantomPinned, ops::Deref};
use kernel::{
    bindings,
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
    types::Opaque,
};

unsafe extern "C" {
    fn dw_tasklet_schedule(t: *mut bindings::tasklet_struct);
    fn dw_tasklet_hi_schedule(t: *mut bindings::tasklet_struct);
    fn dw_tasklet_disable(t: *mut bindings::tasklet_struct);
    fn dw_tasklet_enable(t: *mut bindings::tasklet_struct);
}

/// What a [`Tasklet`] does when it runs.
pub trait TaskletCallback: Sized + Send + Sync + 'static {
    /// Runs in softirq context. It may schedule `tasklet` again.
    fn run(tasklet: &Tasklet<Self>, bh: &BhDisabled);
}

/// A tasklet that owns the data `T` its callback uses.
///
/// # Invariants
///
/// - `raw` was set up by `tasklet_setup` with [`Tasklet::run_callback::<T>`] and has not moved.
/// - `raw` is killed in [`Drop`] before `data` is dropped.
/// - `disables` counts the `tasklet_disable` calls not yet paired with a `tasklet_enable`: the
///   live [`TaskletDisabled`] guards and the forgotten ones.
#[pin_data(PinnedDrop)]
pub struct Tasklet<T: TaskletCallback> {
    #[pin]
    raw: Opaque<bindings::tasklet_struct>,
    #[pin]
    data: T,
    disables: Atomic<u32>,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: The tasklet can be scheduled, disabled and dropped from any thread; `T: Send` lets its
// data be dropped on another thread.
unsafe impl<T: TaskletCallback> Send for Tasklet<T> {}

// SAFETY: `&self` methods only call the thread-safe C tasklet API; the callback shares `&T` with
// other threads, which `T: Sync` allows.
unsafe impl<T: TaskletCallback> Sync for Tasklet<T> {}

impl<T: TaskletCallback> Tasklet<T> {
    /// Creates an idle, enabled tasklet owning `data`.
    #[inline]
    pub fn new<E: From<core::convert::Infallible>>(
        data: impl PinInit<T, E>,
    ) -> impl PinInit<Self, E> {
        try_pin_init!(Self {
            // INVARIANT: `run_callback::<T>` is installed as the callback.
            // SAFETY: `slot` is valid for writes and pinned.
            raw <- Opaque::ffi_init(|slot| unsafe {
                bindings::tasklet_setup(slot, Some(Self::run_callback))
            }),
            data <- data,
            disables: Atomic::new(0),
            _pin: PhantomPinned,
        }? E)
    }

    /// Schedules the tasklet on the normal-priority softirq: `tasklet_schedule` in C.
    #[inline]
    pub fn schedule(&self) {
        // SAFETY: `raw` is set up by the type invariants.
        unsafe { dw_tasklet_schedule(self.raw.get()) }
    }

    /// Schedules the tasklet on the high-priority softirq: `tasklet_hi_schedule` in C.
    #[inline]
    pub fn hi_schedule(&self) {
        // SAFETY: `raw` is set up by the type invariants.
        unsafe { dw_tasklet_hi_schedule(self.raw.get()) }
    }

    /// Disables the tasklet until the returned guard is dropped, waiting for a running callback
    /// to finish (`tasklet_disable`, which may sleep). A scheduled tasklet waits meanwhile.
    #[inline]
    #[track_caller]
    pub fn disable(&self, _ctx: &impl MaySleep) -> TaskletDisabled<'_, T> {
        might_sleep();
        // INVARIANT: counted before the disable, uncounted after the enable.
        self.disables.fetch_add(1, Relaxed);
        // SAFETY: `raw` is set up by the type invariants; `_ctx` proves we may sleep.
        unsafe { dw_tasklet_disable(self.raw.get()) };
        TaskletDisabled { tasklet: self }
    }

    /// The C callback: recovers the [`Tasklet`] and runs [`TaskletCallback::run`].
    ///
    /// # Safety
    ///
    /// `ptr` must point to the `raw` field of a live `Tasklet<T>`.
    unsafe extern "C" fn run_callback(ptr: *mut bindings::tasklet_struct) {
        // SAFETY: Only `Tasklet<T>::new` installs this callback, on the `raw` field of a pinned
        // `Tasklet<T>`, which is killed before it is dropped, so it is alive while this runs.
        let tasklet = unsafe { &*kernel::container_of!(Opaque::cast_from(ptr), Self, raw) };
        // SAFETY: Tasklets run in softirq context.
        let bh = unsafe { BhDisabled::new() };
        T::run(tasklet, &bh);
    }
}

impl<T: TaskletCallback> Deref for Tasklet<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.data
    }
}

#[pinned_drop]
impl<T: TaskletCallback> PinnedDrop for Tasklet<T> {
    #[inline]
    fn drop(self: Pin<&mut Self>) {
        might_sleep();
        // No guard is alive (each borrows the tasklet): what is still counted was forgotten.
        for _ in 0..self.disables.load(Relaxed) {
            // SAFETY: `raw` is set up; this pairs with a forgotten guard's `tasklet_disable`.
            unsafe { dw_tasklet_enable(self.raw.get()) };
        }
        // INVARIANT: killed before `data` is dropped.
        // SAFETY: `raw` is set up and, after the loop, enabled, so `tasklet_kill` returns once
        // the tasklet is neither scheduled nor running. It may sleep: dropped in an atomic
        // context, `might_sleep` above reports it.
        unsafe { bindings::tasklet_kill(self.raw.get()) };
    }
}

/// A disabled [`Tasklet`]: dropping this enables it again (`tasklet_enable`), and a tasklet
/// scheduled meanwhile runs then.
#[must_use = "the tasklet is enabled again as soon as the guard is dropped"]
pub struct TaskletDisabled<'a, T: TaskletCallback> {
    tasklet: &'a Tasklet<T>,
}

impl<T: TaskletCallback> Drop for TaskletDisabled<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: Pairs with the `dw_tasklet_disable` that created this guard.
        unsafe { dw_tasklet_enable(self.tasklet.raw.get()) };
        // INVARIANT: enabled again, so no longer counted.
        self.tasklet.disables.fetch_sub(1, Relaxed);
    }
}
