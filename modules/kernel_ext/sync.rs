// SPDX-License-Identifier: GPL-2.0

//! A spinlock that disables bottom halves: `spin_lock_bh` in C, on the `kernel` crate's lock
//! framework ([`Lock`], [`Backend`], [`Guard`]).
//!
//! C header: [`include/linux/spinlock.h`](srctree/include/linux/spinlock.h).
//!
//! Data shared between process context and a bottom half (a timer, a tasklet) needs more than
//! a plain spinlock: if a bottom half interrupted the process-context holder on its CPU and took
//! the same lock, that CPU would spin forever. [`SpinLockBh::lock`] disables bottom halves while
//! the lock is held (`spin_lock_bh`, which is `local_bh_disable` then `spin_lock`). The bottom
//! half itself, which no other bottom half interrupts on its CPU, takes the lock plainly
//! (`spin_lock`) with [`lock_with`](SpinLockBh::lock_with) and its [`BhDisabled`] proof. Both
//! return the same guard, [`SpinLockBhGuard`] (the `kernel` crate's [`Guard`]), which remembers
//! whether it disabled bottom halves, so code can take the lock from either side and go on with
//! one type.
//!
//! [`SpinLockBh::lock`] borrows the [`ProcessContext`] mutably while the guard lives, so nothing
//! of this layer that may sleep can be called under it.
//!
//! # Waiting on a [`CondVar`]
//!
//! A [`CondVar`](kernel::sync::CondVar) waits on a guard of [`SpinLockBh::lock`]: the wait queues
//! the task, releases the lock and enables bottom halves (`spin_unlock_bh`, which may run pending
//! softirqs there and then, as in C's `__lock_sock`: a wake-up from them only makes the sleep
//! return at once), sleeps, and takes both again (`spin_lock_bh`) before it returns. That sleep is
//! sound: it happens with the lock released and bottom halves on, in the process context that the
//! guard holds borrowed (the wait needs no context of its own, and the context stays unusable
//! until the guard is dropped, as without the wait).
//!
//! A guard of [`lock_with`](SpinLockBh::lock_with) has the same type, so `CondVar::wait` accepts it
//! too, but waiting on it would sleep in a bottom half, or with bottom halves off: never do it.
//! The compiler does not stop it, as it does not stop any sleeping function of the `kernel` crate
//! (`CondVar::wait` takes no context token; see [`context`](super::context)). The kernel reports
//! it when it happens (`BUG: scheduling while atomic`, a stack trace through `CondVar::wait`), and
//! the lock names it as it is taken again (`a CondVar waited on a SpinLockBh guard taken with
//! bottom halves off`, a `WARNING`). Waking waiters is fine from anywhere:
//! [`CondVar::notify_all`](kernel::sync::CondVar::notify_all) does not sleep.
//!
//! # Where this departs from upstream
//!
//! Upstream's `SpinLockIrq` is a type alias of [`Lock`] whose `lock()` takes no token, and whose
//! `lock_with(&LocalInterruptDisabled)` returns another guard type (a plain `SpinLockGuard`, by
//! treating the lock as a `SpinLock`). [`SpinLockBh`] instead wraps the [`Lock`] in a new type:
//! [`Lock::lock`] is an inherent method taking no argument, so on an alias a `lock(ctx)` that
//! borrows the [`ProcessContext`] could not be written, and without that borrow sleeping under
//! the lock would compile (`tests/compile-fail/sleep_under_spinlock_bh.rs`). And its backend
//! decides at run time, from the preempt count, whether to disable bottom halves: where they are
//! off already it takes the lock plainly and records that in the guard's [`Backend::GuardState`],
//! which the unlock and the relock after a wait read. That gives both methods one guard type
//! without reaching into [`Lock`]'s private fields, and makes the one path around the tokens
//! harmless: [`Guard::lock_ref`] hands out the inner [`Lock`], whose own `lock()` then also picks
//! the right way for where it runs (and its lifetime keeps the token borrowed, so it cannot leave
//! the context it was taken in).
//!
//! # Examples
//!
//! ```
//! use kernel::prelude::*;
//! use kernel_ext::{
//!     context::{BhDisabled, ProcessContext},
//!     sync::{new_spinlock_bh, SpinLockBh, SpinLockBhGuard},
//! };
//!
//! #[pin_data]
//! struct Counter {
//!     #[pin]
//!     count: SpinLockBh<u64>,
//! }
//!
//! // One guard type, whichever side took the lock.
//! fn bump(count: &mut SpinLockBhGuard<'_, u64>) {
//!     **count += 1;
//! }
//!
//! // Process context: bottom halves off while the lock is held.
//! fn add(c: &Counter, ctx: &mut ProcessContext) {
//!     bump(&mut c.count.lock(ctx));
//! }
//!
//! // A timer callback: bottom halves cannot interrupt it, a plain lock is enough.
//! fn add_from_timer(c: &Counter, bh: &BhDisabled) {
//!     bump(&mut c.count.lock_with(bh));
//! }
//!
//! fn new_counter() -> impl PinInit<Counter> {
//!     pin_init!(Counter { count <- new_spinlock_bh!(0) })
//! }
//! # let counter = KBox::pin_init(new_counter(), GFP_KERNEL)?;
//! # kernel_ext::context::in_process_context(|ctx| {
//! #     add(&counter, ctx);
//! #     add_from_timer(&counter, &kernel_ext::bh::local_bh_disable(ctx));
//! #     assert_eq!(*counter.count.lock(ctx), 2);
//! # })?;
//! # Ok::<(), Error>(())
//! ```
//!
//! A timer hands a value to process context, which waits for it on a [`CondVar`]:
//!
//! ```
//! use kernel::{prelude::*, sync::{new_condvar, CondVar}};
//! use kernel_ext::{
//!     context::{BhDisabled, ProcessContext},
//!     sync::{new_spinlock_bh, SpinLockBh},
//! };
//!
//! #[pin_data]
//! struct Mailbox {
//!     #[pin]
//!     letter: SpinLockBh<Option<u32>>,
//!     #[pin]
//!     arrived: CondVar,
//! }
//!
//! // In the timer callback: post, and wake the reader.
//! fn post(m: &Mailbox, value: u32, bh: &BhDisabled) {
//!     *m.letter.lock_with(bh) = Some(value);
//!     m.arrived.notify_all();
//! }
//!
//! // In process context: each wait releases the lock and enables bottom halves while it sleeps.
//! fn fetch(m: &Mailbox, ctx: &mut ProcessContext) -> u32 {
//!     let mut letter = m.letter.lock(ctx);
//!     loop {
//!         if let Some(value) = letter.take() {
//!             return value;
//!         }
//!         m.arrived.wait(&mut letter);
//!     }
//! }
//!
//! fn new_mailbox() -> impl PinInit<Mailbox> {
//!     pin_init!(Mailbox { letter <- new_spinlock_bh!(None), arrived <- new_condvar!() })
//! }
//! # let mailbox = KBox::pin_init(new_mailbox(), GFP_KERNEL)?;
//! # let value = kernel_ext::context::in_process_context(|ctx| {
//! #     post(&mailbox, 7, &kernel_ext::bh::local_bh_disable(ctx));
//! #     fetch(&mailbox, ctx)
//! # })?;
//! # assert_eq!(value, 7);
//! # Ok::<(), Error>(())
//! ```
//!
//! [`CondVar`]: kernel::sync::CondVar

