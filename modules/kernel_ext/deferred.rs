// SPDX-License-Identifier: GPL-2.0

//! The one core of the deferred kinds: a C object as a field of the user's struct, reached back
//! with `container_of`, and stopped before the struct's other fields drop.
//!
//! A [`Timer`](super::timer::Timer), an [`OwnedWork`](super::workqueue::OwnedWork) and a
//! [`Tasklet`](super::tasklet::Tasklet) are each a [`Field`] of one [`Kind`]: the kind names its
//! C struct and its C calls, this file does the rest once. As upstream's `Work` and `HrTimer`,
//! a field sits in the user's struct (the *container*), the container says where with a macro
//! ([`impl_deferred_fields!`], like `impl_has_work!`), and the callback gets the container
//! (`&Self`), found from the C object with `container_of`. An `ID` tells several fields of one
//! kind apart.
//!
//! # Why the container's drop stops its fields
//!
//! A callback reads the container's other fields, so none of them may be dropped while a
//! callback may still run. Rust drops fields in declaration order, and a user may declare the
//! timer last; so the field's own drop is too late. [`impl_deferred_fields!`] writes the
//! container's `PinnedDrop`: it stops every field it lists for good (`timer_shutdown_sync`,
//! `disable_delayed_work_sync`, a tasklet marked dead and killed) before any field is dropped,
//! and the only way to implement [`HasField`] (an `unsafe` trait) in safe code is that macro. It
//! also checks that the container has a `Drop` impl: a `#[pin_data]` struct has one only when it
//! is `#[pin_data(PinnedDrop)]`, whose `Drop` calls that `PinnedDrop` (a second one would
//! conflict), so the stop always runs.
//!
//! Arming goes from the container (`this.arm_at(..)`, `this.queue()`, `this.schedule()`: the
//! kinds' `Has*` traits), never from a bare field, as upstream starts an `HrTimer` or queues a
//! `Work` from its container's pointer: a field that sits in some other struct than the one its
//! type names can be cancelled but never armed, so its callback never looks for a container
//! that is not there.
//!
//! # Invariants the kinds rely on
//!
//! - A container is pinned (its fields are `!Unpin` and only initialised in place), and `'static`,
//!   `Send` and `Sync` (the callback traits' bounds): a callback on another CPU may share it.
//! - When the container's drop returns from the stop, no callback of its fields runs or will run.
//! - A leaked container (`mem::forget` of its `Pin<KBox<_>>`) is never stopped, and its callbacks
//!   keep running on the leaked, still valid memory.

use core::marker::PhantomData;
use kernel::{prelude::*, types::Opaque};

/// A kind of deferred C object: its C struct and how it is stopped for good.
///
/// # Safety
///
/// After [`stop`](Kind::stop) and then [`drain`](Kind::drain) return on every field of a
/// container, no callback of those fields runs or will run (arming it from any callback of the
/// container is refused or a no-op from `stop` on).
pub unsafe trait Kind: 'static {
    /// The C struct (`timer_list`, `delayed_work`, `tasklet_struct`).
    type Raw;
    /// What the field keeps beside the C struct.
    type State: Send + Sync;

    /// The state of a new field.
    fn new_state() -> Self::State;

    /// Stops the object for good: from now on arming it does nothing.
    ///
    /// # Safety
    ///
    /// `raw` is initialised and pinned.
    unsafe fn stop(raw: *mut Self::Raw, state: &Self::State);

    /// Waits until the object is neither pending nor running (after every field was stopped).
    ///
    /// # Safety
    ///
    /// As for [`stop`](Kind::stop), which was called before.
    unsafe fn drain(_raw: *mut Self::Raw, _state: &Self::State) {}

    /// Forgets the object in the debug-object tracker (if it was on the stack).
    ///
    /// # Safety
    ///
    /// `raw` is stopped, drained, and never used again.
    unsafe fn destroy(_raw: *mut Self::Raw) {}
}

