// SPDX-License-Identifier: GPL-2.0

//! Lab task 7: `/dev/deferred` with the process monitor (the lab's final solution).
//!
//! The device itself is in `deferred_device.rs`, shared with the other `/dev/deferred` modules.

use deferred_device::{Alloc, DeviceModule, Features, LabTask};
use kernel::prelude::*;

mod deferred_device;
#[path = "../kernel_ext/mod.rs"]
mod kernel_ext;

module! {
    type: DeviceModule<Task7>,
    name: "dw_procmon",
    authors: ["Deferred work lab in Rust"],
    description: "Lab task 7: /dev/deferred with the process monitor (the lab's final solution)",
    license: "GPL",
}

/// Everything, with ALLOC through the work item and MON, the process monitor.
struct Task7;

impl LabTask for Task7 {
    const FEATURES: Features = Features {
        alloc: Alloc::FromWork,
        monitor: true,
    };
}
