//! Grading a class (`dw-grade`, `make grade`): every subfolder of a submissions folder is one
//! student's tree (as `make skels` writes it, filled in), named by the student's id. Of a tree
//! the grader takes only the files students write (the tasks' skeleton files, `dw-lab`'s
//! `Task::files`), into a trusted tree of the lab's own (its `Kbuild`, `kernel_ext/`, crate
//! roots: `dw-skels`); builds that as untrusted code (`scripts/sandbox-build.sh`); runs the
//! checks of the tasks whose module built, in fresh guests (`dw-tests --modules`); and gives
//! each task its points, split over its checks.

use crate::lab::{TodoChecks, BY_THE_BUILD};
use dw_skels::LabModule;
use serde::Serialize;
use std::{
    collections::BTreeMap,
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

/// The largest file a student's tree may hand in.
const MAX_FILE: u64 = 256 * 1024;
/// Seconds a student's build may take (`scripts/sandbox-build.sh`), and their checks.
const BUILD_LIMIT: u32 = 300;
const CHECKS_LIMIT: u32 = 1800;

/// How a task's points are shared: over its TODO regions (the default), each earning its share
/// when the checks that fail without it pass (the lab proof's map, `tests/todo-checks.tsv`); or
/// over its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Todo,
    Check,
}

/// The points of each task (the default: 10 each) and how they are shared, from a file of
/// `task N = POINTS` lines and a `split = todo` or `split = check` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    pub tasks: BTreeMap<u32, f64>,
    pub split: Split,
}

impl Default for Points {
    fn default() -> Self {
        Self {
            tasks: dw_lab::TASKS.iter().map(|t| (t.number, 10.0)).collect(),
            split: Split::Todo,
        }
    }
}

impl Points {
    /// Reads the file's lines (`#` comments, blank lines); a task not named keeps 10.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut points = Self::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let bad = || {
                format!(
                    "line {}: expected `task N = POINTS` or `split = todo|check`, got {line:?}",
                    i + 1
                )
            };
            let (key, value) = line.split_once('=').ok_or_else(bad)?;
            let (key, value) = (key.trim(), value.trim());
            if key == "split" {
                points.split = match value {
                    "todo" => Split::Todo,
                    "check" => Split::Check,
                    _ => return Err(bad()),
                };
                continue;
            }
            let task = key.strip_prefix("task").ok_or_else(bad)?.trim();
            let task: u32 = task.parse().map_err(|_| bad())?;
            let value: f64 = value.parse().map_err(|_| bad())?;
            if !points.tasks.contains_key(&task) || !(0.0..=1000.0).contains(&value) {
                return Err(bad());
            }
            points.tasks.insert(task, value);
        }
        Ok(points)
    }
}

/// The lab proof's TODO -> check map (`dw-tests --lab-proof` checks that it is current).
pub fn todo_map() -> Vec<TodoChecks> {
    TodoChecks::parse(include_str!("../todo-checks.tsv"))
}

/// A check of a task: its name, whether it passed, and what went wrong.
pub type Checked = (String, bool, String);

/// One task's grade.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskGrade {
    pub task: u32,
    pub points: f64,
    pub max: f64,
    /// Its checks: name, passed, and what went wrong.
    pub checks: Vec<Checked>,
    /// Why it was not checked (a file missing, the build), if it was not.
    pub not_checked: Option<String>,
    /// Its TODO regions and whether each earned its share (with `Split::Todo`).
    pub todos: Vec<TodoGrade>,
}

/// A TODO region's grade: its marker (`file:line`) and text, the checks it needs, and whether
/// they all passed.
#[derive(Debug, Clone, PartialEq)]
pub struct TodoGrade {
    pub place: String,
    pub text: String,
    pub needs: Vec<String>,
    pub earned: bool,
}

/// One student's grade.
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    pub student: String,
    pub tasks: Vec<TaskGrade>,
    /// What the grader noticed about the tree: files it did not use, problems with the input.
    pub notes: Vec<String>,
    /// Checks that failed with a kernel report (BUG, WARNING, Oops, a leak...).
    pub kernel_reports: usize,
    pub seconds: f64,
}

impl Grade {
    pub fn total(&self) -> f64 {
        self.tasks.iter().fold(0.0, |sum, t| sum + t.points)
    }
    pub fn max(&self) -> f64 {
        self.tasks.iter().fold(0.0, |sum, t| sum + t.max)
    }
}

