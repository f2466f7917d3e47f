// SPDX-License-Identifier: GPL-2.0

//! Kernel threads.
//!
//! C header: [`include/linux/kthread.h`](srctree/include/linux/kthread.h).
//!
//! [`KThread::run`] creates a kernel thread and wakes it (`kthread_run` in C); it runs
//! [`ThreadFn::run`] in process context. The thread shares its data `T` with its owner through
//! an [`Arc`], and holds a reference of its own while it runs. Dropping the [`KThread`] asks the
//! thread to stop and waits until it has exited (`kthread_stop`), so a module that owns one can
//! be unloaded without its code still running. A thread function that loops should check
//! [`KThreadContext::should_stop`].
//!
//! A thread cannot stop itself: `kthread_stop` would wait for its own exit forever. A
//! [`KThread`] dropped by its own thread (it reached it through its data) reports a `WARNING`
//! at the drop and lets the thread go on until its function returns, as a thread nobody stops.
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
//! ```

use super::context::{might_sleep, ProcessContext};
use core::{
    ops::{Deref, DerefMut},
    ptr::NonNull,
};
use kernel::{
    bindings, current,
    error::{code::EINTR, from_err_ptr},
    ffi::c_void,
    prelude::*,
    str::CStr,
    sync::{aref::ARef, Arc},
    task::Task,
};

/// What a kernel thread runs.
pub trait ThreadFn: Send + Sync + 'static {
    /// The thread's body, in process context. The thread exits when it returns.
    fn run(&self, ctx: &mut KThreadContext);
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
/// and a pointer to `*data` that owns one strong count of `data` (taken back by the thread
/// function when it starts, or by [`Drop`] if it never did), and is stopped with `kthread_stop`
/// only in [`Drop`].
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
        // The thread's own count of `data`: it keeps `T` alive while the thread function runs,
        // even if the `KThread` goes first (dropped by its own thread).
        let arg = Arc::into_raw(data.clone());
        // SAFETY: `thread_fn::<T>` takes over the count behind `arg`. The format consumes `name`.
        let task = from_err_ptr(unsafe {
            bindings::kthread_create_on_node(
                Some(Self::thread_fn),
                arg.cast_mut().cast(),
                bindings::NUMA_NO_NODE,
                c"%s".as_char_ptr(),
                name.as_char_ptr(),
            )
        })
        .inspect_err(|_| {
            // SAFETY: No thread was made: the count behind `arg` is still ours.
            drop(unsafe { Arc::from_raw(arg) });
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

    /// The C thread function. Returns 0: [`Drop`] tells from `kthread_stop`'s `-EINTR` that it
    /// never ran.
    ///
    /// # Safety
    ///
    /// `arg` must come from `Arc::<T>::into_raw`, and its count be handed over to this function.
    unsafe extern "C" fn thread_fn(arg: *mut c_void) -> c_int {
        // SAFETY: `KThread::run` hands over the count behind `arg`.
        let data = unsafe { Arc::<T>::from_raw(arg.cast::<T>()) };
        // INVARIANT: This is the thread `KThread::run` made.
        let mut ctx = KThreadContext {
            // SAFETY: A kernel thread's function runs in process context; `ctx` is used only by
            // this thread function.
            process: unsafe { ProcessContext::new() },
        };
        data.run(&mut ctx);
        0
    }
}

impl<T: ThreadFn> Drop for KThread<T> {
    #[inline]
    fn drop(&mut self) {
        if core::ptr::eq(current!().as_ptr(), self.task.as_ptr()) {
            // `kthread_stop` would wait for this very thread to exit. The thread function holds
            // its own count of `data`, so dropping ours frees nothing it uses.
            pr_err!("a KThread was dropped by its own thread, which cannot stop itself: it runs until its function returns\n");
            kernel::warn_on!(true);
            return;
        }
        // `kthread_stop` sleeps: dropped in an atomic context, this reports it.
        might_sleep();
        // SAFETY: `task` is our kernel thread, kept valid by our reference, and stopped only
        // here; it is not the current task (above). `kthread_stop` returns once the thread has
        // exited.
        let exit = unsafe { bindings::kthread_stop(self.task.as_ptr()) };
        if exit == EINTR.to_errno() {
            // Stopped before its function ran (`kthread()` checks `KTHREAD_SHOULD_STOP` first and
            // exits with `-EINTR`; `thread_fn` itself returns 0): the count `run` handed over
            // was never taken.
            // SAFETY: `data`'s pointer is the one `run` passed through `Arc::into_raw`, and the
            // thread that could have taken its count has exited without doing so.
            drop(unsafe { Arc::from_raw(&raw const *self.data) });
        }
    }
}
