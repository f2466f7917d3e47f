// SPDX-License-Identifier: GPL-2.0

//! Work items owned by their user, cancelled when dropped; owned workqueues; work on every CPU.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h).
//!
//! A work item runs a function later, in process context, on a kernel worker thread (a
//! `kworker`): it may sleep. The `kernel` crate's [`kernel::workqueue`] hands each queued item's
//! ownership to the queue (an `Arc` or `KBox` that the run consumes), which needs `'static`
//! items and offers no way to cancel one. Deferred work in a driver is usually the other way
//! round: a field of the driver's state, queued from a timer or an interrupt, and cancelled when
//! the driver goes away. [`OwnedWork`] is that: like [`Timer`](super::timer::Timer), it is a field
//! of the user's struct (the container, named with
//! [`impl_deferred_fields!`](super::deferred::impl_deferred_fields)), queued from the container
//! ([`HasOwnedWork::queue`]), and its function gets the container. The container's drop disables
//! it and waits for a running instance (`disable_delayed_work_sync`) before any field drops. It
//! is queued on the system queue, or on an [`OwnedQueue`], now or after a delay (it is a
//! `delayed_work` underneath, so one type serves both).
//!
//! The container is `'static`, as the `kernel` crate requires of what it hands to deferred
//! execution: a container leaked with [`core::mem::forget`] is never cancelled, and its work
//! keeps running on what it owns. Dropping one cancels its work synchronously, which sleeps: it
//! is dropped in process context (`might_sleep()` reports it otherwise).
//!
//! The function receives a [`ProcessContext`]: the proof that it may sleep. That is why an
//! [`OwnedWork`] cannot go on a BH workqueue ([`system_bh`](kernel::workqueue::system_bh), whose
//! work runs in softirq context): only process-context queues are offered.
//!
//! Also here: [`OwnedQueue`] (`alloc_workqueue` / `destroy_workqueue`), [`schedule_on_each_cpu`],
//! and [`flush`], the missing `flush_work` for the `kernel` crate's own [`Work`] items.
//!
//! # Examples
//!
//! ```
//! use kernel::prelude::*;
//! use kernel_ext::{context::ProcessContext, deferred::impl_deferred_fields, time::HZ,
//!                  workqueue::{new_work, HasOwnedWork, OwnedWork, WorkCallback}};
//!
//! #[pin_data(PinnedDrop)]
//! struct Nap {
//!     #[pin]
//!     work: OwnedWork<Self>,
//! }
//!
//! impl_deferred_fields! {
//!     impl DeferredFields for Nap {
//!         work: OwnedWork,
//!     }
//! }
//!
//! impl WorkCallback for Nap {
//!     fn run(_this: &Self, ctx: &mut ProcessContext) {
//!         ctx.schedule_timeout_interruptible(HZ); // Sleeping is fine here.
//!         pr_info!("rested\n");
//!     }
//! }
//!
//! let nap = KBox::pin_init(pin_init!(Nap { work <- new_work!() }), GFP_KERNEL)?;
//! nap.queue_after(2 * HZ);
//! drop(nap); // Cancels it, or waits for it to finish.
//! # Ok::<(), Error>(())
//! ```

use super::{
    context::{might_sleep, MaySleep, ProcessContext},
    deferred::{Field, HasField, Kind},
    timer::dw_timer_init_key,
};
use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    bindings, cpu::CpuId, cpumask::Cpumask, ffi::c_void, prelude::*, str::CStr, sync::LockClassKey,
    time::Jiffies, types::NotThreadSafe, workqueue::Work,
};

unsafe extern "C" {
    #[cfg(CONFIG_DEBUG_OBJECTS_WORK)]
    fn dw_object_is_on_stack(obj: *const c_void) -> bool;
    #[cfg(CONFIG_DEBUG_OBJECTS_WORK)]
    fn dw_delayed_work_destroy(dwork: *mut bindings::delayed_work);
}

/// Without debugobjects, where a work item lives does not matter (`__init_work` ignores it).
#[cfg(not(CONFIG_DEBUG_OBJECTS_WORK))]
unsafe fn dw_object_is_on_stack(_obj: *const c_void) -> bool {
    false
}

