//! `dw-grade`: grades a class. `dw-grade --help` says how to call it; `make grade` calls it.

use dw_tests::grade::{class_csv, class_md, valid_student_id, Grade, Grader, Points};
use std::{
    fs,
    path::{Path, PathBuf},
    process::exit,
    sync::Mutex,
};

const USAGE: &str =
    "usage: dw-grade SUBMISSIONS [--out DIR] [--jobs N] [--task N]... [--points FILE]
Grades every subfolder of SUBMISSIONS, a student's tree named by the student's id, on its own:
only the tasks' files are taken from it (timer.rs, periodic_timer.rs, deferred_device.rs,
kthread.rs), built in the lab's own tree as untrusted code, and checked in guests of its own. Writes
DIR/class.csv and DIR/class.md, and per student DIR/ID/: results.json (Gradescope's format),
junit.xml, ktap.txt, log.txt (what `make check` shows) and build.log. Prints `ID: Total: N/M`
per student and `Total: N/M` for the class.
  --out     where to write (build/grade)
  --jobs    students graded side by side (1); each tree's boots share the CPUs left
  --task    only the points of lab task N (repeatable; all tasks without one)
  --points  a file of `task N = POINTS` lines (10 points a task without one)";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match grade_class(&args) {
        Ok(all_graded) => exit(i32::from(!all_graded)),
        Err(e) => {
            eprintln!("dw-grade: {e}");
            exit(2)
        }
    }
}

fn value<'a>(args: &'a [String], name: &str) -> Vec<&'a str> {
    args.windows(2)
        .filter(|w| w[0] == name)
        .map(|w| w[1].as_str())
        .collect()
}

/// Grades the class; whether every student got a grade (no tree refused).
fn grade_class(args: &[String]) -> Result<bool, String> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(true);
    }
    let takes_value = ["--out", "--jobs", "--task", "--points"];
    let positional: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|&(i, a)| {
            !a.starts_with("--") && (i == 0 || !takes_value.contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| a)
        .collect();
    let [submissions] = positional[..] else {
        return Err(USAGE.into());
    };
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let out = value(args, "--out")
        .first()
        .map_or_else(|| root.join("build/grade"), PathBuf::from);
    let jobs: usize = match value(args, "--jobs").first() {
        Some(n) => n
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .ok_or("--jobs takes a positive number")?,
        None => 1,
    };
    let mut tasks = Vec::new();
    for t in value(args, "--task") {
        let n: u32 = t
            .parse()
            .ok()
            .filter(|n| dw_lab::lab_task(*n).is_some())
            .ok_or_else(|| format!("no lab task {t:?}: the tasks are 1 to 7"))?;
        tasks.push(n);
    }
    if tasks.is_empty() {
        tasks = dw_lab::TASKS.iter().map(|t| t.number).collect();
    }
    let points = match value(args, "--points").first() {
        Some(file) => {
            let text = fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
            Points::parse(&text).map_err(|e| format!("{file}: {e}"))?
        }
        None => Points::default(),
    };
    let submissions = Path::new(submissions);
    let mut entries: Vec<(String, PathBuf)> = fs::read_dir(submissions)
        .map_err(|e| format!("{}: {e}", submissions.display()))?
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    entries.sort();
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut grader = Grader {
        root,
        out: out.clone(),
        tasks: tasks.clone(),
        points,
        baseline: Vec::new(),
        // The host's CPUs shared by the trees graded side by side.
        boot_jobs: std::thread::available_parallelism()
            .map_or(1, |n| n.get() / jobs)
            .max(1),
    };
    println!("the untouched skeleton first: the checks it passes earn no points");
    grader.baseline = grader.baseline();
    let grader = grader;
    let (mut grades, mut refused) = (Vec::new(), Vec::new());
    let queue = Mutex::new(entries.into_iter());
    let done = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let Some((name, dir)) = queue.lock().expect("queue").next() else {
                    break;
                };
                let result = if valid_student_id(&name) {
                    let grade = grader.grade(&name, &dir);
                    println!("{}: Total: {}/{}", name, grade.total(), grade.max());
                    Ok(grade)
                } else {
                    println!("{name:?}: not graded: the folder's name is not a student id");
                    Err(name)
                };
                done.lock().expect("results").push(result);
            });
        }
    });
    for result in done.into_inner().expect("results") {
        match result {
            Ok(grade) => grades.push(grade),
            Err(name) => refused.push(name),
        }
    }
    grades.sort_by(|a, b| a.student.cmp(&b.student));
    for name in &refused {
        grades.push(Grade {
            student: name.escape_default().to_string(),
            tasks: Vec::new(),
            notes: vec![
                "not graded: the folder's name is not a student id (letters, digits, ._@+-)".into(),
            ],
            kernel_reports: 0,
            seconds: 0.0,
        });
    }
    if grades.is_empty() {
        println!(
            "no submissions in {}: nothing graded",
            submissions.display()
        );
    }
    let write = |name: &str, text: String| {
        fs::write(out.join(name), text).map_err(|e| format!("{}: {e}", out.join(name).display()))
    };
    write("class.csv", class_csv(&tasks, &grades))?;
    write("class.md", class_md(&tasks, &grades))?;
    let (total, max): (f64, f64) = grades
        .iter()
        .map(|g| (g.total(), g.max()))
        .fold((0.0, 0.0), |(t, m), (a, b)| (t + a, m + b));
    println!("Total: {total}/{max}");
    println!("class: {}", out.join("class.md").display());
    Ok(refused.is_empty() && !grades.is_empty())
}
