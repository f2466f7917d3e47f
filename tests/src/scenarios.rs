//! The guest scenarios, one boot per group. Log lines are exact, as the lab prints them, with
//! the module name that `pr_info!` puts in front.

use crate::check::{
    Boot, Scenario, ATOMIC_SLEEP, BH_WITH_IRQS_OFF, DROP_IN_ATOMIC, KTHREAD_DROPS_ITSELF,
    LEAVES_BH_DISABLED, PANIC_IN_WAIT_CONDITION, SLEEP_UNDER_LOCK,
};
use deferred_test::USAGE;
use dw_lab::abi::{
    MY_IOCTL_TIMER_ALLOC as ALLOC, MY_IOCTL_TIMER_CANCEL as CANCEL, MY_IOCTL_TIMER_MON as MON,
    MY_IOCTL_TIMER_SET as SET,
};
use dw_lab::{Language, C, RUST};

/// A scenario name for language `l`: `topic (C): what`, or `topic: what` for Rust. The
/// behaviour scenarios run against the Rust modules and against their C twins (`modules/c/`)
/// with the same checks; only the module names differ.
fn named(l: &Language, topic: &str, what: &str) -> String {
    format!("{topic}{}: {what}", l.tag)
}

/// A log line of module `m`, as `pr_info!` and `pr_info` print it.
fn line(m: &str, text: &str) -> String {
    format!("{m}: {text}")
}

/// How long the abuse boot's long loops run: `make test`'s counts, which still meet every case
/// of each loop (and catch the bugs each exists for), or `make soak`'s full ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intensity {
    /// insmod/rmmod cycles of each Rust module with its work in flight, and of the C monitor.
    pub cycles: usize,
    pub c_cycles: usize,
    /// Every so many cycles, the periodic timer is unloaded after it fired and re-armed (1.1 s)...
    pub periodic_rearmed_every: usize,
    /// ... and the work item is unloaded while it sleeps in `alloc_io()`.
    pub work_sleeping_every: usize,
    /// Short-lived processes monitored one after another, each reported once.
    pub processes: usize,
    /// Processes sending random commands at once, and how many each sends.
    pub storm_processes: usize,
    pub storm_commands: usize,
}

impl Intensity {
    /// `make soak`: the counts the abuse loops were designed with.
    pub const SOAK: Self = Self {
        cycles: 200,
        c_cycles: 30,
        periodic_rearmed_every: 20,
        work_sleeping_every: 50,
        processes: 1000,
        storm_processes: 16,
        storm_commands: 40,
    };
    /// `make test`: every case of each loop still met several times (`every` does not divide 5,
    /// so the unload after 0 to 200 ms is met too).
    pub const TEST: Self = Self {
        cycles: 24,
        c_cycles: 10,
        periodic_rearmed_every: 6,
        work_sleeping_every: 8,
        processes: 100,
        storm_processes: 16,
        storm_commands: 10,
    };
}

/// The boots of `make test`, or at `Intensity::SOAK` only the abuse scenarios (`make soak`).
pub fn all(intensity: Intensity) -> Vec<Boot> {
    if intensity == Intensity::SOAK {
        // Its own name, so its files in build/tests/ are not those of `make test`'s abuse boot.
        return vec![Boot::new("abuse soak", abuse(intensity))];
    }
    vec![
        Boot::new("timers", timers()),
        Boot::new("device", device()),
        Boot::new("toolbox", toolbox()),
        Boot::new("abuse", abuse(intensity)),
        // In a boot of its own: the bug leaves the timers of one CPU stuck.
        Boot::new("atomic sleep", atomic_sleep()),
        // In a boot of its own: the Oops turns lockdep off for the rest of the boot.
        Boot::new("panic", vec![panic_in_wait_condition()]),
    ]
}

