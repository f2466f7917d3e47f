// SPDX-License-Identifier: GPL-2.0

//! Kernel threads.
//!
//! C header: [`include/linux/kthread.h`](srctree/include/linux/kthread.h).
//!
//! [`KThread::run`] creates a kernel thread and wakes it (`kthread_run` in C); it runs
//! [`ThreadFn::run`] in process context. The thread shares its data `T` with its owner through
//! an [`Arc`]. Dropping the [`KThread`] asks the thread to stop and waits until it has exited
//! (`kthread_stop`), then drops its count of `T`, whether the thread returned, never ran, or
//! died in a panic; so a module that owns one can be unloaded without its code still running. A
//! thread function that loops should check [`KThreadContext::should_stop`].
//!
//! A thread cannot wait for itself: `kthread_stop` would wait for its own exit for ever. A
//! [`KThread`] dropped by its own thread (it reached it through its data) reports it (a line
//! and a `WARNING`) and asks the thread to stop without waiting: from then on its
//! [`should_stop`](KThreadContext::should_stop) is true, and the thread holds a reference to its
//! module until it has exited (`module_put_and_kthread_exit`), so the module cannot be unloaded
//! under it (`rmmod` fails with `EAGAIN` meanwhile).
//!
//! Kernel threads ignore signals, with one exception: `kthread_stop` sets a pending notify
//! signal and wakes the thread, so from then on every interruptible sleep of the thread returns
//! at once ([`WaitQueue::wait_interruptible`](super::wait::WaitQueue::wait_interruptible) with
//! `ERESTARTSYS`). A thread that waits interruptibly must therefore check
//! [`should_stop`](KThreadContext::should_stop) when its wait fails, or it spins and
//! `kthread_stop` never returns.
//!
//! # Examples
//!
//! ```
//! use kernel::{current, prelude::*, sync::Arc};
//! use kernel_ext::{context::ProcessContext, kthread::{KThread, KThreadContext, ThreadFn}};
//!
//! struct Ticker;
//!
//! impl ThreadFn for Ticker {
//!     fn run(&self, ctx: &mut KThreadContext) {
//!         pr_info!("running as pid {}\n", current!().pid());
//!         while !ctx.should_stop() {
//!             ctx.schedule_timeout_interruptible(100);
//!         }
//!     }
//! }
//!
//! fn start_and_stop(ctx: &ProcessContext) -> Result {
//!     let thread = KThread::run(c"ticker", Arc::new(Ticker, GFP_KERNEL)?, ctx)?;
//!     drop(thread); // Stops it and waits for it to exit.
//!     Ok(())
//! }
//! # kernel_ext::context::in_process_context(|ctx| start_and_stop(ctx))??;
//! # Ok::<(), Error>(())
//! ```

use super::context::{in_task, might_sleep, MaySleep, ProcessContext};
use core::{
    ops::{Deref, DerefMut},
    ptr::NonNull,
};
use kernel::{
    bindings, current,
    error::from_err_ptr,
    ffi::c_void,
    module::this_module,
    prelude::*,
    str::CStr,
    sync::{
        aref::ARef,
        atomic::{Acquire, Atomic, Release},
        Arc,
    },
    task::Task,
};

/// What a kernel thread runs.
pub trait ThreadFn: Send + Sync + 'static {
    /// The thread's body, in process context. The thread exits when it returns.
    fn run(&self, ctx: &mut KThreadContext);
}

/// What a thread and its [`KThread`] share: allocated by [`KThread::run`], freed by the
/// `KThread`'s drop once the thread has exited, or by the thread if the `KThread` was dropped on it.
struct Control<T> {
    data: Arc<T>,
    /// Set by a `KThread` that its own thread dropped: the block is then the thread's, and the
    /// thread holds a reference to its module.
    detached: Atomic<bool>,
}

/// Proof of running in a kernel thread made by [`KThread::run`]: process context, plus
/// [`should_stop`](KThreadContext::should_stop).
///
/// # Invariants
///
/// The current task is a kernel thread made by [`KThread::run`], and `detached` points to the
/// `detached` flag of its [`Control`] block, valid until the thread function returns (the context
/// is lent to it, and is not `Send`, through `process`).
pub struct KThreadContext {
    process: ProcessContext,
    detached: NonNull<Atomic<bool>>,
}