/// "Any CPU" for `queue_delayed_work_on`.
const WORK_CPU_UNBOUND: c_int = bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int;

/// Creates an [`OwnedWork`] initialiser with lock classes of its own, like `INIT_DELAYED_WORK`.
// Each module compiles this whole layer in but may not use every part of it.
#[allow(unused_macros)]
macro_rules! new_work {
    () => {
        $crate::kernel_ext::workqueue::OwnedWork::new(
            $crate::kernel_ext::sync::lock_class_name!(),
            [
                ::kernel::static_lock_class!(),
                ::kernel::static_lock_class!(),
            ],
        )
    };
}
#[allow(unused_imports)]
pub(crate) use new_work;

/// The `delayed_work` kind of [`Field`].
///
/// # Invariants
///
/// A work item is queued only on system queues and [`OwnedQueue`]s (never on a BH queue), and
/// on an [`OwnedQueue`] never with a delay (so it cannot reach a destroyed queue later).
pub struct DelayedWork;

// SAFETY: `disable_delayed_work_sync` cancels the work, waits for a running instance, and
// leaves it disabled: queueing it later fails, so its function neither runs nor will.
unsafe impl Kind for DelayedWork {
    type Raw = bindings::delayed_work;
    type State = ();

    #[inline]
    fn new_state() {}

    #[inline]
    unsafe fn stop(raw: *mut bindings::delayed_work, _state: &()) {
        // Cancelling may sleep: dropped in an atomic context, this reports it. (From the work's
        // own function, which would need the work to own itself, it would wait for ever; lockdep
        // reports that.)
        might_sleep();
        // SAFETY: `raw` is initialised (the caller's promise), which is all that
        // `disable_delayed_work_sync` needs.
        unsafe { bindings::disable_delayed_work_sync(raw) };
    }

    #[cfg(CONFIG_DEBUG_OBJECTS_WORK)]
    #[inline]
    unsafe fn destroy(raw: *mut bindings::delayed_work) {
        // SAFETY: Disabled and idle, unused from now on; forgets it in debugobjects if on the
        // stack.
        unsafe { dw_delayed_work_destroy(raw) };
    }
}

/// A work item (`struct delayed_work`), a field of the container `T` whose [`WorkCallback<ID>`]
/// it runs.
pub type OwnedWork<T, const ID: u64 = 0> = Field<DelayedWork, T, ID>;

/// What a container's [`OwnedWork`] does when it runs.
pub trait WorkCallback<const ID: u64 = 0>: Send + Sync + 'static {
    /// Runs in process context, on a kernel worker thread, with the work's container. May sleep.
    ///
    /// It may queue the work again. It must not cancel it (cancelling waits for it; lockdep
    /// reports the deadlock).
    fn run(this: &Self, ctx: &mut ProcessContext);
}

impl<T: WorkCallback<ID> + HasField<OwnedWork<T, ID>>, const ID: u64> OwnedWork<T, ID> {
    /// Creates an idle work item, with lock classes for its work and its timer. Prefer the
    /// [`new_work!`] macro.
    #[inline]
    pub fn new(name: &'static CStr, keys: [Pin<&'static LockClassKey>; 2]) -> impl PinInit<Self> {
        let init = move |slot: *mut bindings::delayed_work| {
            // SAFETY: `slot` is valid for writes and pinned; `name` and `keys` live forever.
            // This is `INIT_DELAYED_WORK`: the timer's function is the workqueue's own,
            // irqsafe. On the stack, debugobjects is told (and `destroy` forgets the work).
            unsafe {
                bindings::init_work_with_key(
                    &raw mut (*slot).work,
                    Some(run_callback::<T, ID>),
                    dw_object_is_on_stack(slot.cast()),
                    name.as_char_ptr(),
                    keys[0].as_ptr(),
                );
                dw_timer_init_key(
                    &raw mut (*slot).timer,
                    Some(bindings::delayed_work_timer_fn),
                    bindings::TIMER_IRQSAFE,
                    name.as_char_ptr(),
                    keys[1].as_ptr(),
                );
            }
        };
        // SAFETY: The closure initialises the work with `run_callback::<T, ID>`, which finds its
        // container with `HasField<OwnedWork<T, ID>>`.
        unsafe { Field::from_c_init(init) }
    }
}