/// A deferred C object of kind `K`, a field of the container `T` (its `ID`-th of the kind).
///
/// Its own drop only tells debugobjects: its container's drop has stopped it already, and a
/// field placed outside the container its type names is never armed.
///
/// # Invariants
///
/// `raw` is initialised by the kind's constructor and pinned; `raw` is the first field, so a
/// pointer to it is a pointer to the [`Field`].
#[repr(C)]
#[pin_data(PinnedDrop)]
pub struct Field<K: Kind, T, const ID: u64> {
    #[pin]
    raw: Opaque<K::Raw>,
    state: K::State,
    _container: PhantomData<fn(&T)>,
}

// SAFETY: The field holds no `T`; the C API of every kind may be called from any thread, and
// `K::State` is `Send`.
unsafe impl<K: Kind, T, const ID: u64> Send for Field<K, T, ID> {}

// SAFETY: As above: `&self` methods only call thread-safe C functions; `K::State` is `Sync`.
unsafe impl<K: Kind, T, const ID: u64> Sync for Field<K, T, ID> {}

impl<K: Kind, T, const ID: u64> Field<K, T, ID> {
    /// A field whose C object `init` sets up in place.
    ///
    /// # Safety
    ///
    /// `init` initialises the C object fully, and installs only callbacks that find their
    /// container with [`HasField::container_of`] for `Field<K, T, ID>`.
    #[inline]
    pub(super) unsafe fn from_c_init(init: impl FnOnce(*mut K::Raw)) -> impl PinInit<Self> {
        pin_init!(Self {
            // INVARIANT: `init` initialises it, in place.
            raw <- Opaque::ffi_init(init),
            state: K::new_state(),
            _container: PhantomData,
        })
    }

    /// The C object.
    #[inline]
    pub(super) fn raw(&self) -> *mut K::Raw {
        self.raw.get()
    }

    /// The kind's state.
    #[inline]
    pub(super) fn state(&self) -> &K::State {
        &self.state
    }

    /// For [`impl_deferred_fields!`]: stops the object for good. Safe: a stopped object only
    /// never fires again.
    #[doc(hidden)]
    #[inline]
    pub fn __stop(&self) {
        // SAFETY: `raw` is initialised and pinned by the type invariants.
        unsafe { K::stop(self.raw(), &self.state) }
    }

    /// For [`impl_deferred_fields!`]: waits until the stopped object is idle.
    #[doc(hidden)]
    #[inline]
    pub fn __drain(&self) {
        // SAFETY: As in `__stop`.
        unsafe { K::drain(self.raw(), &self.state) }
    }
}

#[pinned_drop]
impl<K: Kind, T, const ID: u64> PinnedDrop for Field<K, T, ID> {
    #[inline]
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: Stopped and drained by the container's drop before any of its fields drops
        // (`HasField`'s safety), or never armed (only a container arms its field); the field is
        // being dropped, so nothing uses it again.
        unsafe { K::destroy(self.raw()) };
    }
}

/// A container of the field `F`: where it is, for `container_of`.
///
/// # Safety
///
/// - `F` is a [`Field`] of the container and `OFFSET` its offset; [`field`](HasField::field)
///   returns it.
/// - The container's drop stops and drains `F` (as [`impl_deferred_fields!`] does) before it
///   drops any field.
///
/// Implement it with [`impl_deferred_fields!`] only.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not name this deferred field in `impl_deferred_fields!`",
    label = "not the container of a `{F}`",
    note = "a timer, tasklet or work item is a field of the struct its type names, listed in that struct's `impl_deferred_fields!`, whose drop stops it before any other field goes"
)]
pub unsafe trait HasField<F>: Sized {
    /// The offset of the field in `Self`.
    const OFFSET: usize;

    /// The field.
    fn field(&self) -> &F;

