//! The lab as a student does it: `make check` hints, and the proof that the checks can fail
//! (the skeleton tree fails its tasks' checks; each solution with one TODO region removed fails
//! a check of its task).

use crate::result::Identity;
use crate::{
    check::{Boot, Kind, Scenario},
    result::{CheckResult, Outcome, Tree},
    scenarios,
};
use dw_lab::RUST;
use dw_skels::{lab_modules, marker_lines, Todo, TASKS};
use std::{fs, path::Path, process::Command};

/// A boot of the proof, with its `HOST:GUEST` files.
pub type ProofBoot = (Boot, Vec<String>);

/// Runs proof boots (side by side), their scenarios meant to fail: each boot's outcomes, in order.
pub type RunBoots<'a> = dyn FnMut(&[ProofBoot]) -> Vec<Vec<CheckResult>> + 'a;

/// The proof (`--lab-proof`): builds the skeleton tree and the mutants (`scripts/lab-proof.sh`),
/// then checks that the skeleton loads cleanly and fails every task's checks, and that each
/// mutant fails a check of its task (or does not build). One result per claim.
pub fn proof(root: &Path, run: &mut RunBoots) -> Vec<CheckResult> {
    println!(
        "==> lab proof: the skeleton tree, one mutant per TODO region and the forgers (scripts/lab-proof.sh)"
    );
    let built = Command::new(root.join("scripts/lab-proof.sh")).status();
    if !built.is_ok_and(|s| s.success()) {
        let why = "scripts/lab-proof.sh failed (see above)".to_string();
        let name = "lab proof: skeleton and mutants built";
        return vec![CheckResult::new(name, Outcome::Fail(vec![why]))];
    }
    let dir = root.join("build/lab-proof");
    let (mut results, skeleton_boot) = skeleton_boot(&dir.join("skels"));
    for CheckResult { name, outcome, .. } in &results {
        match outcome {
            Outcome::Fail(problems) => {
                println!("    FAIL {name}");
                problems.iter().for_each(|p| println!("        {p}"));
            }
            _ => println!("    PASS {name}"),
        }
    }
    let table = fs::read_to_string(dir.join("mutants/mutants.tsv")).unwrap_or_default();
    let mutants = read_mutants(&table);
    let (mut runnable, mut todo_map) = (Vec::new(), Vec::new());
    for m in &mutants {
        let ko = dir.join(format!("mutants/{}/{}.ko", m.dir, m.module));
        if ko.exists() {
            runnable.push((m, ko));
            continue;
        }
        let log = fs::read_to_string(dir.join(format!("mutants/{}/build.log", m.dir)));
        let result = match build_error(&log.unwrap_or_default()) {
            Some(e) => {
                todo_map.push(TodoChecks::of(m, vec![BY_THE_BUILD.into()]));
                CheckResult::new(
                    format!("{}: caught by the build ({e})", m.label()),
                    Outcome::Pass,
                )
            }
            None => CheckResult::new(
                format!("{}: builds", m.label()),
                Outcome::Fail(vec![
                    "no .ko and no compiler error: see its build.log in build/lab-proof/mutants/"
                        .into(),
                ]),
            ),
        }
        .with_identity(m.identity());
        println!("    {}", result.name);
        results.push(result);
    }
    let has_skeleton = skeleton_boot.is_some();
    let mut boots = Vec::from_iter(skeleton_boot);
    let mut groups = Vec::new();
    for tasks in [&[1, 2, 6][..], &[3, 4, 5], &[7]] {
        let group: Vec<_> = runnable
            .iter()
            .filter(|(m, _)| tasks.contains(&m.task))
            .collect();
        if group.is_empty() {
            continue;
        }
        let files: Vec<String> = group
            .iter()
            .map(|(m, ko)| format!("{}:/root/mut/{}/{}.ko", ko.display(), m.dir, m.module))
            .collect();
        let scenarios = group
            .iter()
            .flat_map(|(m, _)| {
                let guest = format!("/root/mut/{}", m.dir);
                let tree = Tree::Mutant(m.label());
                proof_checks(m.task)
                    .into_iter()
                    .map(move |s| retarget(&s, &m.label(), &guest, tree.clone()))
            })
            .collect();
        let names: Vec<String> = tasks.iter().map(u32::to_string).collect();
        let name = format!("mutants of tasks {}", names.join(" "));
        boots.push((Boot::new(&name, scenarios).without_leak_check(), files));
        groups.push(group);
    }
    let mut outcomes = run(&boots).into_iter();
    if has_skeleton {
        results.extend(skeleton_verdicts(&outcomes.next().unwrap_or_default()));
    }
    for (group, outcomes) in groups.iter().zip(outcomes) {
        let own = |r: &&CheckResult| !r.identity.mutant();
        results.extend(outcomes.iter().filter(own).cloned());
        for (m, _) in group {
            let result = verdict(m, &outcomes);
            todo_map.push(TodoChecks::of(m, caught_by(m, &outcomes)));
            println!("    {}", result.name);
            results.push(result);
        }
    }
    if has_skeleton {
        let result = todo_map_check(root, &dir, todo_map);
        println!("    {}", result.name);
        results.push(result);
    }
    results
}

