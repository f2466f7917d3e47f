//! The lab's tasks (and their C twins) and the lab text's extras: timers, the device, kernel
//! threads, tasklets, workqueues; and the abstraction layer's own KUnit tests.

use super::{
    line, CYCLES_SH, DEVICE, KTHREAD, KTHREAD_EVENTS, KUNIT, PERIODIC_TIMER, PROCMON, PROCMON_SH,
    TASKLET, TIMER, WORKQUEUE, WORKQUEUE_TOOLBOX,
};
use crate::{
    check::{Kind, Scenario},
    trace::Mechanism,
};
use deferred_test::USAGE;
use dw_lab::{Language, C, LANGUAGES};

/// A timer armed `TIMER_TIMEOUT` (1 s) ahead, from process context: the lab's task 1.
const ONE_SHOT: Mechanism = Mechanism::Timer {
    seconds: 1,
    rearmed: false,
};
/// Re-armed every second by its own callback: task 2's timer, and task 7's monitor.
const PERIODIC: Mechanism = Mechanism::Timer {
    seconds: 1,
    rearmed: true,
};

/// Lab tasks 1 and 2: the one-shot and the periodic timer.
pub(super) fn timers() -> Vec<Scenario> {
    const INIT: &str = "[timer_init] Init module";
    const EXIT: &str = "[timer_exit] Exit module";
    let once = |m: &str| format!("{m}: {INIT}");
    let exit = |m: &str| format!("{m}: {EXIT}");
    let fired = |m: &str, n: u32| format!("{m}: [timer_handler] nseconds = {n}");
    let t = "dw_timer";
    let mut scenarios = vec![
        TIMER
            .rust(
                "fires once, about 1 s after load",
                "insmod dw_timer.ko\nsleep 3\nrmmod dw_timer\nsleep 1",
            )
            .in_order(&[&once(t), &fired(t, 1), &exit(t)])
            .count(&fired(t, 1), 1)
            .by(&fired(t, 1), ONE_SHOT)
            .exits_with(t, &exit(t)),
        TIMER
            .rust(
                "rmmod while armed is clean and silent",
                "insmod dw_timer.ko\nrmmod dw_timer\nsleep 2",
            )
            .in_order(&[&once(t), &exit(t)])
            .count(&fired(t, 1), 0),
        TIMER
            .rust(
                "20 insmod/rmmod cycles with the timer armed",
                &cycles(t, 20, 50),
            )
            .timeout(120)
            .kind(Kind::LoadCycles)
            .count(&once(t), 20)
            .count(&exit(t), 20)
            .exits_with(t, &exit(t)),
    ];
    for l in LANGUAGES {
        let p = l.periodic_timer;
        scenarios.extend([
            PERIODIC_TIMER
                .scenario(
                    l,
                    "fires every second with nseconds 1, 2, 3",
                    &format!("insmod {p}.ko\nsleep 5\nrmmod {p}\nsleep 2"),
                )
                .in_order(&[&once(p), &fired(p, 1), &fired(p, 2), &fired(p, 3), &exit(p)])
                .count(&fired(p, 1), 1)
                .by(&line(p, "[timer_handler] nseconds = *"), PERIODIC)
                .exits_with(p, &exit(p)),
            PERIODIC_TIMER
                .scenario(
                    l,
                    "20 insmod/rmmod cycles, armed and firing",
                    &cycles(p, 20, 60),
                )
                .timeout(120)
                .kind(Kind::LoadCycles)
                .count(&once(p), 20)
                .count(&exit(p), 20)
                .exits_with(p, &exit(p)),
        ]);
    }
    scenarios
}

/// `count` load and unload cycles of `module` (`dw_cycles`), staying loaded `step_ms`,
/// 2 × `step_ms`, ...
fn cycles(module: &str, count: u32, step_ms: u32) -> String {
    format!("{CYCLES_SH}dw_cycles {module} {count} {step_ms}")
}

