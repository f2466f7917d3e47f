// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions for deferred work that the `kernel` crate does not have (yet).
//!
//! This is the project's one unsafe layer. Every module compiles it in with
//! `#[path = "../kernel_ext/mod.rs"] mod kernel_ext;` (in the student tree, where the layer is
//! `kernel_ext.rs` beside the skeletons, with `mod kernel_ext;`) and uses only its safe API,
//! next to the `kernel` crate's own abstractions (workqueue, miscdevice, sync, task, time),
//! which it does not duplicate.
//!
//! A module uses part of this library. Private (`mod`, not `pub mod`), the rest is dead code
//! that the compiler leaves out of the module's `.ko`, so it is allowed here; `pub` would keep
//! all of it in every `.ko` (a `pub` item of a crate root is exported). `dw_kunit`, which tests
//! all of it, includes it with `pub mod` for the documentation.
//!
//! Each file's KUnit tests are at its bottom (`#[kunit_tests(kernel_ext_<file>)]`, as upstream),
//! compiled only into `dw_kunit`: `modules/Kbuild` sets `--cfg=dw_kunit` for that crate alone.
#![allow(dead_code, unreachable_pub)]

pub mod bh;
pub mod completion;
pub mod context;
pub mod deferred;
pub mod kthread;
pub mod miscdev;
pub mod module;
pub mod sync;
pub mod task;
pub mod tasklet;
#[cfg(dw_kunit)]
mod testing;
pub mod time;
pub mod timer;
pub mod wait;
pub mod workqueue;
