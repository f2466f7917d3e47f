// SPDX-License-Identifier: GPL-2.0

//! Lab task 5: `/dev/deferred`, whose ALLOC sleeps in a work item (the fix).
//!
//! The device itself is in `deferred_device.rs`, shared with the other `/dev/deferred` modules.

use deferred_device::{Alloc, Deferred, Features};
use kernel::prelude::*;
use kernel_ext::miscdev::SharedMiscDevice;

pub mod deferred_device;
pub mod kernel_ext;

module! {
    type: WorkqueueModule,
    name: "dw_workqueue",
    authors: ["Deferred work lab in Rust"],
    description: "Lab task 5: /dev/deferred, whose ALLOC sleeps in a work item (the fix)",
    license: "GPL",
}

struct WorkqueueModule {
    _device: Pin<KBox<SharedMiscDevice<Deferred>>>,
}

impl kernel::Module for WorkqueueModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("[deferred_init] Init module\n");
        let features = Features {
            alloc: Alloc::FromWork,
            monitor: false,
        };
        Ok(Self {
            _device: Deferred::register(features)?,
        })
    }
}

impl Drop for WorkqueueModule {
    fn drop(&mut self) {
        pr_info!("[deferred_exit] Exit module\n");
        // Then the device drops: deregistered, its timer shut down, its work cancelled.
    }
}
