//! One description of the lab, which everything else reads: its tasks (as the lab text numbers
//! and names them), its modules (crate root, files, tasks, C twin, C helpers, kind) and the
//! device's ABI (the ioctl numbers, once). The skeleton generator (`skels/`), the harness
//! (`tests/`), the benchmark (`bench/`, `user/`'s `dw-bench`) and the `test` program use it; its
//! tests check that the `Kbuild`s, `modules/kernel_ext/helpers.mk`, the C twin's ioctl
//! definitions and the modules' sources say the same.

pub mod abi;
mod twins;

pub use twins::{Language, C, LANGUAGES, RUST};

/// Every module of the project starts with this: some plain names, such as `workqueue`, are
/// taken by built-in kernel code under `/sys/module`.
pub const MODULE_PREFIX: &str = "dw_";

/// A lab task: its number, the title of its section in the lab text, and where the student
/// writes it.
#[derive(Debug, PartialEq)]
pub struct Task {
    pub number: u32,
    pub title: &'static str,
    /// The files of the student tree that hold its `TODO` markers (the skeletons of its module).
    pub files: &'static [&'static str],
    /// The number its `TODO` markers carry.
    pub todo: Todo,
    /// The tasks whose code its checks run too (task 5's ALLOC is task 4's).
    pub builds_on: &'static [u32],
}

/// How a task's `TODO` markers are numbered, as in the C lab's templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Todo {
    /// `TODO n` (the lab numbers its `TODO`s by task).
    Numbered(u32),
    /// `TODO` without a number (the kthread task).
    Unnumbered,
}

const fn task(number: u32, title: &'static str, files: &'static [&'static str]) -> Task {
    Task {
        number,
        title,
        files,
        todo: Todo::Numbered(number),
        builds_on: &[],
    }
}

/// The lab's tasks.
pub const TASKS: &[Task] = &[
    task(1, "Timer", &["timer.rs"]),
    task(2, "Periodic timer", &["periodic_timer.rs"]),
    task(3, "Timer control using ioctl", &["deferred_device.rs"]),
    Task {
        builds_on: &[3],
        ..task(4, "Blocking operations", &["deferred_device.rs"])
    },
    Task {
        builds_on: &[3, 4],
        ..task(5, "Workqueues", &["deferred_device.rs"])
    },
    Task {
        todo: Todo::Unnumbered,
        ..task(6, "Kernel thread", &["kthread.rs"])
    },
    Task {
        builds_on: &[3],
        ..task(
            7,
            "Buffer shared between a timer and a process",
            &["deferred_device.rs"],
        )
    },
];

/// The task numbered `number`.
pub fn lab_task(number: u32) -> Option<&'static Task> {
    TASKS.iter().find(|t| t.number == number)
}

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

/// The folders with a `Kbuild` that builds modules: the lab's (with the abstraction layer in
/// `modules/kernel_ext/`) and the benchmark's, with the C twins.
pub const KBUILD_DIRS: [&str; 2] = ["modules", "bench/modules"];

/// A kernel module of the project.
#[derive(Debug)]
pub struct Module {
    /// As `insmod` and Kbuild name it.
    pub name: &'static str,
    /// Its source files, relative to the repository: the crate root (or C file) first, then the
    /// files it shares with other modules.
    pub files: &'static [&'static str],
    /// The lab tasks it serves (whose checks it answers).
    pub tasks: &'static [u32],
    /// Its C twin, for a Rust module that has one.
    pub twin: Option<&'static str>,
    /// The topics of `kernel_ext/helpers/` it links (a C file each): those whose functions it
    /// calls, and no other (`scripts/helpers-check.sh`). A student's tree links every topic.
    pub helpers: &'static [&'static str],
    pub kind: Kind,
}

impl Module {
    /// The crate root, or the C source of a C module.
    pub fn root(&self) -> &'static str {
        self.files[0]
    }

    /// The folder of the `Kbuild` that builds it (one of [`KBUILD_DIRS`]).
    pub fn kbuild_dir(&self) -> &'static str {
        let under = |dir: &&str| {
            self.root()
                .strip_prefix(*dir)
                .is_some_and(|r| r.starts_with('/'))
        };
        KBUILD_DIRS
            .into_iter()
            .find(under)
            .expect("a module under a Kbuild folder")
    }

    /// Its object in its `Kbuild` (`1-2-timer/timer.o` for `modules/1-2-timer/timer.rs`).
    pub fn object(&self) -> String {
        let root = &self.root()[self.kbuild_dir().len() + 1..];
        let stem = root.rsplit_once('.').map_or(root, |(stem, _)| stem);
        format!("{stem}.o")
    }
}

/// The name of a source file in the student tree, which is flat: `timer.rs` for
/// `modules/1-2-timer/timer.rs`.
pub fn student_file(source: &str) -> &str {
    source.rsplit_once('/').map_or(source, |(_, name)| name)
}

