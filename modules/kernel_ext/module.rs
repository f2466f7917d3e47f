// SPDX-License-Identifier: GPL-2.0

//! Modules whose init and exit may sleep, and say so with a [`ProcessContext`].
//!
//! A module's init and exit functions run in process context: they may sleep, and lab modules
//! do (task 6 waits for its thread in exit). Implement [`ProcessModule`] and name
//! `InProcessContext<YourModule>` as the `type` of `module!`.
//!
//! `kernel::Module::init` is a safe function, which any code could call, in any context; so
//! [`InProcessContext`] checks that the context may sleep before it hands out a
//! [`ProcessContext`] (init fails with `EPERM` otherwise), and its drop runs
//! [`ProcessModule::exit`] only where it may sleep. An init or exit that returns with an atomic
//! section still open (a guard passed to `mem::forget`) is reported as it returns, by name.
//!
//! # Examples
//!
//! ```no_run
//! use kernel::prelude::*;
//! use kernel_ext::{context::ProcessContext, module::{InProcessContext, ProcessModule}, time::HZ};
//!
//! module! {
//!     type: InProcessContext<Sleepy>,
//!     name: "sleepy",
//!     license: "GPL",
//! }
//!
//! struct Sleepy;
//!
//! impl ProcessModule for Sleepy {
//!     fn init(_module: &'static ThisModule, ctx: &mut ProcessContext) -> Result<Self> {
//!         ctx.schedule_timeout_interruptible(HZ); // insmod takes a second.
//!         Ok(Sleepy)
//!     }
//! }
//! ```

use super::context::{returns_balanced, ProcessContext};
use kernel::{prelude::*, sync::atomic::Atomic};

// `module!` keeps the address of `init_module` in `.init.data` as an immutable `static`, so
// rustc marks the section read-only where C's `__initdata` is writable. The loader then gives
// the module an init read-only region and makes it read-only in a `set_memory_ro` of its own
// (page attributes, `vm_unmap_aliases`): about 18,000 more instructions a load
// (docs/benchmark.md). One writable byte in the section gives it C's flags, and the loader C's
// work. `used(compiler)`, as `module!`'s: plain `used` would also mark the section
// `SHF_GNU_RETAIN`, the bit the loader reads as `SHF_RO_AFTER_INIT` (a `WARNING` and the
// section skipped).
#[used(compiler)]
#[link_section = ".init.data"]
static INIT_DATA_IS_WRITABLE: Atomic<i8> = Atomic::new(0);

/// A module whose init and exit receive a [`ProcessContext`].
pub trait ProcessModule: Sized + Send + Sync {
    /// The module's init function.
    fn init(module: &'static ThisModule, ctx: &mut ProcessContext) -> Result<Self>;

    /// The module's exit function, before the module's fields are dropped.
    #[inline]
    fn exit(&mut self, _ctx: &mut ProcessContext) {}
}

/// The `kernel::Module` that runs a [`ProcessModule`]: name it as the `type` of `module!`.
pub struct InProcessContext<M: ProcessModule>(M);

impl<M: ProcessModule> kernel::Module for InProcessContext<M> {
    #[inline]
    fn init(module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Checked: the kernel calls a module's init from `do_init_module`, in process
        // context, but safe code may call this anywhere. `ctx` is used only by this call.
        let Some(mut ctx) = (unsafe { ProcessContext::new_checked() }) else {
            pr_err!("a module's init was called where it may not sleep: refused\n");
            return Err(EPERM);
        };
        let init = returns_balanced(format_args!("the module's init"), || {
            M::init(module, &mut ctx)
        });
        Ok(Self(init?))
    }
}

impl<M: ProcessModule> Drop for InProcessContext<M> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: Checked: the kernel drops the module from its exit function, in process
        // context (`delete_module`), but safe code may drop it anywhere. `ctx` is used only by
        // this call.
        match unsafe { ProcessContext::new_checked() } {
            Some(mut ctx) => {
                returns_balanced(format_args!("the module's exit"), || self.0.exit(&mut ctx));
            }
            None => pr_err!("a module was dropped where it may not sleep: its exit skipped\n"),
        }
    }
}

#[cfg(dw_kunit)]
#[kunit_tests(kernel_ext_module)]
mod tests {
    use super::*;
    use crate::kernel_ext::{bh::local_bh_disable, testing::process_context};
    use kernel::{bindings, current, sync::atomic::Relaxed};

    /// Counts its inits and exits.
    struct Probe;

    static PROBE_INITS: Atomic<u32> = Atomic::new(0);
    static PROBE_EXITS: Atomic<u32> = Atomic::new(0);

    impl ProcessModule for Probe {
        fn init(_module: &'static ThisModule, _ctx: &mut ProcessContext) -> Result<Self> {
            PROBE_INITS.fetch_add(1, Relaxed);
            Ok(Probe)
        }

        fn exit(&mut self, _ctx: &mut ProcessContext) {
            PROBE_EXITS.fetch_add(1, Relaxed);
        }
    }

    /// `__set_current_state(state)` in C.
    fn set_current_state(state: u32) {
        // SAFETY: The current task is live, and only it sets its own state. It does not sleep
        // before setting it back to `TASK_RUNNING`, and is on no wait queue, so no wake-up is
        // lost (a preemption meanwhile keeps it runnable).
        unsafe {
            core::ptr::write_volatile(&raw mut (*current!().as_ptr()).__state, state);
        }
    }

    #[test]
    fn process_module_refuses_atomic_context() -> Result {
        use kernel::Module;
        let mut ctx = process_context();
        let module: &'static ThisModule =
            &<crate::LocalModule as kernel::ModuleMetadata>::THIS_MODULE;
        // With bottom halves off, as in a timer callback: no context is handed out.
        let refused = {
            let _bh = local_bh_disable(&mut ctx);
            InProcessContext::<Probe>::init(module).err()
        };
        assert_eq!(refused, Some(EPERM));
        // With the task marked as going to sleep, as between a wait's preparation and its
        // `schedule()`, where a sleep would lose the wake-up: refused too.
        let refused = {
            set_current_state(bindings::TASK_UNINTERRUPTIBLE);
            let refused = InProcessContext::<Probe>::init(module).err();
            set_current_state(bindings::TASK_RUNNING);
            refused
        };
        assert_eq!(refused, Some(EPERM));
        assert_eq!(PROBE_INITS.load(Relaxed), 0);
        // In process context it runs; dropped with bottom halves off, its exit is skipped.
        let probe = InProcessContext::<Probe>::init(module)?;
        assert_eq!(PROBE_INITS.load(Relaxed), 1);
        {
            let _bh = local_bh_disable(&mut ctx);
            drop(probe);
        }
        assert_eq!(PROBE_EXITS.load(Relaxed), 0);
        drop(InProcessContext::<Probe>::init(module)?);
        assert_eq!(PROBE_EXITS.load(Relaxed), 1);
        Ok(())
    }
}
