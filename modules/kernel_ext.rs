// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions for deferred work that the `kernel` crate does not have (yet).
//!
//! This is the project's one unsafe layer. Every lab module compiles it in with
//! `pub mod kernel_ext;` and uses only its safe API, next to the `kernel` crate's own
//! abstractions (workqueue, miscdevice, sync, task, time), which it does not duplicate.

pub mod bh;
pub mod completion;
pub mod context;
pub mod kthread;
pub mod miscdev;
pub mod module;
pub mod sync;
pub mod task;
pub mod tasklet;
pub mod time;
pub mod timer;
pub mod wait;
pub mod workqueue;
