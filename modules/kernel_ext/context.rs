// SPDX-License-Identifier: GPL-2.0

//! Proof of execution context, as types: the lab's lesson, checked by the compiler.
//!
//! C header: [`include/linux/preempt.h`](srctree/include/linux/preempt.h).
//!
//! Timer and tasklet callbacks run in atomic (softirq) context and must never sleep; work items,
//! kernel threads and file operations run in process context and may. In C, a sleep in the wrong
//! context is found at run time, if `CONFIG_DEBUG_ATOMIC_SLEEP` is on and the path is taken
//! (`BUG: scheduling while atomic`). Here, only process-context callbacks of this layer receive a
//! [`ProcessContext`]; atomic callbacks receive a [`BhDisabled`] instead. A function that may
//! sleep takes a context that [`MaySleep`], a trait that only the process-context proofs
//! implement, so calling this layer's sleeping functions in a timer callback does not compile,
//! and the compiler says why (`tests/compile-fail/` checks it, and every other claim of this
//! page); the `kernel` crate's own (`Mutex::lock`, `GFP_KERNEL` allocations, `CondVar::wait`)
//! take no token, compile anywhere, and are reported at run time by their own `might_sleep()`:
//!
//! ```ignore
//! fn sleepy(ctx: &impl MaySleep) {
//!     ctx.schedule_timeout_uninterruptible(1);
//! }
//!
//! impl TimerCallback for Oops {
//!     fn run(_this: &Self, bh: &BhDisabled) {
//!         sleepy(bh);
//!     }
//! }
//! ```
//!
//! ```text
//! error[E0277]: this may sleep, but `BhDisabled` means atomic context: a timer or tasklet callback (softirq) must not sleep
//!    --> oops.rs:25:16
//!     |
//!  25 |         sleepy(bh);
//!     |         ------ ^^ atomic context, not a `ProcessContext`
//!     |         |
//!     |         required by a bound introduced by this call
//!     |
//! help: the trait `MaySleep` is not implemented for `BhDisabled`
//!    --> kernel_ext/context.rs:356:1
//!     |
//! 356 | pub struct BhDisabled {
//!     | ^^^^^^^^^^^^^^^^^^^^^
//!     = note: hand the sleeping part to a work item (`OwnedWork`, lab task 5): it runs in process context, where it may sleep
//! ```
//!
//! A function that takes `&ProcessContext` itself is as safe, but its error is only a type
//! mismatch (`error[E0308]: mismatched types`, expected `&ProcessContext`, found
//! `&BhDisabled`). [`InTask`] does the same for what needs the current task rather than sleep
//! ([`find_task`](super::task::find_task)).
//!
//! Callbacks receive the context as `&mut ProcessContext`, and this layer's atomic sections
//! ([`local_bh_disable`](super::bh::local_bh_disable), [`SpinLockBh::lock`](super::sync::SpinLockBh::lock))
//! and [`WaitQueue::wait_interruptible`](super::wait::WaitQueue::wait_interruptible) borrow it
//! mutably while they last. So the context cannot be used inside them either:
//!
//! ```ignore
//! let guard = lock.lock(ctx);
//! ctx.schedule_timeout_uninterruptible(1); // error[E0502]: `*ctx` is also borrowed as mutable
//! ```
//!
//! The compiler cannot see the atomic sections of the `kernel` crate (`SpinLock`, `SpinLockIrq`,
//! RCU guards, ...), nor a guard of this layer that was [`core::mem::forget`]-ten. For those, every
//! sleeping function of this layer checks at run time with `might_sleep()`: with
//! `CONFIG_DEBUG_ATOMIC_SLEEP`, the kernel reports `BUG: sleeping function called from invalid
//! context at <the caller's file:line>`, whether or not the call would really have slept.
//!
//! Neither token can be created by safe code (but where a safe function checks at run time: a
//! module's `init`, [`InProcessContext`](super::module::InProcessContext), and
//! [`in_process_context`]), copied, or sent to another thread, and a reference to one cannot
//! outlive the callback that received it.

use super::kthread::KThreadContext;
use kernel::{bindings, fmt, prelude::*, time::Jiffies, types::NotThreadSafe};

unsafe extern "C" {
    fn dw_assert_bh_disabled();
    fn dw_in_task() -> bool;
    fn dw_may_sleep() -> bool;
    #[cfg(CONFIG_DEBUG_ATOMIC_SLEEP)]
    fn dw_atomic_state() -> u32;
    #[cfg(CONFIG_DEBUG_ATOMIC_SLEEP)]
    fn dw_end_atomic_sections(state: u32);
}