/// Whether `name` can name a student: letters, digits and `._@+-`, not starting with a dot, at
/// most 64 bytes (it becomes a folder and a CSV field).
pub fn valid_student_id(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@+-".contains(c))
}

/// A student's file, if it is one the grader takes: a regular file (not a link), at most
/// `MAX_FILE` bytes, UTF-8.
pub fn intake(path: &Path) -> Result<String, String> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let meta = fs::symlink_metadata(path).map_err(|_| format!("{name}: missing"))?;
    if meta.file_type().is_symlink() {
        return Err(format!("{name}: a symbolic link, not a file"));
    }
    if !meta.is_file() {
        return Err(format!("{name}: not a regular file"));
    }
    if meta.len() > MAX_FILE {
        return Err(format!(
            "{name}: {} bytes, more than {MAX_FILE}",
            meta.len()
        ));
    }
    let bytes = fs::read(path).map_err(|e| format!("{name}: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("{name}: not UTF-8 text"))
}

/// Splits the points of a task over its checks that the untouched skeleton fails (those in
/// `baseline` it passes: they show no work): each of them passed earns an equal share.
pub fn task_points(max: f64, checks: &[Checked], baseline: &[String]) -> f64 {
    let counted: Vec<bool> = checks
        .iter()
        .filter(|(name, _, _)| !baseline.contains(name))
        .map(|(_, ok, _)| *ok)
        .collect();
    if counted.is_empty() {
        return 0.0;
    }
    let passed = counted.iter().filter(|ok| **ok).count();
    (max * passed as f64 / counted.len() as f64 * 100.0).round() / 100.0
}

/// Splits the points of task `task` over its TODO regions in `map`: a region earns its share
/// when every check that fails without it passed. A region the build catches, or whose checks
/// the untouched skeleton passes (in `baseline`), needs all of the task's checks but those.
pub fn todo_points(
    max: f64,
    task: u32,
    checks: &[Checked],
    baseline: &[String],
    map: &[TodoChecks],
) -> (f64, Vec<TodoGrade>) {
    let whole_task: Vec<String> = checks
        .iter()
        .map(|(name, _, _)| name.clone())
        .filter(|name| !baseline.contains(name))
        .collect();
    let todos: Vec<TodoGrade> = map
        .iter()
        .filter(|r| r.task == task)
        .map(|r| {
            let own = r
                .checks
                .iter()
                .any(|c| c != BY_THE_BUILD && !baseline.contains(c));
            let needs = if own {
                r.checks.clone()
            } else {
                whole_task.clone()
            };
            let passed = |need: &String| checks.iter().any(|(n, ok, _)| n == need && *ok);
            TodoGrade {
                place: r.place.clone(),
                text: r.text.clone(),
                earned: !needs.is_empty() && needs.iter().all(passed),
                needs,
            }
        })
        .collect();
    if todos.is_empty() {
        return (task_points(max, checks, baseline), todos);
    }
    let earned = todos.iter().filter(|t| t.earned).count();
    let points = (max * earned as f64 / todos.len() as f64 * 100.0).round() / 100.0;
    (points, todos)
}

/// The checks of each task in a `dw-tests --results` JSON file, and how many failed with a
/// kernel report.
pub fn read_results(json: &str) -> Result<(BTreeMap<u32, Vec<Checked>>, usize), String> {
    let doc: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let mut by_task: BTreeMap<u32, Vec<Checked>> = BTreeMap::new();
    let mut reports = 0;
    let groups = doc["groups"].as_array().ok_or("no groups")?;
    for check in groups
        .iter()
        .flat_map(|g| g["checks"].as_array().into_iter().flatten())
    {
        let details = match &check["details"] {
            serde_json::Value::Array(lines) => {
                let lines: Vec<&str> = lines.iter().filter_map(|l| l.as_str()).collect();
                lines.join("\n")
            }
            other => other.as_str().unwrap_or_default().to_string(),
        };
        let passed = check["status"] != "fail";
        if !passed && details.contains("kernel report") {
            reports += 1;
        }
        if let Some(task) = check["task"].as_u64() {
            let name = check["name"].as_str().unwrap_or_default().to_string();
            by_task
                .entry(task as u32)
                .or_default()
                .push((name, passed, details));
        }
    }
    Ok((by_task, reports))
}

/// What the grader needs of the project.
pub struct Grader {
    /// The project's root (`scripts/`, `target/release/`).
    pub root: PathBuf,
    pub out: PathBuf,
    pub tasks: Vec<u32>,
    pub points: Points,
    /// The checks the untouched skeleton passes ([`Grader::baseline`]): they earn no points.
    pub baseline: Vec<String>,
    /// The boots of one tree side by side (each guest takes one host CPU).
    pub boot_jobs: usize,
}

impl Grader {
    /// Grades the untouched skeleton (in `OUT/.skeleton`): the checks it passes, which show
    /// no work of a student's.
    pub fn baseline(&self) -> Vec<String> {
        let grade = self.grade_tree(".skeleton", None);
        grade
            .tasks
            .iter()
            .flat_map(|t| &t.checks)
            .filter(|(_, passed, _)| *passed)
            .map(|(name, _, _)| name.clone())
            .collect()
    }

    /// Grades the tree `dir` of the student named `student` (already checked to be an id).
    pub fn grade(&self, student: &str, dir: &Path) -> Grade {
        self.grade_tree(student, Some(dir))
    }

    /// Grades the lab's tree with the files of `dir` (none: the skeleton's).
    fn grade_tree(&self, student: &str, dir: Option<&Path>) -> Grade {
        let start = Instant::now();
        let out = self.out.join(student);
        let _ = fs::remove_dir_all(&out);
        let tree = out.join("tree");
        let mut grade = Grade {
            student: student.to_string(),
            tasks: Vec::new(),
            notes: Vec::new(),
            kernel_reports: 0,
            seconds: 0.0,
        };
        let skels = Command::new(self.root.join("target/release/dw-skels"))
            .arg("--force")
            .arg(&tree)
            .stdout(Stdio::null())
            .status();
        if !skels.is_ok_and(|s| s.success()) {
            grade
                .notes
                .push("the grader could not write the lab's tree (dw-skels)".into());
        }
        // The student's files of each task, into the trusted tree.
        let mut to_check = Vec::new();
        for &number in &self.tasks {
            let task = dw_lab::lab_task(number).expect("a lab task");
            let max = self.points.tasks.get(&number).copied().unwrap_or(10.0);
            let mut problems = Vec::new();
            for (dir, file) in dir
                .iter()
                .flat_map(|d| task.files.iter().map(move |f| (d, f)))
            {
                match intake(&dir.join(file)) {
                    Ok(text) => {
                        if let Err(e) = fs::write(tree.join(file), text) {
                            problems.push(format!("{file}: {e}"));
                        }
                    }
                    Err(e) => problems.push(e),
                }
            }
            grade.tasks.push(TaskGrade {
                task: number,
                points: 0.0,
                max,
                checks: Vec::new(),
                not_checked: (!problems.is_empty()).then(|| problems.join("; ")),
                todos: Vec::new(),
            });
        }
        if let Some(dir) = dir {
            grade.notes.extend(unused_files(dir, &tree));
        }
        // The build, as untrusted code, of the graded tasks' modules only.
        let graded: Vec<&LabModule> = dw_skels::lab_modules()
            .filter(|m| m.tasks.iter().any(|t| self.tasks.contains(t)))
            .collect();
        only_crate_roots_of(&tree, &graded);
        let mut log = self.sandbox_build(&tree);
        // One file that does not compile stops the whole build (Kbuild links no module when
        // an object fails): build each module of the graded tasks again on its own.
        let built_none =
            dw_skels::lab_modules().all(|m| !tree.join(format!("{}.ko", m.name)).exists());
        if built_none && dir.is_some() {
            for &module in &graded {
                log += &self.build_alone(&tree, &out, module);
            }
        }
        let _ = fs::write(out.join("build.log"), &log);
        let first_error = log
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or("see build.log")
            .to_string();
        for t in grade.tasks.iter_mut().filter(|t| t.not_checked.is_none()) {
            let module = dw_skels::module_of_task(t.task).expect("a module");
            if tree.join(format!("{}.ko", module.name)).exists() {
                to_check.push(t.task);
            } else {
                t.not_checked = Some(format!("{} does not build: {first_error}", module.name));
            }
        }
        if !to_check.is_empty() {
            self.check(&tree, &out, &to_check, &mut grade);
        }
        grade.seconds = start.elapsed().as_secs_f64();
        let _ = fs::write(out.join("results.json"), gradescope(&grade, &self.baseline));
        grade
    }

    /// Builds `tree` in the sandbox (`scripts/sandbox-build.sh`); its output.
    fn sandbox_build(&self, tree: &Path) -> String {
        let build = Command::new(self.root.join("scripts/sandbox-build.sh"))
            .arg(tree)
            .arg(BUILD_LIMIT.to_string())
            .output();
        build
            .as_ref()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_else(|e| format!("scripts/sandbox-build.sh: {e}"))
    }

    /// Builds `module` alone, in a copy of `tree` without the other modules' crate roots, and
    /// puts its `.ko` into `tree` if it builds; the build's output, headed by the module.
    fn build_alone(&self, tree: &Path, out: &Path, module: &LabModule) -> String {
        let copy = out.join(format!("alone-{}", module.name));
        let _ = fs::remove_dir_all(&copy);
        let copied = Command::new("cp").arg("-a").arg(tree).arg(&copy).status();
        if !copied.is_ok_and(|s| s.success()) {
            return format!(
                "\n{}: could not copy the tree to build it alone\n",
                module.name
            );
        }
        only_crate_roots_of(&copy, &[module]);
        let log = self.sandbox_build(&copy);
        let ko = format!("{}.ko", module.name);
        let _ = fs::copy(copy.join(&ko), tree.join(&ko));
        let _ = fs::remove_dir_all(&copy);
        format!("\n==> {} alone\n{log}", module.name)
    }

    /// Runs the checks of `tasks` on the modules of `tree`; their results go to `out`.
    fn check(&self, tree: &Path, out: &Path, tasks: &[u32], grade: &mut Grade) {
        let results = out.join("results");
        let mut command = Command::new("timeout");
        command
            .env("DW_BOOTS_DIR", out.join("boots"))
            .arg(CHECKS_LIMIT.to_string())
            .arg(self.root.join("target/release/dw-tests"))
            .arg("--modules")
            .arg(tree)
            .arg("--results")
            .arg(&results)
            .arg("--jobs")
            .arg(self.boot_jobs.to_string());
        for t in tasks {
            command.arg("--task").arg(t.to_string());
        }
        let output = command.output();
        let log = match &output {
            Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
            Err(e) => format!("dw-tests: {e}"),
        };
        let _ = fs::write(out.join("log.txt"), &log);
        let _ = fs::copy(results.join("results.xml"), out.join("junit.xml"));
        let _ = fs::copy(results.join("results.ktap"), out.join("ktap.txt"));
        let read = fs::read_to_string(results.join("results.json"))
            .map_err(|e| e.to_string())
            .and_then(|j| read_results(&j));
        match read {
            Ok((by_task, reports)) => {
                grade.kernel_reports = reports;
                for t in grade.tasks.iter_mut().filter(|t| tasks.contains(&t.task)) {
                    t.checks = by_task.get(&t.task).cloned().unwrap_or_default();
                    (t.points, t.todos) = match self.points.split {
                        Split::Todo => {
                            todo_points(t.max, t.task, &t.checks, &self.baseline, &todo_map())
                        }
                        Split::Check => (task_points(t.max, &t.checks, &self.baseline), Vec::new()),
                    };
                    if t.checks.is_empty() {
                        t.not_checked = Some("no check of this task ran (see log.txt)".into());
                    }
                }
            }
            Err(e) => {
                for t in grade.tasks.iter_mut().filter(|t| tasks.contains(&t.task)) {
                    t.not_checked = Some(format!("the checks did not finish ({e}; see log.txt)"));
                }
            }
        }
    }
}

/// The files of the student's tree the grader did not use, where they are not the lab's own.
/// Removes from `tree` the crate roots of the lab's modules but `modules` (a module's file that
/// is also one of theirs stays): Kbuild builds only those.
fn only_crate_roots_of(tree: &Path, modules: &[&LabModule]) {
    let own: Vec<&str> = modules
        .iter()
        .flat_map(|m| m.files.iter().map(|f| dw_lab::student_file(f)))
        .collect();
    for other in dw_skels::lab_modules().filter(|m| !modules.iter().any(|o| o.name == m.name)) {
        let root = format!("{}.rs", other.name.trim_start_matches("dw_"));
        if !own.contains(&root.as_str()) {
            let _ = fs::remove_file(tree.join(root));
        }
    }
}

fn unused_files(dir: &Path, tree: &Path) -> Vec<String> {
    let taken: Vec<&str> = dw_lab::TASKS
        .iter()
        .flat_map(|t| t.files.iter().copied())
        .collect();
    let Ok(entries) = fs::read_dir(dir) else {
        return vec!["the tree cannot be read".into()];
    };
    let mut unused: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if taken.contains(&name.as_str()) || name.ends_with(".ko") || name.starts_with('.') {
                return None;
            }
            (!same(&e.path(), &tree.join(&name))).then_some(name)
        })
        .collect();
    unused.sort();
    if unused.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "not used (the lab's own files are): {}",
        unused.join(", ")
    )]
}

