//! The boot-and-check harness, in phases: select the scenarios (`scenarios`), run them in QEMU
//! guests (`run`, with the guest script of `guest`), judge what each boot left (`judge`, also
//! from saved files), report the results (`report`, `result`). `main.rs` parses the command
//! line (`cli`) and calls them.

pub mod check;
pub mod cli;
pub mod grade;
pub mod grade_check;
pub mod grade_proof;
pub mod guest;
pub mod host;
pub mod judge;
pub mod kunit;
pub mod lab;
pub mod log;
pub mod markers;
pub mod report;
pub mod reports;
pub mod result;
pub mod run;
pub mod scenarios;
#[cfg(test)]
mod shell_tests;
pub mod timing;
pub mod trace;
pub mod wall;
