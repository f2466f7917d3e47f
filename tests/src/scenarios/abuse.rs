//! The abuse: many load/unload cycles with work in flight, bad ioctls, monitor edge cases,
//! concurrency. Each is bounded in count and time; the clean-log and leak checks do the rest.
//! The C twin of the monitor gets the same checks, with fewer cycles.

use super::{line, ABUSE, ABUSE_SH};
use crate::check::Scenario;
use dw_lab::abi::{
    MY_IOCTL_TIMER_ALLOC as ALLOC, MY_IOCTL_TIMER_CANCEL as CANCEL, MY_IOCTL_TIMER_MON as MON,
    MY_IOCTL_TIMER_SET as SET,
};
use dw_lab::{Language, C, LANGUAGES, RUST};

/// The abuse loops (`dw_cycles_in_flight`, `dw_storm`, ...), after the ioctl numbers they use.
fn guest_functions() -> String {
    format!("DW_SET={SET:#x} DW_CANCEL={CANCEL:#x} DW_ALLOC={ALLOC:#x} DW_MON={MON:#x}\n{ABUSE_SH}")
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

/// The abuse scenarios, their loops at `intensity`'s counts.
pub(super) fn all(intensity: Intensity) -> Vec<Scenario> {
    let Intensity {
        cycles,
        c_cycles,
        processes,
        storm_processes,
        storm_commands,
        ..
    } = intensity;
    let functions = guest_functions();
    // Each module, with its init line; `dw_in_flight` knows what each has in flight.
    let in_flight = [
        ("dw_timer", "[timer_init] Init module"),
        ("dw_periodic_timer", "[timer_init] Init module"),
        ("dw_deferred", "[deferred_init] Init module"),
        ("dw_workqueue", "[deferred_init] Init module"),
        ("dw_procmon", "[deferred_init] Init module"),
        ("dw_kthread", "[kthread_init] Init module"),
        (
            "dw_kthread_events",
            "[events_init] Init module: sending 5 events",
        ),
        ("dw_tasklet", "[tasklet_init] Init module"),
        ("dw_wq_toolbox", "[toolbox_init] Init module"),
    ];
    let cycles_of = |l, module, init, count| {
        let every = (
            intensity.periodic_rearmed_every,
            intensity.work_sleeping_every,
        );
        let script = format!(
            "{functions}dw_cycles_in_flight {module} {count} {} {}",
            every.0, every.1
        );
        let what = format!("{count} insmod/rmmod cycles of {module}, work in flight");
        ABUSE
            .scenario(l, &what, &script)
            .timeout(400)
            .count(&line(module, init), count)
    };
    let mut scenarios: Vec<Scenario> = in_flight
        .iter()
        .map(|(m, init)| cycles_of(&RUST, m, init, cycles))
        .collect();
    let c_init = "[deferred_init] Init module";
    scenarios.push(cycles_of(&C, C.monitor, c_init, c_cycles));
    for l in LANGUAGES {
        scenarios.extend(device(l, &functions));
    }
    let p = RUST.monitor;
    scenarios.extend([
        ABUSE
            .rust(
                &format!("{processes} short-lived processes monitored, each reported once"),
                &format!("{functions}dw_short_lived {processes}"),
            )
            .timeout(400)
            .output(&format!("monitored {processes}"))
            .count(&line(p, "task usleep (*) is dead"), processes),
        ABUSE
            .rust(
                &format!(
                    "{storm_processes} processes hammer the device while the monitor timer runs"
                ),
                &format!("{functions}dw_storm {storm_processes} {storm_commands}"),
            )
            .timeout(300)
            // Each process's commands, then the MON before and the CANCEL after them.
            .count(
                &line(p, "[deferred_ioctl] Command: *"),
                storm_processes * storm_commands + 2,
            ),
    ]);
    scenarios
}

/// The device's errnos, the monitor's edge cases, unloading with processes monitored or the
/// device open, for the modules of language `l`.
fn device(l: &'static Language, functions: &str) -> Vec<Scenario> {
    let (d, p) = (l.set, l.monitor);
    let dead = |comm: &str| line(p, &format!("task {comm} (*) is dead"));
    let einval = "error: Invalid argument (22)";
    vec![
        ABUSE
            .scenario(
                l,
                "bad and unknown ioctls get a clear errno",
                &format!("{functions}dw_bad_ioctls {p}"),
            )
            .output(
                &[
                    ["error: Inappropriate ioctl for device (25)"; 8].join("\n"),
                    format!("ok 0\nok 0\n{einval}\n{einval}\n{einval}"),
                    format!("ok 0\n{einval}\n{einval}"),
                    "ok 0\nok 0\nok 0".into(),
                    ["error: No such process (3)"; 4].join("\n"),
                    "ok 0\nok 0\nok 0".into(),
                ]
                .join("\n"),
            )
            .count(&line(p, "[deferred_ioctl] Command: Unknown command"), 8),
        ABUSE
            .scenario(
                l,
                "monitor edge cases (same pid twice, itself, a zombie, kthreadd, pid 0 and 1)",
                &format!("{functions}dw_monitor_edge_cases {p}"),
            )
            .output("Monitor PID 0.\nioctl monitor pid error: No such process")
            .count(&dead("sleep"), 3)
            .count(&line(p, "task sleep ($zombie) is dead"), 1)
            .count(&dead("sh"), 1)
            .count(&dead("kthreadd"), 0)
            .count(&dead("init"), 0),
        ABUSE
            .scenario(
                l,
                "rmmod while monitored processes live and while they die",
                &format!("{functions}dw_rmmod_while_monitored_die {p}"),
            )
            .exits_with(p, &line(p, "[deferred_exit] Exit module")),
        ABUSE
            .scenario(
                l,
                "rmmod while /dev/deferred is open is refused, then works",
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

#[cfg(test)]
mod tests {
    use super::super::all;
    use super::*;
    use crate::check::Boot;

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