/// What `tests/todo-checks.tsv` says of a TODO region caught by the build (and the grader takes
/// to mean: all of its task's checks).
pub const BY_THE_BUILD: &str = "(the build)";

/// One row of the TODO → check map: a region of a task's TODO, and the checks that fail
/// without it (the lab proof's verdict on its mutant).
#[derive(Debug, Clone, PartialEq)]
pub struct TodoChecks {
    pub task: u32,
    /// Its marker in the student's tree, `file:line`.
    pub place: String,
    pub checks: Vec<String>,
    /// The marker's text.
    pub text: String,
}

impl TodoChecks {
    fn of(m: &Mutant, checks: Vec<String>) -> Option<Self> {
        let (place, text) = m.todo.clone()?;
        Some(Self {
            task: m.task,
            place,
            checks,
            text,
        })
    }

    /// The map's rows: `task<TAB>file:line<TAB>check; check<TAB>text`.
    pub fn parse(tsv: &str) -> Vec<Self> {
        tsv.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut f = l.splitn(4, '\t');
                Some(Self {
                    task: f.next()?.parse().ok()?,
                    place: f.next()?.into(),
                    checks: f.next()?.split("; ").map(str::to_string).collect(),
                    text: f.next()?.into(),
                })
            })
            .collect()
    }

    pub fn write(rows: &[Self]) -> String {
        let mut tsv = String::from(TODO_MAP_HEADER);
        for r in rows {
            let checks = r.checks.join("; ");
            tsv += &format!("{}\t{}\t{checks}\t{}\n", r.task, r.place, r.text);
        }
        tsv
    }
}

const TODO_MAP_HEADER: &str = "\
# The TODO -> check map of the lab proof (dw-tests --lab-proof writes it to
# build/lab-proof/todo-checks.tsv, and fails while a region here is not caught there by its
# checks): each TODO region of the student's tree, with the checks that fail without it, or (the
# build). The grader gives each region its share of the task's points when those checks pass
# (docs/teachers.md).
# task	TODO marker	checks	text
";

/// The checks of `m`'s task that failed on the mutant `m`, by their own names.
fn caught_by(m: &Mutant, outcomes: &[CheckResult]) -> Vec<String> {
    let (tree, prefix) = (Tree::Mutant(m.label()), format!("{}: ", m.label()));
    outcomes
        .iter()
        .filter(|r| r.failed() && r.identity.tree == tree)
        // The scenario's own name, after the label that `retarget` put first.
        .map(|r| r.name.strip_prefix(&prefix).unwrap_or(&r.name).to_string())
        .collect()
}