use super::context::{BhDisabled, ProcessContext};
use kernel::{
    bindings,
    prelude::*,
    str::CStr,
    sync::{
        lock::{spinlock::SpinLockBackend, Backend, Guard, Lock},
        LockClassKey,
    },
};

unsafe extern "C" {
    fn dw_local_bh_disable();
    fn dw_local_bh_enable();
    fn dw_spin_lock_bh_unless_off(lock: *mut bindings::spinlock_t) -> bool;
    fn dw_spin_relock_bh(lock: *mut bindings::spinlock_t);
    fn dw_spin_unlock_bh_if(lock: *mut bindings::spinlock_t, disabled_bh: bool);
    fn dw_spin_relock_bh_off(lock: *mut bindings::spinlock_t);
}

/// The name of a new lock class (a lock's, a timer's, a work item's, a wait queue's): as
/// `kernel::optional_name!`, given or `file:line`, where lockdep is on to report it; empty
/// otherwise, where nothing reads it. C's `timer_setup`, `INIT_WORK` and `DEFINE_SPINLOCK` name
/// their lock classes only under `CONFIG_LOCKDEP` too; a name kept without it is read-only data
/// in every `.ko` (`modules/3-4-5-deferred/deferred_device.rs:NN`, one per class).
// Each module compiles this whole layer in but may not use every part of it.
#[allow(unused_macros)]
macro_rules! lock_class_name {
    ($($name:literal)?) => {{
        #[cfg(CONFIG_LOCKDEP)]
        let name = ::kernel::optional_name!($($name)?);
        #[cfg(not(CONFIG_LOCKDEP))]
        let name = ::kernel::c_str!("");
        name
    }};
}
#[allow(unused_imports)]
pub(crate) use lock_class_name;

/// Creates a [`SpinLockBh`] initialiser with the given name and a new lock class.
// Each module compiles this whole layer in but may not use every part of it.
#[allow(unused_macros)]
macro_rules! new_spinlock_bh {
    ($inner:expr $(, $name:literal)? $(,)?) => {
        $crate::kernel_ext::sync::SpinLockBh::new(
            $inner,
            $crate::kernel_ext::sync::lock_class_name!($($name)?),
            ::kernel::static_lock_class!(),
        )
    };
}
#[allow(unused_imports)]
pub(crate) use new_spinlock_bh;

