// SPDX-License-Identifier: GPL-2.0

//! The abstraction layer's KUnit tests (`kernel_ext/kunit.rs`): loading this module runs them.

use kernel::prelude::*;

#[path = "../kernel_ext/mod.rs"]
pub mod kernel_ext;
#[path = "../kernel_ext/kunit.rs"]
mod kernel_ext_tests;

module! {
    type: KunitModule,
    name: "dw_kunit",
    authors: ["Deferred work lab in Rust"],
    description: "KUnit tests of the kernel_ext abstraction layer",
    license: "GPL",
}

struct KunitModule;

impl kernel::Module for KunitModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self)
    }
}
