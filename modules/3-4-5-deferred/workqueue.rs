// SPDX-License-Identifier: GPL-2.0

//! Lab task 5: `/dev/deferred`, whose ALLOC sleeps in a work item (the fix).
//!
//! The device itself is in `deferred_device.rs`, shared with the other `/dev/deferred` modules.

use deferred_device::{Alloc, DeviceModule, Features, LabTask};
use kernel::prelude::*;

mod deferred_device;
#[path = "../kernel_ext/mod.rs"]
mod kernel_ext;

module! {
    type: DeviceModule<Task5>,
    name: "dw_workqueue",
    authors: ["Deferred work lab in Rust"],
    description: "Lab task 5: /dev/deferred, whose ALLOC sleeps in a work item (the fix)",
    license: "GPL",
}

/// ALLOC queues a work item, which calls `alloc_io()` in process context.
struct Task5;

impl LabTask for Task5 {
    const FEATURES: Features = Features {
        alloc: Alloc::FromWork,
        monitor: false,
    };
}