/// Lab tasks 3, 5 and 7: `/dev/deferred` driven by `test`, through each module that serves it.
pub(super) fn device() -> Vec<Scenario> {
    let (d, w, p) = ("dw_deferred", "dw_workqueue", "dw_procmon");
    let command = |m: &str, c: &str| line(m, &format!("[deferred_ioctl] Command: {c}"));
    let taken = |m: &str| {
        line(
            m,
            "/dev/deferred is taken: load only one of dw_deferred, dw_workqueue, dw_procmon",
        )
    };
    let mut scenarios = vec![
        DEVICE.rust("usage text matches the lab's", "./test || echo \"exit $?\"").output(&format!("{USAGE}exit 1")),
        DEVICE.rust("without the device, test reports it", "./test c || echo \"exit $?\"")
            .output("/dev/deferred: No such file or directory\nexit 1"),
        DEVICE.rust("unknown commands and MON without the monitor get ENOTTY",
            "insmod dw_deferred.ko\n./dw-ioctl 0x1234 || true\n./dw-ioctl 0x40086b09 5 || true\n./test p 1 || echo \"exit $?\"\nrmmod dw_deferred",
        )
        .output(
            "error: Inappropriate ioctl for device (25)\nerror: Inappropriate ioctl for device (25)\n\
             Monitor PID 1.\nioctl monitor pid error: Inappropriate ioctl for device\nexit 1",
        )
        .count(&command(d, "Unknown command"), 2)
        .count(&command(d, "Monitor pid"), 1),
        DEVICE.rust("only one /dev/deferred module loads at a time",
            "insmod dw_workqueue.ko\ninsmod dw_deferred.ko 2>&1 || echo \"exit $?\"\nrmmod dw_workqueue\ninsmod dw_deferred.ko\nrmmod dw_deferred",
        )
        .output("insmod: can't insert 'dw_deferred.ko': Device or resource busy\nexit 16")
        .at_least(&taken(d), 1)
        .in_order(&[&line(w, "[deferred_exit] Exit module"), &line(d, "[deferred_init] Init module"), &line(d, "[deferred_exit] Exit module")]),
    ];
    for l in LANGUAGES {
        scenarios.extend(device_features(l));
    }
    let c = C.monitor;
    scenarios.push(
        DEVICE
            .scenario(
                &C,
                "the C twin and dw_procmon take the same minor, one at a time",
                &format!(
                    "insmod {p}.ko\ninsmod {c}.ko 2>&1 || echo \"exit $?\"\nrmmod {p}\n\
                 insmod {c}.ko\ninsmod {p}.ko 2>&1 || echo \"exit $?\"\nrmmod {c}"
                ),
            )
            .output(&format!(
                "insmod: can't insert '{c}.ko': Device or resource busy\nexit 16\n\
             insmod: can't insert '{p}.ko': Device or resource busy\nexit 16"
            ))
            .at_least(&taken(c), 1)
            .at_least(&taken(p), 1)
            .in_order(&[
                &line(p, "[deferred_exit] Exit module"),
                &line(c, "[deferred_init] Init module"),
                &line(c, "[deferred_exit] Exit module"),
            ]),
    );
    scenarios
}