/// A spinlock (`spinlock_t`) for data shared with bottom halves.
///
/// Instances need a lock class and to be pinned: create them with [`new_spinlock_bh!`] in a
/// [`pin_init!`].
#[pin_data]
pub struct SpinLockBh<T> {
    #[pin]
    inner: Lock<T, SpinLockBhBackend>,
}

/// A held [`SpinLockBh`], from either [`SpinLockBh::lock`] or [`SpinLockBh::lock_with`]; dropping
/// it releases the lock, then enables bottom halves if taking it disabled them
/// (`spin_unlock_bh`, or `spin_unlock`).
///
/// The `kernel` crate's [`Guard`], so a [`CondVar`](kernel::sync::CondVar) can wait on it: only
/// on one from [`SpinLockBh::lock`] (see [the module documentation](self)).
pub type SpinLockBhGuard<'a, T> = Guard<'a, T, SpinLockBhBackend>;

impl<T> SpinLockBh<T> {
    /// Creates an unlocked lock holding `data`. Prefer the [`new_spinlock_bh!`] macro.
    #[inline]
    pub fn new(
        data: impl PinInit<T>,
        name: &'static CStr,
        key: Pin<&'static LockClassKey>,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- Lock::new(data, name, key),
        })
    }

    /// Takes the lock with bottom halves disabled until it is released: `spin_lock_bh` in C.
    /// `ctx` cannot be used meanwhile.
    #[inline]
    pub fn lock<'a>(&'a self, ctx: &'a mut ProcessContext) -> SpinLockBhGuard<'a, T> {
        // Process context, as `ctx` proves: bottom halves are on, the backend disables them.
        let _ = ctx;
        self.inner.lock()
    }

    /// Takes the lock without touching the bottom-half state (`spin_lock`): for timer and
    /// tasklet callbacks, and code that disabled bottom halves. Never wait on a
    /// [`CondVar`](kernel::sync::CondVar) with the guard: that would sleep in atomic context.
    #[inline]
    pub fn lock_with<'a>(&'a self, bh: &'a BhDisabled) -> SpinLockBhGuard<'a, T> {
        // Bottom halves are off, as `bh` proves: the backend takes the lock plainly.
        let _ = bh;
        self.inner.lock()
    }
}

/// The backend of [`SpinLockBh`]: a `spinlock_t` taken with `spin_lock_bh`, or with `spin_lock`
/// where bottom halves are off already (read from the preempt count as the lock is taken).
pub struct SpinLockBhBackend;

/// What a [`SpinLockBhGuard`] undoes as it releases the lock: its
/// [`GuardState`](Backend::GuardState).
// The values of the helpers' `bool`, so that converting costs nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum BhLockState {
    /// Bottom halves were off already (`spin_lock`); releasing it leaves them off.
    BhWereOff = 0,
    /// Taking the lock disabled bottom halves (`spin_lock_bh`); releasing it enables them.
    DisabledBh = 1,
}

// SAFETY: The `spinlock_t` gives mutual exclusion whichever way it is taken (`spin_lock_bh` is
// `local_bh_disable` then `spin_lock`). `relock` takes it the way the guard's state records.
unsafe impl Backend for SpinLockBhBackend {
    type State = bindings::spinlock_t;
    type GuardState = BhLockState;

    #[inline]
    unsafe fn init(
        ptr: *mut Self::State,
        name: *const kernel::ffi::c_char,
        key: *mut bindings::lock_class_key,
    ) {
        // SAFETY: The same `spinlock_t` and the same requirements (`ptr` valid for writes, `name`
        // and `key` valid for ever), which our caller guarantees.
        unsafe { SpinLockBackend::init(ptr, name, key) }
    }

