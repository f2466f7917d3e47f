//! Boot-and-check harness: runs the scenarios in QEMU guests and checks their kernel logs.
//! `dw-tests --help` says how to call it.

mod check;
mod host;
mod lab;
mod log;
mod report;
mod scenarios;
#[cfg(test)]
mod shell_tests;
mod wall;

use check::{Boot, Scenario};
use dw_lab::MODULE_PREFIX;
use log::Outcome;
use report::Group;
use scenarios::Intensity;
use std::{
    fmt::Write as _,
    fs, io,
    os::unix::process::ExitStatusExt,
    path::{Path, PathBuf},
    process::{exit, Command, ExitStatus},
    sync::{
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    thread,
    time::Instant,
};
use wall::MarkerTimes;

const USAGE: &str =
    "usage: dw-tests [--host] [--soak] [--jobs N] [--list] [--modules DIR] [--task N]...
                [--lab-proof | --no-lab-proof] [--results DIR] [--judge] [FILTER...]
       dw-tests --reports CONSOLE_FILE
Runs the guest scenarios whose name contains a FILTER (all without one), one QEMU boot per
group, and ends with `N passed, N failed, N skipped`.
  --host      first run the host checks (scripts/lint.sh, scripts/compile-tests.sh, cargo test)
              and count them too
  --soak      only the soak scenarios (the abuse boot), with their long loops at full count
  --jobs N    boots run side by side (default: one per host CPU on virtual time, else 1)
  --list      list the selected scenarios by boot, run nothing
  --modules   load the modules (.ko) of DIR, a student tree, instead of ours; a failed check
              of a lab task then points at that task's TODOs in DIR
  --task      only the checks of lab task N (1 to 7; repeatable)
  --lab-proof prove the checks can fail: the skeleton tree and the mutants of build/lab-proof
              (scripts/lab-proof.sh builds them) must fail their tasks' checks; part of the
              whole suite (no FILTER, --task, --modules or --soak) unless --no-lab-proof
  --results   also write the results as KTAP, JSON and JUnit XML (DIR/results.ktap,
              .json, .xml), and check that the kernel's kunit.py and a JUnit library read
              them with the closing line's counts (two more checks, not in the files)
  --judge     run nothing: judge the selected boots again from the files their last run left
              in build/tests/ (console, output, launcher status), with the run's options
  --reports   print the kernel reports in a console log; exit 1 if there is one
Environment: DW_BOOT_SH replaces qemu/boot.sh (a stand-in that replays a console, say);
DW_ICOUNT is passed on to it: unset, the guests run on virtual time (`0`, qemu/boot.sh);
empty (`DW_ICOUNT=`), on the host's clock with multi-threaded TCG.";

/// The icount shift of the test boots unless `DW_ICOUNT` says otherwise: one instruction is one
/// nanosecond of guest time (`docs/running.md`, "Virtual time").
const DEFAULT_ICOUNT_SHIFT: &str = "0";

/// Seconds a guest may take to boot, on top of its scenarios' own time limits.
const BOOT_MARGIN: u32 = 120;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    if flag("--help") || flag("-h") {
        println!("{USAGE}");
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--reports") {
        let Some(file) = args.get(i + 1) else {
            eprintln!("{USAGE}");
            exit(2)
        };
        exit(print_reports(Path::new(file)))
    }
    let jobs_arg = args.iter().position(|a| a == "--jobs").map(|i| {
        args.get(i + 1)
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| {
                eprintln!("{USAGE}");
                exit(2)
            })
    });
    let value = |name: &str| {
        let values = args
            .windows(2)
            .filter(|w| w[0] == name)
            .map(|w| w[1].clone());
        values.collect::<Vec<String>>()
    };
    let (mut tasks, modules) = (value("--task"), value("--modules"));
    let results_dir = value("--results").first().map(PathBuf::from);
    if let Some(dir) = modules.first() {
        match lab::tasks_of_tree(Path::new(dir), &tasks) {
            Ok(found) => tasks = found,
            Err(e) => {
                eprintln!("dw-tests: {e}");
                exit(2)
            }
        }
    }
    let takes_value = |i: usize| {
        i > 0 && ["--task", "--modules", "--jobs", "--results"].contains(&args[i - 1].as_str())
    };
    let filters: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|&(i, a)| !(a.starts_with("--") || takes_value(i)))
        .map(|(_, a)| a)
        .collect();
    let intensity = if flag("--soak") {
        Intensity::SOAK
    } else {
        Intensity::TEST
    };
    let mut boots = selected_boots(&filters, intensity);
    if !tasks.is_empty() || !modules.is_empty() {
        let wanted = |s: &Scenario| {
            let task = scenarios::lab_task(&s.name).map(|t| t.to_string());
            task.is_some_and(|t| tasks.contains(&t)) || s.name.ends_with(LEAK_CHECK_NAME)
        };
        boots.iter_mut().for_each(|b| b.scenarios.retain(wanted));
        boots.retain(|b| b.scenarios.len() > 1);
    }
    if flag("--list") {
        for b in &boots {
            println!("boot {}:", b.name);
            b.scenarios.iter().for_each(|s| println!("  {}", s.name));
        }
        return;
    }

    let mut harness = Harness::new();
    if flag("--judge") {
        // Judge the selected boots again from the files of their last run.
        let mut groups = Vec::new();
        for boot in &boots {
            let results = rejudge(boot, &harness.dir).unwrap_or_else(|e| {
                vec![(
                    format!("boot {}: judged again", boot.name),
                    Outcome::Fail(vec![e]),
                )]
            });
            println!(
                "==> boot {}, judged again from {}",
                boot.name,
                harness.dir.display()
            );
            results
                .iter()
                .for_each(|(name, outcome)| print_outcome(name, outcome));
            groups.push(Group::new(&format!("boot {}", boot.name), results));
        }
        let tally = report::tally(&groups);
        println!("{tally}");
        exit(i32::from(tally.failed > 0));
    }
    for dir in &modules {
        let kos = fs::read_dir(dir).unwrap_or_else(|e| panic!("--modules {dir}: {e}"));
        for ko in kos.flatten().map(|e| e.path()) {
            if ko.extension().is_some_and(|e| e == "ko") {
                let name = ko
                    .file_name()
                    .expect("a file")
                    .to_string_lossy()
                    .into_owned();
                harness.files.push(format!("{}:/root/{name}", ko.display()));
            }
        }
    }
    let mut groups = Vec::new();
    if flag("--host") {
        let root = &harness.root;
        groups.push(Group::new("host: lint", host::lint(root)));
        groups.push(Group::new("host: compile tests", host::compile_tests(root)));
        groups.push(Group::new("host: cargo test", host::cargo_test(root)));
        groups.push(Group::new(
            "host: a boot on the host's clock",
            host::host_clock_boot(root),
        ));
    }
    let jobs = jobs_arg.unwrap_or_else(|| default_jobs(&harness));
    let verdicts = harness.run_boots(&boots, jobs);
    let rejudged = rejudged_alike(&boots, &harness.dir, &verdicts);
    for (boot, results) in boots.iter().zip(verdicts) {
        groups.push(Group::new(&format!("boot {}", boot.name), results));
    }
    // The harness's own check, not the student's (`--modules`).
    if !boots.is_empty() && modules.is_empty() {
        let name = "results: each boot judged again from its saved files gets the same verdicts";
        print_outcome(name, &rejudged);
        groups.push(Group::new(
            "judged again",
            vec![(name.to_string(), rejudged)],
        ));
    }
    let whole_suite =
        filters.is_empty() && tasks.is_empty() && modules.is_empty() && !flag("--soak");
    if flag("--lab-proof") || (whole_suite && !flag("--no-lab-proof")) {
        let proof = lab::proof(&harness.root, &mut |boots| {
            let runs: Vec<(&Boot, &[String])> = boots.iter().map(|(b, f)| (b, &f[..])).collect();
            harness.run_side_by_side(&runs, jobs, true)
        });
        groups.push(Group::new("lab proof", proof));
    }
    let mut tally = report::tally(&groups);
    if let Some(dir) = &results_dir {
        let checked = match report::write(dir, &groups) {
            Ok(()) => report::check_readers(dir, &kernel_source(&harness.root), &tally),
            Err(e) => vec![(
                format!("results: written to {}", dir.display()),
                Outcome::Fail(vec![e.to_string()]),
            )],
        };
        checked
            .iter()
            .for_each(|(name, outcome)| print_outcome(name, outcome));
        tally.add_all(&checked);
    }
    if let Some(dir) = modules.first() {
        let hints: Vec<String> = groups
            .iter()
            .flat_map(|g| &g.results)
            .filter(|(_, o)| matches!(o, Outcome::Fail(_)))
            .filter_map(|(name, _)| lab::hint(name, Path::new(dir)))
            .collect();
        if !hints.is_empty() {
            println!("\nWhere to look:");
            hints.iter().for_each(|h| println!("    {h}"));
        }
    }
    println!("{tally}");
    exit(i32::from(tally.failed > 0));
}