/// Writes the map the proof measured, and checks that `tests/todo-checks.tsv` (which the
/// grader reads) is that map, or weaker only where a check failed this time beyond the ones it
/// records (one whose outcome on a mutant depends on timing).
fn todo_map_check(root: &Path, dir: &Path, rows: Vec<Option<TodoChecks>>) -> CheckResult {
    let mut rows: Vec<TodoChecks> = rows.into_iter().flatten().collect();
    rows.sort_by(|a, b| (a.task, &a.place).cmp(&(b.task, &b.place)));
    let measured = TodoChecks::write(&rows);
    let written = dir.join("todo-checks.tsv");
    let _ = fs::write(&written, &measured);
    let committed = fs::read_to_string(root.join("tests/todo-checks.tsv")).unwrap_or_default();
    let problems = if map_holds(&TodoChecks::parse(&committed), &rows) {
        Vec::new()
    } else {
        vec![format!(
            "the map differs from what the mutants show: diff tests/todo-checks.tsv {}, and copy it there if the change is right",
            written.display()
        )]
    };
    CheckResult::new(
        "lab proof: tests/todo-checks.tsv is the TODO -> check map the mutants show",
        Outcome::from_problems(problems),
    )
}

/// Whether the committed map still holds on the measured one: the same regions with the same
/// texts, and each region caught by every check the map records for it (by more is allowed).
fn map_holds(committed: &[TodoChecks], measured: &[TodoChecks]) -> bool {
    committed.len() == measured.len()
        && committed.iter().zip(measured).all(|(c, m)| {
            (c.task, &c.place, &c.text) == (m.task, &m.place, &m.text)
                && c.checks.iter().all(|check| m.checks.contains(check))
        })
}

/// The boot of the skeleton tree of every task (none if a module is missing), and the result
/// that it builds.
fn skeleton_boot(skels: &Path) -> (Vec<CheckResult>, Option<ProofBoot>) {
    let kos: Vec<(&str, std::path::PathBuf)> = lab_modules()
        .map(|m| (m.name, skels.join(format!("{}.ko", m.name))))
        .collect();
    let missing: Vec<String> = kos
        .iter()
        .filter(|(_, ko)| !ko.exists())
        .map(|(_, ko)| format!("not built: {} (build/lab-proof/skels.log)", ko.display()))
        .collect();
    let built = vec![CheckResult::new(
        "skeleton: the student tree of every task builds",
        Outcome::from_problems(missing.clone()),
    )
    .with_identity(skeleton_identity())];
    if !missing.is_empty() {
        return (built, None);
    }
    let files: Vec<String> = kos
        .iter()
        .map(|(m, ko)| format!("{}:/root/skel/{m}.ko", ko.display()))
        .collect();
    let names: Vec<&str> = kos.iter().map(|(m, _)| *m).collect();
    let mut load = Scenario::new(
        "skeleton: every module loads and unloads without a kernel report",
        &format!(
            "cd /root/skel
for m in {}; do insmod $m.ko; sleep 1; rmmod $m; done",
            names.join(" ")
        ),
    );
    load.identity.tree = Tree::Skeleton;
    let mut scenarios = vec![load];
    for task in TASKS.iter().map(|t| t.number) {
        let label = format!("skeleton, task {task}");
        scenarios.extend(
            proof_checks(task)
                .iter()
                .map(|s| retarget(s, &label, "/root/skel", Tree::Skeleton)),
        );
    }
    let boot = Boot::new("skeleton", scenarios).without_leak_check();
    (built, Some((boot, files)))
}

/// The identity of the skeleton's own results.
fn skeleton_identity() -> Identity {
    Identity {
        language: Some(&RUST),
        tree: Tree::Skeleton,
        ..Identity::default()
    }
}