    #[inline]
    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: `ptr` points to an initialised `spinlock_t`, as our caller guarantees.
        if unsafe { dw_spin_lock_bh_unless_off(ptr) } {
            BhLockState::DisabledBh
        } else {
            BhLockState::BhWereOff
        }
    }

    /// Disables bottom halves wherever it runs (they nest), as `spin_trylock_bh`: it is reached
    /// only through [`Guard::lock_ref`], rarely enough to spare a helper.
    #[inline]
    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        // SAFETY: Not in hard interrupt context: a `&Lock` of this backend comes only from a
        // guard, which borrows a `ProcessContext` or a `BhDisabled` (by their lifetimes).
        unsafe { dw_local_bh_disable() };
        // SAFETY: `ptr` points to an initialised `spinlock_t`, as our caller guarantees.
        if unsafe { SpinLockBackend::try_lock(ptr) }.is_some() {
            // INVARIANT: `unlock` is then `spin_unlock_bh`: `spin_unlock` and `local_bh_enable`.
            return Some(BhLockState::DisabledBh);
        }
        // SAFETY: Pairs with the `dw_local_bh_disable` above, on this thread.
        unsafe { dw_local_bh_enable() };
        None
    }

    #[inline]
    unsafe fn unlock(ptr: *mut Self::State, guard_state: &Self::GuardState) {
        // SAFETY: The caller owns the lock, taken the way the state records, on this CPU (guards
        // are not `Send`): with `spin_lock_bh` if it disabled bottom halves, else `spin_lock`.
        unsafe { dw_spin_unlock_bh_if(ptr, *guard_state == BhLockState::DisabledBh) }
    }

    #[inline]
    unsafe fn relock(ptr: *mut Self::State, guard_state: &mut Self::GuardState) {
        match guard_state {
            // SAFETY: `ptr` is initialised (it was locked before, as our caller guarantees).
            BhLockState::DisabledBh => unsafe { dw_spin_relock_bh(ptr) },
            // SAFETY: As above; the helper reports the wait that came before, then `spin_lock`s.
            BhLockState::BhWereOff => unsafe { dw_spin_relock_bh_off(ptr) },
        }
    }

    #[inline]
    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: `ptr` points to an initialised `spinlock_t`, as our caller guarantees.
        unsafe { SpinLockBackend::assert_is_held(ptr) }
    }
}

#[cfg(dw_kunit)]
#[kunit_tests(kernel_ext_sync)]
mod tests {
    use super::*;
    use crate::kernel_ext::{
        bh::local_bh_disable,
        deferred::impl_deferred_fields,
        testing::process_context,
        time::HZ,
        timer::{new_timer, HasTimer, Timer, TimerCallback},
    };
    use kernel::sync::{new_condvar, Arc, CondVar, CondVarTimeoutResult};

    /// Takes a guard of either side: `lock` and `lock_with` return the same type.
    fn bump(count: &mut SpinLockBhGuard<'_, u32>) {
        **count += 1;
    }

    #[test]
    fn bh_spinlock_from_both_sides() -> Result {
        let mut ctx = process_context();
        let lock: Pin<KBox<SpinLockBh<u32>>> = KBox::pin_init(new_spinlock_bh!(0), GFP_KERNEL)?;
        bump(&mut lock.lock(&mut ctx));
        {
            let bh = local_bh_disable(&mut ctx);
            let nested = bh.nest();
            bump(&mut lock.lock_with(&nested));
            drop(nested);
            bump(&mut lock.lock_with(&bh));
        }
        assert_eq!(*lock.lock(&mut ctx), 3);
        Ok(())
    }

    /// A value a timer posts under a `SpinLockBh`, and the condition variable its reader waits on.
    #[pin_data]
    struct Mailbox {
        #[pin]
        letter: SpinLockBh<Option<u32>>,
        #[pin]
        arrived: CondVar,
    }

    #[pin_data(PinnedDrop)]
    struct Postman {
        #[pin]
        timer: Timer<Self>,
        mailbox: Arc<Mailbox>,
    }

    impl_deferred_fields! {
        impl DeferredFields for Postman {
            timer: Timer,
        }
    }

    impl TimerCallback for Postman {
        fn run(this: &Self, bh: &BhDisabled) {
            *this.mailbox.letter.lock_with(bh) = Some(7);
            this.mailbox.arrived.notify_all();
        }
    }

    #[test]
    fn condvar_waits_on_a_bh_spinlock_for_a_timer() -> Result {
        let mut ctx = process_context();
        let mailbox = Arc::pin_init(
            pin_init!(Mailbox { letter <- new_spinlock_bh!(None), arrived <- new_condvar!() }),
            GFP_KERNEL,
        )?;
        let posted = mailbox.clone();
        let timer = KBox::pin_init(
            pin_init!(Postman { timer <- new_timer!(), mailbox: posted }),
            GFP_KERNEL,
        )?;
        let mut letter = mailbox.letter.lock(&mut ctx);
        // Armed with the lock held: the callback can take it only while a wait has released it
        // (and, on this CPU, enabled bottom halves again).
        timer.arm_after(kernel::time::Delta::from_millis(20));
        let mut waits = 0;
        while letter.is_none() && waits < 10 {
            waits += 1;
            match mailbox.arrived.wait_interruptible_timeout(&mut letter, HZ) {
                CondVarTimeoutResult::Signal { .. } => return Err(EINTR),
                CondVarTimeoutResult::Timeout | CondVarTimeoutResult::Woken { .. } => {}
            }
        }
        // Held again on return, with bottom halves off: the timer's value is there to take.
        assert_eq!(letter.take(), Some(7));
        assert!(waits >= 1);
        drop(letter);
        assert_eq!(*mailbox.letter.lock(&mut ctx), None);
        Ok(())
    }
}
