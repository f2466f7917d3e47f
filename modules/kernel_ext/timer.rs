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
//! the timer the lab (and most drivers) use. As upstream's `HrTimer`, a [`Timer`] is a field of
//! the user's struct (the container, named with
//! [`impl_deferred_fields!`](super::deferred::impl_deferred_fields)), armed from the container
//! ([`HasTimer::arm_at`]), and its callback gets the container. The container's drop
//! shuts the timer down synchronously (`timer_shutdown_sync`) before any of its fields is
//! dropped, so a callback never runs on freed data, and nothing can re-arm it afterwards
//! ([`deferred`](super::deferred) says how that is guaranteed).
//!
//! The callback runs in atomic (softirq) context: it must not sleep, and gets a
//! [`BhDisabled`] rather than a context that [`MaySleep`] to show it.
//!
//! The container is `'static` (it may not borrow anything shorter-lived): a timer whose owner is
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
//! use kernel_ext::{context::BhDisabled, deferred::impl_deferred_fields, time::{jiffies, HZ},
//!                  timer::{new_timer, HasTimer, Timer, TimerCallback}};
//!
//! #[pin_data(PinnedDrop)]
//! struct Ticker {
//!     #[pin]
//!     timer: Timer<Self>,
//!     ticks: Atomic<u32>,
//! }
//!
//! impl_deferred_fields! {
//!     impl DeferredFields for Ticker {
//!         timer: Timer,
//!     }
//! }
//!
//! impl TimerCallback for Ticker {
//!     fn run(this: &Self, _bh: &BhDisabled) {
//!         let ticks = this.ticks.fetch_add(1, Relaxed) + 1;
//!         pr_info!("tick {ticks}\n");
//!         this.arm_at(jiffies().wrapping_add(HZ));
//!     }
//! }
//!
//! let ticker = KBox::pin_init(
//!     pin_init!(Ticker { timer <- new_timer!(), ticks: Atomic::new(0) }),
//!     GFP_KERNEL,
//! )?;
//! ticker.arm_at(jiffies().wrapping_add(HZ));
//! // ... later: dropping `ticker` stops it for good.
//! # Ok::<(), Error>(())
//! ```

use super::{
    context::{BhDisabled, MaySleep},
    deferred::{Field, HasField, Kind},
};
use kernel::{
    bindings,
    prelude::*,
    str::CStr,
    sync::LockClassKey,
    time::{msecs_to_jiffies, Delta, Jiffies, Msecs},
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
    () => {
        $crate::kernel_ext::timer::Timer::new(
            $crate::kernel_ext::sync::lock_class_name!(),
            ::kernel::static_lock_class!(),
        )
    };
}
#[allow(unused_imports)]
pub(crate) use new_timer;

/// The `timer_list` kind of [`Field`].
pub struct TimerList;

// SAFETY: `timer_shutdown_sync` waits for a running callback and makes later `mod_timer` calls
// no-ops, so once it returns the callback neither runs nor will.
unsafe impl Kind for TimerList {
    type Raw = bindings::timer_list;
    type State = ();

    #[inline]
    fn new_state() {}

    #[inline]
    unsafe fn stop(raw: *mut bindings::timer_list, _state: &()) {
        // `timer_shutdown_sync` spins rather than sleeps, so any context but hard interrupts may
        // drop a timer. (Dropped from its own callback it would wait for ever: lockdep says so.)
        // SAFETY: `raw` is an initialised timer (the caller's promise).
        unsafe { bindings::timer_shutdown_sync(raw) };
    }

    #[cfg(CONFIG_DEBUG_OBJECTS_TIMERS)]
    #[inline]
    unsafe fn destroy(raw: *mut bindings::timer_list) {
        // SAFETY: Shut down and unused from now on (the caller's promise); forgets it in
        // debugobjects if on the stack.
        unsafe { dw_timer_destroy(raw) };
    }
}

/// A kernel timer (`struct timer_list`), a field of the container `T` whose
/// [`TimerCallback<ID>`] it runs (`ID` tells several timers of one container apart).
pub type Timer<T, const ID: u64 = 0> = Field<TimerList, T, ID>;

/// What a container's [`Timer`] does when it expires.
pub trait TimerCallback<const ID: u64 = 0>: Send + Sync + 'static {
    /// Runs in softirq (atomic) context when the timer expires, with the timer's container.
    ///
    /// It may re-arm the timer. It cannot sleep, nor wait for the timer itself
    /// ([`Timer::cancel`] would wait forever for the callback it is called from): both need a
    /// [`MaySleep`] context.
    fn run(this: &Self, bh: &BhDisabled);
}

impl<T: TimerCallback<ID> + HasField<Timer<T, ID>>, const ID: u64> Timer<T, ID> {
    /// Creates a disarmed timer. Prefer the [`new_timer!`] macro.
    #[inline]
    pub fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self> {
        let init = move |slot| {
            // SAFETY: `slot` is valid for writes and pinned; `name` and `key` live forever.
            // The helper tells debugobjects about a timer on the stack (`destroy` forgets it).
            unsafe {
                dw_timer_init_key(
                    slot,
                    Some(run_callback::<T, ID>),
                    0,
                    name.as_char_ptr(),
                    key.as_ptr(),
                )
            }
        };
        // SAFETY: The closure initialises the timer with `run_callback::<T, ID>`, which finds
        // its container with `HasField<Timer<T, ID>>`.
        unsafe { Field::from_c_init(init) }
    }
}

