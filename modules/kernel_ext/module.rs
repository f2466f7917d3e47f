// SPDX-License-Identifier: GPL-2.0

//! Modules whose init and exit may sleep, and say so with a [`ProcessContext`].
//!
//! A module's init and exit functions run in process context: they may sleep, and lab modules
//! do (task 6 waits for its thread in exit). Implement [`ProcessModule`] and name
//! `InProcessContext<YourModule>` as the `type` of `module!`.
//!
//! # Examples
//!
//! ```
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
//!     fn init(_module: &'static ThisModule, ctx: &ProcessContext) -> Result<Self> {
//!         ctx.schedule_timeout_interruptible(HZ); // insmod takes a second.
//!         Ok(Sleepy)
//!     }
//! }
//! ```

use super::context::ProcessContext;
use kernel::prelude::*;

/// A module whose init and exit receive a [`ProcessContext`].
pub trait ProcessModule: Sized + Send + Sync {
    /// The module's init function.
    fn init(module: &'static ThisModule, ctx: &ProcessContext) -> Result<Self>;

    /// The module's exit function, before the module's fields are dropped.
    #[inline]
    fn exit(&mut self, _ctx: &ProcessContext) {}
}

/// The `kernel::Module` that runs a [`ProcessModule`]: name it as the `type` of `module!`.
pub struct InProcessContext<M: ProcessModule>(M);

impl<M: ProcessModule> kernel::Module for InProcessContext<M> {
    #[inline]
    fn init(module: &'static ThisModule) -> Result<Self> {
        // SAFETY: The kernel calls a module's init function from `do_init_module`, in process
        // context (this `init` is that function for the module naming this type in `module!`).
        let ctx = unsafe { ProcessContext::new() };
        Ok(Self(M::init(module, &ctx)?))
    }
}

impl<M: ProcessModule> Drop for InProcessContext<M> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: The module is dropped by its exit function, which the kernel calls from the
        // `delete_module` system call, in process context. (An instance only exists once the
        // module's init succeeded, and only the module's exit drops it.)
        let ctx = unsafe { ProcessContext::new() };
        self.0.exit(&ctx);
    }
}