/// C's `might_sleep()` as this kernel's configuration expands it: [`kernel::task::might_sleep`]
/// (the check of `CONFIG_DEBUG_ATOMIC_SLEEP`, then `might_resched()`), left out where C's is
/// empty: without `CONFIG_DEBUG_ATOMIC_SLEEP`, under a preemption model whose `might_resched()` is
/// `do { } while (0)` (neither `CONFIG_PREEMPT_VOLUNTARY_BUILD` nor `CONFIG_PREEMPT_DYNAMIC`:
/// `include/linux/kernel.h`). The kernel crate's version would still call an empty C helper
/// there, on every callback of this layer (found by `make bench`).
#[inline]
#[track_caller]
pub(crate) fn might_sleep() {
    #[cfg(any(
        CONFIG_DEBUG_ATOMIC_SLEEP,
        CONFIG_PREEMPT_VOLUNTARY_BUILD,
        CONFIG_PREEMPT_DYNAMIC
    ))]
    kernel::task::might_sleep();
}

/// Runs `f` with a [`ProcessContext`] if the current context may sleep, as far as the kernel can
/// tell (the check of [`InProcessContext`](super::module::InProcessContext)'s `init`), or fails
/// with `EPERM`: for code that the kernel runs in process context without handing it a token,
/// such as a KUnit test case or a documentation example. The token is lent to `f` only.
///
/// # Examples
///
/// ```
/// use kernel_ext::{context::in_process_context, time::HZ};
///
/// let left = in_process_context(|ctx| ctx.schedule_timeout_uninterruptible(HZ / 100))?;
/// assert_eq!(left, 0);
/// # Ok::<(), Error>(())
/// ```
#[inline]
pub fn in_process_context<R>(f: impl FnOnce(&mut ProcessContext) -> R) -> Result<R> {
    // SAFETY: Checked; the token lives in this call and is lent to `f` only, which cannot keep it
    // (a `ProcessContext` is neither `Clone` nor `Copy`).
    let Some(mut ctx) = (unsafe { ProcessContext::new_checked() }) else {
        return Err(EPERM);
    };
    Ok(returns_balanced(
        format_args!("in_process_context's callback"),
        || f(&mut ctx),
    ))
}

/// Whether the current code runs in a task, not in an interrupt or softirq on top of one:
/// `in_task()` in C.
#[inline]
pub(crate) fn in_task() -> bool {
    // SAFETY: Only reads the current CPU's context state.
    unsafe { dw_in_task() }
}

/// Runs `callback`, a process-context callback of this layer, and reports if it returned in a
/// more atomic context than it was called in: it began an atomic section and never ended it (a
/// guard such as [`BhGuard`](super::bh::BhGuard) or a lock guard passed to
/// [`core::mem::forget`]). Without this the kernel reports it later and elsewhere (`BUG:
/// scheduling while atomic` in whatever task runs next, and a process that returns to user space
/// that way dies of its first page fault). The report, a line that names `what` and a `WARNING`,
/// comes where `might_sleep()` checks (`CONFIG_DEBUG_ATOMIC_SLEEP`); then the sections are ended,
/// as the kernel does after a timer callback's "preempt leak" (a lock kept held stays held).
#[inline]
pub(crate) fn returns_balanced<R>(what: fmt::Arguments<'_>, callback: impl FnOnce() -> R) -> R {
    #[cfg(CONFIG_DEBUG_ATOMIC_SLEEP)]
    {
        // SAFETY: Only reads the current CPU's context state.
        let before = unsafe { dw_atomic_state() };
        let result = callback();
        // SAFETY: As above.
        let after = unsafe { dw_atomic_state() };
        if after != before {
            report_unbalanced(what, before, after);
            // SAFETY: `before` is the state this callback was called in, whose caller expects it
            // back; what the callback began and left open is ended.
            unsafe { dw_end_atomic_sections(before) };
        }
        result
    }
    #[cfg(not(CONFIG_DEBUG_ATOMIC_SLEEP))]
    {
        let _ = what;
        callback()
    }
}

#[cfg(CONFIG_DEBUG_ATOMIC_SLEEP)]
#[cold]
fn report_unbalanced(what: fmt::Arguments<'_>, before: u32, after: u32) {
    // The fields of `dw_atomic_state()`: the preempt count's levels (`include/linux/preempt.h`)
    // and the helper's bit for interrupts.
    const LEFT: [(u32, &str); 4] = [
        (1 << 31, "with interrupts disabled"),
        (0xf << 16, "in hard interrupt context"),
        (0xff << 8, "with bottom halves disabled"),
        (0xff, "with preemption disabled (a spinlock held)"),
    ];
    for (mask, state) in LEFT {
        if after & mask != before & mask {
            pr_err!("{what} returned {state}: it began an atomic section and did not end it (a guard passed to `mem::forget`?)\n");
        }
    }
    kernel::warn_on!(true);
}

