// SPDX-License-Identifier: GPL-2.0

//! Tasklets: deferred functions run in softirq context (`struct tasklet_struct`).
//!
//! C header: [`include/linux/interrupt.h`](srctree/include/linux/interrupt.h).
//!
//! A scheduled tasklet runs soon, once, on the CPU that scheduled it, in softirq context (atomic:
//! it must not sleep). Scheduling it again before it runs does nothing more. A tasklet never runs
//! on two CPUs at once. [`HasTasklet::hi_schedule`] uses the high-priority softirq, which runs before
//! the normal one. While [disabled](Tasklet::disable), a scheduled tasklet waits.
//!
//! Like [`Timer`](super::timer::Timer), a [`Tasklet`] is a field of the user's struct (the
//! container, named with [`impl_deferred_fields!`](super::deferred::impl_deferred_fields)),
//! scheduled from the container ([`HasTasklet::schedule`]), and its callback gets the container.
//! The container's drop marks it dead (scheduling it does nothing from then on) and kills it
//! (`tasklet_kill`: waits until it is neither scheduled nor running) before any field drops.
//! That may sleep, so a tasklet's container is dropped in process context (`might_sleep()`
//! reports it otherwise).
//!
//! A [disabled](Tasklet::disable) tasklet stays disabled while the guard lives. A guard that was
//! [`core::mem::forget`]-ten would leave it disabled for ever, and `tasklet_kill` would then
//! wait for ever for a scheduled tasklet: so the tasklet counts its disables, and its drop
//! enables it again as often as guards were forgotten (the scheduled callback then runs once
//! more, on data that is still alive) before killing it.
//!
//! Tasklets are deprecated in new code: BH workqueues
//! ([`kernel::workqueue::system_bh`]) run work items in the same softirq context and are their
//! replacement. `dw_tasklet` shows one next to its tasklets.
//!
//! # Examples
//!
//! ```
//! use kernel::prelude::*;
//! use kernel_ext::{context::BhDisabled, deferred::impl_deferred_fields,
//!                  tasklet::{HasTasklet, Tasklet, TaskletCallback}};
//!
//! #[pin_data(PinnedDrop)]
//! struct Hello {
//!     #[pin]
//!     tasklet: Tasklet<Self>,
//! }
//!
//! impl_deferred_fields! {
//!     impl DeferredFields for Hello {
//!         tasklet: Tasklet,
//!     }
//! }
//!
//! impl TaskletCallback for Hello {
//!     fn run(_this: &Self, _bh: &BhDisabled) {
//!         pr_info!("hello from softirq context\n");
//!     }
//! }
//!
//! let hello = KBox::pin_init(pin_init!(Hello { tasklet <- Tasklet::new() }), GFP_KERNEL)?;
//! hello.schedule();
//! drop(hello); // Waits until it has run.
//! # Ok::<(), Error>(())
//! ```

use super::{
    context::{might_sleep, BhDisabled, MaySleep},
    deferred::{Field, HasField, Kind},
};
use kernel::{
    bindings,
    prelude::*,
    sync::atomic::{Acquire, Atomic, Relaxed, Release},
};

unsafe extern "C" {
    fn dw_tasklet_schedule(t: *mut bindings::tasklet_struct);
    fn dw_tasklet_hi_schedule(t: *mut bindings::tasklet_struct);
    fn dw_tasklet_disable(t: *mut bindings::tasklet_struct);
    fn dw_tasklet_enable(t: *mut bindings::tasklet_struct);
}

/// The `tasklet_struct` kind of [`Field`].
pub struct TaskletStruct;

/// What a [`Tasklet`] keeps beside its `tasklet_struct`.
///
/// # Invariants
///
/// - `disables` counts the `tasklet_disable` calls not yet paired with a `tasklet_enable`: the
///   live [`TaskletDisabled`] guards and the forgotten ones.
/// - Once `dead` is `true`, the tasklet is never scheduled again by this layer.
pub struct TaskletState {
    disables: Atomic<u32>,
    dead: Atomic<bool>,
}

