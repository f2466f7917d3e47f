//! The suite's check of the grader (`make test`): a small class made from the solutions.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

/// The suite's check of the grader: a small class made from the solutions, graded on task 1 by
/// `dw-grade` as `make grade` runs it, gets the grades it should, in files their readers read,
/// and its hostile tree leaves no trace outside its build folder.
pub fn class_check(root: &Path) -> Vec<crate::result::CheckResult> {
    use crate::result::{CheckResult, Outcome};
    println!("==> grading: a class of five trees made from the solutions (dw-grade --task 1)");
    let dir = root.join("build/grade-check");
    let (class, out) = (dir.join("submissions"), dir.join("out"));
    let trace = dir.join("left-by-a-student");
    let made = make_class(root, &class, &trace);
    let graded = made.and_then(|()| {
        let status = Command::new(root.join("target/release/dw-grade"))
            .arg(&class)
            .args(["--task", "1", "--out"])
            .arg(&out)
            .status()
            .map_err(|e| format!("dw-grade: {e}"))?;
        // One tree is refused (its name), so dw-grade says not all were graded.
        if status.code() != Some(1) {
            return Err(format!("dw-grade exited with {status}, expected 1"));
        }
        fs::read_to_string(out.join("class.csv")).map_err(|e| format!("class.csv: {e}"))
    });
    let csv = match graded {
        Ok(csv) => csv,
        Err(e) => {
            let result = CheckResult::new("grading: the class is graded", Outcome::Fail(vec![e]));
            result.print();
            return vec![result];
        }
    };
    let row = |student: &str| -> Option<Vec<String>> {
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("\"{student}\",")))?;
        Some(line.split(',').map(str::to_string).collect())
    };
    let expect = |name: &str, student: &str, total: &str, note: &str| {
        let problems = match row(student) {
            None => vec![format!("no row for {student} in class.csv")],
            Some(r) if r[2] != total || !r[6..].join(",").contains(note) => vec![format!(
                "{student}: total {}, notes {}; expected {total} and a note with {note:?}",
                r[2],
                r[6..].join(",")
            )],
            Some(_) => Vec::new(),
        };
        CheckResult::new(format!("grading: {name}"), Outcome::from_problems(problems))
    };
    let gradescope = fs::read_to_string(out.join("solution/results.json"))
        .ok()
        .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok())
        .is_some_and(|j| {
            j["score"] == 10.0 && j["tests"].as_array().is_some_and(|t| !t.is_empty())
        });
    let junit = fs::read(out.join("solution/junit.xml"))
        .ok()
        .and_then(|x| junit_parser::from_reader(std::io::Cursor::new(x)).ok())
        .is_some_and(|s| s.tests > 0 && s.failures == 0);
    let results = vec![
        expect(
            "the solution gets every point of task 1",
            "solution",
            "10",
            "",
        ),
        expect("the untouched skeleton gets none", "skeleton", "0", ""),
        expect(
            "a forger (no timer: init prints the line) gets none",
            "forger",
            "0",
            "",
        ),
        expect(
            "a tree reading a host file does not build, its own Kbuild unused",
            "hostile",
            "0",
            "not used (the lab's own files are): Kbuild",
        ),
        expect(
            "a tree without the task's file gets a line saying so",
            "empty",
            "0",
            "timer.rs: missing",
        ),
        CheckResult::new(
            "grading: a folder whose name is not an id is refused by name",
            Outcome::from_problems(
                (!csv.contains("not graded: the folder's name is not a student id"))
                    .then(|| "no refusal in class.csv".to_string())
                    .into_iter()
                    .collect(),
            ),
        ),
        CheckResult::new(
            "grading: the hostile tree left nothing outside its build folder",
            Outcome::from_problems(
                trace
                    .exists()
                    .then(|| format!("{} exists", trace.display()))
                    .into_iter()
                    .collect(),
            ),
        ),
        CheckResult::new(
            "grading: results.json in Gradescope's fields, junit.xml read by a JUnit library",
            Outcome::from_problems(
                [
                    (!gradescope).then(|| "results.json".to_string()),
                    (!junit).then(|| "junit.xml".to_string()),
                ]
                .into_iter()
                .flatten()
                .collect(),
            ),
        ),
    ];
    results.iter().for_each(CheckResult::print);
    results
}

/// The class of [`class_check`]: `solution` (task 1 done), `skeleton`, `forger`, `hostile`
/// (reads a host file; a Kbuild that would leave `trace`), `empty`, and `not an id`.
fn make_class(root: &Path, class: &Path, trace: &Path) -> Result<(), String> {
    let _ = fs::remove_dir_all(class);
    let _ = fs::remove_file(trace);
    let source = fs::read_to_string(root.join("modules/1-2-timer/timer.rs"))
        .map_err(|e| format!("timer.rs: {e}"))?;
    let solution = dw_skels::for_student_tree(&source);
    let write = |student: &str, file: &str, text: &str| -> Result<(), String> {
        let dir = class.join(student);
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        fs::write(dir.join(file), text).map_err(|e| format!("{student}/{file}: {e}"))
    };
    write("solution", "timer.rs", &solution)?;
    let patch = fs::read_to_string(root.join("tests/forgers/1-prints-from-init.patch"))
        .map_err(|e| format!("the forger: {e}"))?;
    let mut files = vec![(PathBuf::from("timer.rs"), solution.clone().into_bytes())];
    dw_skels::apply(&mut files, &patch)?;
    write("forger", "timer.rs", &String::from_utf8_lossy(&files[0].1))?;
    let stolen = format!(
        "const STOLEN: &str = include_str!(\"{}\");\n",
        root.join("README.md").display()
    );
    write("hostile", "timer.rs", &(solution.clone() + &stolen))?;
    write(
        "hostile",
        "Kbuild",
        &format!("$(shell touch {})\nobj-m := x.o\n", trace.display()),
    )?;
    fs::create_dir_all(class.join("empty")).map_err(|e| e.to_string())?;
    fs::create_dir_all(class.join("not an id")).map_err(|e| e.to_string())?;
    let skels = Command::new(root.join("target/release/dw-skels"))
        .arg(class.join("skeleton"))
        .arg("1")
        .stdout(Stdio::null())
        .status();
    if !skels.is_ok_and(|s| s.success()) {
        return Err("dw-skels could not write the skeleton".into());
    }
    Ok(())
}