impl<T, const ID: u64> Timer<T, ID> {
    /// Disarms the timer and waits for a running callback to finish: `timer_delete_sync` in C.
    /// Returns whether the timer was armed. The timer can be armed again afterwards.
    ///
    /// Takes a [`MaySleep`] context so that the timer's own callback, which would wait for
    /// itself for ever, cannot call it. It must not be called with a lock the callback takes.
    #[inline]
    pub fn cancel(&self, _ctx: &impl MaySleep) -> bool {
        // SAFETY: `raw` is an initialised timer by the field's invariants.
        unsafe { bindings::timer_delete_sync(self.raw()) != 0 }
    }

    /// Returns whether the timer is armed: `timer_pending` in C.
    #[inline]
    pub fn is_armed(&self) -> bool {
        // SAFETY: `raw` is initialised; `timer_pending` is a lockless read of the list linkage,
        // done like C with a volatile read of `entry.pprev`.
        unsafe { !core::ptr::read_volatile(&raw const (*self.raw()).entry.pprev).is_null() }
    }
}

/// A container of a [`Timer`]: arms it. Implemented by [`impl_deferred_fields!`].
///
/// [`impl_deferred_fields!`]: super::deferred::impl_deferred_fields
pub trait HasTimer<const ID: u64 = 0>: HasField<Timer<Self, ID>> {
    /// Arms the timer to expire when the tick counter reaches `expires`, or moves its expiry if
    /// it is armed already: `mod_timer` in C. Returns whether it was armed. After the container
    /// started to drop, does nothing.
    #[inline]
    fn arm_at(&self, expires: Jiffies) -> bool {
        // SAFETY: The field is an initialised timer whose callback finds this container.
        unsafe { bindings::mod_timer(self.field().raw(), expires) != 0 }
    }

    /// Arms the timer to expire `delay` from now (rounded up to whole ticks; a negative delay is
    /// now). See [`arm_at`](HasTimer::arm_at).
    #[inline]
    fn arm_after(&self, delay: Delta) -> bool {
        let msecs = Msecs::try_from(delay.as_millis_ceil().max(0)).unwrap_or(Msecs::MAX);
        self.arm_at(super::time::jiffies().wrapping_add(msecs_to_jiffies(msecs)))
    }
}

impl<T: HasField<Timer<T, ID>>, const ID: u64> HasTimer<ID> for T {}

/// The C callback: finds the container of the `timer_list` and runs [`TimerCallback::run`].
///
/// # Safety
///
/// `ptr` is the timer of a live `T`'s `Timer<T, ID>` field.
unsafe extern "C" fn run_callback<T: TimerCallback<ID> + HasField<Timer<T, ID>>, const ID: u64>(
    ptr: *mut bindings::timer_list,
) {
    // SAFETY: Only `Timer::<T, ID>::new` installs this function, on a field armed only through
    // its container `T` (`HasTimer`), whose drop shuts it down before any field drops: the `T`
    // is alive. The timer is the field's first field.
    let this = unsafe { T::container_of(ptr.cast()) };
    // SAFETY: Timer callbacks run in softirq context.
    let bh = unsafe { BhDisabled::new() };
    T::run(this, &bh);
}

#[cfg(dw_kunit)]
#[kunit_tests(kernel_ext_timer)]
mod tests {
    use super::*;
    use crate::kernel_ext::{
        testing::{process_context, sleep_ms, Count},
        time::{jiffies, HZ},
    };
    use kernel::sync::atomic::Relaxed;

    #[test]
    fn timer_fires_once_and_cancels() -> Result {
        let ctx = process_context();
        let (count, runs) = Count::new()?;
        let count = KBox::pin_init(count, GFP_KERNEL)?;
        assert!(!count.timer.is_armed());
        count.arm_after(Delta::from_millis(10));
        assert!(count.timer.is_armed());
        sleep_ms(100);
        assert_eq!(runs.load(Relaxed), 1);
        // Nothing left to cancel.
        assert!(!count.timer.cancel(&ctx));
        count.arm_at(jiffies().wrapping_add(10 * HZ));
        assert!(count.timer.cancel(&ctx));
        assert_eq!(runs.load(Relaxed), 1);
        Ok(())
    }

    #[test]
    fn dropping_an_armed_timer_stops_it() -> Result {
        let (count, runs) = Count::new()?;
        let count = KBox::pin_init(count, GFP_KERNEL)?;
        count.arm_after(Delta::from_millis(20));
        drop(count);
        sleep_ms(100);
        assert_eq!(runs.load(Relaxed), 0);
        Ok(())
    }

    #[test]
    fn timer_with_a_negative_delay_fires_now() -> Result {
        let (count, runs) = Count::new()?;
        let count = KBox::pin_init(count, GFP_KERNEL)?;
        count.arm_after(Delta::from_millis(-5));
        sleep_ms(100);
        assert_eq!(runs.load(Relaxed), 1);
        Ok(())
    }
}
