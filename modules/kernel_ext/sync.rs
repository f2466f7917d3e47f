// SPDX-License-Identifier: GPL-2.0

//! A spinlock that disables bottom halves: `spin_lock_bh` in C.
//!
//! C header: [`include/linux/spinlock.h`](srctree/include/linux/spinlock.h).
//!
//! Data shared between process context and a bottom half (a timer, a tasklet) needs more than
//! a plain spinlock: if a bottom half interrupted the process-context holder on its CPU and took
//! the same lock, that CPU would spin forever. [`SpinLockBh::lock`] disables bottom halves while
//! the lock is held (`spin_lock_bh` is exactly `local_bh_disable` then `spin_lock`). The bottom
//! half itself, which cannot be interrupted by another one on its CPU, takes the lock plainly
//! with [`lock_with`](SpinLockBh::lock_with) and its [`BhDisabled`] proof. This is
//! [`SpinLockIrq`](kernel::sync::SpinLockIrq)'s design, one level down.
//!
//! [`SpinLockBh::lock`] borrows the [`ProcessContext`] mutably while the lock is held, so
//! nothing that may sleep can be called under it.
//!
//! # Examples
//!
//! ```
//! use kernel::prelude::*;
//! use kernel_ext::{context::{BhDisabled, ProcessContext}, sync::{new_spinlock_bh, SpinLockBh}};
//!
//! #[pin_data]
//! struct Counter {
//!     #[pin]
//!     count: SpinLockBh<u64>,
//! }
//!
//! // Process context: bottom halves off while the lock is held.
//! fn add(c: &Counter, ctx: &mut ProcessContext) {
//!     *c.count.lock(ctx) += 1;
//! }
//!
//! // A timer callback: bottom halves cannot interrupt it, a plain lock is enough.
//! fn add_from_timer(c: &Counter, bh: &BhDisabled) {
//!     *c.count.lock_with(bh) += 1;
//! }
//! ```

use super::{
    bh::{local_bh_disable, BhGuard},
    context::{BhDisabled, ProcessContext},
};
use core::ops::{Deref, DerefMut};
use kernel::{
    prelude::*,
    str::CStr,
    sync::{LockClassKey, SpinLock, SpinLockGuard},
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

/// A spinlock (`spinlock_t`) for data shared with bottom halves.
#[pin_data]
pub struct SpinLockBh<T> {
    #[pin]
    inner: SpinLock<T>,
}

impl<T> SpinLockBh<T> {
    /// Creates an unlocked lock holding `data`. Prefer the [`new_spinlock_bh!`] macro.
    #[inline]
    pub fn new(
        data: T,
        name: &'static CStr,
        key: Pin<&'static LockClassKey>,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- SpinLock::new(data, name, key),
        })
    }

    /// Takes the lock with bottom halves disabled until it is released: `spin_lock_bh` in C.
    /// `ctx` cannot be used meanwhile.
    #[inline]
    pub fn lock<'a>(&'a self, ctx: &'a mut ProcessContext) -> SpinLockBhGuard<'a, T> {
        let bh = local_bh_disable(ctx);
        SpinLockBhGuard {
            guard: self.inner.lock(),
            _bh: bh,
        }
    }

    /// Takes the lock without touching the bottom-half state (`spin_lock`): for timer and
    /// tasklet callbacks, and code that disabled bottom halves.
    #[inline]
    pub fn lock_with<'a>(&'a self, _bh: &'a BhDisabled) -> SpinLockGuard<'a, T> {
        self.inner.lock()
    }
}

/// A [`SpinLockBh`] held with bottom halves disabled; dropping it releases the lock, then
/// enables bottom halves (`spin_unlock_bh`).
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct SpinLockBhGuard<'a, T> {
    // Fields drop in order: unlock first, then enable bottom halves.
    guard: SpinLockGuard<'a, T>,
    _bh: BhGuard<'a>,
}

impl<T> Deref for SpinLockBhGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: Unpin> DerefMut for SpinLockBhGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}