/// Whether `theirs` (a file or a folder) holds what `ours` does.
fn same(theirs: &Path, ours: &Path) -> bool {
    let (Ok(a), Ok(b)) = (fs::symlink_metadata(theirs), fs::symlink_metadata(ours)) else {
        return false;
    };
    if a.is_dir() && b.is_dir() {
        let names = |dir: &Path| -> Vec<std::ffi::OsString> {
            let mut names: Vec<_> = fs::read_dir(dir)
                .map(|d| d.flatten().map(|e| e.file_name()).collect())
                .unwrap_or_default();
            names.sort();
            names
        };
        let (mine, lab) = (names(theirs), names(ours));
        mine == lab && mine.iter().all(|n| same(&theirs.join(n), &ours.join(n)))
    } else {
        a.is_file() && b.is_file() && fs::read(theirs).ok() == fs::read(ours).ok()
    }
}

/// Gradescope's `results.json`: the score, and a test per TODO region with its share of the
/// points and the checks it needs (`Split::Todo`), or per check (none for a check in
/// `baseline`, which the untouched skeleton passes).
pub fn gradescope(grade: &Grade, baseline: &[String]) -> String {
    #[derive(Serialize)]
    struct Test {
        name: String,
        score: f64,
        max_score: f64,
        output: String,
        visibility: &'static str,
    }
    let mut tests = Vec::new();
    for t in &grade.tasks {
        match &t.not_checked {
            Some(why) => tests.push(Test {
                name: format!("task {}", t.task),
                score: 0.0,
                max_score: t.max,
                output: why.clone(),
                visibility: "visible",
            }),
            None if !t.todos.is_empty() => {
                let share = t.max / t.todos.len() as f64;
                for todo in &t.todos {
                    let mut output = String::new();
                    for need in &todo.needs {
                        let check = t.checks.iter().find(|(n, _, _)| n == need);
                        let verdict = match check {
                            Some((_, true, _)) => "PASS".to_string(),
                            Some((_, false, details)) => format!("FAIL\n{details}"),
                            None => "did not run".to_string(),
                        };
                        writeln!(output, "{need}: {verdict}").unwrap();
                    }
                    tests.push(Test {
                        name: format!(
                            "task {}, TODO at {}: {}",
                            t.task,
                            todo.place,
                            first_sentence(&todo.text)
                        ),
                        score: if todo.earned { share } else { 0.0 },
                        max_score: share,
                        output,
                        visibility: "visible",
                    });
                }
            }
            None => {
                let counted = t.checks.iter().filter(|c| !baseline.contains(&c.0)).count();
                let share = t.max / counted.max(1) as f64;
                for (name, passed, details) in &t.checks {
                    let (share, output) = if baseline.contains(name) {
                        (
                            0.0,
                            "the untouched skeleton passes this check too: no points".into(),
                        )
                    } else {
                        (share, details.clone())
                    };
                    tests.push(Test {
                        name: format!("task {}: {name}", t.task),
                        score: if *passed { share } else { 0.0 },
                        max_score: share,
                        output,
                        visibility: "visible",
                    });
                }
            }
        }
    }
    let doc = serde_json::json!({
        "score": grade.total(),
        "output": grade.notes.join("\n"),
        "tests": tests,
    });
    serde_json::to_string_pretty(&doc).expect("plain data") + "\n"
}