    /// The container of the field at `field`: `container_of`.
    ///
    /// # Safety
    ///
    /// `field` points to the `F` field of a live `Self`.
    #[inline]
    unsafe fn container_of<'a>(field: *const F) -> &'a Self {
        // SAFETY: The caller's `Self` holds its field `OFFSET` bytes in (the trait's safety).
        unsafe { &*field.byte_sub(Self::OFFSET).cast::<Self>() }
    }
}

/// Makes `$container` the container of its deferred fields, and writes its `PinnedDrop`.
///
/// Each `name: Kind` names a field of type `Kind<$container>` (`name: Kind<N>` for the `N`-th
/// of a kind, `Kind<$container, N>`), with `Kind` one of [`Timer`](super::timer::Timer),
/// [`OwnedWork`](super::workqueue::OwnedWork) and [`Tasklet`](super::tasklet::Tasklet) in scope.
/// The container is `#[pin_data(PinnedDrop)]` (it does not compile otherwise) and gets no
/// `PinnedDrop` of its own: an optional `drop(this) { ... }` block runs first in the one this
/// writes, with `this: &Self` (callbacks may still run meanwhile), then every listed field is
/// stopped for good and left idle, then the fields drop.
///
/// ```ignore
/// impl_deferred_fields! {
///     impl DeferredFields for DeviceData {
///         timer: Timer,
///         work: OwnedWork,
///     }
///     drop(this) {
///         pr_info!("bye\n");
///     }
/// }
/// ```
// Each module compiles this whole layer in but may not use every part of it.
#[allow(unused_macros)]
macro_rules! impl_deferred_fields {
    (
        impl DeferredFields for $container:ty {
            $($field:ident : $kind:ident $(<$id:literal>)?),* $(,)?
        }
        $(drop($this:ident) $body:block)?
    ) => {
        $(
            // SAFETY: `field` type-checks that `$field` is a `$kind<Self, ID>`, `OFFSET` is its
            // offset, and the `PinnedDrop` below stops and drains it before any field drops.
            unsafe impl $crate::kernel_ext::deferred::HasField<$kind<$container $(, $id)?>>
                for $container
            {
                const OFFSET: usize = ::core::mem::offset_of!($container, $field);

                #[inline]
                fn field(&self) -> &$kind<$container $(, $id)?> {
                    &self.$field
                }
            }
        )*

        #[::kernel::prelude::pinned_drop]
        impl PinnedDrop for $container {
            fn drop(self: ::core::pin::Pin<&mut Self>) {
                $({
                    let $this: &Self = &self;
                    $body
                })?
                // Every field stopped first: a callback of one may arm another.
                $(self.$field.__stop();)*
                $(self.$field.__drain();)*
                // Again: a tasklet may have scheduled another between their drains.
                $(self.$field.__drain();)*
            }
        }

        // Only a `#[pin_data(PinnedDrop)]` container has a `Drop`, the one that calls the
        // `PinnedDrop` above.
        const _: () = {
            #[allow(drop_bounds, dead_code)]
            fn dropped_by_its_pinned_drop<T: Drop>() {}
            #[allow(dead_code)]
            fn check() {
                dropped_by_its_pinned_drop::<$container>();
            }
        };
    };
}
#[allow(unused_imports)]
pub(crate) use impl_deferred_fields;