/// The kernel's source tree: where `build/kdir`'s `source` link points (a build with `O=`),
/// or `build/kdir` itself.
fn kernel_source(root: &Path) -> PathBuf {
    let kdir = root.join("build/kdir");
    let linked = kdir.join("source");
    if linked.exists() {
        linked
    } else {
        kdir
    }
}

/// Boots side by side: on virtual time each guest runs on one host thread, so one per host CPU;
/// otherwise each guest's vCPUs already take every CPU.
fn default_jobs(harness: &Harness) -> usize {
    let kvm = std::env::var_os("DW_KVM").is_some_and(|k| k == "1");
    if harness.icount_shift.is_empty() || kvm {
        1
    } else {
        thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// The boots (`scenarios::all`) with the scenarios whose name contains a filter, each closed by
/// a leak check.
fn selected_boots(filters: &[&String], intensity: Intensity) -> Vec<Boot> {
    let selected =
        |s: &Scenario| filters.is_empty() || filters.iter().any(|f| s.name.contains(f.as_str()));
    scenarios::all(intensity)
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
            b.scenarios
                .push(Scenario::new(&name, &format!("sleep {LEAK_MIN_AGE}")));
            b
        })
        .collect()
}

const LEAK_CHECK_NAME: &str = "no memory leaked by our modules (kmemleak)";

