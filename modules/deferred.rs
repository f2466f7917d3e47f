// SPDX-License-Identifier: GPL-2.0

//! Lab tasks 3 and 4: `/dev/deferred`, whose ALLOC sleeps in the timer handler (the bug).
//!
//! The device itself is in `deferred_device.rs`, shared with the other `/dev/deferred` modules.

use deferred_device::{Alloc, Deferred, Features};
use kernel::prelude::*;
use kernel_ext::miscdev::SharedMiscDevice;

pub mod deferred_device;
pub mod kernel_ext;

module! {
    type: DeferredModule,
    name: "dw_deferred",
    authors: ["Deferred work lab in Rust"],
    description: "Lab tasks 3 and 4: /dev/deferred, whose ALLOC sleeps in the timer handler (the bug)",
    license: "GPL",
}

struct DeferredModule {
    _device: Pin<KBox<SharedMiscDevice<Deferred>>>,
}

impl kernel::Module for DeferredModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("[deferred_init] Init module\n");
        let features = Features {
            alloc: Alloc::FromTimer,
            monitor: false,
        };
        Ok(Self {
            _device: Deferred::register(features)?,
        })
    }
}

impl Drop for DeferredModule {
    fn drop(&mut self) {
        pr_info!("[deferred_exit] Exit module\n");
        // Then the device drops: deregistered, its timer shut down, its work cancelled.
    }
}