/// Proof that the current code runs in process context and may sleep.
///
/// Received by the process-context callbacks of this layer: work items
/// ([`OwnedWork`](super::workqueue::OwnedWork)), kernel threads
/// ([`KThread`](super::kthread::KThread)), misc device file operations
/// ([`SharedDevice`](super::miscdev::SharedDevice)) and module init and exit
/// ([`ProcessModule`](super::module::ProcessModule)).
///
/// # Invariants
///
/// While a `ProcessContext` can be used, the current task runs in process context with
/// interrupts and bottom halves enabled and holds no spinlock, except inside an atomic section
/// that the borrow checker cannot see (a `kernel` crate lock, a forgotten guard), which the
/// sleeping functions report at run time.
pub struct ProcessContext {
    /// Neither `Send` nor `Sync`: the proof belongs to the thread that received it.
    _not_send: NotThreadSafe,
}

impl ProcessContext {
    /// Creates the proof, checking it with `might_sleep()` (with `CONFIG_DEBUG_ATOMIC_SLEEP`).
    ///
    /// # Safety
    ///
    /// The caller must run in process context (not in an interrupt, softirq, or with preemption,
    /// interrupts or bottom halves disabled, nor holding a spinlock), and the returned value
    /// must only be used by the callback or function that runs there, and only while it does.
    #[inline]
    #[track_caller]
    pub(crate) unsafe fn new() -> Self {
        might_sleep();
        // INVARIANT: The caller guarantees process context.
        Self {
            _not_send: NotThreadSafe,
        }
    }

    /// Creates the proof if the current context may sleep, as far as the kernel can tell: not in
    /// an interrupt or softirq, interrupts on, the task running (not between a wait's
    /// preparation and its sleep, where a sleep would lose the wake-up) and, with
    /// `CONFIG_PREEMPT_COUNT` (which `CONFIG_DEBUG_ATOMIC_SLEEP` selects), no spinlock held and
    /// preemption enabled.
    ///
    /// # Safety
    ///
    /// The returned value must only be used by the function that called this, and only while it
    /// runs. (On a kernel without `CONFIG_PREEMPT_COUNT` the caller must also hold no spinlock.)
    #[inline]
    pub(crate) unsafe fn new_checked() -> Option<Self> {
        // SAFETY: Only reads the current CPU's context state.
        let may_sleep = unsafe { dw_may_sleep() };
        // INVARIANT: Checked above; the caller vouches for the rest.
        may_sleep.then_some(Self {
            _not_send: NotThreadSafe,
        })
    }

    /// Claims process context without proof. Exists only for the lab's deliberate bug (task 4):
    /// see its call site. (The run-time check still reports it.)
    ///
    /// # Safety
    ///
    /// As for [`ProcessContext::new`].
    #[inline]
    #[track_caller]
    pub unsafe fn assume_unchecked() -> Self {
        // SAFETY: The caller upholds the same requirements.
        unsafe { Self::new() }
    }

    /// Sleeps for up to `timeout` ticks, or until a signal arrives: `set_current_state(
    /// TASK_INTERRUPTIBLE); schedule_timeout(timeout)` in C. Returns the ticks left (0 when the
    /// whole timeout elapsed).
    #[inline]
    #[track_caller]
    pub fn schedule_timeout_interruptible(&self, timeout: Jiffies) -> Jiffies {
        self.schedule_timeout(timeout, bindings::schedule_timeout_interruptible)
    }

    /// Sleeps for `timeout` ticks, signals or not: `schedule_timeout_uninterruptible(timeout)` in
    /// C. Returns the ticks left (0 unless woken explicitly, e.g. by `wake_up_process`).
    #[inline]
    #[track_caller]
    pub fn schedule_timeout_uninterruptible(&self, timeout: Jiffies) -> Jiffies {
        self.schedule_timeout(timeout, bindings::schedule_timeout_uninterruptible)
    }

    /// Sleeps with one of the `schedule_timeout_*` functions, which accept any timeout.
    #[inline]
    #[track_caller]
    fn schedule_timeout(
        &self,
        timeout: Jiffies,
        schedule: unsafe extern "C" fn(c_long) -> c_long,
    ) -> Jiffies {
        might_sleep();
        // `MAX_SCHEDULE_TIMEOUT` (`LONG_MAX`) means "forever".
        let timeout = c_long::try_from(timeout).unwrap_or(c_long::MAX);
        // SAFETY: `schedule` is a `schedule_timeout_*` function, which accepts any timeout.
        // Sleeping is allowed by the type invariants (and reported by `might_sleep` above where
        // they are broken).
        let left = unsafe { schedule(timeout) };
        Jiffies::try_from(left).unwrap_or(0)
    }
}