/// Passed, failed and skipped checks.
#[derive(Debug, Default, PartialEq)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Tally {
    fn add_all(&mut self, results: &[(String, Outcome)]) {
        for (_, outcome) in results {
            match outcome {
                Outcome::Pass => self.passed += 1,
                Outcome::Fail(_) => self.failed += 1,
                Outcome::Skip(_) => self.skipped += 1,
            }
        }
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let Self {
            passed,
            failed,
            skipped,
        } = self;
        write!(f, "{passed} passed, {failed} failed, {skipped} skipped")
    }
}

/// Where the harness boots guests from and keeps their files.
struct Harness {
    root: PathBuf,
    /// `qemu/boot.sh`, or the stand-in named by `DW_BOOT_SH`.
    launcher: PathBuf,
    /// Each boot's guest script, console and output.
    dir: PathBuf,
    /// `DW_ICOUNT` for the launcher: the icount shift, empty for the host's clock.
    icount_shift: String,
    /// `HOST:GUEST` files for every guest (`qemu/boot.sh --file`): a student's modules.
    files: Vec<String>,
}

impl Harness {
    fn new() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace root")
            .to_path_buf();
        let launcher =
            std::env::var_os("DW_BOOT_SH").map_or_else(|| root.join("qemu/boot.sh"), PathBuf::from);
        let dir = root.join("build/tests");
        let icount_shift =
            std::env::var("DW_ICOUNT").unwrap_or_else(|_| DEFAULT_ICOUNT_SHIFT.into());
        Self {
            root,
            launcher,
            dir,
            icount_shift,
            files: Vec::new(),
        }
    }

    /// Runs `boots`, up to `jobs` side by side, the longest first; prints each boot's report
    /// whole when it ends, and returns each boot's outcomes, in the order of `boots`.
    fn run_boots(&self, boots: &[Boot], jobs: usize) -> Vec<Vec<(String, Outcome)>> {
        let runs: Vec<(&Boot, &[String])> = boots.iter().map(|b| (b, &self.files[..])).collect();
        self.run_side_by_side(&runs, jobs, false)
    }

    /// Runs each boot with its `HOST:GUEST` files, up to `jobs` side by side, the longest
    /// first; prints each boot's report whole when it ends. Returns each boot's outcomes, in
    /// the order of `runs`. `proof`: as in `run_boot_with`.
    fn run_side_by_side(
        &self,
        runs: &[(&Boot, &[String])],
        jobs: usize,
        proof: bool,
    ) -> Vec<Vec<(String, Outcome)>> {
        let mut order: Vec<usize> = (0..runs.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(time_limit(runs[i].0)));
        let next = AtomicUsize::new(0);
        let (done, finished) = mpsc::channel();
        let mut results = vec![Vec::new(); runs.len()];
        thread::scope(|scope| {
            for _ in 0..jobs.clamp(1, order.len().max(1)) {
                let (next, done, order) = (&next, done.clone(), &order);
                scope.spawn(move || {
                    while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let (boot, files) = runs[i];
                        let _ = done.send((i, self.run_boot_with(boot, files, proof)));
                    }
                });
            }
            drop(done);
            for (i, run) in finished {
                results[i] = run.print();
            }
        });
        results
    }

    /// Boots one guest and runs its scenarios: each check's outcome, and the report to print.
    #[cfg(test)]
    fn run_boot(&self, boot: &Boot) -> BootRun {
        self.run_boot_with(boot, &self.files, false)
    }

    /// `run_boot`, with `files` in the guest; `proof`: its scenarios are meant to fail (a
    /// skeleton's, a mutant's), so their failures are reported without their logs.
    fn run_boot_with(&self, boot: &Boot, files: &[String], proof: bool) -> BootRun {
        fs::create_dir_all(&self.dir).expect("create build/tests");
        let stem = boot.name.replace(|c: char| !c.is_ascii_alphanumeric(), "-");
        let [script, console, output] =
            ["sh", "console", "output"].map(|ext| self.dir.join(format!("{stem}.{ext}")));
        // A boot that stops early must not leave the previous run's files to be read as its own.
        for file in [&console, &output] {
            match fs::remove_file(file) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => panic!("{}: {e}", file.display()),
                _ => {}
            }
        }
        fs::write(&script, guest_script(boot)).expect("write the guest script");

        let timeout = time_limit(boot);
        let started = Instant::now();
        println!(
            "==> boot {} ({} scenarios) started",
            boot.name,
            boot.scenarios.len()
        );
        let mut child = Command::new(&self.launcher)
            .args(["--exec", path(&script), "--console", path(&console)])
            .args(["--output", path(&output), "--timeout", &timeout.to_string()])
            .args(["--append", &boot.append])
            .args(files.iter().flat_map(|f| ["--file", f.as_str()]))
            .env("DW_ICOUNT", &self.icount_shift)
            .spawn()
            .unwrap_or_else(|e| panic!("run {}: {e}", self.launcher.display()));
        let (status, marks) = wall::watch(&mut child, &console, boot.scenarios.len(), started);
        let wall = started.elapsed().as_secs_f64();
        let launch = Launch { status, timeout };
        fs::write(saved_status(&console), launch.save()).expect("write the boot's status");
        let (results, split) = judge(boot, &read_lossy(&console), &read_lossy(&output), &launch);
        let mut report = format!("==> boot {}: {wall:.0} s\n", boot.name);
        report += &timing_table(boot, &split, &marks, wall);
        let mut failures = String::new();
        for (name, outcome) in &results {
            match outcome {
                Outcome::Pass => writeln!(report, "    PASS {name}"),
                Outcome::Skip(why) => writeln!(report, "    SKIP {name} ({why})"),
                Outcome::Fail(_) if proof && !name.ends_with("without kernel reports") => {
                    writeln!(report, "    fails {name}")
                }
                Outcome::Fail(problems) => {
                    writeln!(failures, "FAIL {name}").unwrap();
                    problems
                        .iter()
                        .for_each(|p| writeln!(failures, "{}", indent(p)).unwrap());
                    writeln!(report, "    FAIL {name}")
                }
            }
            .unwrap();
        }
        if !failures.is_empty() {
            let _ = writeln!(
                report,
                "    (full logs: {} and {})",
                console.display(),
                output.display()
            );
        }
        BootRun {
            results,
            report,
            failures,
        }
    }
}