impl<T, const ID: u64> OwnedWork<T, ID> {
    /// Cancels the work if it is queued (or waiting for its delay) and waits for a running
    /// instance to finish: `cancel_delayed_work_sync` in C. Returns whether it was queued. It
    /// may be queued again afterwards.
    #[inline]
    #[track_caller]
    pub fn cancel(&self, _ctx: &impl MaySleep) -> bool {
        might_sleep();
        // SAFETY: `raw` is initialised by the field's invariants; `_ctx` proves we may sleep.
        unsafe { bindings::cancel_delayed_work_sync(self.raw()) }
    }

    /// Runs the work now if it waits for its delay, then waits until it has finished:
    /// `flush_delayed_work` in C. Returns whether there was anything to wait for.
    #[inline]
    #[track_caller]
    pub fn flush(&self, _ctx: &impl MaySleep) -> bool {
        might_sleep();
        // SAFETY: `raw` is initialised by the field's invariants; `_ctx` proves we may sleep.
        unsafe { bindings::flush_delayed_work(self.raw()) }
    }
}

/// A container of an [`OwnedWork`]: queues it. Implemented by
/// [`impl_deferred_fields!`](super::deferred::impl_deferred_fields).
pub trait HasOwnedWork<const ID: u64 = 0>: HasField<OwnedWork<Self, ID>> {
    /// Queues the work on the system workqueue: `schedule_work` in C. Returns `false` if it was
    /// queued already (it then runs once), or the container has started to drop. Callable from
    /// any context.
    #[inline]
    fn queue(&self) -> bool {
        self.queue_after(0)
    }

    /// Queues the work on the system workqueue to run `delay` ticks from now:
    /// `schedule_delayed_work` in C. Returns `false` if it was queued already (its first delay
    /// stands). Callable from any context.
    #[inline]
    fn queue_after(&self, delay: Jiffies) -> bool {
        // INVARIANT: a system queue, never a BH one.
        // SAFETY: `system_percpu_wq` is a live, process-context workqueue for the kernel's
        // lifetime.
        unsafe {
            enqueue(
                self.field(),
                WORK_CPU_UNBOUND,
                bindings::system_percpu_wq,
                delay,
            )
        }
    }

    /// Queues the work to run now on `cpu`'s system worker: `schedule_work_on` in C. Fails with
    /// `EINVAL` if `cpu` is not online: a CPU that never came up has no worker, and the work would
    /// wait (and a `flush` with it) for ever. (One that goes offline meanwhile runs it elsewhere,
    /// as in C; hold CPU hotplug off to prevent that.)
    #[inline]
    fn queue_on_cpu(&self, cpu: CpuId) -> Result<bool> {
        if !cpu_online(cpu) {
            return Err(EINVAL);
        }
        // SAFETY: As in `queue_after`; `cpu` is a valid CPU number.
        Ok(unsafe {
            enqueue(
                self.field(),
                cpu.as_u32() as c_int,
                bindings::system_percpu_wq,
                0,
            )
        })
    }

    /// Queues the work on `queue`, to run now. Returns `false` if it was queued already.
    #[inline]
    fn queue_on(&self, queue: &OwnedQueue) -> bool {
        // INVARIANT: an `OwnedQueue` is never a BH queue; no delay, so nothing reaches the queue
        // after it has been drained and destroyed.
        // SAFETY: `queue` is live while borrowed, and destroying it runs everything queued on it.
        unsafe { enqueue(self.field(), WORK_CPU_UNBOUND, queue.raw.as_ptr(), 0) }
    }
}

impl<T: HasField<OwnedWork<T, ID>>, const ID: u64> HasOwnedWork<ID> for T {}

