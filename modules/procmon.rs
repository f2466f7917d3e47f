// SPDX-License-Identifier: GPL-2.0

//! Lab task 7: `/dev/deferred` with the process monitor (the lab's final solution).
//!
//! The device itself is in `deferred_device.rs`, shared with the other `/dev/deferred` modules.

use deferred_device::{Alloc, Deferred, Features};
use kernel::prelude::*;
use kernel_ext::miscdev::SharedMiscDevice;

pub mod deferred_device;
pub mod kernel_ext;

module! {
    type: ProcmonModule,
    name: "dw_procmon",
    authors: ["Deferred work lab in Rust"],
    description: "Lab task 7: /dev/deferred with the process monitor (the lab's final solution)",
    license: "GPL",
}

struct ProcmonModule {
    _device: Pin<KBox<SharedMiscDevice<Deferred>>>,
}

impl kernel::Module for ProcmonModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("[deferred_init] Init module\n");
        let features = Features {
            alloc: Alloc::FromWork,
            monitor: true,
        };
        Ok(Self {
            _device: Deferred::register(features)?,
        })
    }
}

impl Drop for ProcmonModule {
    fn drop(&mut self) {
        pr_info!("[deferred_exit] Exit module\n");
        // Then the device drops: deregistered, its timer shut down, its work cancelled.
    }
}
