// SPDX-License-Identifier: GPL-2.0

//! Counting completions: one waiter let through per signal (`struct completion`).
//!
//! C header: [`include/linux/completion.h`](srctree/include/linux/completion.h).
//!
//! The `kernel` crate's [`kernel::sync::Completion`] offers `complete_all`, after which it stays
//! completed for good: a one-time event. A handshake repeated in a loop (the waiter starts
//! something, waits for it, starts it again) needs C's `complete()`, which counts: each
//! [`CountingCompletion::complete`] lets exactly one
//! [`CountingCompletion::wait_for_completion`] through, whether
//! the wait comes before or after it. This is that completion.
//!
//! Completing is callable from any context, including timer callbacks; waiting sleeps, so it
//! takes a context that [`MaySleep`].
//!
//! # Examples
//!
//! ```
//! use kernel::prelude::*;
//! use kernel_ext::{
//!     completion::CountingCompletion,
//!     context::{BhDisabled, ProcessContext},
//!     deferred::impl_deferred_fields,
//!     time::jiffies,
//!     timer::{new_timer, HasTimer, Timer, TimerCallback},
//! };
//!
//! #[pin_data(PinnedDrop)]
//! struct Ping {
//!     #[pin]
//!     timer: Timer<Self>,
//!     #[pin]
//!     done: CountingCompletion,
//! }
//!
//! impl_deferred_fields! {
//!     impl DeferredFields for Ping {
//!         timer: Timer,
//!     }
//! }
//!
//! impl TimerCallback for Ping {
//!     fn run(this: &Self, _bh: &BhDisabled) {
//!         this.done.complete();
//!     }
//! }
//!
//! fn ping_three_times(ctx: &ProcessContext) -> Result {
//!     let ping = KBox::pin_init(
//!         try_pin_init!(Ping { timer <- new_timer!(), done <- CountingCompletion::new() }? Error),
//!         GFP_KERNEL,
//!     )?;
//!     for _ in 0..3 {
//!         ping.arm_at(jiffies().wrapping_add(1));
//!         ping.done.wait_for_completion(ctx); // One wait per firing.
//!     }
//!     Ok(())
//! }
//! # kernel_ext::context::in_process_context(|ctx| ping_three_times(ctx))??;
//! # Ok::<(), Error>(())
//! ```

use super::context::{might_sleep, MaySleep};
use kernel::{bindings, prelude::*, types::Opaque};

/// A completion (`struct completion`) whose waits and signals pair up one to one. (Named apart
/// from [`kernel::sync::Completion`], the one-time kind, which it does not replace.)
///
/// # Invariants
///
/// `inner` was initialised by `init_completion` and has not moved since.
#[pin_data]
pub struct CountingCompletion {
    #[pin]
    inner: Opaque<bindings::completion>,
}

// SAFETY: A completion can be signalled, waited for and dropped from any thread.
unsafe impl Send for CountingCompletion {}

// SAFETY: Its operations are thread-safe; its own lock protects its count and waiters.
unsafe impl Sync for CountingCompletion {}

impl CountingCompletion {
    /// Creates a completion with no signal pending: `init_completion` in C.
    #[inline]
    pub fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // INVARIANT: initialised by `init_completion`.
            // SAFETY: `slot` is valid for writes and pinned.
            inner <- Opaque::ffi_init(|slot| unsafe { bindings::init_completion(slot) }),
        })
    }

    /// Signals once: wakes one waiter, or lets the next wait through at once if nobody waits yet
    /// (`complete` in C). Callable from any context.
    #[inline]
    pub fn complete(&self) {
        // SAFETY: `inner` is initialised by the type invariants.
        unsafe { bindings::complete(self.inner.get()) };
    }

    /// Returns whether a signal is pending, so that a wait would not sleep: `completion_done`.
    #[inline]
    pub fn is_done(&self) -> bool {
        // SAFETY: `inner` is initialised by the type invariants.
        unsafe { bindings::completion_done(self.inner.get()) }
    }

    /// Sleeps until a signal is pending, and consumes it: `wait_for_completion` in C
    /// (uninterruptible, no timeout).
    #[inline]
    #[track_caller]
    pub fn wait_for_completion(&self, _ctx: &impl MaySleep) {
        might_sleep();
        // SAFETY: `inner` is initialised by the type invariants; `_ctx` proves we may sleep.
        unsafe { bindings::wait_for_completion(self.inner.get()) };
    }
}

#[cfg(dw_kunit)]
#[kunit_tests(kernel_ext_completion)]
mod tests {
    use super::*;
    use crate::kernel_ext::{
        context::BhDisabled,
        deferred::impl_deferred_fields,
        testing::process_context,
        time::jiffies,
        timer::{new_timer, HasTimer, Timer, TimerCallback},
    };

    #[pin_data(PinnedDrop)]
    struct Ping {
        #[pin]
        timer: Timer<Self>,
        #[pin]
        done: CountingCompletion,
    }

    impl_deferred_fields! {
        impl DeferredFields for Ping {
            timer: Timer,
        }
    }

    impl TimerCallback for Ping {
        fn run(this: &Self, _bh: &BhDisabled) {
            this.done.complete();
        }
    }

    #[test]
    fn completion_lets_one_wait_through_per_signal() -> Result {
        let ctx = process_context();
        let ping = KBox::pin_init(
            try_pin_init!(Ping { timer <- new_timer!(), done <- CountingCompletion::new() }? Error),
            GFP_KERNEL,
        )?;
        assert!(!ping.done.is_done());
        ping.done.complete();
        ping.done.complete();
        ping.done.wait_for_completion(&ctx);
        assert!(ping.done.is_done());
        ping.done.wait_for_completion(&ctx);
        assert!(!ping.done.is_done());
        // A wait that comes first sleeps until the timer signals.
        for _ in 0..3 {
            ping.arm_at(jiffies().wrapping_add(1));
            ping.done.wait_for_completion(&ctx);
        }
        assert!(!ping.done.is_done());
        Ok(())
    }
}