// Once `dead` is set (`stop`), only a callback of the container already under way may schedule
// the tasklet: nothing else holds the container while it drops. `impl_deferred_fields!` drains
// every field twice, so a tasklet scheduled by another while the first drains is killed too, and
// its run cannot schedule anything (it starts after every `dead` was set).
// SAFETY: After `stop` no new scheduling starts; each `drain`'s `tasklet_kill` waits for the
// tasklets scheduled and running, and the second drain catches the ones scheduled meanwhile.
unsafe impl Kind for TaskletStruct {
    type Raw = bindings::tasklet_struct;
    type State = TaskletState;

    #[inline]
    fn new_state() -> TaskletState {
        TaskletState {
            disables: Atomic::new(0),
            dead: Atomic::new(false),
        }
    }

    #[inline]
    unsafe fn stop(_raw: *mut bindings::tasklet_struct, state: &TaskletState) {
        // INVARIANT: `schedule` and `hi_schedule` check it.
        state.dead.store(true, Release);
    }

    #[inline]
    unsafe fn drain(raw: *mut bindings::tasklet_struct, state: &TaskletState) {
        might_sleep();
        // No guard is alive (each borrows the container, which is dropping): what is still
        // counted was forgotten.
        for _ in 0..state.disables.xchg(0, Relaxed) {
            // SAFETY: `raw` is set up; this pairs with a forgotten guard's `tasklet_disable`.
            unsafe { dw_tasklet_enable(raw) };
        }
        // SAFETY: `raw` is set up and, after the loop, enabled, so `tasklet_kill` returns once
        // the tasklet is neither scheduled nor running. It may sleep: dropped in an atomic
        // context, `might_sleep` above reports it.
        unsafe { bindings::tasklet_kill(raw) };
    }
}

/// A tasklet (`struct tasklet_struct`), a field of the container `T` whose
/// [`TaskletCallback<ID>`] it runs.
pub type Tasklet<T, const ID: u64 = 0> = Field<TaskletStruct, T, ID>;

/// What a container's [`Tasklet`] does when it runs.
pub trait TaskletCallback<const ID: u64 = 0>: Send + Sync + 'static {
    /// Runs in softirq context, with the tasklet's container. It may schedule the tasklet again.
    fn run(this: &Self, bh: &BhDisabled);
}

impl<T: TaskletCallback<ID> + HasField<Tasklet<T, ID>>, const ID: u64> Tasklet<T, ID> {
    /// Creates an idle, enabled tasklet.
    #[inline]
    pub fn new() -> impl PinInit<Self> {
        let init = |slot| {
            // SAFETY: `slot` is valid for writes and pinned.
            unsafe { bindings::tasklet_setup(slot, Some(run_callback::<T, ID>)) }
        };
        // SAFETY: The closure sets the tasklet up with `run_callback::<T, ID>`, which finds its
        // container with `HasField<Tasklet<T, ID>>`.
        unsafe { Field::from_c_init(init) }
    }
}

impl<T, const ID: u64> Tasklet<T, ID> {
    /// Disables the tasklet until the returned guard is dropped, waiting for a running callback
    /// to finish (`tasklet_disable`, which may sleep). A scheduled tasklet waits meanwhile.
    #[inline]
    #[track_caller]
    pub fn disable(&self, _ctx: &impl MaySleep) -> TaskletDisabled<'_, T, ID> {
        might_sleep();
        // INVARIANT: counted before the disable, uncounted after the enable.
        self.state().disables.fetch_add(1, Relaxed);
        // SAFETY: `raw` is set up by the field's invariants; `_ctx` proves we may sleep.
        unsafe { dw_tasklet_disable(self.raw()) };
        TaskletDisabled { tasklet: self }
    }
}