/// SET, CANCEL, ALLOC through the work item and MON, for the modules of language `l`.
fn device_features(l: &'static Language) -> Vec<Scenario> {
    let (d, w, p) = (l.set, l.work, l.monitor);
    let fired = |m: &str| line(m, "[timer_handler] pid = *, comm = *");
    let command = |m: &str, c: &str| line(m, &format!("[deferred_ioctl] Command: {c}"));
    let yawn = |m: &str| line(m, "Yawn! I've been sleeping for 5 seconds.");
    vec![
        DEVICE.scenario(l, "set 3 fires once, about 3 s later", &format!("insmod {d}.ko\n./test s 3\nsleep 5\nrmmod {d}\nsleep 1"))
            .output("Set timer to 3 seconds")
            .in_order(&[
                &line(d, "[deferred_init] Init module"),
                &line(d, "[deferred_open] Device opened"),
                &command(d, "Set timer"),
                &line(d, "[deferred_release] Device released"),
                &fired(d),
                &line(d, "[deferred_exit] Exit module"),
            ])
            .count(&fired(d), 1)
            .by(&fired(d), Mechanism::Timer { seconds: 3, rearmed: false })
            .names_running_task(&fired(d))
            .delay(&command(d, "Set timer"), &fired(d), 2.0, 5.0)
            .exits_with(d, &line(d, "[deferred_exit] Exit module")),
        DEVICE.scenario(l, "set then cancel never fires", &format!("insmod {d}.ko\n./test s 2\n./test c\nsleep 4\nrmmod {d}"))
            .output("Set timer to 2 seconds\nCancel timer")
            .in_order(&[&command(d, "Set timer"), &command(d, "Cancel timer")])
            .count(&fired(d), 0)
            .no_timer_runs(),
        DEVICE.scenario(l, "set twice fires once", &format!("insmod {d}.ko\n./test s 2\n./test s 2\nsleep 4\nrmmod {d}"))
            .count(&command(d, "Set timer"), 2)
            .count(&fired(d), 1),
        DEVICE.scenario(l, "seconds beyond what a timer takes get EINVAL", &format!("insmod {d}.ko\n./test s -1 || echo \"exit $?\"\nrmmod {d}"))
            .output("Set timer to -1 seconds\nioctl set timer error: Invalid argument\nexit 1")
            .count(&fired(d), 0),
        WORKQUEUE.scenario(l, "alloc sleeps in a kworker, 5 s after the timer", &format!("insmod {w}.ko\n./test a 1\nsleep 8\nrmmod {w}"))
            .output("Allocate memory after 1 seconds")
            .in_order(&[
                &command(w, "Allocate memory"),
                &fired(w),
                &line(w, "[work_handler] pid = *, comm = kworker/*"),
                &yawn(w),
                &line(w, "[deferred_exit] Exit module"),
            ])
            .count(&yawn(w), 1)
            .by(&fired(w), Mechanism::Timer { seconds: 1, rearmed: false })
            .by(&yawn(w), Mechanism::WorkFromTimer)
            .names_running_task(&line(w, "[work_handler] pid = *, comm = *"))
            .delay(&fired(w), &yawn(w), 4.0, 7.0),
        WORKQUEUE.scenario(l, "rmmod with the timer armed, or the work sleeping, is clean",
            &format!("insmod {w}.ko\n./test a 3\nrmmod {w}\ninsmod {w}.ko\n./test a 1\nsleep 3\nrmmod {w}\nsleep 1"),
        )
        .count(&line(w, "[work_handler] pid = *, comm = kworker/*"), 1)
        .count(&yawn(w), 1)
        .count(&line(w, "[deferred_exit] Exit module"), 2),
        PROCMON.scenario(l, "reports a monitored process when it dies",
            &format!(
                "insmod {p}.ko\nsleep 2 &\npid=$!\n./test p $pid\ndw_note pid $pid\nsleep 5\nrmmod {p}"
            ),
        )
        .output("Monitor PID *.")
        .in_order(&[&command(p, "Monitor pid"), &line(p, "task sleep ($pid) is dead"), &line(p, "[deferred_exit] Exit module")])
        .count(&line(p, "task * (*) is dead"), 1)
        .by(&line(p, "task * (*) is dead"), PERIODIC),
        PROCMON.scenario(l, "monitors several processes at once",
            &format!("{PROCMON_SH}dw_monitor_several {p}"),
        )
        .count(&line(p, "task sleep (*) is dead"), 3)
        .count(&line(p, "task sleep ($a) is dead"), 1)
        .count(&line(p, "task sleep ($b) is dead"), 1)
        .count(&line(p, "task sleep ($c) is dead"), 1),
        PROCMON.scenario(l, "a missing pid gets ESRCH", &format!("insmod {p}.ko\n./test p 99999 || echo \"exit $?\"\nrmmod {p}"))
            .output("Monitor PID 99999.\nioctl monitor pid error: No such process\nexit 1")
            .count(&line(p, "task * (*) is dead"), 0),
        PROCMON.scenario(l, "reported processes' tasks are freed (their references dropped)",
            &format!("{PROCMON_SH}dw_tasks_freed {p}"),
        )
        .count(&line(p, "task sleep (*) is dead"), 50),
        PROCMON.scenario(l, "rmmod while monitored processes live is clean",
            &format!("insmod {p}.ko\nsleep 30 & a=$!\nsleep 30 & b=$!\n./test p $a\n./test p $b\nsleep 2\nrmmod {p}\nkill $a $b\nsleep 1"),
        )
        .count(&line(p, "task * (*) is dead"), 0)
        .exits_with(p, &line(p, "[deferred_exit] Exit module")),
    ]
}

