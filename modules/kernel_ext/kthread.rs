// SPDX-License-Identifier: GPL-2.0

//! Kernel threads.
//!
//! C header: [`include/linux/kthread.h`](srctree/include/linux/kthread.h).
//!
//! [`KThread::run`] creates a kernel thread and wakes it (`kthread_run` in C); it runs
//! [`ThreadFn::run`] in process context. The thread shares its data `T` with its owner through
//! an [`Arc`]. Dropping the [`KThread`] asks the thread to stop and waits until it has exited
//! (`kthread_stop`), so a module that owns one can be unloaded without its code still running.
//! A thread function that loops should check [`KThreadContext::should_stop`].
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
//!     fn run(&self, ctx: &mut KThreadContext) -> i32 {
//!         pr_info!("running as pid {}\n", current!().pid());
//!         while !ctx.should_stop() {
//!             ctx.schedule_timeout_interruptible(100);
//!         }
//!         0
//!     }
//! }
//!
//! fn start_and_stop(ctx: &ProcessContext) -> Result {
//!     let thread = KThread::run(c"ticker", Arc::new(Ticker, GFP_KERNEL)?, ctx)?;
//!     drop(thread); // Stops it and waits for it to exit.
//!     Ok(())
//! }
//! ```

use super::context::{might_sleep, ProcessContext};
use core::{
    ops::{Deref, DerefMut},
    ptr::NonNull,
};
use kernel::{
    bindings,
    error::from_err_ptr,
    ffi::c_void,
    prelude::*,
    str::CStr,
    sync::{aref::ARef, Arc},
    task::Task,
};

/// What a kernel thread runs.
pub trait ThreadFn: Send + Sync + 'static {
    /// The thread's body, in process context. Its return value is the thread's exit code.
    fn run(&self, ctx: &mut KThreadContext) -> i32;
}

/// Proof of running in a kernel thread made by [`KThread::run`]: process context, plus
/// [`should_stop`](KThreadContext::should_stop).
///
/// # Invariants
///
/// The current task is a kernel thread made by [`KThread::run`] (and the context is not `Send`,
/// through `process`).
pub struct KThreadContext {
    process: ProcessContext,
}

impl KThreadContext {
    /// Whether the thread's owner asked it to stop: `kthread_should_stop` in C.
    #[inline]
    pub fn should_stop(&self) -> bool {
        // SAFETY: `self` proves that the current task is a kernel thread.
        unsafe { bindings::kthread_should_stop() }
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
/// and a pointer to `*data`, and is stopped with `kthread_stop` only in [`Drop`].
pub struct KThread<T: ThreadFn> {
    task: ARef<Task>,
    data: Arc<T>,
}

impl<T: ThreadFn> KThread<T> {
    /// Creates a kernel thread named `name` (at most 15 bytes show) running `data.run()`, and
    /// starts it: `kthread_run` in C. Creating a thread sleeps (it waits for `kthreadd`).
    #[inline]
    #[track_caller]
    pub fn run(name: &CStr, data: Arc<T>, _ctx: &ProcessContext) -> Result<Self> {
        might_sleep();
        let arg: *const T = &*data;
        // SAFETY: `thread_fn::<T>` takes `arg` as a `&T`, which stays valid until the thread has
        // exited: `Drop` waits for that before dropping `data`. The format consumes `name`.
        let task = from_err_ptr(unsafe {
            bindings::kthread_create_on_node(
                Some(Self::thread_fn),
                arg.cast_mut().cast(),
                bindings::NUMA_NO_NODE,
                c"%s".as_char_ptr(),
                name.as_char_ptr(),
            )
        })?;
        // SAFETY: `task` is a new, valid task; we take our own reference to it, so that it stays
        // valid for `kthread_stop` even if the thread exits before.
        let task = unsafe {
            bindings::get_task_struct(task);
            ARef::from_raw(NonNull::new_unchecked(task).cast::<Task>())
        };
        // SAFETY: `task` is a valid, newly created task, not yet woken.
        unsafe { bindings::wake_up_process(task.as_ptr()) };
        // INVARIANT: `task` runs `thread_fn::<T>` on `data`.
        Ok(Self { task, data })
    }

    /// The thread's task.
    #[inline]
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// The data the thread shares with its owner.
    #[inline]
    pub fn data(&self) -> &Arc<T> {
        &self.data
    }

    /// The C thread function.
    ///
    /// # Safety
    ///
    /// `arg` must point to a `T` that stays valid until the thread exits.
    unsafe extern "C" fn thread_fn(arg: *mut c_void) -> c_int {
        // SAFETY: `KThread::run` passes a pointer to its `data`, which outlives the thread.
        let data = unsafe { &*arg.cast::<T>() };
        // INVARIANT: This is the thread `KThread::run` made.
        let mut ctx = KThreadContext {
            // SAFETY: A kernel thread's function runs in process context; `ctx` is used only by
            // this thread function.
            process: unsafe { ProcessContext::new() },
        };
        data.run(&mut ctx)
    }
}

impl<T: ThreadFn> Drop for KThread<T> {
    #[inline]
    fn drop(&mut self) {
        // `kthread_stop` sleeps: dropped in an atomic context, this reports it.
        might_sleep();
        // SAFETY: `task` is our kernel thread, kept valid by our reference, and stopped only
        // here. `kthread_stop` returns once the thread has exited (if it never ran, its function
        // is never called).
        unsafe { bindings::kthread_stop(self.task.as_ptr()) };
    }
}