/// Lab tasks 1 and 2: the one-shot and the periodic timer.
fn timers() -> Vec<Scenario> {
    const INIT: &str = "[timer_init] Init module";
    const EXIT: &str = "[timer_exit] Exit module";
    let once = |m: &str| format!("{m}: {INIT}");
    let exit = |m: &str| format!("{m}: {EXIT}");
    let fired = |m: &str, n: u32| format!("{m}: [timer_handler] nseconds = {n}");
    let t = "dw_timer";
    let mut scenarios = vec![
        Scenario::new(
            "timer: fires once, about 1 s after load",
            "insmod dw_timer.ko\nsleep 3\nrmmod dw_timer\nsleep 1",
        )
        .in_order(&[&once(t), &fired(t, 1), &exit(t)])
        .count(&fired(t, 1), 1)
        .exits_with(t, &exit(t)),
        Scenario::new(
            "timer: rmmod while armed is clean and silent",
            "insmod dw_timer.ko\nrmmod dw_timer\nsleep 2",
        )
        .in_order(&[&once(t), &exit(t)])
        .count(&fired(t, 1), 0),
        Scenario::new(
            "timer: 20 insmod/rmmod cycles with the timer armed",
            &cycles(t, 20, 50),
        )
        .timeout(120)
        .count(&once(t), 20)
        .count(&exit(t), 20)
        .exits_with(t, &exit(t)),
    ];
    for l in [&RUST, &C] {
        let p = l.periodic_timer;
        scenarios.extend([
            Scenario::new(
                &named(
                    l,
                    "periodic timer",
                    "fires every second with nseconds 1, 2, 3",
                ),
                &format!("insmod {p}.ko\nsleep 5\nrmmod {p}\nsleep 2"),
            )
            .in_order(&[&once(p), &fired(p, 1), &fired(p, 2), &fired(p, 3), &exit(p)])
            .count(&fired(p, 1), 1)
            .exits_with(p, &exit(p)),
            Scenario::new(
                &named(
                    l,
                    "periodic timer",
                    "20 insmod/rmmod cycles, armed and firing",
                ),
                &cycles(p, 20, 60),
            )
            .timeout(120)
            .count(&once(p), 20)
            .count(&exit(p), 20)
            .exits_with(p, &exit(p)),
        ]);
    }
    scenarios
}

/// Loads and unloads `module` `count` times, staying loaded `step_ms`, 2 × `step_ms`, ... so
/// that unloading meets the timer both armed and (late in the run) firing or re-arming.
fn cycles(module: &str, count: u32, step_ms: u32) -> String {
    format!(
        "i=1\nwhile [ $i -le {count} ]; do\n  insmod {module}.ko\n  usleep $((i * {step_ms} * 1000))\n  rmmod {module}\n  i=$((i + 1))\ndone\nsleep 2"
    )
}

