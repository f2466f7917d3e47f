//! Kernel reports: the lines by which the kernel says something went wrong, and the ones a
//! scenario provokes on purpose.

use crate::log::split_timestamp;
use std::{fs, path::Path};

/// Text that means the kernel reported a problem. A scenario fails on any of these in its part
/// of the log, unless it declares the report it expects (see [`Scenario::expect_report`]).
pub const REPORTS: &[&str] = &[
    "BUG:",
    "WARNING:",
    "Oops",
    "Call Trace",
    "Kernel panic",
    "INFO: ",
    "ODEBUG",
    "inconsistent lock state",
    "possible recursive locking",
    "circular locking",
    "general protection fault",
    "suspected memory leak",
    // What the guest script writes for each kmemleak object that names one of our modules.
    "dw-kmemleak:",
];

/// A kernel report that a scenario provokes on purpose, and the other reports the kernel prints
/// with it: allowed next to it (whole lines, `*` wildcards); any other report still fails.
#[derive(Debug, Clone, Copy)]
pub struct ExpectedReport {
    pub report: &'static str,
    pub companions: &'static [&'static str],
}

impl ExpectedReport {
    /// A report that comes with its stack dump and nothing else.
    const fn with_stack(report: &'static str) -> Self {
        Self {
            report,
            companions: &["Call Trace:"],
        }
    }
}

/// Lab task 4: a timer handler that sleeps (seen in `tests/src/fixtures/atomic-sleep.console`).
/// `schedule_timeout()` sets up its timer "on stack" while on the IRQ stack (ODEBUG), the
/// kernel dumps the stack with the BUG; when the timer fires on the idle task, the scheduler
/// also complains about the idle thread and lockdep about its lock state
/// (`docs/checks.md`, "Sleeping in a timer callback").
pub const ATOMIC_SLEEP: ExpectedReport = ExpectedReport {
    report: "BUG: scheduling while atomic",
    companions: &[
        // kernel_ext's run-time check of the sleep, just before it (`might_sleep()`).
        "BUG: sleeping function called from invalid context at *deferred_device.rs:*",
        "ODEBUG: object * is NOT on stack *, but annotated.",
        "Call Trace:",
        "WARNING: inconsistent lock state",
        "INFO: lockdep is turned off.",
        // The WARN_ON()s of the same story: the on-stack timer on the IRQ stack, the lock
        // released by a task that slept in softirq, the timer callback's preempt count leak and
        // the idle thread that scheduled.
        "WARNING: lib/debugobjects.c:* at debug_object_is_on_stack*",
        "WARNING: kernel/locking/lockdep.c:* at lock_release*",
        "WARNING: kernel/time/timer.c:* at call_timer_fn*",
        "WARNING: kernel/sched/core.c:* at schedule_idle*",
    ],
};

/// `dw_misuse case=1`: `kernel_ext`'s `might_sleep()` names the caller's line (`#[track_caller]`).
pub const SLEEP_UNDER_LOCK: ExpectedReport = ExpectedReport::with_stack(
    "BUG: sleeping function called from invalid context at selftests/misuse.rs:",
);

/// `dw_misuse case=2`: the `might_sleep()` of `OwnedWork`'s drop.
pub const DROP_IN_ATOMIC: ExpectedReport = ExpectedReport::with_stack(
    "BUG: sleeping function called from invalid context at kernel_ext/workqueue.rs:",
);

/// `dw_misuse case=3`: `kernel_ext`'s lockdep assertion where the guard is made, then the
/// kernel's own where bottom halves are enabled again.
pub const BH_WITH_IRQS_OFF: ExpectedReport = ExpectedReport {
    report: "WARNING: kernel_ext/helpers/bh.c:",
    companions: &[
        "WARNING: kernel/softirq.c:* at __local_bh_enable_ip*",
        "Call Trace:",
    ],
};

/// `dw_misuse case=4`: a `KThread` dropped by its own thread, reported at the drop.
pub const KTHREAD_DROPS_ITSELF: ExpectedReport =
    ExpectedReport::with_stack("WARNING: kernel_ext/kthread.rs:");

/// `dw_misuse case=5`: a wait condition that panics. The Rust panic is a `BUG()`: an `Oops` that
/// kills the thread (and turns lockdep off for the rest of the boot). Anything else, such as
/// KASAN's `use-after-free` at a later wake-up, fails the check.
pub const PANIC_IN_WAIT_CONDITION: ExpectedReport =
    ExpectedReport::with_stack("Oops: invalid opcode:");

/// `dw_misuse case=6` and `case=7`: an ioctl, and a module's init and exit, that return with
/// bottom halves disabled, each reported as it returns by `kernel_ext`, which enables them again:
/// no report from the process after it.
pub const LEAVES_BH_DISABLED: ExpectedReport =
    ExpectedReport::with_stack("WARNING: kernel_ext/context.rs:");

/// The lines of `log` that are kernel reports.
pub fn reports(log: &[String]) -> impl Iterator<Item = &String> {
    log.iter().filter(|l| REPORTS.iter().any(|r| l.contains(r)))
}

/// `--reports FILE`: prints the kernel reports in a console log; 1 if there is one, 2 if there
/// is no such file.
pub fn print_in_file(file: &Path) -> i32 {
    let Ok(bytes) = fs::read(file) else {
        eprintln!("dw-tests: no such file: {}", file.display());
        return 2;
    };
    let lines: Vec<String> = String::from_utf8_lossy(&bytes)
        .lines()
        .map(|l| split_timestamp(l).1.to_string())
        .collect();
    let mut found = 0;
    for report in reports(&lines) {
        println!("kernel report: {report}");
        found += 1;
    }
    i32::from(found > 0)
}