/// Queues `work`, whose function finds its container.
///
/// # Safety
///
/// `queue` must be a live workqueue that runs work in process context, and stay live until
/// the work has run (after `delay`) or been cancelled; `cpu` a valid CPU or
/// [`WORK_CPU_UNBOUND`]; `work` a field reached from its container.
#[inline]
unsafe fn enqueue<T, const ID: u64>(
    work: &OwnedWork<T, ID>,
    cpu: c_int,
    queue: *mut bindings::workqueue_struct,
    delay: Jiffies,
) -> bool {
    // SAFETY: `raw` is initialised by the field's invariants and stays valid until it has run or
    // been cancelled, which the container's drop waits for; the caller vouches for the rest.
    unsafe { bindings::queue_delayed_work_on(cpu, queue, work.raw(), delay) }
}

/// The C work function: finds the work's container and runs [`WorkCallback::run`].
///
/// # Safety
///
/// `ptr` is the `work` of the `delayed_work` of a live `T`'s `OwnedWork<T, ID>` field.
unsafe extern "C" fn run_callback<
    T: WorkCallback<ID> + HasField<OwnedWork<T, ID>>,
    const ID: u64,
>(
    ptr: *mut bindings::work_struct,
) {
    // SAFETY: Only `OwnedWork::<T, ID>::new` installs this function, on a field queued only
    // through its container `T` (`HasOwnedWork`), whose drop disables and waits for it before
    // any field drops: the `T` is alive. The `delayed_work` is the field's first field.
    let this = unsafe {
        let dwork = kernel::container_of!(ptr, bindings::delayed_work, work);
        T::container_of(dwork.cast())
    };
    // SAFETY: Work functions run in process context, on a worker thread; `ctx` is used only by
    // this run.
    let mut ctx = unsafe { ProcessContext::new() };
    T::run(this, &mut ctx);
}

/// A workqueue of one's own (`alloc_workqueue`), destroyed when dropped (`destroy_workqueue`:
/// runs what is queued, then frees it).
///
/// # Examples
///
/// ```
/// use kernel::prelude::*;
/// use kernel_ext::{context::ProcessContext, deferred::impl_deferred_fields,
///                  workqueue::{new_work, HasOwnedWork, OwnedQueue, OwnedWork, WorkCallback}};
///
/// #[pin_data(PinnedDrop)]
/// struct Step {
///     #[pin]
///     work: OwnedWork<Self>,
///     n: u32,
/// }
///
/// impl_deferred_fields! {
///     impl DeferredFields for Step {
///         work: OwnedWork,
///     }
/// }
///
/// impl WorkCallback for Step {
///     fn run(this: &Self, _ctx: &mut ProcessContext) {
///         pr_info!("step {}\n", this.n);
///     }
/// }
///
/// fn in_order(ctx: &ProcessContext) -> Result {
///     let queue = OwnedQueue::new_ordered(c"my_queue", ctx)?;
///     let first = KBox::pin_init(pin_init!(Step { work <- new_work!(), n: 1 }), GFP_KERNEL)?;
///     let second = KBox::pin_init(pin_init!(Step { work <- new_work!(), n: 2 }), GFP_KERNEL)?;
///     first.queue_on(&queue);
///     second.queue_on(&queue); // Runs after `first` has finished.
///     queue.flush(ctx);
///     Ok(())
/// }
/// # kernel_ext::context::in_process_context(|ctx| in_order(ctx))??;
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `raw` is a live workqueue allocated without `WQ_BH`, destroyed only in [`Drop`].
pub struct OwnedQueue {
    raw: NonNull<bindings::workqueue_struct>,
}

// SAFETY: Workqueues are designed to be used from any thread.
unsafe impl Send for OwnedQueue {}
// SAFETY: As above.
unsafe impl Sync for OwnedQueue {}

impl OwnedQueue {
    /// A single-threaded queue: its work runs one item at a time, in queueing order
    /// (`alloc_ordered_workqueue`; the old `create_singlethread_workqueue`).
    #[inline]
    #[track_caller]
    pub fn new_ordered(name: &CStr, ctx: &impl MaySleep) -> Result<Self> {
        Self::new(
            name,
            bindings::wq_flags_WQ_UNBOUND | bindings::wq_flags___WQ_ORDERED,
            1,
            ctx,
        )
    }

