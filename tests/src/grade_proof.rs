//! The grader's proof (`dw-tests --grade-proof`, `make grade-proof`): a whole class generated
//! from the solutions, graded on every task by `dw-grade` as `make grade` runs it, must get the
//! grade each tree should, in every format.
//!
//! The class: the solutions; the untouched skeleton; one tree per TODO region's mutant and per
//! forger (`dw-skels --mutants`: the solutions with that module's files replaced); a tree whose
//! task 1 does not build; one whose thread never stops, so unloading it hangs; one with its own
//! `Kbuild`, `Makefile` and `kernel_ext.rs`, all hostile; an empty tree; a folder whose name is
//! not an id. What each should get:
//! - the solutions and the hostile tree: every point (the hostile files unused, no trace left);
//! - the skeleton and the empty tree: none;
//! - a mutant of task T: on T, the points of the TODO regions whose checks it does not fail
//!   (`tests/todo-checks.tsv`), none if the build catches it; every point on the tasks whose
//!   files it does not share;
//! - a forger of task T: less than all of T's points; every point on the others as above;
//! - the tree that does not build: none on task 1, every point on the tasks of other files;
//! - the hanging tree: none on task 6, every point on the tasks of other files.

use crate::{
    grade::{read_results, todo_map},
    grade_check::{gradescope_problems, readers},
    lab::{read_mutants, TodoChecks, BY_THE_BUILD},
    result::{CheckResult, Outcome},
};
use dw_lab::TASKS;
use std::{
    collections::BTreeMap,
    fs,
    path::Path,
    process::{Command, Stdio},
    time::Instant,
};

/// What a tree should get: per task, exactly these points (`Some`) or less than all (`None`);
/// tasks not named may get anything (they share the tree's changed file).
struct Expected {
    exactly: BTreeMap<u32, f64>,
    less_than_all: Vec<u32>,
    note: Option<&'static str>,
}

const POINTS: f64 = 10.0;

/// The tasks whose files are not those of `task`'s module.
fn other_files(task: u32) -> Vec<u32> {
    let files = |t: u32| dw_lab::lab_task(t).map(|t| t.files).unwrap_or_default();
    TASKS
        .iter()
        .map(|t| t.number)
        .filter(|&t| files(t).iter().all(|f| !files(task).contains(f)))
        .collect()
}

/// Exactly these points on these tasks.
fn exact(tasks: BTreeMap<u32, f64>) -> Expected {
    Expected {
        exactly: tasks,
        less_than_all: Vec::new(),
        note: None,
    }
}

/// Every point on the tasks whose files are not `task`'s.
fn others_full(task: u32) -> BTreeMap<u32, f64> {
    other_files(task).iter().map(|&t| (t, POINTS)).collect()
}

/// Every point on the tasks whose files are not `task`'s, and `points` on `task`.
fn others_full_and(task: u32, points: f64) -> BTreeMap<u32, f64> {
    let mut tasks = others_full(task);
    tasks.insert(task, points);
    tasks
}

fn all_tasks(points: f64) -> BTreeMap<u32, f64> {
    TASKS.iter().map(|t| (t.number, points)).collect()
}

/// Expected points of `task` for a mutant whose failing checks are `caught` (its map row):
/// the shares of the regions whose checks are their own and none of `caught`.
fn mutant_points(task: u32, caught: &[String], baseline: &[String], map: &[TodoChecks]) -> f64 {
    if caught.iter().any(|c| c == BY_THE_BUILD) {
        return 0.0;
    }
    let rows: Vec<&TodoChecks> = map.iter().filter(|r| r.task == task).collect();
    let own = |r: &TodoChecks| {
        r.checks
            .iter()
            .any(|c| c != BY_THE_BUILD && !baseline.contains(c))
    };
    let earned = rows
        .iter()
        .filter(|r| own(r) && r.checks.iter().all(|c| !caught.contains(c)))
        .count();
    (POINTS * earned as f64 / rows.len() as f64 * 100.0).round() / 100.0
}