/// A context that runs in a task of its own, not in an interrupt or softirq on top of one:
/// `in_task()` in C. There `current` is the task that runs the code, and its pid namespace is
/// there to look pids up in ([`find_task`](super::task::find_task)).
///
/// Implemented by [`ProcessContext`] and [`KThreadContext`] only (the trait is sealed), so a
/// function that takes `&impl InTask` cannot be called with the [`BhDisabled`] of a timer or
/// tasklet callback; the compiler says why.
#[diagnostic::on_unimplemented(
    message = "this needs the current task, but `{Self}` means atomic context: in a timer or tasklet callback (softirq), `current` is whichever task was interrupted",
    label = "atomic context, not a `ProcessContext`",
    note = "look the task up beforehand, in process context (the ioctl, lab task 7), and keep the reference"
)]
pub trait InTask: private::Sealed {}

/// A context that may sleep: process context, with interrupts and bottom halves enabled and no
/// spinlock held.
///
/// The functions of this layer that may sleep or wait take `&impl MaySleep` (a sleeping
/// function of a module may too, with the methods below), rather than `&ProcessContext`, so that
/// calling one in a timer or tasklet callback is an error that states the rule:
///
/// ```text
/// error[E0277]: this may sleep, but `BhDisabled` means atomic context: a timer or tasklet callback (softirq) must not sleep
/// ```
///
/// Implemented by [`ProcessContext`] and [`KThreadContext`] only (the trait is sealed): a context
/// that may sleep still cannot be forged. Generic code runs once per context type it is called
/// with (inlined, like the rest of this layer).
#[diagnostic::on_unimplemented(
    message = "this may sleep, but `{Self}` means atomic context: a timer or tasklet callback (softirq) must not sleep",
    label = "atomic context, not a `ProcessContext`",
    note = "hand the sleeping part to a work item (`OwnedWork`, lab task 5): it runs in process context, where it may sleep"
)]
pub trait MaySleep: InTask {
    /// [`ProcessContext::schedule_timeout_interruptible`].
    #[inline]
    #[track_caller]
    fn schedule_timeout_interruptible(&self, timeout: Jiffies) -> Jiffies {
        self.process().schedule_timeout_interruptible(timeout)
    }

    /// [`ProcessContext::schedule_timeout_uninterruptible`].
    #[inline]
    #[track_caller]
    fn schedule_timeout_uninterruptible(&self, timeout: Jiffies) -> Jiffies {
        self.process().schedule_timeout_uninterruptible(timeout)
    }
}

mod private {
    use super::ProcessContext;

    /// Keeps [`InTask`](super::InTask) and [`MaySleep`](super::MaySleep) to this layer's
    /// process-context proofs.
    pub trait Sealed {
        /// The proof itself.
        fn process(&self) -> &ProcessContext;
    }

    impl Sealed for ProcessContext {
        #[inline]
        fn process(&self) -> &ProcessContext {
            self
        }
    }

    impl Sealed for super::KThreadContext {
        #[inline]
        fn process(&self) -> &ProcessContext {
            self
        }
    }
}

impl InTask for ProcessContext {}
impl InTask for KThreadContext {}
impl MaySleep for ProcessContext {}
impl MaySleep for KThreadContext {}

/// Proof that bottom halves (softirqs) cannot run on this CPU right now, because the code runs
/// in one (a timer or tasklet callback) or disabled them.
///
/// With it, data shared with a bottom half can be locked without disabling bottom halves again
/// ([`SpinLockBh::lock_with`](super::sync::SpinLockBh::lock_with)).
///
/// # Invariants
///
/// While a `BhDisabled` can be used, bottom halves are disabled on the current CPU, or the
/// current code runs in one, and the current task stays on this CPU.
pub struct BhDisabled {
    /// Neither `Send` nor `Sync`: the state belongs to this CPU.
    _not_send: NotThreadSafe,
}

impl BhDisabled {
    /// Creates the proof, checking it with lockdep (`lockdep_assert_in_softirq`, which C leaves
    /// empty without `CONFIG_PROVE_LOCKING`: so does this, rather than call an empty helper).
    ///
    /// # Safety
    ///
    /// Bottom halves must be disabled on this CPU, or the caller must be running in one, for as
    /// long as the returned value is used.
    #[inline]
    pub(crate) unsafe fn new() -> Self {
        #[cfg(CONFIG_PROVE_LOCKING)]
        // SAFETY: Only reads the current CPU's context state.
        unsafe {
            dw_assert_bh_disabled()
        };
        // INVARIANT: The caller guarantees it.
        Self {
            _not_send: NotThreadSafe,
        }
    }
}