/// One boot's outcome: each check's, and what to print for it (standard output and error).
struct BootRun {
    results: Vec<(String, Outcome)>,
    report: String,
    failures: String,
}

impl BootRun {
    /// Prints the report and the failures; returns the outcomes.
    fn print(self) -> Vec<(String, Outcome)> {
        print!("{}", self.report);
        eprint!("{}", self.failures);
        self.results
    }
}

/// Seconds a boot may take: its scenarios' time limits, and a margin for the boot itself.
fn time_limit(boot: &Boot) -> u32 {
    BOOT_MARGIN + boot.scenarios.iter().map(|s| s.timeout + 5).sum::<u32>()
}

/// How the launcher ended.
struct Launch {
    status: ExitStatus,
    /// The time limit it was given, in seconds.
    timeout: u32,
}

impl Launch {
    /// `STATUS TIMEOUT`: the raw wait status and the time limit, for [`Launch::load`].
    fn save(&self) -> String {
        format!("{} {}\n", self.status.into_raw(), self.timeout)
    }

    fn load(text: &str) -> Option<Self> {
        let mut fields = text.split_whitespace().map(str::parse::<i64>);
        let (Some(Ok(raw)), Some(Ok(timeout))) = (fields.next(), fields.next()) else {
            return None;
        };
        Some(Self {
            status: ExitStatus::from_raw(i32::try_from(raw).ok()?),
            timeout: u32::try_from(timeout).ok()?,
        })
    }

