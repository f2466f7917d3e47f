// SPDX-License-Identifier: GPL-2.0

//! The abstraction layer's KUnit tests (at the bottom of each `kernel_ext/` file, built here
//! only: `--cfg=dw_kunit`) and its documentation's examples (`doctests.rs`): loading this module
//! runs them.

use kernel::prelude::*;

#[path = "../kernel_ext/mod.rs"]
pub mod kernel_ext;
// The examples of the layer's documentation, run as KUnit test cases (suite
// `kernel_ext_doctests`): written by scripts/doctests.sh before each build.
mod doctests;

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
