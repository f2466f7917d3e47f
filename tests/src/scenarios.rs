//! The guest scenarios, one boot per group. Log lines are exact, as the lab prints them, with
//! the module name that `pr_info!` puts in front.

use crate::check::{Boot, Scenario};

pub fn all() -> Vec<Boot> {
    vec![Boot::new("timers", timers())]
}

/// Lab tasks 1 and 2: the one-shot and the periodic timer.
fn timers() -> Vec<Scenario> {
    const INIT: &str = "[timer_init] Init module";
    const EXIT: &str = "[timer_exit] Exit module";
    let once = |m: &str| format!("{m}: {INIT}");
    let exit = |m: &str| format!("{m}: {EXIT}");
    let fired = |m: &str, n: u32| format!("{m}: [timer_handler] nseconds = {n}");
    let (t, p) = ("dw_timer", "dw_periodic_timer");
    vec![
        Scenario::new("timer: fires once, about 1 s after load", "insmod dw_timer.ko\nsleep 3\nrmmod dw_timer\nsleep 1")
            .in_order(&[&once(t), &fired(t, 1), &exit(t)])
            .count(&fired(t, 1), 1)
            .last_of(t, &exit(t)),
        Scenario::new("timer: rmmod while armed is clean and silent", "insmod dw_timer.ko\nrmmod dw_timer\nsleep 2")
            .in_order(&[&once(t), &exit(t)])
            .count(&fired(t, 1), 0),
        Scenario::new("timer: 20 insmod/rmmod cycles with the timer armed", &cycles(t, 20, 50))
            .count(&once(t), 20)
            .count(&exit(t), 20)
            .last_of(t, &exit(t)),
        Scenario::new(
            "periodic timer: fires every second with nseconds 1, 2, 3",
            "insmod dw_periodic_timer.ko\nsleep 5\nrmmod dw_periodic_timer\nsleep 2",
        )
        .in_order(&[&once(p), &fired(p, 1), &fired(p, 2), &fired(p, 3), &exit(p)])
        .count(&fired(p, 1), 1)
        .last_of(p, &exit(p)),
        Scenario::new("periodic timer: 20 insmod/rmmod cycles, armed and firing", &cycles(p, 20, 60))
            .count(&once(p), 20)
            .count(&exit(p), 20)
            .last_of(p, &exit(p)),
    ]
}

/// Loads and unloads `module` `count` times, staying loaded `step_ms`, 2 × `step_ms`, ... so
/// that unloading meets the timer both armed and (late in the run) firing or re-arming.
fn cycles(module: &str, count: u32, step_ms: u32) -> String {
    format!(
        "i=1\nwhile [ $i -le {count} ]; do\n  insmod {module}.ko\n  usleep $((i * {step_ms} * 1000))\n  rmmod {module}\n  i=$((i + 1))\ndone\nsleep 2"
    )
}
