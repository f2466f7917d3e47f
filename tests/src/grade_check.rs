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
    println!("==> grading: a class of six trees made from the solutions (dw-grade --task 1)");
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
    let gradescope = gradescope_problems(root, &out.join("solution/results.json"), Some(10.0));
    // The solution's KTAP and JUnit XML, read by the kernel's kunit.py and a JUnit library with
    // the counts of its results.
    let readers = solution_readers(root, &out.join("solution/results"));
    // The command the Classroom workflow runs per task (ci/github-classroom.yml).
    let points = Command::new(root.join("scripts/task-points.sh"))
        .arg(&out)
        .arg("1")
        .output();
    let points_problem = match points {
        Ok(o)
            if o.status.code() == Some(1)
                && String::from_utf8_lossy(&o.stdout).contains("\"solution\": 10 points") =>
        {
            None
        }
        Ok(o) => Some(format!(
            "scripts/task-points.sh: status {}, output {:?}",
            o.status,
            String::from_utf8_lossy(&o.stdout)
        )),
        Err(e) => Some(format!("scripts/task-points.sh: {e}")),
    };
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
            "grading: scripts/task-points.sh (Classroom's test per task) reads the class's points",
            Outcome::from_problems(points_problem.into_iter().collect()),
        ),
        CheckResult::new(
            "grading: results.json valid against Gradescope's fields (ci/gradescope-results.schema.json)",
            Outcome::from_problems(gradescope),
        ),
    ];
    let results: Vec<CheckResult> = results.into_iter().chain(readers).collect();
    results.iter().for_each(CheckResult::print);
    results
}