/// The skeleton boot's results: its own checks, and for each task whether the untouched
/// skeleton fails at least one of the task's checks.
fn skeleton_verdicts(outcomes: &[CheckResult]) -> Vec<CheckResult> {
    let of_task = |r: &CheckResult, task: u32| {
        r.identity.tree == Tree::Skeleton && r.identity.task == Some(task)
    };
    let mut results: Vec<CheckResult> = outcomes
        .iter()
        .filter(|r| !TASKS.iter().any(|t| of_task(r, t.number)))
        .cloned()
        .collect();
    for dw_lab::Task {
        number: task,
        title,
        ..
    } in TASKS
    {
        let mine: Vec<&CheckResult> = outcomes.iter().filter(|r| of_task(r, *task)).collect();
        let failed = mine.iter().filter(|r| r.failed()).count();
        let name = format!(
            "skeleton: task {task} ({title}) fails {failed} of its {} checks",
            mine.len()
        );
        let outcome = if failed > 0 {
            Outcome::Pass
        } else {
            Outcome::Fail(vec![
                "the untouched skeleton passes every check of this task".into(),
            ])
        };
        println!("    {name}");
        let identity = Identity {
            task: Some(*task),
            ..skeleton_identity()
        };
        results.push(CheckResult::new(name, outcome).with_identity(identity));
    }
    results
}

/// The lab tasks to check in a student tree `dir`: `asked` (each module must be there), or
/// those whose module is there.
pub fn tasks_of_tree(dir: &Path, asked: &[String]) -> Result<Vec<String>, String> {
    let built = |task: u32| {
        let m = dw_skels::module_of_task(task).expect("a module per task");
        (dir.join(format!("{}.ko", m.name)).exists(), m.name)
    };
    if asked.is_empty() {
        return Ok(TASKS
            .iter()
            .filter(|t| built(t.number).0)
            .map(|t| t.number.to_string())
            .collect());
    }
    for task in asked {
        let n = task
            .parse()
            .ok()
            .filter(|n| TASKS.iter().any(|t| t.number == *n));
        let n = n.ok_or_else(|| format!("no lab task {task:?}: the tasks are 1 to 7"))?;
        if let (false, module) = built(n) {
            return Err(format!(
                "task {n}'s module {module}.ko is not in {} (make skels TASKS={n}, then build)",
                dir.display()
            ));
        }
    }
    Ok(asked.to_vec())
}

/// Where to look when a check of a lab task fails in a student tree `dir`: the task's TODO
/// markers there (file:line) and the lab text's section.
pub fn hint(check: &CheckResult, dir: &Path) -> Option<String> {
    let task = check
        .identity
        .task
        .filter(|_| check.identity.tree == Tree::Solution)?;
    let dw_lab::Task {
        number: task,
        title,
        builds_on,
        ..
    } = dw_lab::lab_task(task)?;
    let mut text = format!(
        "{}\n      -> TODO {task} in {}: {}",
        check.name,
        dir.display(),
        todo_places(*task, dir)
    );
    for earlier in *builds_on {
        let places = todo_places(*earlier, dir);
        text += &format!("\n      -> task {task} builds on TODO {earlier}: {places}");
    }
    text += &format!("\n      -> lab text, exercise {task}, \"{title}\"");
    Some(text)
}

/// Where task `number`'s TODO markers are in the tree `dir` (`file:line, ...`).
fn todo_places(number: u32, dir: &Path) -> String {
    let Some(task) = dw_lab::lab_task(number) else {
        return String::new();
    };
    let mut todos = Vec::new();
    for file in task.files {
        let Ok(source) = fs::read_to_string(dir.join(file)) else {
            continue;
        };
        for (n, line) in marker_lines(&source) {
            if n.map_or(Todo::Unnumbered, Todo::Numbered) == task.todo {
                todos.push(format!("{file}:{line}"));
            }
        }
    }
    if todos.is_empty() {
        "(no marker left)".into()
    } else {
        todos.join(", ")
    }
}