    /// A per-CPU queue: work runs on the CPU that queued it, up to `max_active` items at a time
    /// per CPU (`alloc_workqueue(name, WQ_PERCPU, max_active)`; the old `create_workqueue`).
    #[inline]
    #[track_caller]
    pub fn new_per_cpu(name: &CStr, max_active: u16, ctx: &impl MaySleep) -> Result<Self> {
        Self::new(name, bindings::wq_flags_WQ_PERCPU, max_active.into(), ctx)
    }

    /// `alloc_workqueue` allocates with `GFP_KERNEL`, and so may sleep: hence `_ctx`.
    #[inline]
    #[track_caller]
    fn new(
        name: &CStr,
        flags: bindings::wq_flags,
        max_active: c_int,
        _ctx: &impl MaySleep,
    ) -> Result<Self> {
        might_sleep();
        // INVARIANT: no `WQ_BH` in `flags`.
        // SAFETY: The format consumes `name`, a valid C string, which is copied.
        let raw = unsafe {
            bindings::alloc_workqueue_noprof(
                c"%s".as_char_ptr(),
                flags,
                max_active,
                name.as_char_ptr(),
            )
        };
        Ok(Self {
            raw: NonNull::new(raw).ok_or(ENOMEM)?,
        })
    }

    /// Waits until everything queued so far has run: `flush_workqueue` in C.
    #[inline]
    #[track_caller]
    pub fn flush(&self, _ctx: &impl MaySleep) {
        might_sleep();
        // SAFETY: `raw` is live by the type invariants; `_ctx` proves we may sleep.
        unsafe { bindings::__flush_workqueue(self.raw.as_ptr()) }
    }
}

impl Drop for OwnedQueue {
    #[inline]
    fn drop(&mut self) {
        // `destroy_workqueue` sleeps: dropped in an atomic context, this reports it.
        might_sleep();
        // SAFETY: `raw` is live and destroyed only here. Work queued on it has no delay (see
        // `HasOwnedWork::queue_on`), so draining it leaves nothing that could reach it later.
        unsafe { bindings::destroy_workqueue(self.raw.as_ptr()) }
    }
}

/// A function to run on every online CPU with [`schedule_on_each_cpu`].
pub trait OnEachCpu: 'static {
    /// Runs in process context, on a per-CPU kernel worker of each CPU in turn.
    fn run(ctx: &mut ProcessContext);
}

/// Runs `T::run` on every online CPU, each in that CPU's system worker, and waits for all of
/// them: what `schedule_on_each_cpu` does in C (which is not exported to modules).
///
/// # Examples
///
/// ```
/// use kernel::{cpu::CpuId, prelude::*};
/// use kernel_ext::{context::ProcessContext, workqueue::{schedule_on_each_cpu, OnEachCpu}};
///
/// struct Hello;
///
/// impl OnEachCpu for Hello {
///     fn run(_ctx: &mut ProcessContext) {
///         pr_info!("hello from cpu {}\n", CpuId::current().as_u32());
///     }
/// }
///
/// fn hello_everywhere(ctx: &ProcessContext) -> Result {
///     schedule_on_each_cpu::<Hello>(ctx)
/// }
/// # kernel_ext::context::in_process_context(|ctx| hello_everywhere(ctx))??;
/// # Ok::<(), Error>(())
/// ```
#[inline]
pub fn schedule_on_each_cpu<T: OnEachCpu>(ctx: &impl MaySleep) -> Result {
    /// A work item that runs `T::run`: a container of its own.
    #[pin_data(PinnedDrop)]
    struct OnCpu<T: OnEachCpu> {
        #[pin]
        work: OwnedWork<Self>,
        _t: PhantomData<T>,
    }

    // SAFETY: `work` is an `OwnedWork<Self>` at `OFFSET`, and the `PinnedDrop` below stops and
    // drains it before any field drops (what `impl_deferred_fields!` writes, for a generic type).
    unsafe impl<T: OnEachCpu> HasField<OwnedWork<Self>> for OnCpu<T> {
        const OFFSET: usize = core::mem::offset_of!(Self, work);

        #[inline]
        fn field(&self) -> &OwnedWork<Self> {
            &self.work
        }
    }

    #[pinned_drop]
    impl<T: OnEachCpu> PinnedDrop for OnCpu<T> {
        #[inline]
        fn drop(self: Pin<&mut Self>) {
            self.work.__stop();
            self.work.__drain();
        }
    }

    // SAFETY: `OnCpu` holds no data but its work item.
    unsafe impl<T: OnEachCpu> Send for OnCpu<T> {}
    // SAFETY: As above.
    unsafe impl<T: OnEachCpu> Sync for OnCpu<T> {}

    impl<T: OnEachCpu> WorkCallback for OnCpu<T> {
        #[inline]
        fn run(_this: &Self, ctx: &mut ProcessContext) {
            T::run(ctx);
        }
    }

    // No CPU comes or goes until all have run, as in C.
    let _hotplug = CpusReadLock::new(ctx);
    let mut works = KVec::new();
    // SAFETY: `nr_cpu_ids` is set at boot and read-only since.
    for cpu in 0..unsafe { bindings::nr_cpu_ids } {
        let cpu = CpuId::from_u32(cpu).ok_or(EINVAL)?;
        if cpu_online(cpu) {
            let work = KBox::pin_init(
                pin_init!(OnCpu::<T> {
                    work <- new_work!(),
                    _t: PhantomData,
                }),
                GFP_KERNEL,
            )?;
            work.queue_on_cpu(cpu)?;
            works.push(work, GFP_KERNEL)?;
        }
    }
    for on_cpu in &works {
        on_cpu.work.flush(ctx);
    }
    Ok(())
}

