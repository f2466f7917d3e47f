//! The guest scenarios, one boot per group. Log lines are exact, as the lab prints them, with
//! the module name that `pr_info!` puts in front. The longer shell bodies are in
//! `tests/guest/*.sh`. The scenarios are declared one by one, alike in shape on purpose: each
//! names the exact lines it expects, so that a failure points at one declaration.

mod abuse;
mod misuse;
mod tasks;

use crate::{
    check::{Boot, Kind, Scenario},
    guest::LEAK_MIN_AGE,
};
use dw_lab::{Language, RUST};

pub use abuse::Intensity;

/// The guest's shell functions the scenarios call (`tests/guest/`): `dw_cycles`; the process
/// monitor's `dw_monitor_several`, `dw_tasks_freed`; the abuse loops.
const CYCLES_SH: &str = include_str!("../../guest/cycles.sh");
const PROCMON_SH: &str = include_str!("../../guest/procmon.sh");
const ABUSE_SH: &str = include_str!("../../guest/abuse.sh");

/// What a scenario's name starts with, and the lab task whose work its Rust scenarios check
/// (`make check TASK=n`).
struct Topic {
    name: &'static str,
    task: Option<u32>,
}

const TIMER: Topic = Topic::task("timer", 1);
const PERIODIC_TIMER: Topic = Topic::task("periodic timer", 2);
const DEVICE: Topic = Topic::task("device", 3);
const DEFERRED: Topic = Topic::task("deferred", 4);
const WORKQUEUE: Topic = Topic::task("workqueue", 5);
const KTHREAD: Topic = Topic::task("kthread", 6);
const PROCMON: Topic = Topic::task("procmon", 7);
const KUNIT: Topic = Topic::extra("kunit");
const KTHREAD_EVENTS: Topic = Topic::extra("kthread events");
const TASKLET: Topic = Topic::extra("tasklet");
const WORKQUEUE_TOOLBOX: Topic = Topic::extra("workqueue toolbox");
const ABUSE: Topic = Topic::extra("abuse");
const MISUSE: Topic = Topic::extra("misuse");

impl Topic {
    const fn task(name: &'static str, task: u32) -> Self {
        Self {
            name,
            task: Some(task),
        }
    }

    /// A topic of no lab task: the lab text's extras, the layer's own checks, the abuse.
    const fn extra(name: &'static str) -> Self {
        Self { name, task: None }
    }

    /// A scenario of this topic on the modules of language `l`, named `topic: what` for Rust
    /// and `topic (C): what` for the C twins, which run the same checks. Only the Rust
    /// scenarios check a lab task: a student writes the Rust modules.
    fn scenario(&self, l: &'static Language, what: &str, script: &str) -> Scenario {
        let task = self.task.filter(|_| l.name == RUST.name);
        Scenario::new(&format!("{}{}: {what}", self.name, l.tag), script).of(task, l)
    }

    /// A scenario of this topic on the Rust modules.
    fn rust(&self, what: &str, script: &str) -> Scenario {
        self.scenario(&RUST, what, script)
    }
}

/// A log line of module `m`, as `pr_info!` and `pr_info` print it.
fn line(m: &str, text: &str) -> String {
    format!("{m}: {text}")
}

/// The boots of `make test`, or at `Intensity::SOAK` only the abuse scenarios (`make soak`).
pub fn all(intensity: Intensity) -> Vec<Boot> {
    if intensity == Intensity::SOAK {
        // Its own name, so its files in build/tests/ are not those of `make test`'s abuse boot.
        return vec![Boot::new("abuse soak", abuse::all(intensity))];
    }
    vec![
        Boot::new("timers", tasks::timers()),
        Boot::new("device", tasks::device()),
        Boot::new("toolbox", tasks::toolbox()),
        Boot::new("abuse", abuse::all(intensity)),
        // In a boot of its own: the bug leaves the timers of one CPU stuck.
        Boot::new("atomic sleep", misuse::atomic_sleep()).fresh(),
        // In a boot of its own: the Oops turns lockdep off for the rest of the boot.
        Boot::new("panic", vec![misuse::panic_in_wait_condition()]),
    ]
}

const LEAK_CHECK_NAME: &str = "no memory leaked by our modules (kmemleak)";