/// Lab tasks 3, 5 and 7: `/dev/deferred` driven by `test`, through each module that serves it.
fn device() -> Vec<Scenario> {
    let (d, w, p) = ("dw_deferred", "dw_workqueue", "dw_procmon");
    let command = |m: &str, c: &str| line(m, &format!("[deferred_ioctl] Command: {c}"));
    let taken = |m: &str| {
        line(
            m,
            "/dev/deferred is taken: load only one of dw_deferred, dw_workqueue, dw_procmon",
        )
    };
    let mut scenarios = vec![
        Scenario::new("device: usage text matches the lab's", "./test || echo \"exit $?\"").output(&format!("{USAGE}exit 1")),
        Scenario::new("device: without the device, test reports it", "./test c || echo \"exit $?\"")
            .output("/dev/deferred: No such file or directory\nexit 1"),
        Scenario::new(
            "device: unknown commands and MON without the monitor get ENOTTY",
            "insmod dw_deferred.ko\n./dw-ioctl 0x1234 || true\n./dw-ioctl 0x40086b09 5 || true\n./test p 1 || echo \"exit $?\"\nrmmod dw_deferred",
        )
        .output(
            "error: Inappropriate ioctl for device (25)\nerror: Inappropriate ioctl for device (25)\n\
             Monitor PID 1.\nioctl monitor pid error: Inappropriate ioctl for device\nexit 1",
        )
        .count(&command(d, "Unknown command"), 2)
        .count(&command(d, "Monitor pid"), 1),
        Scenario::new(
            "device: only one /dev/deferred module loads at a time",
            "insmod dw_workqueue.ko\ninsmod dw_deferred.ko 2>&1 || echo \"exit $?\"\nrmmod dw_workqueue\ninsmod dw_deferred.ko\nrmmod dw_deferred",
        )
        .output("insmod: can't insert 'dw_deferred.ko': Device or resource busy\nexit 16")
        .at_least(&taken(d), 1)
        .in_order(&[&line(w, "[deferred_exit] Exit module"), &line(d, "[deferred_init] Init module"), &line(d, "[deferred_exit] Exit module")]),
    ];
    for l in [&RUST, &C] {
        scenarios.extend(device_features(l));
    }
    let c = C.monitor;
    scenarios.push(
        Scenario::new(
            &named(
                &C,
                "device",
                "the C twin and dw_procmon take the same minor, one at a time",
            ),
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

/// Guest shell function: how many `task_struct`s are allocated, exactly (the slab's counter after
/// a shrink, with SLUB debugging; 0 on kernels without it). A task reference that is never dropped
/// keeps its task allocated after the process is gone and reaped, which kmemleak does not see.
const TASKS_ALLOCATED: &str = "tasks_allocated() {\n  s=/sys/kernel/slab/task_struct\n  [ -w $s/shrink ] || { echo 0; return; }\n  sleep 1\n  echo 1 > $s/shrink\n  cat $s/objects\n}\n";

/// SET, CANCEL, ALLOC through the work item and MON, for the modules of language `l`.
fn device_features(l: &Language) -> Vec<Scenario> {
    let (d, w, p) = (l.set, l.work, l.monitor);
    let fired = |m: &str| line(m, "[timer_handler] pid = *, comm = *");
    let command = |m: &str, c: &str| line(m, &format!("[deferred_ioctl] Command: {c}"));
    let yawn = |m: &str| line(m, "Yawn! I've been sleeping for 5 seconds.");
    vec![
        Scenario::new(&named(l, "device", "set 3 fires once, about 3 s later"), &format!("insmod {d}.ko\n./test s 3\nsleep 5\nrmmod {d}\nsleep 1"))
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
            .delay(&command(d, "Set timer"), &fired(d), 2.0, 5.0)
            .exits_with(d, &line(d, "[deferred_exit] Exit module")),
        Scenario::new(&named(l, "device", "set then cancel never fires"), &format!("insmod {d}.ko\n./test s 2\n./test c\nsleep 4\nrmmod {d}"))
            .output("Set timer to 2 seconds\nCancel timer")
            .in_order(&[&command(d, "Set timer"), &command(d, "Cancel timer")])
            .count(&fired(d), 0),
        Scenario::new(&named(l, "device", "set twice fires once"), &format!("insmod {d}.ko\n./test s 2\n./test s 2\nsleep 4\nrmmod {d}"))
            .count(&command(d, "Set timer"), 2)
            .count(&fired(d), 1),
        Scenario::new(&named(l, "device", "seconds beyond what a timer takes get EINVAL"), &format!("insmod {d}.ko\n./test s -1 || echo \"exit $?\"\nrmmod {d}"))
            .output("Set timer to -1 seconds\nioctl set timer error: Invalid argument\nexit 1")
            .count(&fired(d), 0),
        Scenario::new(&named(l, "workqueue", "alloc sleeps in a kworker, 5 s after the timer"), &format!("insmod {w}.ko\n./test a 1\nsleep 8\nrmmod {w}"))
            .output("Allocate memory after 1 seconds")
            .in_order(&[
                &command(w, "Allocate memory"),
                &fired(w),
                &line(w, "[work_handler] pid = *, comm = kworker/*"),
                &yawn(w),
                &line(w, "[deferred_exit] Exit module"),
            ])
            .count(&yawn(w), 1)
            .delay(&fired(w), &yawn(w), 4.0, 7.0),
        Scenario::new(
            &named(l, "workqueue", "rmmod with the timer armed, or the work sleeping, is clean"),
            &format!("insmod {w}.ko\n./test a 3\nrmmod {w}\ninsmod {w}.ko\n./test a 1\nsleep 3\nrmmod {w}\nsleep 1"),
        )
        .count(&line(w, "[work_handler] pid = *, comm = kworker/*"), 1)
        .count(&yawn(w), 1)
        .count(&line(w, "[deferred_exit] Exit module"), 2),
        Scenario::new(
            &named(l, "procmon", "reports a monitored process when it dies"),
            &format!(
                "insmod {p}.ko\nsleep 2 &\npid=$!\n./test p $pid\ndw_note pid $pid\nsleep 5\nrmmod {p}"
            ),
        )
        .output("Monitor PID *.")
        .in_order(&[&command(p, "Monitor pid"), &line(p, "task sleep ($pid) is dead"), &line(p, "[deferred_exit] Exit module")])
        .count(&line(p, "task * (*) is dead"), 1),
        Scenario::new(
            &named(l, "procmon", "monitors several processes at once"),
            &format!(
                "insmod {p}.ko\nsleep 1 & a=$!\nsleep 2 & b=$!\nsleep 3 & c=$!\n./test p $c\n./test p $a\n./test p $b\n\
                 dw_note a $a\ndw_note b $b\ndw_note c $c\nsleep 6\nrmmod {p}"
            ),
        )
        .count(&line(p, "task sleep (*) is dead"), 3)
        .count(&line(p, "task sleep ($a) is dead"), 1)
        .count(&line(p, "task sleep ($b) is dead"), 1)
        .count(&line(p, "task sleep ($c) is dead"), 1),
        Scenario::new(&named(l, "procmon", "a missing pid gets ESRCH"), &format!("insmod {p}.ko\n./test p 99999 || echo \"exit $?\"\nrmmod {p}"))
            .output("Monitor PID 99999.\nioctl monitor pid error: No such process\nexit 1")
            .count(&line(p, "task * (*) is dead"), 0),
        Scenario::new(
            &named(l, "procmon", "reported processes' tasks are freed (their references dropped)"),
            &format!(
                "{TASKS_ALLOCATED}insmod {p}.ko\nbefore=$(tasks_allocated)\n\
                 i=0\nwhile [ $i -lt 50 ]; do sleep 1 & ./test p $! >/dev/null; i=$((i + 1)); done\n\
                 sleep 3\nafter=$(tasks_allocated)\nrmmod {p}\n\
                 echo \"task_struct objects: $before before, $after after\"\n[ $((after - before)) -lt 10 ]"
            ),
        )
        .count(&line(p, "task sleep (*) is dead"), 50),
        Scenario::new(
            &named(l, "procmon", "rmmod while monitored processes live is clean"),
            &format!("insmod {p}.ko\nsleep 30 & a=$!\nsleep 30 & b=$!\n./test p $a\n./test p $b\nsleep 2\nrmmod {p}\nkill $a $b\nsleep 1"),
        )
        .count(&line(p, "task * (*) is dead"), 0)
        .exits_with(p, &line(p, "[deferred_exit] Exit module")),
    ]
}

/// Lab task 6 and the rest of the lab text: kthreads, tasklets, BH disabling, workqueues; and
/// the abstraction layer's own KUnit tests (each test case counts as a result).
fn toolbox() -> Vec<Scenario> {
    let (e, t, w) = ("dw_kthread_events", "dw_tasklet", "dw_wq_toolbox");
    let handled = |n: u32| {
        line(
            e,
            &format!("[event_thread] handled event {n} in pid * (dw_events)"),
        )
    };
    let mut scenarios = vec![Scenario::new(
        "kunit: the kernel_ext suite runs at insmod and passes",
        "insmod dw_kunit.ko\nrmmod dw_kunit",
    )
    .in_order(&[
        "    # Subtest: dw_kernel_ext",
        "# dw_kernel_ext: pass:* fail:0 skip:0 total:*",
        "ok * dw_kernel_ext",
    ])];
    for l in [&RUST, &C] {
        let k = l.kthread;
        scenarios.extend([
            Scenario::new(
                &named(
                    l,
                    "kthread",
                    "mykthread0 prints its pid and exits in step with rmmod",
                ),
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
            .last_of(k, &line(k, "[kthread_exit] Exit module")),
            Scenario::new(
                &named(
                    l,
                    "kthread",
                    "20 insmod/rmmod cycles with the thread sleeping",
                ),
                &cycles(k, 20, 20),
            )
            .timeout(120)
            .count(&line(k, "[my_thread_f] Exiting"), 20)
            .count(&line(k, "[kthread_exit] Exit module"), 20),
        ]);
    }
    scenarios.extend([
        Scenario::new("kthread events: a thread handles the timer's events in order, then stops", "insmod dw_kthread_events.ko\nsleep 2\nrmmod dw_kthread_events")
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
        Scenario::new(
            "kthread events: module parameter, and rmmod with events pending",
            "insmod dw_kthread_events.ko events=3\nrmmod dw_kthread_events\nsleep 1",
        )
        .in_order(&[&line(e, "[events_init] Init module: sending 3 events"), &line(e, "[event_thread] stop event: exiting")])
        .last_of(e, &line(e, "[event_thread] stop event: exiting")),
        Scenario::new(
            "kthread events: without the stop event, kthread_stop ends the thread's wait",
            "insmod dw_kthread_events.ko events=2 stop_event=0\nsleep 1\nrmmod dw_kthread_events",
        )
        .in_order(&[
            &handled(2),
            &line(e, "[events_exit] no stop event: kthread_stop ends the thread"),
            &line(e, "[events_exit] Exit module"),
            &line(e, "[event_thread] stop requested: exiting"),
        ])
        .count(&line(e, "[event_thread] stop event: exiting"), 0),
        Scenario::new("tasklet: scheduling, priorities, disabling, rescheduling, BH workqueue", "insmod dw_tasklet.ko\nrmmod dw_tasklet")
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
        Scenario::new("tasklet: 20 insmod/rmmod cycles, unloading with a tasklet scheduled", &cycles(t, 20, 10))
            .timeout(120)
            .count(&line(t, "[tasklet_exit] Exit module"), 20)
            .count(&line(t, "[shared] tasklet ran (2 so far)"), 20)
            .count(&line(t, "[resched] run 3 of 3"), 20),
        Scenario::new(
            "workqueue toolbox: delayed work, ordered and per-CPU queues, every CPU",
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
        Scenario::new(
            "workqueue toolbox: rmmod with delayed work pending and work on a dedicated queue is clean",
            "insmod dw_wq_toolbox.ko\nrmmod dw_wq_toolbox\nsleep 2",
        )
        .count(&line(w, "[delayed 1 s] ran *"), 0)
        .last_of(w, &line(w, "[ordered 3] ran on cpu *, pid * (kworker/*)")),
    ]);
    scenarios
}

/// The abuse: many load/unload cycles with work in flight, bad ioctls, monitor edge cases,
/// concurrency. Each is bounded in count and time; the clean-log and leak checks do the rest.
/// The C twin of the monitor gets the same checks, with fewer cycles. `intensity` sets the loops'
/// counts.
fn abuse(intensity: Intensity) -> Vec<Scenario> {
    let Intensity {
        cycles,
        c_cycles,
        periodic_rearmed_every: rearmed,
        work_sleeping_every: sleeping,
        processes,
        storm_processes,
        storm_commands,
    } = intensity;
    let p = RUST.monitor;
    let dead = |comm: &str| line(p, &format!("task {comm} (*) is dead"));
    let monitor_in_flight = "sleep 5 & ./test p $! >/dev/null; ./test s 1 >/dev/null";
    let periodic = format!("usleep $((i % {rearmed} == 0 ? 1100000 : i % 5 * 50000))");
    let work = format!("if [ $((i % {sleeping})) -eq 0 ]; then ./test a 0; usleep 100000; else ./test a 1; fi >/dev/null");
    // (module, what is in flight when it is unloaded, the module's init line)
    let in_flight = [
        (
            "dw_timer",
            "usleep $((i % 5 * 50000))",
            "[timer_init] Init module",
        ),
        ("dw_periodic_timer", &periodic, "[timer_init] Init module"),
        (
            "dw_deferred",
            "./test s 1 >/dev/null",
            "[deferred_init] Init module",
        ),
        ("dw_workqueue", &work, "[deferred_init] Init module"),
        (
            "dw_procmon",
            monitor_in_flight,
            "[deferred_init] Init module",
        ),
        ("dw_kthread", "true", "[kthread_init] Init module"),
        (
            "dw_kthread_events",
            "usleep $((i % 5 * 100000))",
            "[events_init] Init module: sending 5 events",
        ),
        ("dw_tasklet", "true", "[tasklet_init] Init module"),
        ("dw_wq_toolbox", "true", "[toolbox_init] Init module"),
    ];
    let mut scenarios: Vec<Scenario> = in_flight
        .iter()
        .map(|(m, work, init)| cycles_in_flight(&RUST, m, work, init, cycles))
        .collect();
    scenarios.push(cycles_in_flight(
        &C,
        C.monitor,
        monitor_in_flight,
        "[deferred_init] Init module",
        c_cycles,
    ));
    for l in [&RUST, &C] {
        scenarios.extend(abuse_device(l));
    }
    scenarios.extend([
        Scenario::new(
            &format!("abuse: {processes} short-lived processes monitored, each reported once"),
            &format!("insmod dw_procmon.ko\nok=0\ni=0\nwhile [ $i -lt {processes} ]; do\n  usleep 300000 &\n  ./test p $! >/dev/null && ok=$((ok + 1))\n  i=$((i + 1))\ndone\n\
             sleep 3\nrmmod dw_procmon\necho \"monitored $ok\""),
        )
        .timeout(400)
        .output(&format!("monitored {processes}"))
        .count(&dead("usleep"), processes),
        Scenario::new(
            &format!("abuse: {storm_processes} processes hammer the device while the monitor timer runs"),
            &format!("insmod dw_procmon.ko\nsleep 60 & ./test p $! >/dev/null\n\
             cmds='{SET:#x} {CANCEL:#x} {ALLOC:#x} {MON:#x} 0x1234'\nargs='0 1 2 3 -1 99999'\n\
             j=0\nwhile [ $j -lt {storm_processes} ]; do\n  (n=0; while [ $n -lt {storm_commands} ]; do\n     set -- $cmds; shift $((RANDOM % 5)); c=$1\n     set -- $args; shift $((RANDOM % 6)); a=$1\n\
                  [ $c = {ALLOC:#x} ] && [ $a = 0 ] && a=3\n     ./dw-ioctl $c $a >/dev/null 2>&1 || true\n     n=$((n + 1))\n   done) &\n  storm=\"$storm $!\"\n  j=$((j + 1))\ndone\n\
             wait $storm\n./test c >/dev/null\nrmmod dw_procmon\nkillall sleep 2>/dev/null || true\nsleep 1"),
        )
        .timeout(300)
        // Each process's commands, then the MON before and the CANCEL after them.
        .count(&line(p, "[deferred_ioctl] Command: *"), storm_processes * storm_commands + 2),
    ]);
    scenarios
}

/// `count` insmod/rmmod cycles of `module`, with `work` (shell, `$i` is the cycle) in flight
/// when it is unloaded.
fn cycles_in_flight(l: &Language, module: &str, work: &str, init: &str, count: usize) -> Scenario {
    let script = format!(
        "i=1\nwhile [ $i -le {count} ]; do\n  insmod {module}.ko\n  {work}\n  rmmod {module}\n  i=$((i + 1))\ndone\nkillall sleep 2>/dev/null || true\nsleep 1"
    );
    Scenario::new(
        &named(
            l,
            "abuse",
            &format!("{count} insmod/rmmod cycles of {module}, work in flight"),
        ),
        &script,
    )
    .timeout(400)
    .count(&format!("{module}: {init}"), count)
}

/// The device's errnos, the monitor's edge cases, unloading with processes monitored or the
/// device open, for the modules of language `l`.
fn abuse_device(l: &Language) -> Vec<Scenario> {
    let (d, p) = (l.set, l.monitor);
    let dead = |comm: &str| line(p, &format!("task {comm} (*) is dead"));
    vec![
        Scenario::new(
            &named(l, "abuse", "bad and unknown ioctls get a clear errno"),
            &format!(
                "insmod {p}.ko\n\
                 # Not the lab's: numbers 0 and 5 of its type, CANCEL's number as a write, SET's\n\
                 # as a read-write and a read, and nonsense.\n\
                 for cmd in 0 1 0x6b00 0x6b05 0x40086b02 0xc0086b01 0x80086b01 0xffffffff; do ./dw-ioctl $cmd 1 || true; done\n\
                 for arg in 0 1 -1 4611686018427387904 9223372036854775807; do ./dw-ioctl {SET:#x} $arg || true; done\n\
                 for arg in 1 -1 4611686018427387904; do ./dw-ioctl {ALLOC:#x} $arg || true; done\n\
                 for arg in 0 -1 0x7fffffff; do ./dw-ioctl {CANCEL:#x} $arg || true; done\n\
                 for arg in 0 -1 4294967297 99999; do ./dw-ioctl {MON:#x} $arg || true; done\n\
                 for arg in 1 2 $$; do ./dw-ioctl {MON:#x} $arg || true; done\n\
                 rmmod {p}"
            ),
        )
        .output(
            &[
                ["error: Inappropriate ioctl for device (25)"; 8].join("\n"),
                "ok 0\nok 0\nerror: Invalid argument (22)\nerror: Invalid argument (22)\nerror: Invalid argument (22)".into(),
                "ok 0\nerror: Invalid argument (22)\nerror: Invalid argument (22)".into(),
                "ok 0\nok 0\nok 0".into(),
                ["error: No such process (3)"; 4].join("\n"),
                "ok 0\nok 0\nok 0".into(),
            ]
            .join("\n"),
        )
        .count(&line(p, "[deferred_ioctl] Command: Unknown command"), 8),
        Scenario::new(
            &named(l, "abuse", "monitor edge cases (same pid twice, itself, a zombie, kthreadd, pid 0 and 1)"),
            &format!(
                "insmod {p}.ko\n\
                 sleep 1 & ./test p $! >/dev/null; ./test p $! >/dev/null\n\
                 sh -c './test p $$ >/dev/null; usleep 100000; true' &\n\
                 sh -c 'sleep 0 & echo $! > /tmp/zombie; exec sleep 3' &\n\
                 usleep 500000; ./test p $(cat /tmp/zombie) >/dev/null\n\
                 ./test p 2 >/dev/null\n\
                 ./test p 0 || true\n\
                 ./test p 1 >/dev/null\n\
                 dw_note zombie $(cat /tmp/zombie)\n\
                 sleep 3\n\
                 rmmod {p}"
            ),
        )
        .output("Monitor PID 0.\nioctl monitor pid error: No such process")
        .count(&dead("sleep"), 3)
        .count(&line(p, "task sleep ($zombie) is dead"), 1)
        .count(&dead("sh"), 1)
        .count(&dead("kthreadd"), 0)
        .count(&dead("init"), 0),
        Scenario::new(
            &named(l, "abuse", "rmmod while monitored processes live and while they die"),
            &format!(
                "insmod {p}.ko\ni=0\nwhile [ $i -lt 50 ]; do usleep $((i * 20000 + 200000)) & ./test p $! >/dev/null; i=$((i + 1)); done\n\
                 usleep 500000\nrmmod {p}\nsleep 1"
            ),
        )
        .exits_with(p, &line(p, "[deferred_exit] Exit module")),
        Scenario::new(
            &named(l, "abuse", "rmmod while /dev/deferred is open is refused, then works"),
            &format!(
                "insmod {d}.ko\nexec 3</dev/deferred\nrmmod {d} 2>&1 || echo \"refused $?\"\n\
                 ./test s 1 >/dev/null\nexec 3<&-\nrmmod {d}\nsleep 2"
            ),
        )
        .output(&format!("rmmod: can't unload module '{d}': *\nrefused 1"))
        .count(&line(d, "[timer_handler] pid = *, comm = *"), 0)
        .exits_with(d, &line(d, "[deferred_exit] Exit module")),
    ]
}

/// Misuses that compile (`dw_misuse`), each reported at run time by `kernel_ext`'s checks; then
/// lab task 4: `dw_deferred` makes its timer handler sleep, which the kernel must report.
fn atomic_sleep() -> Vec<Scenario> {
    let m = "dw_misuse";
    // `might_sleep()` reports at most once a second: each case waits that long first.
    let misuse = |case: u32, what: &str, start: &str| {
        Scenario::new(
            &format!("misuse: {what}"),
            &format!("sleep 1\ninsmod {m}.ko case={case}\nrmmod {m}"),
        )
        .in_order(&[&line(m, start), &line(m, "[misuse] done")])
    };
    let d = "dw_deferred";
    vec![
        misuse(
            1,
            "sleeping under a kernel crate SpinLock is reported by might_sleep at the call",
            "[misuse] waiting for a completion under a spinlock",
        )
        .expect_report(SLEEP_UNDER_LOCK),
        misuse(
            2,
            "a work item dropped in a timer callback is reported by might_sleep at its drop",
            "[misuse] dropping a work item in a timer callback",
        )
        .expect_report(DROP_IN_ATOMIC),
        misuse(
            3,
            "bottom halves disabled with interrupts off are reported by lockdep at the guard",
            "[misuse] disabling bottom halves under an IRQ-disabling spinlock",
        )
        .expect_report(BH_WITH_IRQS_OFF),
        Scenario::new(
            "misuse: a kernel thread that drops its own KThread is reported, stops, and holds its module until it exits",
            &format!(
                "sleep 1\ninsmod {m}.ko case=4\nrmmod {m} 2>&1 || echo \"refused $?\"\n\
                 sleep 1\nrmmod {m}"
            ),
        )
        .output(&format!("rmmod: can't unload module '{m}': *\nrefused 1"))
        .in_order(&[
            &line(m, "[misuse] a kernel thread drops its own KThread"),
            &line(m, "a KThread was dropped by its own thread, which cannot wait for itself: *"),
            &line(m, "[misuse] the thread dropped its own KThread; should it stop? true"),
            &line(m, "[misuse] done"),
            &line(m, "[misuse] the thread that dropped its own KThread exits"),
        ])
        .expect_report(KTHREAD_DROPS_ITSELF),
        Scenario::new(
            "misuse: an ioctl that forgets a BhGuard is reported by name as it returns",
            &format!(
                "sleep 1\ninsmod {m}.ko case=6\n./dw-ioctl --device /dev/dw_misuse 0x6b05\n\
                 rmmod {m}"
            ),
        )
        .output("ok 0")
        .in_order(&[
            &line(m, "[misuse] ioctl 0x6b05 forgets a BhGuard"),
            &line(m, "ioctl 0x6b05 returned with bottom halves disabled: *"),
        ])
        .expect_report(LEAVES_BH_DISABLED),
        Scenario::new(
            "misuse: a module init and exit that forget a BhGuard are reported by name as they return",
            &format!("sleep 1\ninsmod {m}.ko case=7\nsleep 1\nrmmod {m}"),
        )
        .in_order(&[
            &line(m, "[misuse] init forgets a BhGuard"),
            &line(m, "[misuse] done"),
            &line(m, "the module's init returned with bottom halves disabled: *"),
            &line(m, "[misuse] exit forgets a BhGuard"),
            &line(m, "the module's exit returned with bottom halves disabled: *"),
        ])
        .expect_report(LEAVES_BH_DISABLED),
        Scenario::new(
        "deferred: alloc sleeping in the timer handler (atomic context) is a BUG the kernel reports",
        // No rmmod: after this bug the timer wheel of that CPU may be stuck, and rmmod would
        // wait for the timer forever.
        "insmod dw_deferred.ko\n./test a 1\nsleep 4",
    )
    .output("Allocate memory after 1 seconds")
    .in_order(&[
        &format!("{d}: [deferred_ioctl] Command: Allocate memory"),
        &format!("{d}: [timer_handler] pid = *, comm = *"),
        "BUG: scheduling while atomic: *",
    ])
    .expect_report(ATOMIC_SLEEP)
    .keep_modules(),
    ]
}

/// `dw_misuse case=5`: a wait condition panics in a kernel thread. The panic kills the thread;
/// the wake-ups after its death must find nothing of it on the queue.
fn panic_in_wait_condition() -> Scenario {
    let m = "dw_misuse";
    Scenario::new(
        "misuse: a panic in a wait condition kills its thread and leaves nothing on the queue",
        &format!("insmod {m}.ko case=5\nrmmod {m}"),
    )
    .in_order(&[
        &line(m, "[misuse] waking a thread whose wait condition panics"),
        "rust_kernel: panicked at selftests/misuse.rs:*",
        &line(m, "[misuse] waking the queue of the dead thread"),
        &line(m, "[misuse] done"),
    ])
    .expect_report(PANIC_IN_WAIT_CONDITION)
}

/// The lab task whose work a scenario checks (`make check TASK=n`), from its name's topic: the
/// Rust scenarios of the student's modules; `None` for the C twins, the lab text's extras, the
/// layer's own checks and the abuse.
pub fn lab_task(name: &str) -> Option<u32> {
    const TOPICS: [(&str, u32); 7] = [
        ("timer: ", 1),
        ("periodic timer: ", 2),
        ("device: ", 3),
        ("deferred: ", 4),
        ("workqueue: ", 5),
        ("kthread: ", 6),
        ("procmon: ", 7),
    ];
    TOPICS
        .iter()
        .find(|(topic, _)| name.starts_with(topic))
        .map(|&(_, task)| task)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each C scenario with a Rust twin (the same name without ` (C)`) checks exactly what the
    /// twin checks, with the module names swapped.
    #[test]
    fn c_scenarios_check_what_their_rust_twins_check() {
        let scenarios: Vec<Scenario> = all(Intensity::TEST)
            .into_iter()
            .flat_map(|b| b.scenarios)
            .collect();
        let swaps = [
            (RUST.set, C.set),
            (RUST.work, C.work),
            (RUST.monitor, C.monitor),
            (RUST.periodic_timer, C.periodic_timer),
            (RUST.kthread, C.kthread),
        ];
        let mut twins = 0;
        for c in scenarios.iter().filter(|s| s.name.contains(C.tag)) {
            let rust_name = c.name.replace(C.tag, "");
            let Some(rust) = scenarios.iter().find(|s| s.name == rust_name) else {
                continue;
            };
            let expected = swaps.iter().fold(
                format!("{rust:?}").replace(&rust.name, &c.name),
                |text, (r, c)| text.replace(r, c),
            );
            assert_eq!(expected, format!("{c:?}"));
            twins += 1;
        }
        assert!(twins >= 17, "only {twins} C scenarios have a Rust twin");
    }

    /// Every lab task has checks, and each check of a task runs only that task's module (or
    /// none): a student's tree is checked module by module.
    #[test]
    fn every_lab_task_has_checks_of_its_module_only() {
        let modules = [
            (1, "dw_timer"),
            (2, "dw_periodic_timer"),
            (3, "dw_deferred"),
            (4, "dw_deferred"),
            (5, "dw_workqueue"),
            (6, "dw_kthread"),
            (7, "dw_procmon"),
        ];
        let scenarios: Vec<Scenario> = all(Intensity::TEST)
            .into_iter()
            .flat_map(|b| b.scenarios)
            .collect();
        for (task, module) in modules {
            let checks: Vec<&Scenario> = scenarios
                .iter()
                .filter(|s| lab_task(&s.name) == Some(task))
                .collect();
            assert!(
                checks.len() >= 2 || task == 4,
                "task {task}: {}",
                checks.len()
            );
            for s in checks {
                for other in modules.iter().map(|m| m.1).filter(|m| *m != module) {
                    let only_taken = other == "dw_workqueue" && s.name.contains("only one");
                    assert!(
                        only_taken || !s.script.contains(&format!("insmod {other}")),
                        "{}",
                        s.name
                    );
                }
            }
        }
    }

    /// `make soak` runs the abuse boot alone at its full counts; `make test` runs the same
    /// scenarios with smaller counts, which still meet every case of each loop.
    #[test]
    fn soak_runs_the_abuse_loops_in_full_and_test_runs_each_case() {
        let soak = all(Intensity::SOAK);
        assert_eq!(soak.len(), 1);
        assert_eq!(soak[0].name, "abuse soak");
        let names =
            |b: &Boot| -> Vec<String> { b.scenarios.iter().map(|s| s.name.clone()).collect() };
        let soak_names = names(&soak[0]);
        assert!(soak_names
            .contains(&"abuse: 200 insmod/rmmod cycles of dw_timer, work in flight".to_string()));
        assert!(soak_names.contains(
            &"abuse: 1000 short-lived processes monitored, each reported once".to_string()
        ));
        assert!(format!("{:?}", soak[0])
            .contains("Count(\"dw_procmon: [deferred_ioctl] Command: *\", 642)"));
        let test = all(Intensity::TEST);
        let abuse = test
            .iter()
            .find(|b| b.name == "abuse")
            .expect("an abuse boot");
        assert_eq!(abuse.scenarios.len(), soak[0].scenarios.len());
        assert!(names(abuse)
            .contains(&"abuse: 24 insmod/rmmod cycles of dw_timer, work in flight".to_string()));
        let t = Intensity::TEST;
        for every in [t.periodic_rearmed_every, t.work_sleeping_every] {
            assert!(
                every % 5 != 0 && t.cycles / every >= 3,
                "each case met three times"
            );
        }
        assert!(
            t.cycles >= 5 && t.c_cycles >= 5,
            "every usleep of 0 to 200 ms, and `./test s 1`"
        );
        assert!(t.storm_processes > 1 && t.processes > 1);
    }
}