impl KThreadContext {
    /// Whether the thread's owner asked it to stop: `kthread_should_stop` in C, or its
    /// `KThread` was dropped by the thread itself.
    #[inline]
    pub fn should_stop(&self) -> bool {
        // SAFETY: `self` proves that the current task is a kernel thread.
        let stop = unsafe { bindings::kthread_should_stop() };
        // SAFETY: `detached` is valid by the type invariants.
        stop || unsafe { self.detached.as_ref() }.load(Acquire)
    }
}

impl Deref for KThreadContext {
    type Target = ProcessContext;

    #[inline]
    fn deref(&self) -> &ProcessContext {
        &self.process
    }
}

impl DerefMut for KThreadContext {
    #[inline]
    fn deref_mut(&mut self) -> &mut ProcessContext {
        &mut self.process
    }
}

/// A running kernel thread, stopped and waited for when dropped.
///
/// # Invariants
///
/// `task` is a kernel thread created by `kthread_create_on_node` with [`KThread::thread_fn::<T>`]
/// and `control`, a block from `KBox::into_raw` that this `KThread` owns: it is freed and the
/// thread stopped (`kthread_stop`) only in [`Drop`], which instead leaves both to the thread when
/// the thread itself drops its `KThread`.
pub struct KThread<T: ThreadFn> {
    task: ARef<Task>,
    control: NonNull<Control<T>>,
}

// SAFETY: `control` is owned like a `KBox<Control<T>>`, whose `Arc<T>` is `Send` (`T: Send +
// Sync`); `kthread_stop` may be called from any thread.
unsafe impl<T: ThreadFn> Send for KThread<T> {}
// SAFETY: `&KThread` gives only `&Task` and `&Arc<T>`, both `Sync`.
unsafe impl<T: ThreadFn> Sync for KThread<T> {}

impl<T: ThreadFn> KThread<T> {
    /// Creates a kernel thread named `name` (at most 15 bytes show) running `data.run()`, and
    /// starts it: `kthread_run` in C. Creating a thread sleeps (it waits for `kthreadd`).
    #[inline]
    #[track_caller]
    pub fn run(name: &CStr, data: Arc<T>, _ctx: &impl MaySleep) -> Result<Self> {
        might_sleep();
        let control = KBox::into_raw(KBox::new(
            Control {
                data,
                detached: Atomic::new(false),
            },
            GFP_KERNEL,
        )?);
        // SAFETY: `thread_fn::<T>` gets `control`, which stays valid while the thread runs (it is
        // freed after the thread has exited, or by the thread). The format consumes `name`.
        let task = from_err_ptr(unsafe {
            bindings::kthread_create_on_node(
                Some(Self::thread_fn),
                control.cast(),
                bindings::NUMA_NO_NODE,
                c"%s".as_char_ptr(),
                name.as_char_ptr(),
            )
        })
        .inspect_err(|_| {
            // SAFETY: No thread runs `thread_fn` on `control` (`kthread()` never calls the
            // function of a thread whose creation failed): it is still ours.
            drop(unsafe { KBox::from_raw(control) });
        })?;
        // SAFETY: `task` is a new, valid task; we take our own reference to it, so that it stays
        // valid for `kthread_stop` even if the thread exits before.
        let task = unsafe {
            bindings::get_task_struct(task);
            ARef::from_raw(NonNull::new_unchecked(task).cast::<Task>())
        };
        // SAFETY: `task` is a valid, newly created task, not yet woken.
        unsafe { bindings::wake_up_process(task.as_ptr()) };
        // INVARIANT: `task` runs `thread_fn::<T>` on `control`, which is ours.
        Ok(Self {
            task,
            // SAFETY: `KBox::into_raw` returns a non-null pointer.
            control: unsafe { NonNull::new_unchecked(control) },
        })
    }

    /// The thread's task.
    #[inline]
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// The data the thread shares with its owner.
    #[inline]
    pub fn data(&self) -> &Arc<T> {
        // SAFETY: `control` is ours and valid by the type invariants.
        unsafe { &self.control.as_ref().data }
    }

    /// The C thread function.
    ///
    /// # Safety
    ///
    /// `arg` must be the control block of a [`KThread`] that runs this thread, valid until this
    /// function returns.
    unsafe extern "C" fn thread_fn(arg: *mut c_void) -> c_int {
        let control = arg.cast::<Control<T>>();
        // SAFETY: `arg` is valid by the function's safety requirements.
        let (data, detached) = unsafe { (&(*control).data, &(*control).detached) };
        // INVARIANT: This is the thread `KThread::run` made, and `detached` is its flag.
        let mut ctx = KThreadContext {
            // SAFETY: A kernel thread's function runs in process context; `ctx` is used only by
            // this thread function.
            process: unsafe { ProcessContext::new() },
            detached: NonNull::from(detached),
        };
        data.run(&mut ctx);
        if detached.load(Acquire) {
            // SAFETY: The `KThread` was dropped by this thread, and left the block to it.
            drop(unsafe { KBox::from_raw(control) });
            // SAFETY: That drop took a reference to this module for the thread. This does not
            // return: nothing of the module runs after the reference is put.
            unsafe {
                bindings::__module_put_and_kthread_exit(
                    this_module::<crate::LocalModule>().as_ptr(),
                    0,
                )
            };
        }
        0
    }
}