/// A copy of `s` that runs in the guest directory `dir` (where the modules of `tree` are), with
/// the programs and the other modules of /root at hand, named `label: <its name>`.
pub fn retarget(s: &Scenario, label: &str, dir: &str, tree: Tree) -> Scenario {
    let mut copy = s.clone();
    copy.identity.tree = tree;
    copy.name = format!("{label}: {}", s.name);
    copy.script = format!(
        "cd {dir}\nfor f in /root/*; do [ -e \"${{f##*/}}\" ] || ln -s \"$f\" .; done\n{}",
        s.script
    );
    // Its module does not break the kernel the way the solution of task 4 does: unload it.
    copy.keep_modules = false;
    copy
}

/// The lab task checks the proof runs for a tree: all but the load/unload cycles (robustness,
/// not what a TODO does).
pub fn proof_checks(task: u32) -> Vec<Scenario> {
    scenarios::all(scenarios::Intensity::TEST)
        .into_iter()
        .flat_map(|b| b.scenarios)
        .filter(|s| s.identity.task == Some(task) && s.kind != Kind::LoadCycles)
        .collect()
}

/// A mutant of `dw-skels --mutants`: `mutants.tsv`'s row.
#[derive(Debug, PartialEq)]
pub struct Mutant {
    pub dir: String,
    pub task: u32,
    pub place: String,
    pub module: String,
    /// A region's marker in the student's tree (`file:line`) and its text; none for a forger.
    pub todo: Option<(String, String)>,
}

pub fn read_mutants(table: &str) -> Vec<Mutant> {
    table
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some(Mutant {
                dir: f.next()?.into(),
                task: f.next()?.parse().ok()?,
                place: f.next()?.into(),
                module: f.next()?.into(),
                todo: f.next().zip(f.next()).map(|(p, t)| (p.into(), t.into())),
            })
        })
        .collect()
}

impl Mutant {
    /// `mutant TODO n (file:line)`, or `forger NAME` (its name starts with its task).
    pub fn label(&self) -> String {
        if self.place.starts_with("forger ") {
            self.place.clone()
        } else {
            format!("mutant TODO {} ({})", self.task, self.place)
        }
    }

    /// The identity of its own results (that it builds, that it is caught).
    fn identity(&self) -> Identity {
        Identity {
            task: Some(self.task),
            language: Some(&RUST),
            tree: Tree::Mutant(self.label()),
            boot: None,
        }
    }
}

/// The first compiler error in a mutant's build log.
pub fn build_error(log: &str) -> Option<String> {
    log.lines()
        .find(|l| l.starts_with("error"))
        .map(str::to_string)
}

