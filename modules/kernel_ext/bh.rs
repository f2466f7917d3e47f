// SPDX-License-Identifier: GPL-2.0

//! Disabling bottom halves on this CPU: `local_bh_disable` / `local_bh_enable` in C.
//!
//! C header: [`include/linux/bottom_half.h`](srctree/include/linux/bottom_half.h).
//!
//! While bottom halves are disabled, no softirq, and so no tasklet or timer callback, runs on this
//! CPU; ones raised meanwhile run when the outermost disable ends. Disabling nests: only the last
//! [`BhGuard`] dropped enables them again. A guard dereferences to [`BhDisabled`], the proof that
//! [`SpinLockBh::lock_with`](super::sync::SpinLockBh::lock_with) needs.
//!
//! A guard holds the [`ProcessContext`] it was made from (a mutable borrow), so nothing that may
//! sleep can be called while bottom halves are off. Nesting goes through the outer guard
//! ([`BhDisabled::nest`]).
//!
//! Interrupts must be enabled: `local_bh_enable` turns them on, which would break a caller that
//! holds an IRQ-disabling lock (`SpinLockIrq`). Lockdep checks it when the guard is created
//! (`WARNING` at `lockdep_assert_irqs_enabled`), and the kernel again when it is dropped.
//!
//! # Examples
//!
//! ```
//! use kernel_ext::{bh::local_bh_disable, context::ProcessContext};
//!
//! fn nested(ctx: &mut ProcessContext) {
//!     let outer = local_bh_disable(ctx);
//!     let inner = outer.nest(); // Nested: still disabled after `inner` is dropped.
//!     drop(inner);
//!     drop(outer); // Bottom halves raised meanwhile run now, on this CPU.
//! }
//! # kernel_ext::context::in_process_context(nested)?;
//! # Ok::<(), Error>(())
//! ```

use super::context::{BhDisabled, ProcessContext};
use core::{marker::PhantomData, ops::Deref};

unsafe extern "C" {
    fn dw_local_bh_disable();
    fn dw_local_bh_enable();
}

/// Bottom halves are disabled on this CPU while this guard lives.
///
/// # Invariants
///
/// `dw_local_bh_disable` was called when the guard was created, on this thread (the guard is not
/// `Send`, through `bh`), and is undone only in [`Drop`].
#[must_use = "bottom halves are enabled again as soon as the guard is dropped"]
pub struct BhGuard<'a> {
    bh: BhDisabled,
    /// The context (or outer guard) this guard was made from, borrowed while it lives.
    _borrowed: PhantomData<&'a mut ()>,
}

/// Disables bottom halves on this CPU until the returned guard is dropped. `ctx` cannot be used
/// meanwhile.
#[inline]
pub fn local_bh_disable(ctx: &mut ProcessContext) -> BhGuard<'_> {
    let _ = ctx;
    // SAFETY: Process context, as `ctx` proves.
    unsafe { BhGuard::new() }
}

impl BhGuard<'_> {
    /// # Safety
    ///
    /// Must not be called in hard interrupt context.
    #[inline]
    unsafe fn new() -> Self {
        // SAFETY: Allowed outside hard interrupts, as the caller guarantees. The helper also
        // asserts that interrupts are enabled.
        unsafe { dw_local_bh_disable() };
        // INVARIANT: bottom halves were just disabled on this thread.
        BhGuard {
            // SAFETY: Bottom halves stay disabled until this guard is dropped.
            bh: unsafe { BhDisabled::new() },
            _borrowed: PhantomData,
        }
    }
}

impl BhDisabled {
    /// Disables bottom halves once more (`local_bh_disable` nests): they stay disabled until the
    /// returned guard *and* the outer one are dropped.
    #[inline]
    pub fn nest(&self) -> BhGuard<'_> {
        // SAFETY: Bottom halves are disabled or running, so this is not a hard interrupt.
        unsafe { BhGuard::new() }
    }
}

impl Deref for BhGuard<'_> {
    type Target = BhDisabled;

    #[inline]
    fn deref(&self) -> &BhDisabled {
        &self.bh
    }
}

impl Drop for BhGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: Pairs with the `dw_local_bh_disable` of this guard's creation, on the same
        // thread, by the type invariants.
        unsafe { dw_local_bh_enable() };
    }
}
