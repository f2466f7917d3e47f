// SPDX-License-Identifier: GPL-2.0

//! Low-resolution kernel timers (`struct timer_list`).
//!
//! C header: [`include/linux/timer.h`](srctree/include/linux/timer.h).
//!
//! A [`Timer`] runs a callback once, in softirq context, when the tick counter
//! ([`jiffies`](super::time::jiffies)) reaches the timer's expiry. Arming an armed timer moves its
//! expiry; a callback may re-arm its own timer to run periodically.
//!
//! The `kernel` crate has high-resolution timers ([`kernel::time::hrtimer`]) but no `timer_list`,
//! the timer the lab (and most drivers) use. Unlike `hrtimer`'s pointer-based design, a [`Timer`]
//! *owns* the data its callback uses: the callback gets `&Timer<T>`, which dereferences to the
//! data. Dropping the timer shuts it down synchronously (`timer_shutdown_sync`) before the data is
//! dropped, so a callback can never run on freed data, and nothing can re-arm it afterwards.
//!
//! The callback runs in atomic (softirq) context: it must not sleep, and gets a
//! [`BhDisabled`] rather than a context that [`MaySleep`] to show it.
//!
//! The data is `'static` (it may not borrow anything shorter-lived): a timer whose owner is
//! leaked with [`core::mem::forget`] is never shut down, and keeps running on what it owns.
//! (Forgetting it in a module that is then unloaded still leaves a timer pointing at the
//! module's code: as everywhere in the kernel, an owner must not be leaked across unload.)
//!
//! # Examples
//!
//! A timer that prints a message every second:
//!
//! ```
//! use kernel::{prelude::*, sync::atomic::{Atomic, Relaxed}};
//! use kernel_ext::{context::BhDisabled, time::{jiffies, HZ}, timer::{new_timer, Timer, TimerCallback}};
//!
//! struct Ticker {
//!     ticks: Atomic<u32>,
//! }
//!
//! impl TimerCallback for Ticker {
//!     fn run(timer: &Timer<Self>, _bh: &BhDisabled) {
//!         let ticks = timer.ticks.fetch_add(1, Relaxed) + 1;
//!         pr_info!("tick {ticks}\n");
//!         timer.arm_at(jiffies().wrapping_add(HZ));
//!     }
//! }
//!
//! let ticker = KBox::pin_init(new_timer!(Ticker { ticks: Atomic::new(0) }), GFP_KERNEL)?;
//! ticker.arm_at(jiffies().wrapping_add(HZ));
//! // ... later: dropping `ticker` stops it for good.
//! # Ok::<(), Error>(())
//! ```

use super::context::{BhDisabled, MaySleep};
use core::{marker::PhantomPinned, ops::Deref};
use kernel::{
    bindings,
    prelude::*,
    str::CStr,
    sync::LockClassKey,
    time::{msecs_to_jiffies, Delta, Jiffies, Msecs},
    types::Opaque,
};

// Without lockdep `struct lock_class_key` has no fields, which rustc calls not FFI-safe; only
// its address crosses, as in the kernel crate's own bindings of `timer_init_key`.
#[allow(improper_ctypes)]
unsafe extern "C" {
    #[cfg(CONFIG_DEBUG_OBJECTS_TIMERS)]
    pub(super) fn dw_timer_init_key(
        timer: *mut bindings::timer_list,
        func: Option<unsafe extern "C" fn(*mut bindings::timer_list)>,
        flags: u32,
        name: *const kernel::ffi::c_char,
        key: *mut bindings::lock_class_key,
    );
    #[cfg(CONFIG_DEBUG_OBJECTS_TIMERS)]
    fn dw_timer_destroy(timer: *mut bindings::timer_list);
}

/// Without debugobjects a timer on the stack needs no announcing: `timer_init_key` itself, as
/// `timer_init_key_on_stack` is in C (and `timer_destroy_on_stack` is empty).
#[cfg(not(CONFIG_DEBUG_OBJECTS_TIMERS))]
pub(super) use bindings::timer_init_key as dw_timer_init_key;

/// Creates a [`Timer`] initialiser with a lock class of its own, like `timer_setup` in C.
///
/// Lockdep tracks what a timer's callback does under this class, named after the call site.
// Each module compiles this whole layer in but may not use every part of it.
#[allow(unused_macros)]
macro_rules! new_timer {
    ($data:expr $(,)?) => {
        $crate::kernel_ext::timer::Timer::new(
            $data,
            ::kernel::optional_name!(),
            ::kernel::static_lock_class!(),
        )
    };
}
#[allow(unused_imports)]
pub(crate) use new_timer;

/// What a [`Timer`] does when it expires.
pub trait TimerCallback: Sized + Send + Sync + 'static {
    /// Runs in softirq (atomic) context when `timer` expires.
    ///
    /// It may re-arm `timer`. It cannot sleep, nor wait for `timer` itself ([`Timer::cancel`]
    /// would wait forever for the callback it is called from): both need a [`MaySleep`] context.
    fn run(timer: &Timer<Self>, bh: &BhDisabled);
}