/// The KUnit suites of `dw_kunit` and their number of test cases: the layer's tests, a suite per
/// file of `modules/kernel_ext/` (`#[kunit_tests(kernel_ext_FILE)]` at its bottom), and the
/// examples of its documentation (`scripts/doctests.sh`), as many as there are (`None`).
const KUNIT_SUITES: [(&str, Option<usize>); 13] = [
    ("kernel_ext_time", Some(1)),
    ("kernel_ext_timer", Some(3)),
    ("kernel_ext_deferred", Some(2)),
    ("kernel_ext_sync", Some(2)),
    ("kernel_ext_tasklet", Some(2)),
    ("kernel_ext_workqueue", Some(1)),
    ("kernel_ext_completion", Some(1)),
    ("kernel_ext_kthread", Some(3)),
    ("kernel_ext_wait", Some(1)),
    ("kernel_ext_miscdev", Some(1)),
    ("kernel_ext_module", Some(1)),
    ("kernel_ext_task", Some(1)),
    ("kernel_ext_doctests", None),
];

/// The KTAP lines of a suite whose `cases` all pass: its plan, its totals (KUnit prints them
/// only for more than one case), and its result.
fn kunit_suite_lines(suite: &str, cases: Option<usize>) -> Vec<String> {
    let n = cases.map_or("*".into(), |n| n.to_string());
    let mut lines = vec![format!("    # Subtest: {suite}"), format!("    1..{n}")];
    if cases != Some(1) {
        lines.push(format!("# {suite}: pass:{n} fail:0 skip:0 total:{n}"));
    }
    lines.push(format!("ok * {suite}"));
    lines
}

