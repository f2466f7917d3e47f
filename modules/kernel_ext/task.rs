// SPDX-License-Identifier: GPL-2.0

//! What the `kernel` crate's [`Task`] lacks for the lab: lookup by pid, `comm`, and the
//! scheduler state.
//!
//! C headers: [`include/linux/sched.h`](srctree/include/linux/sched.h),
//! [`include/linux/pid.h`](srctree/include/linux/pid.h).
//!
//! # Examples
//!
//! ```
//! use kernel::{prelude::*, current};
//! use kernel_ext::{context::ProcessContext, task::{find_task, TaskExt}};
//!
//! fn report(ctx: &ProcessContext) {
//!     let me = current!();
//!     pr_info!("pid = {}, comm = {}\n", me.pid(), me.comm());
//!     if let Some(init) = find_task(1, ctx) {
//!         pr_info!("{} is {}\n", init.pid(), if init.is_dead() { "dead" } else { "alive" });
//!     } // Dropping the `ARef<Task>` drops the task reference (`put_task_struct`).
//! }
//! # kernel_ext::context::in_process_context(|ctx| report(ctx))?;
//! # Ok::<(), Error>(())
//! ```

use super::context::InTask;
use core::ptr::NonNull;
use kernel::{
    bindings, fmt,
    str::BStr,
    sync::aref::ARef,
    task::{Pid, Task},
};

/// Finds the task with the given pid (in the caller's pid namespace) and takes a reference to
/// it, like `get_pid_task(find_get_pid(pid), PIDTYPE_PID)` in C. Returns `None` if there is none.
///
/// A pid means something only in the namespace of the task that asks, so the lookup is a
/// process-context operation: `ctx` proves there is such a task. In a timer or tasklet callback
/// `current` is whichever task was interrupted, perhaps one that is exiting and has no pid any
/// more, whose namespace `find_get_pid` would dereference (a null pointer: an Oops in softirq,
/// which panics the kernel). There, look the task up beforehand and keep the reference.
#[inline]
pub fn find_task(pid: Pid, _ctx: &impl InTask) -> Option<ARef<Task>> {
    // SAFETY: `find_get_pid` takes any number and returns a counted `struct pid` or null. It
    // looks in `current`'s pid namespace, which `_ctx` proves is a task that runs its own code in
    // process context, so is not past `exit_notify` (where its pid is detached).
    let pid_ref = unsafe { bindings::find_get_pid(pid) };
    if pid_ref.is_null() {
        return None;
    }
    // SAFETY: `pid_ref` is a valid, counted `struct pid`; `get_pid_task` returns a task with its
    // usage count raised, or null if the pid has no task any more.
    let task = unsafe { bindings::get_pid_task(pid_ref, bindings::pid_type_PIDTYPE_PID) };
    // SAFETY: We own the reference `find_get_pid` took.
    unsafe { bindings::put_pid(pid_ref) };
    // SAFETY: `Task` is a transparent wrapper of `task_struct`, and the count `get_pid_task`
    // took is handed over to the `ARef`, which drops it with `put_task_struct`.
    NonNull::new(task).map(|t| unsafe { ARef::from_raw(t.cast::<Task>()) })
}

/// A task's command name (`comm`), at most 15 bytes.
#[derive(Clone, Copy)]
pub struct Comm {
    bytes: [u8; bindings::TASK_COMM_LEN as usize],
}

impl Comm {
    /// The name's bytes, without the terminating NUL.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        let len = self
            .bytes
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.bytes.len());
        &self.bytes[..len]
    }
}

impl fmt::Display for Comm {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(BStr::from_bytes(self.as_bytes()), f)
    }
}

/// What [`Task`] lacks for the lab.
pub trait TaskExt {
    /// A copy of the task's command name: `get_task_comm` in C.
    fn comm(&self) -> Comm;

    /// Whether the task has exited for good: its state is `TASK_DEAD` (it may still be a zombie
    /// waiting for its parent).
    fn is_dead(&self) -> bool;
}

impl TaskExt for Task {
    #[inline]
    fn comm(&self) -> Comm {
        let mut comm = Comm {
            bytes: [0; bindings::TASK_COMM_LEN as usize],
        };
        let src = self.as_ptr();
        for (i, byte) in comm.bytes.iter_mut().enumerate() {
            // SAFETY: `src` is a live task (we hold a reference, or it is `current`), and `i` is
            // within its `comm` array.
            let at = unsafe { (&raw const (*src).comm).cast::<u8>().add(i) };
            // SAFETY: `at` is a byte of a live task's `comm`. It may be renamed concurrently:
            // like C's `get_task_comm`, we copy without a lock, with volatile reads.
            *byte = unsafe { core::ptr::read_volatile(at) };
        }
        // The last byte is always the terminator, even if we saw a rename half-way.
        comm.bytes[comm.bytes.len() - 1] = 0;
        comm
    }

    #[inline]
    fn is_dead(&self) -> bool {
        // SAFETY: `self` is a live task. `__state` changes under the task's feet: read it once,
        // like C's `READ_ONCE(task->__state)`.
        let state = unsafe { core::ptr::read_volatile(&raw const (*self.as_ptr()).__state) };
        state == bindings::TASK_DEAD
    }
}

#[cfg(dw_kunit)]
#[kernel::macros::kunit_tests(kernel_ext_task)]
mod tests {
    use super::*;
    use crate::kernel_ext::testing::process_context;
    use kernel::current;

    /// The task's reference count (`usage`).
    fn usage(task: &Task) -> i32 {
        // SAFETY: `task` is live; `usage` is its `refcount_t`, read once.
        unsafe { core::ptr::read_volatile(&raw const (*task.as_ptr()).usage.refs.counter) }
    }

    #[test]
    fn find_task_takes_and_drops_one_reference() {
        let ctx = process_context();
        let me = current!();
        let before = usage(me);
        let found = find_task(me.pid(), &ctx);
        assert!(found.as_deref().is_some_and(|t| t.as_ptr() == me.as_ptr()));
        assert_eq!(usage(me), before + 1);
        drop(found);
        assert_eq!(usage(me), before);
        assert!(find_task(-1, &ctx).is_none());
        // The idle task has no pid entry.
        assert!(find_task(0, &ctx).is_none());
        assert!(!me.is_dead());
        assert!(!me.comm().as_bytes().is_empty());
    }
}