    /// What went wrong with the boot itself, if anything (`qemu/boot.sh`'s exit statuses).
    fn problem(&self) -> Option<String> {
        let limit = self.timeout;
        match self.status.code() {
            Some(0) => None,
            Some(124) => Some(format!(
                "the guest did not finish within the boot's {limit} s (qemu/boot.sh status 124)"
            )),
            Some(125) => Some(
                "the guest ended without reporting a status: it died, or powered off early \
                 (qemu/boot.sh status 125)"
                    .into(),
            ),
            Some(code) => Some(format!("qemu/boot.sh exited with status {code}")),
            None => Some(format!("qemu/boot.sh was killed ({})", self.status)),
        }
    }
}

/// One check's line (`PASS name`, `SKIP name (why)`, `FAIL name` and its problems), for the
/// checks printed outside a boot's report.
fn print_outcome(name: &str, outcome: &Outcome) {
    match outcome {
        Outcome::Pass => println!("    PASS {name}"),
        Outcome::Skip(why) => println!("    SKIP {name} ({why})"),
        Outcome::Fail(problems) => {
            println!("    FAIL {name}");
            problems.iter().for_each(|p| println!("{}", indent(p)));
        }
    }
}

/// Where a boot's launcher status is saved, beside its console.
fn saved_status(console: &Path) -> PathBuf {
    console.with_extension("status")
}

/// A boot judged again from the files its run left in `dir` (its console, output and launcher
/// status), as `judge` judged them then.
fn rejudge(boot: &Boot, dir: &Path) -> Result<Vec<(String, Outcome)>, String> {
    let stem = boot.name.replace(|c: char| !c.is_ascii_alphanumeric(), "-");
    let console = dir.join(format!("{stem}.console"));
    let status = fs::read_to_string(saved_status(&console))
        .map_err(|e| format!("{}: {e}", saved_status(&console).display()))?;
    let launch =
        Launch::load(&status).ok_or(format!("{}: not a saved status", console.display()))?;
    let output = console.with_extension("output");
    Ok(judge(boot, &read_lossy(&console), &read_lossy(&output), &launch).0)
}

/// Whether each boot of `boots`, judged again from its saved files, gets the verdicts it got.
fn rejudged_alike(boots: &[Boot], dir: &Path, verdicts: &[Vec<(String, Outcome)>]) -> Outcome {
    let mut problems = Vec::new();
    for (boot, live) in boots.iter().zip(verdicts) {
        match rejudge(boot, dir) {
            Ok(again) if again == *live => {}
            Ok(again) => {
                for ((name, was), (_, is)) in live.iter().zip(&again) {
                    if was != is {
                        problems.push(format!("{name}: {was:?} when run, {is:?} re-judged"));
                    }
                }
                if again.len() != live.len() {
                    problems.push(format!(
                        "boot {}: {} checks when run, {} re-judged",
                        boot.name,
                        live.len(),
                        again.len()
                    ));
                }
            }
            Err(e) => problems.push(format!("boot {}: {e}", boot.name)),
        }
    }
    Outcome::from_problems(problems)
}