/// A kernel timer (`struct timer_list`) that owns the data `T` its callback uses.
///
/// # Invariants
///
/// - `raw` was initialised by `timer_init_key` (`timer_init_key_on_stack` if it is on the
///   stack) with [`Timer::run_callback::<T>`] as its function, and has not moved since (the timer
///   is pinned).
/// - `raw` is shut down in [`Drop`] before `data` is dropped, so the callback never runs once the
///   timer has started to drop.
#[pin_data(PinnedDrop)]
pub struct Timer<T: TimerCallback> {
    #[pin]
    raw: Opaque<bindings::timer_list>,
    #[pin]
    data: T,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: The timer can be armed, cancelled and dropped from any thread; `T: Send` lets its data
// be dropped on another thread.
unsafe impl<T: TimerCallback> Send for Timer<T> {}

// SAFETY: `&self` methods only call the thread-safe C timer API; the callback shares `&T` with
// other threads, which `T: Sync` allows.
unsafe impl<T: TimerCallback> Sync for Timer<T> {}

impl<T: TimerCallback> Timer<T> {
    /// Creates a disarmed timer owning `data`. Prefer the [`new_timer!`] macro.
    #[inline]
    pub fn new<E: From<core::convert::Infallible>>(
        data: impl PinInit<T, E>,
        name: &'static CStr,
        key: Pin<&'static LockClassKey>,
    ) -> impl PinInit<Self, E> {
        try_pin_init!(Self {
            // INVARIANT: `run_callback::<T>` is installed as the function.
            // SAFETY: `slot` is valid for writes and pinned; `name` and `key` live forever. The
            // helper tells debugobjects about a timer on the stack (and `Drop` forgets it).
            raw <- Opaque::ffi_init(|slot| unsafe {
                dw_timer_init_key(
                    slot,
                    Some(Self::run_callback),
                    0,
                    name.as_char_ptr(),
                    key.as_ptr(),
                )
            }),
            data <- data,
            _pin: PhantomPinned,
        }? E)
    }

    /// Arms the timer to expire when the tick counter reaches `expires`, or moves its expiry if
    /// it is armed already: `mod_timer` in C. Returns whether it was armed.
    #[inline]
    pub fn arm_at(&self, expires: Jiffies) -> bool {
        // SAFETY: `raw` is an initialised timer by the type invariants.
        unsafe { bindings::mod_timer(self.raw.get(), expires) != 0 }
    }

    /// Arms the timer to expire `delay` from now (rounded up to whole ticks; a negative delay is
    /// now). See [`arm_at`].
    ///
    /// [`arm_at`]: Timer::arm_at
    #[inline]
    pub fn arm_after(&self, delay: Delta) -> bool {
        let msecs = Msecs::try_from(delay.as_millis_ceil().max(0)).unwrap_or(Msecs::MAX);
        self.arm_at(super::time::jiffies().wrapping_add(msecs_to_jiffies(msecs)))
    }

    /// Disarms the timer and waits for a running callback to finish: `timer_delete_sync` in C.
    /// Returns whether the timer was armed. The timer can be armed again afterwards.
    ///
    /// Takes a [`MaySleep`] context so that the timer's own callback, which would wait for itself
    /// for ever, cannot call it. It must not be called with a lock the callback takes.
    #[inline]
    pub fn cancel(&self, _ctx: &impl MaySleep) -> bool {
        // SAFETY: `raw` is an initialised timer by the type invariants.
        unsafe { bindings::timer_delete_sync(self.raw.get()) != 0 }
    }

    /// Returns whether the timer is armed: `timer_pending` in C.
    #[inline]
    pub fn is_armed(&self) -> bool {
        // SAFETY: `raw` is initialised; `timer_pending` is a lockless read of the list linkage,
        // done like C with a volatile read of `entry.pprev`.
        unsafe { !core::ptr::read_volatile(&raw const (*self.raw.get()).entry.pprev).is_null() }
    }

    /// The C callback: recovers the [`Timer`] from its `timer_list` and runs [`TimerCallback::run`].
    ///
    /// # Safety
    ///
    /// `ptr` must point to the `raw` field of a live `Timer<T>`.
    unsafe extern "C" fn run_callback(ptr: *mut bindings::timer_list) {
        // SAFETY: Only `Timer<T>::new` installs this function, on the `raw` field of a pinned
        // `Timer<T>`, and that timer is shut down before it is dropped, so the containing
        // `Timer<T>` is alive while the callback runs.
        let timer = unsafe { &*kernel::container_of!(Opaque::cast_from(ptr), Self, raw) };
        // SAFETY: Timer callbacks run in softirq context.
        let bh = unsafe { BhDisabled::new() };
        T::run(timer, &bh);
    }
}

impl<T: TimerCallback> Deref for Timer<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.data
    }
}

#[pinned_drop]
impl<T: TimerCallback> PinnedDrop for Timer<T> {
    #[inline]
    fn drop(self: Pin<&mut Self>) {
        // INVARIANT: the timer is shut down before `data` is dropped.
        // `timer_shutdown_sync` spins rather than sleeps, so any context but hard interrupts may
        // drop a timer. (Dropped from its own callback, which would need the timer to own
        // itself, it would wait for ever: lockdep reports that as a deadlock.)
        // SAFETY: `raw` is an initialised timer by the type invariants. `timer_shutdown_sync`
        // waits for a running callback and makes later `mod_timer` calls (from that callback, or
        // any other thread) no-ops, so the callback cannot run again.
        unsafe { bindings::timer_shutdown_sync(self.raw.get()) };
        // SAFETY: Shut down, so no longer in use; forgets it in debugobjects if on the stack.
        #[cfg(CONFIG_DEBUG_OBJECTS_TIMERS)]
        unsafe {
            dw_timer_destroy(self.raw.get())
        };
    }
}
