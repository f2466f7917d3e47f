// SPDX-License-Identifier: GPL-2.0

//! Disabling bottom halves on this CPU: `local_bh_disable` / `local_bh_enable` in C.
//!
//! C header: [`include/linux/bottom_half.h`](srctree/include/linux/bottom_half.h).
//!
//! While bottom halves are disabled, no softirq, and so no tasklet or timer callback, runs on this
//! CPU; ones raised meanwhile run when the outermost disable ends. Disabling nests: only the last
//! [`BhGuard`] dropped enables them again. A guard dereferences to [`BhDisabled`], the proof that
//! [`SpinLockBh::lock_with`](super::sync::SpinLockBhExt::lock_with) needs.
//!
//! # Examples
//!
//! ```
//! use kernel_ext::bh::local_bh_disable;
//!
//! let outer = local_bh_disable();
//! let inner = local_bh_disable(); // Nested: still disabled after `inner` is dropped.
//! drop(inner);
//! drop(outer); // Bottom halves raised meanwhile run now, on this CPU.
//! ```

use super::context::BhDisabled;
use core::ops::Deref;

unsafe extern "C" {
    fn dw_local_bh_disable();
    fn dw_local_bh_enable();
}

/// Bottom halves are disabled on this CPU while this guard lives.
///
/// # Invariants
///
/// `dw_local_bh_disable` was called when the guard was created, and `bh` is only valid while it
/// lives (it is not `Send`, so the guard stays on this CPU's thread).
pub struct BhGuard {
    bh: BhDisabled,
}

/// Disables bottom halves on this CPU until the returned guard is dropped.
#[inline]
pub fn local_bh_disable() -> BhGuard {
    // SAFETY: Disabling bottom halves is allowed in any context but hard interrupts, where the
    // kernel reports it.
    unsafe { dw_local_bh_disable() };
    // SAFETY: Bottom halves stay disabled until the guard holding this is dropped.
    let bh = unsafe { BhDisabled::new() };
    // INVARIANT: bottom halves were just disabled.
    BhGuard { bh }
}

impl Deref for BhGuard {
    type Target = BhDisabled;

    #[inline]
    fn deref(&self) -> &BhDisabled {
        &self.bh
    }
}

impl Drop for BhGuard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: Pairs with the `dw_local_bh_disable` of this guard's creation, on the same
        // thread (the guard is not `Send`).
        unsafe { dw_local_bh_enable() };
    }
}