/// A TODO's text up to its first full stop (a marker may go on with a lesson), for a name.
fn first_sentence(text: &str) -> &str {
    text.find(". ").map_or(text, |end| &text[..=end])
}

/// `class.csv`: a header, then a row per student: the points of each task, the total, the
/// kernel reports seen, the seconds, and the grader's notes.
pub fn class_csv(tasks: &[u32], grades: &[Grade]) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut csv = String::from("student");
    tasks.iter().for_each(|t| write!(csv, ",task {t}").unwrap());
    csv += ",total,max,kernel reports,seconds,notes\n";
    for g in grades {
        csv += &quote(&g.student);
        for task in tasks {
            match g.tasks.iter().find(|t| t.task == *task) {
                Some(t) => write!(csv, ",{}", t.points).unwrap(),
                None => csv.push(','),
            }
        }
        let notes: Vec<String> = g
            .tasks
            .iter()
            .filter_map(|t| Some(format!("task {}: {}", t.task, t.not_checked.as_ref()?)))
            .chain(g.notes.iter().cloned())
            .collect();
        writeln!(
            csv,
            ",{},{},{},{:.0},{}",
            g.total(),
            g.max(),
            g.kernel_reports,
            g.seconds,
            quote(&notes.join("; "))
        )
        .unwrap();
    }
    csv
}