/// The boots with the scenarios whose name contains a filter (all without one), each closed by
/// a leak check; with `tasks`, only the checks of those lab tasks, and boots that keep one.
pub fn selected(filters: &[String], intensity: Intensity, tasks: Option<&[String]>) -> Vec<Boot> {
    let selected = |s: &Scenario| filters.is_empty() || filters.iter().any(|f| s.name.contains(f));
    let mut boots: Vec<Boot> = all(intensity)
        .into_iter()
        .map(|mut b| {
            b.scenarios.retain(selected);
            b
        })
        .filter(|b| !b.scenarios.is_empty())
        .map(|mut b| {
            // Last in each boot: a leak check late enough for kmemleak to report what the
            // scenarios left behind.
            let name = format!("{}: {LEAK_CHECK_NAME}", b.name);
            let sleep = format!("sleep {LEAK_MIN_AGE}");
            let leak_check = Scenario::new(&name, &sleep).kind(Kind::LeakCheck);
            b.scenarios.push(leak_check);
            b
        })
        .collect();
    if let Some(tasks) = tasks {
        let wanted = |s: &Scenario| {
            let task = s.identity.task.map(|t| t.to_string());
            task.is_some_and(|t| tasks.contains(&t)) || s.kind == Kind::LeakCheck
        };
        boots.iter_mut().for_each(|b| b.scenarios.retain(wanted));
        boots.retain(|b| b.scenarios.len() > 1);
    }
    boots
}

/// Every scenario of `make test`.
#[cfg(test)]
fn every_scenario() -> Vec<Scenario> {
    all(Intensity::TEST)
        .into_iter()
        .flat_map(|b| b.scenarios)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dw_lab::{C, TASKS};

    /// Each C scenario with a Rust twin (the same name without ` (C)`) checks exactly what the
    /// twin checks, with the module names swapped.
    #[test]
    fn c_scenarios_check_what_their_rust_twins_check() {
        let scenarios = every_scenario();
        let swaps = [
            (RUST.set, C.set),
            (RUST.work, C.work),
            (RUST.monitor, C.monitor),
            (RUST.periodic_timer, C.periodic_timer),
            (RUST.kthread, C.kthread),
        ];
        let mut twins = 0;
        let c_scenarios = scenarios
            .iter()
            .filter(|s| s.identity.language.is_some_and(|l| l.name == C.name));
        for c in c_scenarios {
            let rust_name = c.name.replace(C.tag, "");
            let Some(rust) = scenarios.iter().find(|s| s.name == rust_name) else {
                continue;
            };
            // Their identities differ: the language, and the task only the Rust one checks.
            let mut rust = rust.clone();
            rust.identity = c.identity.clone();
            // The shell functions both call are the same text, which names modules of both.
            let without_functions = |s: &Scenario| {
                let mut s = s.clone();
                for functions in [CYCLES_SH, PROCMON_SH, ABUSE_SH] {
                    s.script = s.script.replace(functions, "");
                }
                s
            };
            let (rust, c) = (without_functions(&rust), without_functions(c));
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
        let scenarios = every_scenario();
        let module = |task: u32| dw_lab::lab_modules().find(|m| m.tasks.contains(&task));
        for task in TASKS.iter().map(|t| t.number) {
            let own = module(task).expect("a module per task").name;
            let checks: Vec<&Scenario> = scenarios
                .iter()
                .filter(|s| s.identity.task == Some(task))
                .collect();
            assert!(
                checks.len() >= 2 || task == 4,
                "task {task}: {}",
                checks.len()
            );
            for s in checks {
                let words = s.script.split(|c: char| c.is_whitespace() || c == '.');
                for other in words.filter(|w| w.starts_with("dw_") && *w != own) {
                    let only_taken = other == "dw_workqueue" && s.name.contains("only one");
                    assert!(only_taken || dw_lab::module(other).is_none(), "{}", s.name);
                }
            }
        }
    }

    /// The task a scenario checks is its topic's, for the Rust scenarios only.
    #[test]
    fn only_rust_scenarios_check_a_lab_task() {
        for s in every_scenario() {
            let rust = s.identity.language.is_some_and(|l| l.name == RUST.name);
            assert!(rust || s.identity.task.is_none(), "{}", s.name);
            if let Some(task) = s.identity.task {
                assert!(TASKS.iter().any(|t| t.number == task), "{}", s.name);
            }
        }
    }
}
