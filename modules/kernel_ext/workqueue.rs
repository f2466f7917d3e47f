// SPDX-License-Identifier: GPL-2.0

//! Work items owned by their user, cancelled when dropped.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h).
//!
//! A work item runs a function later, in process context, on a kernel worker thread (a
//! `kworker`): it may sleep. The `kernel` crate's [`kernel::workqueue`] hands each queued item's
//! ownership to the queue (an `Arc` or `KBox` that the run consumes), which needs `'static`
//! items and offers no way to cancel one. Deferred work in a driver is usually the other way
//! round: a field of the driver's state, queued from a timer or an interrupt, and cancelled when
//! the driver goes away. [`OwnedWork`] is that: like [`Timer`](super::timer::Timer), it owns
//! the data its function uses, and dropping it cancels it and waits for a running instance
//! (`cancel_work_sync`) before the data is dropped. It is queued on the `kernel` crate's
//! [`Queue`]s ([`system`](kernel::workqueue::system) and the others).
//!
//! The function receives a [`ProcessContext`]: the proof that it may sleep.
//!
//! # Examples
//!
//! ```
//! use kernel::prelude::*;
//! use kernel_ext::{context::ProcessContext, time::HZ,
//!                  workqueue::{new_work, OwnedWork, WorkCallback}};
//!
//! struct Nap;
//!
//! impl WorkCallback for Nap {
//!     fn run(_work: &OwnedWork<Self>, ctx: &ProcessContext) {
//!         ctx.schedule_timeout_interruptible(HZ); // Sleeping is fine here.
//!         pr_info!("rested\n");
//!     }
//! }
//!
//! let work = KBox::pin_init(new_work!(Nap), GFP_KERNEL)?;
//! work.queue();
//! drop(work); // Cancels it, or waits for it to finish.
//! # Ok::<(), Error>(())
//! ```

use super::context::ProcessContext;
use core::{marker::PhantomPinned, ops::Deref};
use kernel::{
    bindings,
    prelude::*,
    str::CStr,
    sync::LockClassKey,
    types::Opaque,
    workqueue::{self, Queue},
};

/// Creates an [`OwnedWork`] initialiser with a lock class of its own, like `INIT_WORK` in C.
// Each module compiles this whole layer in but may not use every part of it.
#[allow(unused_macros)]
macro_rules! new_work {
    ($data:expr $(,)?) => {
        $crate::kernel_ext::workqueue::OwnedWork::new(
            $data,
            ::kernel::optional_name!(),
            ::kernel::static_lock_class!(),
        )
    };
}
#[allow(unused_imports)]
pub(crate) use new_work;

/// What an [`OwnedWork`] does when it runs.
pub trait WorkCallback: Sized + Send + Sync {
    /// Runs in process context, on a kernel worker thread. May sleep.
    ///
    /// It may queue `work` again. It must not cancel `work` itself (cancelling waits for it).
    fn run(work: &OwnedWork<Self>, ctx: &ProcessContext);
}

/// A work item (`struct work_struct`) that owns the data `T` its function uses.
///
/// # Invariants
///
/// - `raw` was initialised by `init_work_with_key` with [`OwnedWork::run_callback::<T>`] as its
///   function, and has not moved since (the work item is pinned).
/// - `raw` is cancelled, and a running instance waited for, in [`Drop`] before `data` is dropped.
#[pin_data(PinnedDrop)]
pub struct OwnedWork<T: WorkCallback> {
    #[pin]
    raw: Opaque<bindings::work_struct>,
    #[pin]
    data: T,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: The work item can be queued, cancelled and dropped from any thread; `T: Send` lets its
// data be dropped on another thread.
unsafe impl<T: WorkCallback> Send for OwnedWork<T> {}

// SAFETY: `&self` methods only call the thread-safe C workqueue API; the function shares `&T`
// with other threads, which `T: Sync` allows.
unsafe impl<T: WorkCallback> Sync for OwnedWork<T> {}

impl<T: WorkCallback> OwnedWork<T> {
    /// Creates an idle work item owning `data`. Prefer the [`new_work!`] macro.
    pub fn new<E: From<core::convert::Infallible>>(
        data: impl PinInit<T, E>,
        name: &'static CStr,
        key: Pin<&'static LockClassKey>,
    ) -> impl PinInit<Self, E> {
        try_pin_init!(Self {
            // INVARIANT: `run_callback::<T>` is installed as the function.
            // SAFETY: `slot` is valid for writes and pinned; `name` and `key` live forever.
            raw <- Opaque::ffi_init(|slot| unsafe {
                bindings::init_work_with_key(
                    slot,
                    Some(Self::run_callback),
                    false,
                    name.as_char_ptr(),
                    key.as_ptr(),
                )
            }),
            data <- data,
            _pin: PhantomPinned,
        }? E)
    }

    /// Queues the work on the system workqueue: `schedule_work` in C. Returns `false` if it was
    /// queued already (it then runs once). Callable from any context.
    pub fn queue(&self) -> bool {
        self.queue_on(workqueue::system())
    }

    /// Queues the work on `queue`: `queue_work` in C. Returns `false` if it was queued already.
    pub fn queue_on(&self, queue: &Queue) -> bool {
        let queue: *const Queue = queue;
        // SAFETY: `raw` is initialised by the type invariants and stays valid until it has run or
        // been cancelled, which `Drop` waits for. `Queue` is a transparent wrapper around a live
        // `workqueue_struct`.
        unsafe {
            bindings::queue_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int,
                queue.cast_mut().cast(),
                self.raw.get(),
            )
        }
    }

    /// Cancels the work if it is queued and waits for a running instance to finish:
    /// `cancel_work_sync` in C. Returns whether it was queued. It may be queued again afterwards.
    pub fn cancel(&self, _ctx: &ProcessContext) -> bool {
        // SAFETY: `raw` is initialised by the type invariants; `_ctx` proves we may sleep.
        unsafe { bindings::cancel_work_sync(self.raw.get()) }
    }

    /// Waits until the work, if queued or running, has finished: `flush_work` in C. Returns
    /// whether there was anything to wait for.
    pub fn flush(&self, _ctx: &ProcessContext) -> bool {
        // SAFETY: `raw` is initialised by the type invariants; `_ctx` proves we may sleep.
        unsafe { bindings::flush_work(self.raw.get()) }
    }

    /// The C work function: recovers the [`OwnedWork`] and runs [`WorkCallback::run`].
    ///
    /// # Safety
    ///
    /// `ptr` must point to the `raw` field of a live `OwnedWork<T>`.
    unsafe extern "C" fn run_callback(ptr: *mut bindings::work_struct) {
        // SAFETY: Only `OwnedWork<T>::new` installs this function, on the `raw` field of a pinned
        // `OwnedWork<T>`, which is cancelled before it is dropped, so it is alive while it runs.
        let work = unsafe { &*kernel::container_of!(Opaque::cast_from(ptr), Self, raw) };
        // SAFETY: Work functions run in process context, on a worker thread.
        let ctx = unsafe { ProcessContext::new() };
        T::run(work, &ctx);
    }
}

impl<T: WorkCallback> Deref for OwnedWork<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

#[pinned_drop]
impl<T: WorkCallback> PinnedDrop for OwnedWork<T> {
    fn drop(self: Pin<&mut Self>) {
        // INVARIANT: the work is cancelled, and waited for, before `data` is dropped.
        // SAFETY: `raw` is initialised by the type invariants. Dropping happens in process
        // context (`might_sleep` in `cancel_work_sync` reports it otherwise).
        unsafe { bindings::cancel_work_sync(self.raw.get()) };
    }
}