/// Runs the proof on the trees whose id contains one of `filters` (all without one): one
/// result per tree, and one for the whole class's time.
pub fn proof(root: &Path, jobs: usize, filters: &[String]) -> Vec<CheckResult> {
    let dir = root.join("build/grade-proof");
    let (class, out, trace) = (
        dir.join("submissions"),
        dir.join("out"),
        dir.join("left-by-a-student"),
    );
    println!("==> grade proof: a class made from the solutions, graded on every task");
    let trees = match make_class(root, &dir, &class, &trace) {
        Ok(trees) => trees,
        Err(e) => {
            return vec![CheckResult::new(
                "grade proof: the class",
                Outcome::Fail(vec![e]),
            )]
        }
    };
    let chosen = |id: &str| filters.is_empty() || filters.iter().any(|f| id.contains(f.as_str()));
    let (trees, left_out): (Vec<_>, Vec<_>) = trees.into_iter().partition(|t| chosen(&t.0));
    for (id, _, _) in &left_out {
        let _ = fs::remove_dir_all(class.join(id));
    }
    let start = Instant::now();
    let status = Command::new(root.join("target/release/dw-grade"))
        .arg(&class)
        .arg("--out")
        .arg(&out)
        .args(["--jobs", &jobs.to_string()])
        .status();
    let seconds = start.elapsed().as_secs();
    let mut results = vec![CheckResult::new(
        format!(
            "grade proof: dw-grade graded {} trees in {seconds} s ({jobs} side by side), all but the misnamed one",
            trees.len()
        ),
        match status {
            Ok(s) if s.code() == Some(1) => Outcome::Pass,
            other => Outcome::Fail(vec![format!("dw-grade: {other:?}, expected status 1")]),
        },
    )];
    let csv = fs::read_to_string(out.join("class.csv")).unwrap_or_default();
    let baseline = fs::read_to_string(out.join(".skeleton/results/results.json"))
        .map_err(|e| e.to_string())
        .and_then(|j| read_results(&j))
        .map(|(by_task, _)| {
            by_task
                .into_values()
                .flatten()
                .filter(|(_, passed, _)| *passed)
                .map(|(name, _, _)| name)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let map = todo_map();
    for (student, why, expected) in trees {
        let expected = expected(&baseline, &map);
        let mut problems = row_problems(&csv, &student, &expected);
        problems.extend(format_problems(
            root,
            &out.join(&student),
            row_total(&csv, &student),
        ));
        if student == "hostile" && trace.exists() {
            problems.push(format!(
                "{} exists: the hostile Kbuild ran",
                trace.display()
            ));
        }
        let result = CheckResult::new(
            format!("grade proof: {student} ({why})"),
            Outcome::from_problems(problems),
        );
        result.print();
        results.push(result);
    }
    let refused = csv.contains("\"not an id\"") && csv.contains("not graded");
    results.push(CheckResult::new(
        "grade proof: the folder whose name is not an id is refused by name",
        Outcome::from_problems(
            (!refused)
                .then(|| "no refusal row".into())
                .into_iter()
                .collect(),
        ),
    ));
    results
}

/// How a tree's expectation is made, once the baseline and the map are known.
type MakeExpected = Box<dyn Fn(&[String], &[TodoChecks]) -> Expected>;

/// Writes the class into `class`; returns each gradable tree: its id, what it is, and what it
/// should get.
fn make_class(
    root: &Path,
    dir: &Path,
    class: &Path,
    trace: &Path,
) -> Result<Vec<(String, String, MakeExpected)>, String> {
    let _ = fs::remove_dir_all(class);
    let _ = fs::remove_file(trace);
    let skels = root.join("target/release/dw-skels");
    let mutants = dir.join("mutants");
    let run = |args: &[&Path]| -> Result<(), String> {
        let ok = Command::new(&skels)
            .args(args)
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(())
            .ok_or_else(|| format!("dw-skels {args:?} failed"))
    };
    run(&[Path::new("--force"), &class.join("skeleton")])?;
    let _ = fs::remove_dir_all(&mutants);
    run(&[Path::new("--mutants"), &mutants])?;
    let solution: Vec<(String, String)> = TASKS
        .iter()
        .flat_map(|t| t.files.iter())
        .map(|file| {
            let source = dw_lab::lab_modules()
                .flat_map(|m| m.files.iter())
                .find(|f| dw_lab::student_file(f) == *file)
                .expect("a lab file");
            let text = fs::read_to_string(root.join(source)).map_err(|e| format!("{source}: {e}"));
            text.map(|t| (file.to_string(), dw_skels::for_student_tree(&t)))
        })
        .collect::<Result<_, _>>()?;
    let write = |student: &str, files: &[(String, String)]| -> Result<(), String> {
        let tree = class.join(student);
        fs::create_dir_all(&tree).map_err(|e| e.to_string())?;
        for (file, text) in files {
            fs::write(tree.join(file), text).map_err(|e| format!("{student}/{file}: {e}"))?;
        }
        Ok(())
    };
    let replaced = |file: &str, text: String| -> Vec<(String, String)> {
        let mut files = solution.clone();
        files.retain(|(f, _)| f != file);
        files.push((file.to_string(), text));
        files
    };
    let mut trees: Vec<(String, String, MakeExpected)> = Vec::new();
    write("solution", &solution)?;
    trees.push((
        "solution".into(),
        "the solutions".into(),
        Box::new(|_, _| exact(all_tasks(POINTS))),
    ));
    trees.push((
        "skeleton".into(),
        "the untouched skeleton".into(),
        Box::new(|_, _| exact(all_tasks(0.0))),
    ));
    let table = fs::read_to_string(mutants.join("mutants.tsv")).map_err(|e| e.to_string())?;
    for m in read_mutants(&table) {
        let task = dw_lab::lab_task(m.task).ok_or("a mutant of no task")?;
        let mut files = solution.clone();
        for f in task.files {
            let text =
                fs::read_to_string(mutants.join(&m.dir).join(f)).map_err(|e| e.to_string())?;
            files.retain(|(g, _)| g != f);
            files.push((f.to_string(), text));
        }
        let id = format!("mutant-{}", m.dir);
        write(&id, &files)?;
        let task = m.task;
        let expect: MakeExpected = match m.todo.clone() {
            Some((place, _)) => Box::new(move |baseline, map| {
                let caught = map
                    .iter()
                    .find(|r| r.place == place)
                    .map(|r| r.checks.clone())
                    .unwrap_or_default();
                exact(others_full_and(
                    task,
                    mutant_points(task, &caught, baseline, map),
                ))
            }),
            None => Box::new(move |_, _| Expected {
                exactly: others_full(task),
                less_than_all: vec![task],
                note: None,
            }),
        };
        trees.push((id, m.label(), expect));
    }
    let timer = solution
        .iter()
        .find(|(f, _)| f == "timer.rs")
        .ok_or("no timer.rs")?;
    write(
        "broken",
        &replaced("timer.rs", timer.1.clone() + "\nfn broken( {\n"),
    )?;
    trees.push((
        "broken".into(),
        "task 1 does not build".into(),
        Box::new(|_, _| Expected {
            exactly: others_full_and(1, 0.0),
            less_than_all: Vec::new(),
            note: Some("dw_timer does not build"),
        }),
    ));
    let kthread = solution
        .iter()
        .find(|(f, _)| f == "kthread.rs")
        .ok_or("no kthread.rs")?;
    let waits = "        let _ = self\n            .wq_stop_thread\n            .wait_interruptible(ctx, || self.flag_stop_thread.load(Acquire));\n";
    let never_stops = "        // Never looks at the request to stop: unloading hangs in `kthread_stop`.\n        while !self.flag_thread_terminated.load(Acquire) {\n            ctx.schedule_timeout_uninterruptible(100);\n        }\n";
    if !kthread.1.contains(waits) {
        return Err(
            "kthread.rs: the thread's wait is not where the hanging tree expects it".into(),
        );
    }
    write(
        "hang",
        &replaced("kthread.rs", kthread.1.replace(waits, never_stops)),
    )?;
    trees.push((
        "hang".into(),
        "its thread never stops: unloading hangs".into(),
        Box::new(|_, _| exact(others_full_and(6, 0.0))),
    ));
    let touch = format!("$(shell touch {})\n", trace.display());
    let mut hostile = solution.clone();
    hostile.push(("Kbuild".into(), touch.clone() + "obj-m := x.o\n"));
    hostile.push(("Makefile".into(), touch.clone() + "all:\n\ttrue\n"));
    hostile.push((
        "kernel_ext.rs".into(),
        "compile_error!(\"not the lab's\");\n".into(),
    ));
    write("hostile", &hostile)?;
    trees.push((
        "hostile".into(),
        "its own Kbuild, Makefile and kernel_ext.rs, each leaving a trace".into(),
        Box::new(|_, _| Expected {
            exactly: all_tasks(POINTS),
            less_than_all: Vec::new(),
            note: Some("not used (the lab's own files are)"),
        }),
    ));
    write("empty", &[])?;
    trees.push((
        "empty".into(),
        "no file".into(),
        Box::new(|_, _| Expected {
            exactly: all_tasks(0.0),
            less_than_all: Vec::new(),
            note: Some("timer.rs: missing"),
        }),
    ));
    fs::create_dir_all(class.join("not an id")).map_err(|e| e.to_string())?;
    Ok(trees)
}

/// The fields of `student`'s row of `class.csv` (the notes, last, whole).
fn row<'a>(csv: &'a str, student: &str) -> Option<Vec<&'a str>> {
    let line = csv
        .lines()
        .find(|l| l.starts_with(&format!("\"{student}\",")))?;
    Some(line.splitn(TASKS.len() + 6, ',').collect())
}