/// Lab task 6 and the rest of the lab text: kthreads, tasklets, BH disabling, workqueues; and
/// the abstraction layer's own KUnit tests and its doc examples (each test case counts as a
/// result).
pub(super) fn toolbox() -> Vec<Scenario> {
    let (e, t, w) = ("dw_kthread_events", "dw_tasklet", "dw_wq_toolbox");
    let handled = |n: u32| {
        line(
            e,
            &format!("[event_thread] handled event {n} in pid * (dw_events)"),
        )
    };
    let kunit = KUNIT.rust(
        "the kernel_ext suites (its unit tests, its doc examples) run at insmod and pass",
        "insmod dw_kunit.ko\nrmmod dw_kunit",
    );
    let kunit = KUNIT_SUITES.iter().fold(kunit, |kunit, &(suite, cases)| {
        let lines = kunit_suite_lines(suite, cases);
        kunit.in_order(&lines.iter().map(String::as_str).collect::<Vec<_>>())
    });
    let mut scenarios = vec![kunit];
    for l in LANGUAGES {
        let k = l.kthread;
        scenarios.extend([
            KTHREAD
                .scenario(
                    l,
                    "mykthread0 prints its pid and exits in step with rmmod",
                    &format!(
                    "insmod {k}.ko\nsleep 1\npid=$(ps | awk '/\\[mykthread0\\]/ {{print $1}}')\n\
                     dw_note pid $pid\nrmmod {k}\n! ps | grep '\\[mykthread0\\]'"
                ),
                )
                .in_order(&[
                    &line(k, "[kthread_init] Init module"),
                    &line(k, "[my_thread_f] Current process id is $pid (mykthread0)"),
                    &line(k, "[my_thread_f] Exiting"),
                    &line(k, "[kthread_exit] Exit module"),
                ])
                .by(
                    &line(k, "[my_thread_f] *"),
                    Mechanism::KThread {
                        comm: "mykthread0".into(),
                    },
                )
                .last_of(k, &line(k, "[kthread_exit] Exit module")),
            KTHREAD
                .scenario(
                    l,
                    "20 insmod/rmmod cycles with the thread sleeping",
                    &cycles(k, 20, 20),
                )
                .timeout(120)
                .kind(Kind::LoadCycles)
                .count(&line(k, "[my_thread_f] Exiting"), 20)
                .count(&line(k, "[kthread_exit] Exit module"), 20),
        ]);
    }
    scenarios.extend([
        KTHREAD_EVENTS.rust("a thread handles the timer's events in order, then stops", "insmod dw_kthread_events.ko\nsleep 2\nrmmod dw_kthread_events")
            .in_order(&[
                &line(e, "[events_init] Init module: sending 5 events"),
                &line(e, "[event_thread] started: pid * (dw_events)"),
                &handled(1),
                &handled(2),
                &handled(3),
                &handled(4),
                &handled(5),
                &line(e, "[events_exit] Exit module"),
                &line(e, "[event_thread] stop event: exiting"),
            ])
            .count(&line(e, "[event_thread] handled event *"), 5),
        // How many events come before the rmmod depends on the guest's speed: none of them after.
        KTHREAD_EVENTS.rust("module parameter, and rmmod with events pending",
            "insmod dw_kthread_events.ko events=3\nrmmod dw_kthread_events\nsleep 1",
        )
        .in_order(&[&line(e, "[events_init] Init module: sending 3 events"), &line(e, "[event_thread] stop event: exiting")])
        .last_of(e, &line(e, "[event_thread] stop event: exiting")),
        KTHREAD_EVENTS.rust("without the stop event, kthread_stop ends the thread's wait",
            "insmod dw_kthread_events.ko events=2 stop_event=0\nsleep 1\nrmmod dw_kthread_events",
        )
        .in_order(&[
            &handled(2),
            &line(e, "[events_exit] no stop event: kthread_stop ends the thread"),
            &line(e, "[events_exit] Exit module"),
            &line(e, "[event_thread] stop requested: exiting"),
        ])
        .count(&line(e, "[event_thread] stop event: exiting"), 0),
        TASKLET.rust("scheduling, priorities, disabling, rescheduling, BH workqueue", "insmod dw_tasklet.ko\nrmmod dw_tasklet")
            .in_order(&[
                &line(t, "[bh] scheduled twice, bottom halves off: ran 0 times"),
                &line(t, "[bh] inner enable, still off: ran 0 times"),
                &line(t, "[shared] tasklet ran (1 so far)"),
                &line(t, "[bh] outer enable: ran 1 times"),
                &line(t, "[prio] scheduled normal, then hi"),
                &line(t, "[hi] tasklet ran (1 so far)"),
                &line(t, "[normal] tasklet ran (1 so far)"),
                &line(t, "[disabled] scheduled 100 ms ago: ran 0 times"),
                &line(t, "[disabled] tasklet ran (1 so far)"),
                &line(t, "[disabled] enabled 100 ms ago: ran 1 times"),
                &line(t, "[resched] run 1 of 3"),
                &line(t, "[resched] run 2 of 3"),
                &line(t, "[resched] run 3 of 3"),
                &line(t, "[bh_work] work item ran on the BH workqueue, in softirq context"),
                &line(t, "[tasklet_exit] Exit module"),
                &line(t, "[shared] tasklet ran (2 so far)"),
            ])
            .count(&line(t, "[shared] tasklet ran *"), 2)
            .count(&line(t, "[resched] run *"), 3),
        TASKLET.rust("20 insmod/rmmod cycles, unloading with a tasklet scheduled", &cycles(t, 20, 10))
            .timeout(120)
.kind(Kind::LoadCycles)
            .count(&line(t, "[tasklet_exit] Exit module"), 20)
            .count(&line(t, "[shared] tasklet ran (2 so far)"), 20)
            .count(&line(t, "[resched] run 3 of 3"), 20),
        WORKQUEUE_TOOLBOX.rust("delayed work, ordered and per-CPU queues, every CPU",
            "insmod dw_wq_toolbox.ko\nsleep 2\nrmmod dw_wq_toolbox\ndw_note cpus $(nproc)",
        )
        .in_order(&[
            &line(w, "[delayed] queued for 1 s and for 10 s"),
            &line(w, "[delayed] the 10 s one cancelled while pending: true"),
            &line(w, "[ordered 1] ran on cpu *, pid * (kworker/*)"),
            &line(w, "[ordered 2] ran on cpu *, pid * (kworker/*)"),
            &line(w, "[ordered 3] ran on cpu *, pid * (kworker/*)"),
            &line(w, "[ordered] flushed"),
            &line(w, "[per-cpu] ran on cpu *, pid * (kworker/*)"),
            &line(w, "[on_each_cpu] done"),
            &line(w, "[delayed 1 s] ran on cpu *, pid * (kworker/*)"),
            &line(w, "[toolbox_exit] Exit module"),
            &line(w, "[ordered 3] ran on cpu *, pid * (kworker/*)"),
        ])
        .count(&line(w, "[ordered 3] ran *"), 2)
        .delay(&line(w, "[delayed] queued for 1 s and for 10 s"), &line(w, "[delayed 1 s] ran *"), 0.5, 3.0)
        .count(&line(w, "[delayed 10 s] ran *"), 0)
        .count(&line(w, "[on_each_cpu] cpu 0: pid * (kworker/0:*)"), 1)
        .count_noted(&line(w, "[on_each_cpu] cpu *"), "cpus"),
        WORKQUEUE_TOOLBOX.rust("rmmod with delayed work pending and work on a dedicated queue is clean",
            "insmod dw_wq_toolbox.ko\nrmmod dw_wq_toolbox\nsleep 2",
        )
        .count(&line(w, "[delayed 1 s] ran *"), 0)
        .last_of(w, &line(w, "[ordered 3] ran on cpu *, pid * (kworker/*)")),
    ]);
    scenarios
}