/// A mutant's verdict from its checks' results: caught when one failed.
pub fn verdict(m: &Mutant, outcomes: &[CheckResult]) -> CheckResult {
    let caught = caught_by(m, outcomes);
    if caught.is_empty() {
        let blind = if m.place.starts_with("forger ") {
            format!("no check of task {} fails on this forger: add one", m.task)
        } else {
            format!(
                "no check of task {} fails without this region: add one",
                m.task
            )
        };
        CheckResult::new(
            format!("{}: a blind spot", m.label()),
            Outcome::Fail(vec![blind]),
        )
    } else {
        CheckResult::new(
            format!("{}: caught by {}", m.label(), caught.join("; ")),
            Outcome::Pass,
        )
    }
    .with_identity(m.identity())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed map holds while each region is caught by at least the checks it records;
    /// a region that lost one, or a region more or less, does not.
    #[test]
    fn the_map_holds_while_each_region_is_caught_by_its_checks() {
        let row = |checks: &[&str]| TodoChecks {
            task: 7,
            place: "deferred_device.rs:261".into(),
            checks: checks.iter().map(|c| c.to_string()).collect(),
            text: "check again".into(),
        };
        let committed = [row(&["a", "b"])];
        assert!(map_holds(&committed, &[row(&["a", "b"])]));
        assert!(map_holds(&committed, &[row(&["a", "b", "c"])]));
        assert!(!map_holds(&committed, &[row(&["a"])]));
        assert!(!map_holds(&committed, &[]));
        let mut moved = row(&["a", "b"]);
        moved.place = "deferred_device.rs:262".into();
        assert!(!map_holds(&committed, &[moved]));
    }

    #[test]
    fn mutants_table_and_verdicts() {
        let m = read_mutants("03\t1\ttimer.rs:40\tdw_timer\nbad\n");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].label(), "mutant TODO 1 (timer.rs:40)");
        let fail = || Outcome::Fail(vec!["x".into()]);
        let tree = Tree::Mutant(m[0].label());
        let of_mutant = |what: &str, outcome| {
            let s = Scenario::new(what, "true");
            let s = retarget(&s, &m[0].label(), "/root/mut/03", tree.clone());
            CheckResult::new(s.name, outcome).with_identity(s.identity)
        };
        let results = [
            of_mutant("timer: a", Outcome::Pass),
            of_mutant("timer: b", fail()),
            CheckResult::new("other: c", fail()),
        ];
        let caught = verdict(&m[0], &results);
        assert_eq!(
            caught.name,
            "mutant TODO 1 (timer.rs:40): caught by timer: b"
        );
        assert_eq!(caught.outcome, Outcome::Pass);
        let blind = verdict(&m[0], &results[2..]);
        assert!(blind.name.ends_with("a blind spot") && blind.failed());
    }

    #[test]
    fn build_errors_are_the_first_error_line() {
        let log = "warning: x\nerror[E0063]: missing field `timer`\n  --> timer.rs:45:9\nerror: aborting\n";
        assert_eq!(
            build_error(log).unwrap(),
            "error[E0063]: missing field `timer`"
        );
        assert_eq!(build_error("ok\n"), None);
    }

    #[test]
    fn retargeted_scenarios_run_in_their_directory() {
        let s = Scenario::new("timer: x", "insmod dw_timer.ko").keep_modules();
        let r = retarget(&s, "skeleton", "/root/skel", Tree::Skeleton);
        assert_eq!(r.name, "skeleton: timer: x");
        assert!(
            r.script.starts_with("cd /root/skel\n") && r.script.ends_with("insmod dw_timer.ko")
        );
        assert!(!r.keep_modules && r.identity.tree == Tree::Skeleton);
        assert!(
            !proof_checks(1).is_empty()
                && proof_checks(1).iter().all(|s| !s.name.contains("cycles"))
        );
    }

    #[test]
    fn hints_point_at_the_todos_of_the_task() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../modules/1-2-timer"));
        let check = |name: &str, task| {
            let identity = Identity {
                task,
                ..Identity::default()
            };
            CheckResult::new(name, Outcome::Fail(Vec::new())).with_identity(identity)
        };
        let timer = check("timer: fires once, about 1 s after load", Some(1));
        let h = hint(&timer, dir).unwrap();
        assert!(h.starts_with(&timer.name), "{h}");
        assert!(h.contains("TODO 1 in ") && h.contains("timer.rs:"), "{h}");
        assert!(h.contains("exercise 1, \"Timer\""));
        assert_eq!(hint(&check("tasklet: x", None), dir), None);
        // Task 5's checks run task 3's SET and task 4's ALLOC too: their TODOs are named.
        let device = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../modules/3-4-5-deferred"
        ));
        let h = hint(&check("workqueue: alloc", Some(5)), device).unwrap();
        assert!(h.contains("builds on TODO 3: deferred_device.rs:"), "{h}");
        assert!(h.contains("builds on TODO 4: deferred_device.rs:"), "{h}");
        let skeleton = CheckResult {
            identity: skeleton_identity(),
            ..timer
        };
        assert_eq!(hint(&skeleton, dir), None);
    }
}