/// `student`'s total in `class.csv`.
fn row_total(csv: &str, student: &str) -> Option<f64> {
    row(csv, student)?.get(TASKS.len() + 1)?.parse().ok()
}

/// What is wrong with `student`'s row of `class.csv` against `expected`.
fn row_problems(csv: &str, student: &str, expected: &Expected) -> Vec<String> {
    let Some(fields) = row(csv, student) else {
        return vec!["no row in class.csv".to_string()];
    };
    let points = |task: u32| -> Option<f64> {
        let i = TASKS.iter().position(|t| t.number == task)?;
        fields.get(i + 1)?.parse().ok()
    };
    let notes = fields.last().copied().unwrap_or_default();
    let mut problems = Vec::new();
    for (&task, &want) in &expected.exactly {
        if points(task) != Some(want) {
            problems.push(format!(
                "task {task}: {:?} points, expected {want}",
                points(task)
            ));
        }
    }
    for &task in &expected.less_than_all {
        if !points(task).is_some_and(|p| p < POINTS) {
            problems.push(format!(
                "task {task}: {:?} points, expected fewer than all",
                points(task)
            ));
        }
    }
    if let Some(note) = expected.note {
        if !notes.contains(note) {
            problems.push(format!("no note with {note:?} (notes: {notes})"));
        }
    }
    problems
}

/// What is wrong with a graded tree's files: `results.json` against Gradescope's fields and
/// with the score of `class.csv`, and the KTAP and JUnit XML of its checks against their
/// readers (a tree none of whose tasks built has no checks, hence no KTAP or JUnit XML).
fn format_problems(root: &Path, out: &Path, total: Option<f64>) -> Vec<String> {
    let mut problems = gradescope_problems(root, &out.join("results.json"), total);
    let checks = out.join("results");
    if checks.join("results.json").exists() {
        for r in readers(root, &checks) {
            if let Outcome::Fail(p) = r.outcome {
                problems.extend(p);
            }
        }
    }
    problems
}