/// A file's bytes as text, invalid UTF-8 replaced (a report that prints freed memory may
/// carry any byte); an empty text for a file that is not there.
fn read_lossy(file: &Path) -> String {
    fs::read(file)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// The outcome of each check of a boot, from its console, output and launcher's status.
fn judge(
    boot: &Boot,
    console: &str,
    output: &str,
    launch: &Launch,
) -> (Vec<(String, Outcome)>, log::Split) {
    let split = log::split(console, output, boot.scenarios.len());
    let mut boot_problems: Vec<String> = launch.problem().into_iter().collect();
    boot_problems.extend(check::reports(&split.outside).map(|l| format!("kernel report: {l}")));
    let mut results = vec![(
        format!(
            "{}: boots, runs to the end, without kernel reports",
            boot.name
        ),
        Outcome::from_problems(boot_problems),
    )];
    let names: Vec<&str> = boot.scenarios.iter().map(|s| s.name.as_str()).collect();
    for (scenario, section) in boot.scenarios.iter().zip(&split.sections) {
        let mut problems = scenario.verify(section);
        problems.extend(log::leak_origins(section, &split.sections, &names));
        if !problems.is_empty() {
            problems.push(format!(
                "its kernel log:\n{}\nits output:\n{}",
                tail(&section.log),
                tail(&section.output)
            ));
        }
        results.push((scenario.name.clone(), Outcome::from_problems(problems)));
        results.extend(log::ktap_results(&section.log));
    }
    (results, split)
}

/// Where a boot's time went, per scenario (its script, then the cleanup after it, and after the
/// last the kmemleak scans): on the wall clock, from when each marker reached the console
/// (`wall.rs`), and on the guest's clock, from the markers' kernel timestamps (virtual time skips
/// idle time, so the two differ). Then the kernel boot before the first scenario, power-off.
fn timing_table(boot: &Boot, split: &log::Split, marks: &MarkerTimes, wall: f64) -> String {
    let seconds = |t: Option<f64>| t.map_or("?".to_string(), |t| format!("{t:.1}"));
    let span = |a: Option<f64>, b: Option<f64>| seconds(a.zip(b).map(|(a, b)| b - a));
    let sections = &split.sections;
    let mut table = String::new();
    let mut row = |wall: [String; 2], guest: [String; 2], what: &str| {
        let _ = writeln!(
            table,
            "    {:>7} {:>7} {:>8} {:>7}  {what}",
            wall[0], wall[1], guest[0], guest[1]
        );
    };
    let blank = || String::new();
    row(
        ["wall s".into(), "after".into()],
        ["guest s".into(), "after".into()],
        "",
    );
    let first = sections.first().and_then(|s| s.started_at);
    let first_wall = marks.begun.first().copied().flatten();
    row(
        [seconds(first_wall), blank()],
        [seconds(first), blank()],
        "QEMU start and kernel boot to the first scenario",
    );
    for (i, (scenario, s)) in boot.scenarios.iter().zip(sections).enumerate() {
        let next = sections.get(i + 1).map_or(split.done_at, |n| n.started_at);
        let next_wall = marks.begun.get(i + 1).copied().unwrap_or(marks.done);
        let (begun, ended) = (marks.begun[i], marks.ended[i]);
        let name = if scenario.name.ends_with(LEAK_CHECK_NAME) {
            "closing leak check (sleep, then two kmemleak scans)"
        } else {
            &scenario.name
        };
        row(
            [span(begun, ended), span(ended, next_wall)],
            [span(s.started_at, s.ended_at), span(s.ended_at, next)],
            name,
        );
    }
    row(
        [seconds(marks.done.map(|done| wall - done)), blank()],
        [blank(), blank()],
        "power-off",
    );
    row(
        [format!("{wall:.1}"), blank()],
        [blank(), blank()],
        "whole boot",
    );
    table
}

/// Guest shell functions. `dw_leak_check` asks kmemleak (where the kernel has it) for two scans
/// (the first records a new object's checksum; an object is reported once it stayed unchanged
/// and unreferenced since), copies what it reports to the kernel log as `dw-kmemleak:` lines (one write per line:
/// `/dev/kmsg` takes one record per write), then forgets it. Only our modules are loaded in these
/// guests, so a leak is taken as theirs (its backtrace cannot name a module that is unloaded by
/// then). `dw_jiffies` prints the kernel's jiffies (from the scheduler's debugfs file, nothing
/// without it), which each scenario's begin marker carries, so that a leaked object's allocation
/// time names its scenario (`log::leak_origins`).
const GUEST_FUNCTIONS: &str = r#"dw_leak_check() {
    leaks=/sys/kernel/debug/kmemleak
    [ -w $leaks ] || return 0
    echo scan > $leaks
    echo scan > $leaks
    while IFS= read -r line; do echo "dw-kmemleak: $line" > /dev/kmsg; done < $leaks
    echo clear > $leaks
}
dw_jiffies() {
    awk '$1 == "jiffies" { print $3; exit }' /sys/kernel/debug/sched/debug 2>/dev/null
}
"#;