/// A container of a [`Tasklet`]: schedules it. Implemented by
/// [`impl_deferred_fields!`](super::deferred::impl_deferred_fields).
pub trait HasTasklet<const ID: u64 = 0>: HasField<Tasklet<Self, ID>> {
    /// Schedules the tasklet on the normal-priority softirq: `tasklet_schedule` in C. Once the
    /// container has started to drop, does nothing.
    #[inline]
    fn schedule(&self) {
        let tasklet = self.field();
        if !tasklet.state().dead.load(Acquire) {
            // SAFETY: `raw` is set up, and its callback finds this container.
            unsafe { dw_tasklet_schedule(tasklet.raw()) }
        }
    }

    /// Schedules the tasklet on the high-priority softirq: `tasklet_hi_schedule` in C.
    #[inline]
    fn hi_schedule(&self) {
        let tasklet = self.field();
        if !tasklet.state().dead.load(Acquire) {
            // SAFETY: As in `schedule`.
            unsafe { dw_tasklet_hi_schedule(tasklet.raw()) }
        }
    }
}

impl<T: HasField<Tasklet<T, ID>>, const ID: u64> HasTasklet<ID> for T {}

/// The C callback: finds the tasklet's container and runs [`TaskletCallback::run`].
///
/// # Safety
///
/// `ptr` is the tasklet of a live `T`'s `Tasklet<T, ID>` field.
unsafe extern "C" fn run_callback<
    T: TaskletCallback<ID> + HasField<Tasklet<T, ID>>,
    const ID: u64,
>(
    ptr: *mut bindings::tasklet_struct,
) {
    // SAFETY: Only `Tasklet::<T, ID>::new` installs this callback, on a field scheduled only
    // through its container `T` (`HasTasklet`), whose drop kills it before any field drops.
    let this = unsafe { T::container_of(ptr.cast()) };
    // SAFETY: Tasklets run in softirq context.
    let bh = unsafe { BhDisabled::new() };
    T::run(this, &bh);
}

/// A disabled [`Tasklet`]: dropping this enables it again (`tasklet_enable`), and a tasklet
/// scheduled meanwhile runs then.
#[must_use = "the tasklet is enabled again as soon as the guard is dropped"]
pub struct TaskletDisabled<'a, T, const ID: u64 = 0> {
    tasklet: &'a Tasklet<T, ID>,
}

impl<T, const ID: u64> Drop for TaskletDisabled<'_, T, ID> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: Pairs with the `dw_tasklet_disable` that created this guard.
        unsafe { dw_tasklet_enable(self.tasklet.raw()) };
        // INVARIANT: enabled again, so no longer counted.
        self.tasklet.state().disables.fetch_sub(1, Relaxed);
    }
}

#[cfg(dw_kunit)]
#[kunit_tests(kernel_ext_tasklet)]
mod tests {
    use super::*;
    use crate::kernel_ext::{
        bh::local_bh_disable,
        testing::{process_context, sleep_ms, Count},
    };

    #[test]
    fn tasklet_twice_scheduled_runs_once_and_waits_while_disabled() -> Result {
        let mut ctx = process_context();
        let (count, runs) = Count::new()?;
        let count = KBox::pin_init(count, GFP_KERNEL)?;
        let bh = local_bh_disable(&mut ctx);
        count.schedule();
        count.schedule();
        drop(bh);
        assert_eq!(runs.load(Relaxed), 1);
        let disabled = count.tasklet.disable(&ctx);
        count.hi_schedule();
        sleep_ms(30);
        assert_eq!(runs.load(Relaxed), 1);
        drop(disabled);
        sleep_ms(30);
        assert_eq!(runs.load(Relaxed), 2);
        Ok(())
    }

    #[test]
    fn tasklet_with_a_forgotten_disable_is_dropped_without_hanging() -> Result {
        let ctx = process_context();
        let (count, runs) = Count::new()?;
        let count = KBox::pin_init(count, GFP_KERNEL)?;
        core::mem::forget(count.tasklet.disable(&ctx));
        core::mem::forget(count.tasklet.disable(&ctx));
        count.schedule();
        sleep_ms(30);
        assert_eq!(runs.load(Relaxed), 0);
        // `tasklet_kill` would wait for ever for a disabled, scheduled tasklet.
        drop(count);
        assert_eq!(runs.load(Relaxed), 1);
        Ok(())
    }
}