/// Whether `cpu` is online: `cpu_online` in C.
#[inline]
fn cpu_online(cpu: CpuId) -> bool {
    // SAFETY: `__cpu_online_mask` is the kernel's live mask of online CPUs.
    unsafe { Cpumask::from_raw(&raw const bindings::__cpu_online_mask) }.test(cpu)
}

/// CPU hotplug is held off while this lives: `cpus_read_lock` / `cpus_read_unlock`.
#[must_use = "CPU hotplug is allowed again as soon as the guard is dropped"]
struct CpusReadLock(NotThreadSafe);

impl CpusReadLock {
    #[inline]
    fn new(_ctx: &impl MaySleep) -> Self {
        might_sleep();
        // SAFETY: `_ctx` proves we may sleep, as `cpus_read_lock` may.
        unsafe { bindings::cpus_read_lock() };
        Self(NotThreadSafe)
    }
}

impl Drop for CpusReadLock {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: Pairs with the `cpus_read_lock` of `new`, on the same thread (not `Send`).
        unsafe { bindings::cpus_read_unlock() };
    }
}

/// Waits until a `kernel` crate [`Work`] item, if queued or running, has finished: `flush_work`
/// in C (which the `kernel` crate does not offer). Returns whether there was anything to wait for.
#[inline]
#[track_caller]
pub fn flush<T, const ID: u64>(work: &Work<T, ID>, _ctx: &impl MaySleep) -> bool {
    might_sleep();
    // SAFETY: `work` is a valid, initialised work item while borrowed; `_ctx` proves we may sleep.
    unsafe { bindings::flush_work(Work::raw_get(work)) }
}

#[cfg(dw_kunit)]
#[kunit_tests(kernel_ext_workqueue)]
mod tests {
    use super::*;
    use crate::kernel_ext::{
        testing::{process_context, Count},
        time::HZ,
    };
    use kernel::sync::atomic::Relaxed;

    #[test]
    fn work_runs_flushes_and_cancels() -> Result {
        let ctx = process_context();
        let (count, runs) = Count::new()?;
        let count = KBox::pin_init(count, GFP_KERNEL)?;
        assert!(count.queue());
        count.work.flush(&ctx);
        assert_eq!(runs.load(Relaxed), 1);
        assert!(count.queue_after(10 * HZ));
        assert!(count.work.cancel(&ctx));
        let queue = OwnedQueue::new_ordered(c"dw_kunit", &ctx)?;
        assert!(count.queue_on(&queue));
        drop(queue); // Destroying runs what is queued.
        assert_eq!(runs.load(Relaxed), 2);
        Ok(())
    }
}