/// Seconds kmemleak waits before it reports an object (its `MSECS_MIN_AGE`), plus a margin.
const LEAK_MIN_AGE: u32 = 6;

/// The guest's script: each scenario in its own `sh -e` with a time limit, between markers
/// (`log.rs`), followed by the unloading of the modules it left loaded (after a failure, say);
/// after the last one, the kmemleak scans (unless the boot has no leak check).
fn guest_script(boot: &Boot) -> String {
    use log::{BEGIN, DONE, NOTE, RMMOD_RETURNED, STATUS};
    let cleanup = format!(
        "for m in $(awk '/^{MODULE_PREFIX}/ {{print $1}}' /proc/modules); do rmmod $m || true; done\n"
    );
    // For the scenarios: `dw_note NAME VALUE` hands a value to the harness's checks (`$NAME`).
    let note = format!("dw_note() {{ echo \"{NOTE} $1=$2\"; }}");
    // And `rmmod` marks in the kernel log that it returned, for `Scenario::exits_with`.
    let note = format!(
        "{note}\nrmmod() {{ command rmmod \"$@\" && echo \"{RMMOD_RETURNED} $*\" > /dev/kmsg; }}"
    );
    let mut script = format!("#!/bin/sh\ncd /root\n{GUEST_FUNCTIONS}");
    for (i, s) in boot.scenarios.iter().enumerate() {
        let _ = write!(
            script,
            "cat > /tmp/dw-scenario-{i} <<'DW_SCENARIO_EOF'\n{note}\n{body}\nDW_SCENARIO_EOF\n\
             echo \"{BEGIN} {i} $(dw_jiffies)\" > /dev/kmsg\necho '{BEGIN} {i}'\n\
             timeout {t} sh -e /tmp/dw-scenario-{i}\nstatus=$?\n\
             echo \"{STATUS} {i} $status\" > /dev/kmsg\necho \"{STATUS} {i} $status\"\n\
             {cleanup}",
            body = s.script,
            cleanup = if s.keep_modules { "" } else { &cleanup },
            t = s.timeout,
        );
    }
    if boot.leak_check {
        script.push_str("dw_leak_check\n");
    }
    let _ = writeln!(script, "echo '{DONE}' > /dev/kmsg");
    script
}

/// `--reports FILE`: prints the kernel reports in a console log; 1 if there is one.
fn print_reports(file: &Path) -> i32 {
    if !file.exists() {
        eprintln!("dw-tests: no such file: {}", file.display());
        return 2;
    }
    let text = read_lossy(file);
    let lines: Vec<String> = text
        .lines()
        .map(|l| log::split_timestamp(l).1.to_string())
        .collect();
    let mut found = 0;
    for report in check::reports(&lines) {
        println!("kernel report: {report}");
        found += 1;
    }
    i32::from(found > 0)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}\n"))
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// The last lines of a log, enough to see what happened.
fn tail(lines: &[String]) -> String {
    // The harness's own markers (`@@dw-rmmod-returned ...`) are not the module's log.
    let lines: Vec<&String> = lines
        .iter()
        .filter(|l| !l.contains(log::MARKER_PREFIX))
        .collect();
    let skip = lines.len().saturating_sub(40);
    let mut text = String::new();
    if skip > 0 {
        let _ = writeln!(text, "  ... {skip} lines before");
    }
    lines[skip..].iter().for_each(|l| {
        let _ = writeln!(text, "  {l}");
    });
    text
}