/// A Rust module on the abstraction layer.
const fn rust(
    name: &'static str,
    files: &'static [&'static str],
    kind: Kind,
    helpers: &'static [&'static str],
) -> Module {
    Module {
        name,
        files,
        tasks: &[],
        twin: None,
        helpers,
        kind,
    }
}

/// A lab task's module.
const fn lab(
    name: &'static str,
    files: &'static [&'static str],
    tasks: &'static [u32],
    twin: Option<&'static str>,
    helpers: &'static [&'static str],
) -> Module {
    Module {
        tasks,
        twin,
        ..rust(name, files, Kind::Task, helpers)
    }
}

/// A C twin.
const fn c(name: &'static str, file: &'static [&'static str]) -> Module {
    rust(name, file, Kind::CTwin, &[])
}

const DEVICE: &str = "modules/3-4-5-deferred/deferred_device.rs";
/// The helper topics of the three modules of the device (`DEVICE`), the same for each.
const DEVICE_HELPERS: &[&str] = &[
    "atomic_sections",
    "bh_disabled",
    "lock_bh",
    "timer",
    "timer_init",
    "work",
];

/// Every module, as the `Kbuild`s list them: the lab's (Rust), then the benchmark's (Rust, C).
pub const MODULES: &[Module] = &[
    lab(
        "dw_timer",
        &["modules/1-2-timer/timer.rs"],
        &[1],
        None,
        &["bh_disabled", "timer", "timer_init"],
    ),
    lab(
        "dw_periodic_timer",
        &["modules/1-2-timer/periodic_timer.rs"],
        &[2],
        Some("dw_c_periodic_timer"),
        &["bh_disabled", "timer", "timer_init"],
    ),
    lab(
        "dw_deferred",
        &["modules/3-4-5-deferred/deferred.rs", DEVICE],
        &[3, 4],
        Some("dw_c_procmon"),
        DEVICE_HELPERS,
    ),
    lab(
        "dw_workqueue",
        &["modules/3-4-5-deferred/workqueue.rs", DEVICE],
        &[5],
        Some("dw_c_procmon"),
        DEVICE_HELPERS,
    ),
    lab(
        "dw_procmon",
        &["modules/3-4-5-deferred/procmon.rs", DEVICE],
        &[7],
        Some("dw_c_procmon"),
        DEVICE_HELPERS,
    ),
    lab(
        "dw_kthread",
        &["modules/6-kthread/kthread.rs"],
        &[6],
        Some("dw_c_kthread"),
        &["atomic_sections", "in_task", "may_sleep"],
    ),
    rust(
        "dw_kthread_events",
        &["modules/extras/kthread_events.rs"],
        Kind::Extra,
        &[
            "atomic_sections",
            "bh_disabled",
            "in_task",
            "lock_bh",
            "may_sleep",
            "timer",
            "timer_init",
        ],
    ),
    rust(
        "dw_tasklet",
        &["modules/extras/tasklet.rs"],
        Kind::Extra,
        &[
            "atomic_sections",
            "bh",
            "bh_disabled",
            "lock_bh",
            "may_sleep",
            "tasklet",
        ],
    ),
    rust(
        "dw_wq_toolbox",
        &["modules/extras/wq_toolbox.rs"],
        Kind::Extra,
        &["atomic_sections", "may_sleep", "timer_init", "work"],
    ),
    rust(
        "dw_kunit",
        &["modules/selftests/kunit.rs"],
        Kind::SelfTest,
        &[
            "atomic_sections",
            "bh",
            "bh_disabled",
            "condvar_bh",
            "in_task",
            "lock_bh",
            "may_sleep",
            "tasklet",
            "timer",
            "timer_init",
            "work",
        ],
    ),
    rust(
        "dw_misuse",
        &["modules/selftests/misuse.rs"],
        Kind::SelfTest,
        &[
            "atomic_sections",
            "bh",
            "bh_disabled",
            "in_task",
            "lock_bh",
            "may_sleep",
            "timer",
            "timer_init",
            "work",
        ],
    ),
    Module {
        twin: Some("dw_c_bench"),
        ..rust(
            "dw_bench",
            &["bench/modules/bench.rs"],
            Kind::Benchmark,
            &[
                "atomic_sections",
                "bh_disabled",
                "in_task",
                "may_sleep",
                "timer",
                "timer_init",
                "work",
            ],
        )
    },
    c("dw_c_procmon", &["bench/modules/c/procmon.c"]),
    c("dw_c_periodic_timer", &["bench/modules/c/periodic_timer.c"]),
    c("dw_c_kthread", &["bench/modules/c/kthread.c"]),
    c("dw_c_bench", &["bench/modules/c/bench.c"]),
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