#[cfg(test)]
mod tests {
    use super::KUNIT_SUITES;
    use std::{fs, path::Path};

    /// The suites the check expects are the ones the sources declare (`#[kunit_tests(NAME)]`, or
    /// a path to it), each once, with as many cases as the sources have (`#[test]` after it).
    #[test]
    fn kunit_suites_are_the_sources_suites() {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let layer = fs::read_dir(root.join("modules/kernel_ext")).expect("the layer");
        let files = layer.map(|entry| entry.expect("a file of the layer").path());
        let mut declared = Vec::new();
        for path in files.chain([root.join("scripts/doctests.sh")]) {
            let text = fs::read_to_string(&path).unwrap_or_default();
            let mut lines = text.lines().map(str::trim);
            while let Some(line) = lines.next() {
                let attribute = line.strip_prefix("#[").unwrap_or_default();
                let Some((_, rest)) = attribute.split_once("kunit_tests(") else {
                    continue;
                };
                let name = rest.split_once(')').expect("the suite's name").0;
                // The examples' suite is generated: its cases are the examples.
                let cases = (name != "kernel_ext_doctests")
                    .then(|| lines.by_ref().filter(|l| *l == "#[test]").count());
                declared.push((name.to_string(), cases));
            }
        }
        declared.sort();
        let mut expected: Vec<_> = KUNIT_SUITES
            .iter()
            .map(|&(s, n)| (s.to_string(), n))
            .collect();
        expected.sort();
        assert_eq!(declared, expected);
    }
}
