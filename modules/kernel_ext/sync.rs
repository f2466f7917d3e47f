// SPDX-License-Identifier: GPL-2.0

//! A spinlock that disables bottom halves: `spin_lock_bh` in C.
//!
//! C header: [`include/linux/spinlock.h`](srctree/include/linux/spinlock.h).
//!
//! Data shared between process context and a bottom half (a timer, a tasklet) needs more than
//! a plain spinlock: if a bottom half interrupted the process-context holder on its CPU and took
//! the same lock, that CPU would spin forever. [`SpinLockBh::lock`] disables bottom halves while
//! the lock is held. The bottom half itself, which cannot be interrupted by another one on its
//! CPU, takes the lock plainly with [`lock_with`](SpinLockBhExt::lock_with) and its
//! [`BhDisabled`] proof. This is [`SpinLockIrq`](kernel::sync::SpinLockIrq)'s design, one level
//! down.
//!
//! # Examples
//!
//! ```
//! use kernel::{prelude::*, sync::atomic::{Atomic, Relaxed}};
//! use kernel_ext::{context::BhDisabled, sync::{new_spinlock_bh, SpinLockBh, SpinLockBhExt}};
//!
//! #[pin_data]
//! struct Counter {
//!     #[pin]
//!     count: SpinLockBh<u64>,
//! }
//!
//! // Process context: bottom halves off while the lock is held.
//! fn add(c: &Counter) {
//!     *c.count.lock() += 1;
//! }
//!
//! // A timer callback: bottom halves cannot interrupt it, a plain lock is enough.
//! fn add_from_timer(c: &Counter, bh: &BhDisabled) {
//!     *c.count.lock_with(bh) += 1;
//! }
//! ```

use super::context::BhDisabled;
use kernel::{
    bindings,
    sync::{
        lock::{Backend, Lock},
        SpinLock, SpinLockGuard,
    },
};

/// Creates a [`SpinLockBh`] initialiser with the given name and a new lock class.
// Each module compiles this whole layer in but may not use every part of it.
#[allow(unused_macros)]
macro_rules! new_spinlock_bh {
    ($inner:expr $(, $name:literal)? $(,)?) => {
        $crate::kernel_ext::sync::SpinLockBh::new(
            $inner,
            ::kernel::optional_name!($($name)?),
            ::kernel::static_lock_class!(),
        )
    };
}
#[allow(unused_imports)]
pub(crate) use new_spinlock_bh;

/// A spinlock whose [`lock`](Lock::lock) disables bottom halves (`spin_lock_bh`).
pub type SpinLockBh<T> = Lock<T, SpinLockBhBackend>;

/// The `spinlock_t` backend of [`SpinLockBh`], locked with `spin_lock_bh`.
pub struct SpinLockBhBackend;

unsafe extern "C" {
    fn dw_spin_lock_bh(lock: *mut bindings::spinlock_t);
    fn dw_spin_unlock_bh(lock: *mut bindings::spinlock_t);
    fn dw_spin_trylock_bh(lock: *mut bindings::spinlock_t) -> kernel::ffi::c_int;
}

// SAFETY: The underlying `spinlock_t` ensures mutual exclusion; `relock` keeps the default
// implementation, which locks the same way as `lock`.
unsafe impl Backend for SpinLockBhBackend {
    type State = bindings::spinlock_t;
    type GuardState = ();

    #[inline]
    unsafe fn init(
        ptr: *mut Self::State,
        name: *const kernel::ffi::c_char,
        key: *mut bindings::lock_class_key,
    ) {
        // SAFETY: The caller guarantees that `ptr` is valid for writes and that `name` and `key`
        // live forever.
        unsafe { bindings::__spin_lock_init(ptr, name, key) }
    }

    #[inline]
    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: The caller guarantees that `ptr` is an initialised spinlock.
        unsafe { dw_spin_lock_bh(ptr) }
    }

    #[inline]
    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: The caller owns the lock, taken with `dw_spin_lock_bh`.
        unsafe { dw_spin_unlock_bh(ptr) }
    }

    #[inline]
    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        // SAFETY: The caller guarantees that `ptr` is an initialised spinlock.
        (unsafe { dw_spin_trylock_bh(ptr) } != 0).then_some(())
    }

    #[inline]
    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: The caller guarantees that `ptr` is an initialised spinlock.
        unsafe { bindings::spin_assert_is_held(ptr) }
    }
}

/// Locking a [`SpinLockBh`] where bottom halves are off already.
pub trait SpinLockBhExt<T: ?Sized> {
    /// Takes the lock without touching the bottom-half state (`spin_lock`): for timer and
    /// tasklet callbacks, and code that disabled bottom halves.
    fn lock_with<'a>(&'a self, bh: &'a BhDisabled) -> SpinLockGuard<'a, T>;
}

impl<T: ?Sized> SpinLockBhExt<T> for SpinLockBh<T> {
    #[inline]
    fn lock_with<'a>(&'a self, _bh: &'a BhDisabled) -> SpinLockGuard<'a, T> {
        // SAFETY: `Lock<T, SpinLockBhBackend>` and `Lock<T, SpinLockBackend>` have the same
        // layout (the same `State`, `spinlock_t`), and with bottom halves off, as `_bh` proves,
        // `spin_lock` is the right way to take this lock: nothing on this CPU can contend for it.
        let plain: &'a SpinLock<T> = unsafe { core::mem::transmute(self) };
        plain.lock()
    }
}
