//! One description of the lab, which everything else reads: its tasks (as the lab text numbers
//! and names them), its modules (crate root, files, tasks, C twin, C helpers, kind) and the
//! device's ABI (the ioctl numbers, once). The skeleton generator (`skels/`), the harness
//! (`tests/`), the benchmark (`bench/`, `user/`'s `dw-bench`) and the `test` program use it; its
//! tests check that `modules/Kbuild`, `modules/kernel_ext/helpers.mk`, the C twin's ioctl
//! definitions and the modules' sources say the same.

pub mod abi;
mod twins;

pub use twins::{Language, C, LANGUAGES, RUST};

/// Every module of the project starts with this: some plain names, such as `workqueue`, are
/// taken by built-in kernel code under `/sys/module`.
pub const MODULE_PREFIX: &str = "dw_";

/// A lab task: its number and the title of its section in the lab text.
#[derive(Debug, PartialEq)]
pub struct Task {
    pub number: u32,
    pub title: &'static str,
}

/// The lab's tasks.
pub const TASKS: &[Task] = &[
    Task {
        number: 1,
        title: "Timer",
    },
    Task {
        number: 2,
        title: "Periodic timer",
    },
    Task {
        number: 3,
        title: "Timer control using ioctl",
    },
    Task {
        number: 4,
        title: "Blocking operations",
    },
    Task {
        number: 5,
        title: "Workqueues",
    },
    Task {
        number: 6,
        title: "Kernel thread",
    },
    Task {
        number: 7,
        title: "Buffer shared between a timer and a process",
    },
];

/// What a module is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A lab task's module: a student writes it (its skeleton is in the student tree).
    Task,
    /// One of the lab text's extras (tasklets, delayed work, dedicated queues, ...).
    Extra,
    /// A check of the abstraction layer itself (KUnit, the misuses that compile).
    SelfTest,
    /// The benchmark's module.
    Benchmark,
    /// A C twin of a Rust module, for comparison (no `kernel_ext`).
    CTwin,
}

/// A kernel module of `modules/`.
#[derive(Debug)]
pub struct Module {
    /// As `insmod` and Kbuild name it.
    pub name: &'static str,
    /// Its source files, relative to `modules/`: the crate root (or C file) first, then the
    /// files it shares with other modules.
    pub files: &'static [&'static str],
    /// The lab tasks it serves (whose checks it answers).
    pub tasks: &'static [u32],
    /// Its C twin, for a Rust module that has one.
    pub twin: Option<&'static str>,
    /// The topics of `kernel_ext/helpers/` it links (a C file each).
    pub helpers: &'static [&'static str],
    pub kind: Kind,
}

impl Module {
    /// The crate root, or the C source of a C module.
    pub fn root(&self) -> &'static str {
        self.files[0]
    }
}

/// Every module, Rust first, as `modules/Kbuild` lists them.
pub const MODULES: &[Module] = &[
    Module {
        name: "dw_timer",
        files: &["timer.rs"],
        tasks: &[1],
        twin: None,
        helpers: &["context", "timer"],
        kind: Kind::Task,
    },
    Module {
        name: "dw_periodic_timer",
        files: &["periodic_timer.rs"],
        tasks: &[2],
        twin: Some("dw_c_periodic_timer"),
        helpers: &["context", "timer"],
        kind: Kind::Task,
    },
    Module {
        name: "dw_deferred",
        files: &["deferred.rs", "deferred_device.rs"],
        tasks: &[3, 4],
        twin: Some("dw_c_procmon"),
        helpers: &["bh", "context", "timer"],
        kind: Kind::Task,
    },
    Module {
        name: "dw_workqueue",
        files: &["workqueue.rs", "deferred_device.rs"],
        tasks: &[5],
        twin: Some("dw_c_procmon"),
        helpers: &["bh", "context", "timer"],
        kind: Kind::Task,
    },
    Module {
        name: "dw_procmon",
        files: &["procmon.rs", "deferred_device.rs"],
        tasks: &[7],
        twin: Some("dw_c_procmon"),
        helpers: &["bh", "context", "timer"],
        kind: Kind::Task,
    },
    Module {
        name: "dw_kthread",
        files: &["kthread.rs"],
        tasks: &[6],
        twin: Some("dw_c_kthread"),
        helpers: &["context"],
        kind: Kind::Task,
    },
    Module {
        name: "dw_kthread_events",
        files: &["kthread_events.rs"],
        tasks: &[],
        twin: None,
        helpers: &["bh", "context", "timer"],
        kind: Kind::Extra,
    },
    Module {
        name: "dw_tasklet",
        files: &["tasklet.rs"],
        tasks: &[],
        twin: None,
        helpers: &["bh", "context", "tasklet"],
        kind: Kind::Extra,
    },
    Module {
        name: "dw_wq_toolbox",
        files: &["wq_toolbox.rs"],
        tasks: &[],
        twin: None,
        helpers: &["context", "timer"],
        kind: Kind::Extra,
    },
    Module {
        name: "dw_kunit",
        files: &["kunit.rs"],
        tasks: &[],
        twin: None,
        helpers: &["bh", "context", "tasklet", "timer"],
        kind: Kind::SelfTest,
    },
    Module {
        name: "dw_misuse",
        files: &["misuse.rs"],
        tasks: &[],
        twin: None,
        helpers: &["bh", "context", "timer"],
        kind: Kind::SelfTest,
    },
    Module {
        name: "dw_bench",
        files: &["bench.rs"],
        tasks: &[],
        twin: Some("dw_c_bench"),
        helpers: &["context", "timer"],
        kind: Kind::Benchmark,
    },
    Module {
        name: "dw_c_procmon",
        files: &["c/procmon.c"],
        tasks: &[],
        twin: None,
        helpers: &[],
        kind: Kind::CTwin,
    },
    Module {
        name: "dw_c_periodic_timer",
        files: &["c/periodic_timer.c"],
        tasks: &[],
        twin: None,
        helpers: &[],
        kind: Kind::CTwin,
    },
    Module {
        name: "dw_c_kthread",
        files: &["c/kthread.c"],
        tasks: &[],
        twin: None,
        helpers: &[],
        kind: Kind::CTwin,
    },
    Module {
        name: "dw_c_bench",
        files: &["c/bench.c"],
        tasks: &[],
        twin: None,
        helpers: &[],
        kind: Kind::CTwin,
    },
];

/// The module named `name`.
pub fn module(name: &str) -> Option<&'static Module> {
    MODULES.iter().find(|m| m.name == name)
}

/// The lab's modules, the ones a student writes.
pub fn lab_modules() -> impl Iterator<Item = &'static Module> {
    MODULES.iter().filter(|m| m.kind == Kind::Task)
}

#[cfg(test)]
mod tests;