/// What is wrong with a `results.json`, next to the JSON schema of Gradescope's fields, and
/// with its score (`score`, when given).
pub(crate) fn gradescope_problems(root: &Path, file: &Path, score: Option<f64>) -> Vec<String> {
    let read = |path: &Path| -> Result<serde_json::Value, String> {
        let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let (schema, results) = match (
        read(&root.join("ci/gradescope-results.schema.json")),
        read(file),
    ) {
        (Ok(s), Ok(r)) => (s, r),
        (Err(e), _) | (_, Err(e)) => return vec![e],
    };
    let mut problems: Vec<String> = match jsonschema::validator_for(&schema) {
        Ok(validator) => validator
            .iter_errors(&results)
            .map(|e| e.to_string())
            .collect(),
        Err(e) => vec![format!("the schema: {e}")],
    };
    match score {
        Some(score) if results["score"] != score => {
            problems.push(format!("score {}, expected {score}", results["score"]));
        }
        _ => {}
    }
    problems
}

/// The solution's KTAP and JUnit XML read by their readers with the counts of its JSON.
fn solution_readers(root: &Path, results: &Path) -> Vec<crate::result::CheckResult> {
    readers(root, results)
        .into_iter()
        .map(|r| crate::result::CheckResult {
            name: r.name.replacen("results:", "grading: the solution's", 1),
            ..r
        })
        .collect()
}

/// The KTAP and JUnit XML of `dw-tests --results DIR` read by their readers, with the counts
/// of its JSON.
pub(crate) fn readers(root: &Path, results: &Path) -> Vec<crate::result::CheckResult> {
    let json = fs::read_to_string(results.join("results.json"))
        .ok()
        .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok())
        .unwrap_or_default();
    let count = |key: &str| json[key].as_u64().unwrap_or_default() as usize;
    let expected = crate::result::Tally {
        passed: count("passed"),
        failed: count("failed"),
        skipped: count("skipped"),
    };
    crate::report::check_readers(results, &crate::run::kernel_source(root), &expected)
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

#[cfg(test)]
mod tests {
    use yaml_rust2::{Yaml, YamlLoader};

    fn load(file: &str) -> Yaml {
        let path = format!("{}/../ci/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        docs.remove(0)
    }

    fn exists(path: &str) -> bool {
        std::path::Path::new(&format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).exists()
    }

    /// The kernel comes from the class's pack: `KERNEL_PACK` is a URL, which the lab downloads
    /// with curl, installed by `apt` (the job's first command), and the lab makes and reads packs.
    fn kernel_pack(variables: &Yaml, apt: &str) -> bool {
        let makefile =
            std::fs::read_to_string(format!("{}/../Makefile", env!("CARGO_MANIFEST_DIR")));
        variables["KERNEL_PACK"]
            .as_str()
            .is_some_and(|url| url.starts_with("https://"))
            && apt.contains("apt-get install")
            && apt.split_whitespace().any(|w| w == "curl")
            && exists("scripts/kernel-unpack.sh")
            && makefile.unwrap().contains("\nkernel-pack:\n")
    }

    /// GitHub Classroom's workflow grades as `make grade` does, reports one test per lab task
    /// (named as the lab names it) with the script the suite runs, and takes the kernel from
    /// the class's pack.
    #[test]
    fn the_classroom_workflow_grades_every_task() {
        let workflow = load("github-classroom.yml");
        let steps = workflow["jobs"]["grade"]["steps"].as_vec().expect("steps");
        let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
        assert!(runs
            .iter()
            .any(|r| r.starts_with("make -C lab grade SUBMISSIONS=")));
        let using = |action: &str| {
            steps
                .iter()
                .find(|s| s["uses"].as_str().is_some_and(|u| u.contains(action)))
                .unwrap_or_else(|| panic!("no step uses {action}"))
        };
        assert!(kernel_pack(&workflow["env"], runs[0]));
        let report = using("grading-reporter");
        let runners = report["with"]["runners"].as_str().unwrap();
        for task in dw_lab::TASKS {
            let id = format!("task-{}", task.number);
            let step = steps
                .iter()
                .find(|s| s["id"].as_str() == Some(&id))
                .unwrap_or_else(|| panic!("no step {id}"));
            let with = &step["with"];
            assert_eq!(
                with["test-name"].as_str(),
                Some(format!("Task {}: {}", task.number, task.title).as_str())
            );
            assert_eq!(
                with["command"].as_str(),
                Some(format!("lab/scripts/task-points.sh grade {}", task.number).as_str())
            );
            assert!(runners.split(',').any(|r| r == id));
            let env = format!("TASK-{}_RESULTS", task.number);
            assert!(report["env"][env.as_str()].as_str().is_some(), "{env}");
        }
        assert!(exists("scripts/task-points.sh") && exists("scripts/grade.sh"));
    }

    /// The grader's `results.json` is what the schema of Gradescope's fields accepts; a file
    /// without a score is not.
    #[test]
    fn gradescope_results_follow_the_schema() {
        let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let dir = std::env::temp_dir().join(format!("dw-gradescope-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let grade = crate::grade::tests::one_task_graded(Vec::new());
        let file = dir.join("results.json");
        std::fs::write(&file, crate::grade::gradescope(&grade, &[])).unwrap();
        assert_eq!(
            super::gradescope_problems(root, &file, Some(10.0)),
            Vec::<String>::new()
        );
        std::fs::write(&file, r#"{"tests": []}"#).unwrap();
        assert_eq!(super::gradescope_problems(root, &file, Some(10.0)).len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The GitLab job grades one student's tree a job, takes the kernel from the class's pack
    /// and hands its JUnit XML to GitLab.
    #[test]
    fn the_gitlab_job_grades_a_student_per_job() {
        let ci = load("gitlab-ci.yml");
        let job = &ci["grade"];
        let script: Vec<&str> = job["script"]
            .as_vec()
            .expect("script")
            .iter()
            .filter_map(Yaml::as_str)
            .collect();
        assert!(script
            .iter()
            .any(|c| c.starts_with("make -C lab grade SUBMISSIONS=")));
        assert_eq!(
            job["artifacts"]["reports"]["junit"].as_str(),
            Some("grade/$STUDENT/junit.xml")
        );
        let apt = job["before_script"][0].as_str().expect("before_script");
        assert!(kernel_pack(&job["variables"], apt));
        assert!(job["parallel"]["matrix"][0]["STUDENT"].as_vec().is_some());
        let makefile =
            std::fs::read_to_string(format!("{}/../Makefile", env!("CARGO_MANIFEST_DIR")));
        assert!(makefile.unwrap().contains("\ngrade:\n"));
    }
}