/// `class.md`: the same as a table, and each task's pass rate (full points).
pub fn class_md(tasks: &[u32], grades: &[Grade]) -> String {
    let mut md = String::from("| student |");
    tasks
        .iter()
        .for_each(|t| write!(md, " task {t} |").unwrap());
    md += " total | kernel reports | seconds |\n|---|";
    md += &"---:|".repeat(tasks.len() + 3);
    md += "\n";
    for g in grades {
        write!(md, "| {} |", g.student).unwrap();
        for task in tasks {
            match g.tasks.iter().find(|t| t.task == *task) {
                Some(t) => write!(md, " {} |", t.points).unwrap(),
                None => md += " |",
            }
        }
        writeln!(
            md,
            " {} / {} | {} | {:.0} |",
            g.total(),
            g.max(),
            g.kernel_reports,
            g.seconds
        )
        .unwrap();
    }
    md += "| pass rate |";
    // Over the students graded (a refused folder has no tasks).
    let graded = grades.iter().filter(|g| !g.tasks.is_empty()).count();
    for (i, _) in tasks.iter().enumerate() {
        let full = grades
            .iter()
            .filter(|g| {
                g.tasks
                    .get(i)
                    .is_some_and(|t| t.max > 0.0 && t.points >= t.max)
            })
            .count();
        write!(md, " {full}/{graded} |").unwrap();
    }
    md += " | | |\n";
    md
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn points_files_parse_and_refuse_what_they_cannot_read() {
        let p = Points::parse("# weights\ntask 1 = 5\n\ntask 7 = 20 # the monitor\n").unwrap();
        assert_eq!((p.tasks[&1], p.tasks[&2], p.tasks[&7]), (5.0, 10.0, 20.0));
        assert_eq!(p.split, Split::Todo);
        assert_eq!(Points::parse("split = check").unwrap().split, Split::Check);
        assert!(Points::parse("split = todos").is_err());
        assert!(Points::parse("task 9 = 1").is_err());
        assert!(Points::parse("task one = 1").is_err());
        assert!(Points::parse("task 1 = -2").is_err());
    }

    /// Only the graded modules are built: the other modules' crate roots leave the tree, but
    /// not a file one of the graded modules shares.
    #[test]
    fn only_the_graded_modules_crate_roots_stay() {
        let dir = std::env::temp_dir().join(format!("dw-grade-{}-roots", std::process::id()));
        let roots = |kept: &[&str]| {
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            for m in dw_skels::lab_modules() {
                for f in m.files {
                    fs::write(dir.join(dw_lab::student_file(f)), "").unwrap();
                }
            }
            let graded: Vec<&LabModule> = dw_skels::lab_modules()
                .filter(|m| kept.contains(&m.name))
                .collect();
            only_crate_roots_of(&dir, &graded);
            let mut left: Vec<String> = fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            left.sort();
            left
        };
        assert_eq!(roots(&["dw_timer"]), ["deferred_device.rs", "timer.rs"]);
        assert_eq!(
            roots(&["dw_procmon", "dw_kthread"]),
            ["deferred_device.rs", "kthread.rs", "procmon.rs"]
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ids_and_files_that_are_refused() {
        assert!(valid_student_id("ana.pop-2"));
        for bad in ["", ".hidden", "a/b", "a b", "ä", &"x".repeat(65)] {
            assert!(!valid_student_id(bad), "{bad:?}");
        }
        let dir = std::env::temp_dir().join(format!("dw-grade-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("ok.rs"), "fn f() {}\n").unwrap();
        fs::write(dir.join("big.rs"), vec![b'a'; MAX_FILE as usize + 1]).unwrap();
        fs::write(dir.join("bin.rs"), [0xff, 0xfe]).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.join("link.rs")).unwrap();
        assert!(intake(&dir.join("ok.rs")).is_ok());
        assert!(intake(&dir.join("big.rs"))
            .unwrap_err()
            .contains("more than"));
        assert!(intake(&dir.join("bin.rs")).unwrap_err().contains("UTF-8"));
        assert!(intake(&dir.join("link.rs")).unwrap_err().contains("link"));
        assert!(intake(&dir.join("none.rs"))
            .unwrap_err()
            .contains("missing"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_task_earns_its_points_by_its_checks() {
        let check = |name: &str, ok| (name.to_string(), ok, String::new());
        let checks = [check("a", true), check("b", false), check("c", true)];
        assert_eq!(task_points(10.0, &checks, &[]), 6.67);
        assert_eq!(task_points(10.0, &checks, &["c".to_string()]), 5.0);
        assert_eq!(task_points(10.0, &[], &[]), 0.0);
        let json = r#"{"groups": [{"name": "b", "checks": [
            {"name": "timer: a", "status": "pass", "task": 1},
            {"name": "timer: b", "status": "fail", "task": 1, "details": ["kernel report: BUG: x"]},
            {"name": "boot b: y", "status": "pass"}]}]}"#;
        let (by_task, reports) = read_results(json).unwrap();
        assert_eq!((by_task[&1].len(), reports), (2, 1));
    }

    #[test]
    fn a_task_earns_its_points_by_its_todos() {
        let map = TodoChecks::parse(
            "# a header\n\
             1\tt.rs:3\ta; b\tprint it\n\
             1\tt.rs:5\t(the build)\ta field\n\
             1\tt.rs:7\tc\tclean up\n\
             1\tt.rs:9\ta\tarm it\n\
             2\tp.rs:1\ta\tnot this task's\n",
        );
        assert_eq!(map.len(), 5);
        let check = |name: &str, ok| (name.to_string(), ok, String::new());
        let baseline = ["c".to_string()];
        let (points, todos) = todo_points(
            10.0,
            1,
            &[check("a", true), check("b", false), check("c", true)],
            &baseline,
            &map,
        );
        // t.rs:3 needs b; the build's region needs a and b (c is the skeleton's); the region
        // whose only check the skeleton passes needs them too; t.rs:9 needs a.
        let earned: Vec<bool> = todos.iter().map(|t| t.earned).collect();
        assert_eq!(earned, [false, false, false, true]);
        assert_eq!(todos[1].needs, ["a", "b"]);
        assert_eq!(points, 2.5);
        let all = [check("a", true), check("b", true), check("c", true)];
        assert_eq!(todo_points(10.0, 1, &all, &baseline, &map).0, 10.0);
        // A check that did not run does not count as passed.
        assert_eq!(todo_points(10.0, 1, &[], &baseline, &map).0, 0.0);
        // The map of the repository names checks of every task and only TODOs of tasks.
        let tasks: Vec<u32> = todo_map().iter().map(|r| r.task).collect();
        assert!(dw_lab::TASKS.iter().all(|t| tasks.contains(&t.number)));
    }

    /// Ana's grade: task 1 with its one check passed, and these notes.
    pub(crate) fn one_task_graded(notes: Vec<String>) -> Grade {
        Grade {
            student: "ana".into(),
            tasks: vec![TaskGrade {
                task: 1,
                points: 10.0,
                max: 10.0,
                checks: vec![("timer: a".into(), true, String::new())],
                not_checked: None,
                todos: Vec::new(),
            }],
            notes,
            kernel_reports: 0,
            seconds: 12.4,
        }
    }

    #[test]
    fn the_class_files_have_a_row_per_student() {
        let grade = one_task_graded(vec!["not used (the lab's own files are): Kbuild".into()]);
        let csv = class_csv(&[1], std::slice::from_ref(&grade));
        assert_eq!(
            csv,
            "student,task 1,total,max,kernel reports,seconds,notes\n\
             \"ana\",10,10,10,0,12,\"not used (the lab's own files are): Kbuild\"\n"
        );
        assert!(class_md(&[1], std::slice::from_ref(&grade)).contains("| pass rate | 1/1 |"));
        let json: serde_json::Value = serde_json::from_str(&gradescope(&grade, &[])).unwrap();
        assert_eq!(json["score"], 10.0);
        assert_eq!(json["tests"][0]["max_score"], 10.0);
    }
}