#[cfg(dw_kunit)]
#[kunit_tests(kernel_ext_deferred)]
mod tests {
    use super::*;
    use crate::kernel_ext::{
        context::BhDisabled,
        tasklet::{HasTasklet, Tasklet, TaskletCallback},
        testing::{process_context, sleep_ms, Count},
        time::jiffies,
        timer::{new_timer, HasTimer, Timer, TimerCallback},
        workqueue::HasOwnedWork,
    };
    use kernel::sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        Arc,
    };

    /// Sets its flag when dropped.
    struct SetOnDrop(Arc<Atomic<u32>>);

    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(1, Release);
        }
    }

    /// Two timers (`ID`s 0 and 1) and a tasklet that re-arm one another, and a field declared
    /// before them, so dropped first: a callback that sees it gone counts in `late`.
    #[pin_data(PinnedDrop)]
    struct Busy {
        first: SetOnDrop,
        gone: Arc<Atomic<u32>>,
        late: Arc<Atomic<u32>>,
        runs: [Atomic<u32>; 3],
        #[pin]
        tick: Timer<Self>,
        #[pin]
        tock: Timer<Self, 1>,
        #[pin]
        tasklet: Tasklet<Self>,
    }

    impl_deferred_fields! {
        impl DeferredFields for Busy {
            tick: Timer,
            tock: Timer<1>,
            tasklet: Tasklet,
        }
    }

    impl Busy {
        fn check(&self, which: usize) {
            if self.gone.load(Acquire) != 0 {
                self.late.fetch_add(1, Relaxed);
            }
            self.runs[which].fetch_add(1, Relaxed);
        }
    }

    impl TimerCallback for Busy {
        fn run(this: &Self, _bh: &BhDisabled) {
            this.check(0);
            this.schedule();
            HasTimer::<1>::arm_at(this, jiffies().wrapping_add(1));
        }
    }

    impl TimerCallback<1> for Busy {
        fn run(this: &Self, _bh: &BhDisabled) {
            this.check(1);
            HasTimer::<0>::arm_at(this, jiffies().wrapping_add(1));
        }
    }

    impl TaskletCallback for Busy {
        fn run(this: &Self, _bh: &BhDisabled) {
            this.check(2);
            HasTimer::<1>::arm_at(this, jiffies());
        }
    }

    #[test]
    fn a_container_stops_its_fields_before_any_field_drops() -> Result {
        let gone = Arc::new(Atomic::new(0), GFP_KERNEL)?;
        let late = Arc::new(Atomic::new(0), GFP_KERNEL)?;
        for _ in 0..5 {
            let (first, gone_too, late_too) = (gone.clone(), gone.clone(), late.clone());
            let busy = KBox::pin_init(
                pin_init!(Busy {
                    first: SetOnDrop(first),
                    gone: gone_too,
                    late: late_too,
                    runs: [Atomic::new(0), Atomic::new(0), Atomic::new(0)],
                    tick <- new_timer!(),
                    tock <- new_timer!(),
                    tasklet <- Tasklet::new(),
                }),
                GFP_KERNEL,
            )?;
            HasTimer::<0>::arm_at(&*busy, jiffies());
            sleep_ms(20);
            // Each callback ran: the timers and the tasklet reach their own container.
            for runs in &busy.runs {
                assert!(runs.load(Relaxed) > 0);
            }
            drop(busy);
            assert_eq!(gone.load(Relaxed), 1);
            gone.store(0, Relaxed);
        }
        sleep_ms(20);
        assert_eq!(late.load(Relaxed), 0);
        Ok(())
    }

    #[test]
    fn timer_and_work_on_the_stack_are_announced_to_debugobjects() -> Result {
        let ctx = process_context();
        // A failed assertion ends the test's thread without running drops: the objects on its
        // stack are dropped before anything is asserted, so none is left armed on a dead stack.
        let (count, timer_runs) = Count::new()?;
        {
            pin_init::stack_pin_init!(let count = count);
            count.arm_after(kernel::time::Delta::from_millis(1));
            sleep_ms(50);
        }
        let (count, work_runs) = Count::new()?;
        {
            pin_init::stack_pin_init!(let count = count);
            count.queue();
            count.work.flush(&ctx);
        }
        // Both were forgotten by debugobjects as they dropped (ODEBUG would report them otherwise).
        assert_eq!(timer_runs.load(Relaxed), 1);
        assert_eq!(work_runs.load(Relaxed), 1);
        Ok(())
    }
}
