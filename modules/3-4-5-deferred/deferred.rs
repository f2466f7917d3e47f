// SPDX-License-Identifier: GPL-2.0

//! Lab tasks 3 and 4: `/dev/deferred`, whose ALLOC sleeps in the timer handler (the bug).
//!
//! The device itself is in `deferred_device.rs`, shared with the other `/dev/deferred` modules.

use deferred_device::{Alloc, DeviceModule, Features, LabTask};
use kernel::prelude::*;

mod deferred_device;
#[path = "../kernel_ext/mod.rs"]
mod kernel_ext;

module! {
    type: DeviceModule<Task4>,
    name: "dw_deferred",
    authors: ["Deferred work lab in Rust"],
    description: "Lab tasks 3 and 4: /dev/deferred, whose ALLOC sleeps in the timer handler (the bug)",
    license: "GPL",
}

/// SET and CANCEL (task 3); ALLOC calls `alloc_io()` from the timer handler, the bug (task 4).
struct Task4;

impl LabTask for Task4 {
    const FEATURES: Features = Features {
        alloc: Alloc::FromTimer,
        monitor: false,
    };
}
