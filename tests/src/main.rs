//! Boot-and-check harness: runs the scenarios in QEMU guests and checks their kernel logs.
//! `dw-tests --help` says how to call it.

use dw_tests::{
    check::Boot,
    cli::{self, Command, Options, USAGE},
    judge, lab,
    report::{self, Group},
    reports,
    result::{CheckResult, Outcome},
    run::Harness,
    scenarios::{self, Intensity},
};
use std::{fs, path::Path, process::exit};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Ok(mut options) = cli::parse(&args) else {
        eprintln!("{USAGE}");
        exit(2)
    };
    match &options.command {
        Command::Help => return println!("{USAGE}"),
        Command::Reports(file) => exit(reports::print_in_file(file)),
        _ => {}
    }
    if let Some(dir) = options.modules.first() {
        match lab::tasks_of_tree(Path::new(dir), &options.tasks) {
            Ok(found) => options.tasks = found,
            Err(e) => {
                eprintln!("dw-tests: {e}");
                exit(2)
            }
        }
    }
    let boots = select(&options);
    let mut harness = Harness::from_env();
    let failed = match &options.command {
        Command::List => return list(&boots),
        Command::GradeProof => grade_proof(&harness.root, &options),
        Command::Judge(dir) => judge_again(&boots, dir.as_ref().unwrap_or(&harness.dir), &options),
        _ => {
            harness.files = student_modules(&options.modules);
            run(&harness, &boots, &options)
        }
    };
    exit(i32::from(failed))
}

/// The boots and scenarios the options select.
fn select(options: &Options) -> Vec<Boot> {
    let intensity = if options.soak {
        Intensity::SOAK
    } else {
        Intensity::TEST
    };
    let by_task = !options.tasks.is_empty() || !options.modules.is_empty();
    let tasks = by_task.then_some(&options.tasks[..]);
    scenarios::selected(&options.filters, intensity, tasks)
}

fn list(boots: &[Boot]) {
    for b in boots {
        println!("boot {}:", b.name);
        b.scenarios.iter().for_each(|s| println!("  {}", s.name));
    }
}

/// `judge DIR` and `--judge`: the selected boots judged again from the files in `dir`; the
/// results written too with `--results`. Whether a check failed.
fn judge_again(boots: &[Boot], dir: &Path, options: &Options) -> bool {
    let mut groups = Vec::new();
    for boot in boots {
        let results = judge::saved_or_failure(boot, dir);
        println!(
            "==> boot {}, judged again from {}",
            boot.name,
            dir.display()
        );
        results.iter().for_each(CheckResult::print);
        groups.push(Group::new(&format!("boot {}", boot.name), results));
    }
    close(&groups, options)
}

/// The end of a run that only judges: the results written with `--results`, and the closing
/// line. Whether a check failed.
fn close(groups: &[Group], options: &Options) -> bool {
    if let Some(dir) = &options.results {
        if let Err(e) = report::write(dir, groups) {
            eprintln!("dw-tests: {}: {e}", dir.display());
        }
    }
    let tally = report::tally(groups);
    println!("{tally}");
    tally.failed > 0
}

/// `--grade-proof`: the grader's proof, its results written too with `--results`. Whether a
/// check failed.
fn grade_proof(root: &Path, options: &Options) -> bool {
    let results = dw_tests::grade_proof::proof(root, options.jobs.unwrap_or(1), &options.filters);
    close(&[Group::new("grade proof", results)], options)
}

/// `HOST:GUEST` entries for the modules of a student's tree (`--modules`).
fn student_modules(dirs: &[String]) -> Vec<String> {
    let mut files = Vec::new();
    for dir in dirs {
        let kos = fs::read_dir(dir).unwrap_or_else(|e| panic!("--modules {dir}: {e}"));
        for ko in kos.flatten().map(|e| e.path()) {
            if ko.extension().is_some_and(|e| e == "ko") {
                let name = ko.file_name().expect("a file").to_string_lossy();
                files.push(format!("{}:/root/{name}", ko.display()));
            }
        }
    }
    files
}