impl<T: ThreadFn> Drop for KThread<T> {
    #[inline]
    fn drop(&mut self) {
        if in_task() && core::ptr::eq(current!().as_ptr(), self.task.as_ptr()) {
            pr_err!("a KThread was dropped by its own thread, which cannot wait for itself: it is asked to stop, not waited for\n");
            kernel::warn_on!(true);
            // SAFETY: This module is loaded: its code runs. The reference is the thread's, put
            // as it exits (`thread_fn`).
            unsafe { bindings::__module_get(this_module::<crate::LocalModule>().as_ptr()) };
            // INVARIANT: The block and the thread are the thread's from now on.
            // SAFETY: `control` is valid: its thread runs (it is the current task).
            unsafe { self.control.as_ref() }
                .detached
                .store(true, Release);
            return;
        }
        // `kthread_stop` sleeps: dropped in an atomic context, this reports it.
        might_sleep();
        // SAFETY: `task` is our kernel thread, kept valid by our reference, and stopped only
        // here; it is not the current task (above). `kthread_stop` returns once the thread has
        // exited, or at once if it has.
        unsafe { bindings::kthread_stop(self.task.as_ptr()) };
        // SAFETY: `control` is ours, and its thread has exited: it returned from `thread_fn`,
        // never ran it (stopped first), or died in it (a panic); no frame of it is left to use
        // the block. Its `Arc<T>` goes with it.
        drop(unsafe { KBox::from_raw(self.control.as_ptr()) });
    }
}

#[cfg(dw_kunit)]
#[kunit_tests(kernel_ext_kthread)]
mod tests {
    use super::*;
    use crate::kernel_ext::{
        task::TaskExt,
        testing::{process_context, sleep_ms, Flag},
    };
    use kernel::sync::atomic::Relaxed;

    /// Counts its drops.
    struct Dropped;

    static DROPPED: Atomic<u32> = Atomic::new(0);

    impl Drop for Dropped {
        fn drop(&mut self) {
            DROPPED.fetch_add(1, Relaxed);
        }
    }

    impl ThreadFn for Dropped {
        fn run(&self, _ctx: &mut KThreadContext) {}
    }

    #[test]
    fn kthread_data_is_dropped_whether_or_not_the_thread_ran() -> Result {
        let ctx = process_context();
        // Stopped at once, a thread may not have run its function yet (`kthread()` then exits
        // without calling it): the data goes all the same, with the `KThread`'s control block.
        for _ in 0..10 {
            drop(KThread::run(
                c"dw_kunit_quick",
                Arc::new(Dropped, GFP_KERNEL)?,
                &ctx,
            )?);
        }
        assert_eq!(DROPPED.load(Relaxed), 10);
        Ok(())
    }

    #[test]
    fn kthread_wakes_on_its_wait_queue_and_stops_on_drop() -> Result {
        let flag = Arc::pin_init(Flag::new(), GFP_KERNEL)?;
        let thread = KThread::run(c"dw_kunit_thread", flag.clone(), &process_context())?;
        assert_eq!(thread.task().comm().as_bytes(), b"dw_kunit_thread");
        sleep_ms(50);
        assert_eq!(flag.ran.load(Acquire), 1);
        flag.set.store(true, Release);
        flag.queue.wake_up_interruptible();
        drop(thread); // Waits for the exit.
        assert_eq!(flag.ran.load(Acquire), 1);
        Ok(())
    }

    #[test]
    fn kthread_stop_ends_an_interruptible_wait() -> Result {
        let flag = Arc::pin_init(Flag::new(), GFP_KERNEL)?;
        let thread = KThread::run(c"dw_kunit_stop", flag.clone(), &process_context())?;
        sleep_ms(50);
        // Nobody sets `set`: only `kthread_stop` can end the wait.
        drop(thread);
        assert_eq!(flag.ran.load(Acquire), 2);
        Ok(())
    }
}