/// The run: the host checks, the boots, the lab proof, then the results for other tools and the
/// closing line. Whether a check failed.
fn run(harness: &Harness, boots: &[Boot], options: &Options) -> bool {
    let mut groups = Vec::new();
    if options.host {
        groups.extend(host_checks(&harness.root));
    }
    let jobs = options.jobs.unwrap_or_else(|| harness.default_jobs());
    // With guests restored, the whole suite also boots its first boot, beside the others: each
    // run shows that a restored guest checks as a booted one.
    let twin = boots
        .first()
        .filter(|_| harness.restore && options.whole_suite() && !harness.icount_shift.is_empty());
    let (verdicts, booted) = std::thread::scope(|scope| {
        let booted = twin.map(|boot| {
            let mut booted = boot.clone().fresh();
            booted.name += " (booted)";
            scope.spawn(move || harness.booted().run_boots(&[booted], 1))
        });
        let verdicts = harness.run_boots(boots, jobs);
        (verdicts, booted.map(|b| b.join().expect("the booted twin")))
    });
    let rejudged = judge::rejudged_alike(boots, &harness.dir, &verdicts);
    if let (Some(boot), Some(booted)) = (twin, booted) {
        let name = format!(
            "restore: boot {} gets the same verdicts restored and booted",
            boot.name
        );
        let result = CheckResult::new(name, judge::alike(&verdicts[0], &booted[0]));
        result.print();
        groups.push(Group::new("restored and booted", vec![result]));
    }
    for (boot, results) in boots.iter().zip(verdicts) {
        groups.push(Group::new(&format!("boot {}", boot.name), results));
    }
    // The harness's own check, not the student's (`--modules`).
    if !boots.is_empty() && options.modules.is_empty() {
        let name = "results: each boot judged again from its saved files gets the same verdicts";
        let result = CheckResult::new(name, rejudged);
        result.print();
        groups.push(Group::new("judged again", vec![result]));
    }
    if options.lab_proof || (options.whole_suite() && !options.no_lab_proof) {
        let proof = lab::proof(&harness.root, &mut |boots| {
            let runs: Vec<(&Boot, &[String])> = boots.iter().map(|(b, f)| (b, &f[..])).collect();
            harness.run_side_by_side(&runs, jobs, true)
        });
        groups.push(Group::new("lab proof", proof));
    }
    if options.whole_suite() && !options.no_lab_proof {
        let graded = dw_tests::grade_check::class_check(&harness.root);
        groups.push(Group::new("grading", graded));
    }
    let mut tally = report::tally(&groups);
    if let Some(dir) = &options.results {
        let checked = match report::write(dir, &groups) {
            Ok(()) => {
                report::check_readers(dir, &dw_tests::run::kernel_source(&harness.root), &tally)
            }
            Err(e) => vec![CheckResult::new(
                format!("results: written to {}", dir.display()),
                Outcome::Fail(vec![e.to_string()]),
            )],
        };
        checked.iter().for_each(CheckResult::print);
        tally.add_all(&checked);
    }
    if let Some(dir) = options.modules.first() {
        let hints: Vec<String> = groups
            .iter()
            .flat_map(|g| &g.results)
            .filter(|r| r.failed())
            .filter_map(|r| lab::hint(r, Path::new(dir)))
            .collect();
        if !hints.is_empty() {
            println!("\nWhere to look:");
            hints.iter().for_each(|h| println!("    {h}"));
        }
    }
    println!("{tally}");
    tally.failed > 0
}

/// `--host`: the lint gates, the compile tests, the host unit tests, a boot on the host's clock.
fn host_checks(root: &Path) -> Vec<Group> {
    use dw_tests::host;
    vec![
        Group::new("host: lint", host::lint(root)),
        Group::new("host: compile tests", host::compile_tests(root)),
        Group::new("host: cargo test", host::cargo_test(root)),
        Group::new(
            "host: a boot on the host's clock",
            host::host_clock_boot(root),
        ),
        Group::new("host: KVM or TCG", host::kvm_fallback(root)),
    ]
}
