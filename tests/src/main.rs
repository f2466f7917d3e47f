//! Boot-and-check harness: runs the scenarios in QEMU guests and checks their kernel logs.
//! `dw-tests --help` says how to call it.

mod check;
mod host;
mod lab;
mod log;
mod scenarios;
#[cfg(test)]
mod shell_tests;

use check::{Boot, Scenario};
use dw_twins::MODULE_PREFIX;
use log::Outcome;
use std::{
    fmt::Write as _,
    fs, io,
    path::{Path, PathBuf},
    process::{exit, Command, ExitStatus},
    time::Instant,
};

const USAGE: &str =
    "usage: dw-tests [--host] [--list] [--modules DIR] [--task N]... [--lab-proof] [FILTER...]
       dw-tests --reports CONSOLE_FILE
Runs the guest scenarios whose name contains a FILTER (all without one), one QEMU boot per
group, and ends with `N passed, N failed, N skipped`.
  --host      first run the host checks (scripts/lint.sh, scripts/compile-tests.sh, cargo test)
              and count them too
  --list      list the selected scenarios by boot, run nothing
  --modules   load the modules (.ko) of DIR, a student tree, instead of ours; a failed check
              of a lab task then points at that task's TODOs in DIR
  --task      only the checks of lab task N (1 to 7; repeatable)
  --lab-proof prove the checks can fail: the skeleton tree and the mutants of build/lab-proof
              (scripts/lab-proof.sh builds them) must fail their tasks' checks
  --reports   print the kernel reports in a console log; exit 1 if there is one
Environment: DW_BOOT_SH replaces qemu/boot.sh (a stand-in that replays a console, say).";

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
    let value = |name: &str| {
        let values = args
            .windows(2)
            .filter(|w| w[0] == name)
            .map(|w| w[1].clone());
        values.collect::<Vec<String>>()
    };
    let (mut tasks, modules) = (value("--task"), value("--modules"));
    if let Some(dir) = modules.first() {
        match lab::tasks_of_tree(Path::new(dir), &tasks) {
            Ok(found) => tasks = found,
            Err(e) => {
                eprintln!("dw-tests: {e}");
                exit(2)
            }
        }
    }
    let takes_value = |i: usize| i > 0 && ["--task", "--modules"].contains(&args[i - 1].as_str());
    let filters: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|&(i, a)| !(a.starts_with("--") || takes_value(i)))
        .map(|(_, a)| a)
        .collect();
    let mut boots = selected_boots(&filters);
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
    let mut tally = Tally::default();
    if flag("--host") {
        tally.add_all(&host::lint(&harness.root));
        tally.add_all(&host::compile_tests(&harness.root));
        tally.add_all(&host::cargo_test(&harness.root));
    }
    let mut results = Vec::new();
    for boot in &boots {
        results.extend(harness.run_boot(boot));
    }
    if flag("--lab-proof") {
        results.extend(lab::proof(&harness.root, &mut |boot, files| {
            harness.run_boot_with(boot, files, true)
        }));
    }
    tally.add_all(&results);
    if let Some(dir) = modules.first() {
        let hints: Vec<String> = results
            .iter()
            .filter(|(_, o)| matches!(o, log::Outcome::Fail(_)))
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

/// The boots with the scenarios whose name contains a filter, each closed by a leak check.
fn selected_boots(filters: &[&String]) -> Vec<Boot> {
    let selected =
        |s: &Scenario| filters.is_empty() || filters.iter().any(|f| s.name.contains(f.as_str()));
    scenarios::all()
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
        Self {
            root,
            launcher,
            dir,
            files: Vec::new(),
        }
    }

    /// Boots one guest, runs its scenarios, prints and returns each check's outcome.
    fn run_boot(&self, boot: &Boot) -> Vec<(String, Outcome)> {
        self.run_boot_with(boot, &self.files, false)
    }

    /// `run_boot`, with `files` in the guest; `proof`: its scenarios are meant to fail (a
    /// skeleton's, a mutant's), so their failures are printed without their logs.
    fn run_boot_with(&self, boot: &Boot, files: &[String], proof: bool) -> Vec<(String, Outcome)> {
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
        fs::write(&script, guest_script(&boot.scenarios)).expect("write the guest script");

        let timeout = BOOT_MARGIN + boot.scenarios.iter().map(|s| s.timeout + 5).sum::<u32>();
        let started = Instant::now();
        println!(
            "==> boot {} ({} scenarios)",
            boot.name,
            boot.scenarios.len()
        );
        let status = Command::new(&self.launcher)
            .args(["--exec", path(&script), "--console", path(&console)])
            .args(["--output", path(&output), "--timeout", &timeout.to_string()])
            .args(["--append", &boot.append])
            .args(files.iter().flat_map(|f| ["--file", f.as_str()]))
            .status()
            .unwrap_or_else(|e| panic!("run {}: {e}", self.launcher.display()));
        let wall = started.elapsed().as_secs_f64();
        let launch = Launch { status, timeout };
        let (results, split) = judge(boot, &read_lossy(&console), &read_lossy(&output), &launch);
        print!("{}", timing_table(boot, &split, wall));
        for (name, outcome) in &results {
            match outcome {
                Outcome::Pass => println!("    PASS {name}"),
                Outcome::Skip(why) => println!("    SKIP {name} ({why})"),
                Outcome::Fail(_) if proof && !name.ends_with("without kernel reports") => {
                    println!("    fails {name}");
                }
                Outcome::Fail(problems) => {
                    println!("    FAIL {name}");
                    eprintln!("FAIL {name}");
                    problems.iter().for_each(|p| eprintln!("{}", indent(p)));
                }
            }
        }
        if results.iter().any(|(_, o)| matches!(o, Outcome::Fail(_))) {
            println!(
                "    (full logs: {} and {})",
                console.display(),
                output.display()
            );
        }
        results
    }
}

/// How the launcher ended.
struct Launch {
    status: ExitStatus,
    /// The time limit it was given, in seconds.
    timeout: u32,
}

impl Launch {
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
    for (scenario, section) in boot.scenarios.iter().zip(&split.sections) {
        let mut problems = scenario.verify(section);
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

/// Where a boot's wall time went, from the kernel timestamps of the scenario markers: kernel
/// boot to the first scenario, each scenario (its script, then the cleanup and kmemleak scan
/// after it), the closing leak check, and the rest of the wall time (QEMU start-up before the
/// kernel clock, power-off).
fn timing_table(boot: &Boot, split: &log::Split, wall: f64) -> String {
    let seconds = |t: Option<f64>| t.map_or("?".to_string(), |t| format!("{t:.1}"));
    let span = |a: Option<f64>, b: Option<f64>| seconds(a.zip(b).map(|(a, b)| b - a));
    let sections = &split.sections;
    let mut table = String::new();
    let mut row = |script: String, after: String, what: &str| {
        let _ = writeln!(table, "    {script:>7} {after:>7}  {what}");
    };
    row("script".into(), "after".into(), "seconds (kernel clock)");
    let first = sections.first().and_then(|s| s.started_at);
    row(
        seconds(first),
        String::new(),
        "kernel boot to the first scenario",
    );
    for (i, (scenario, s)) in boot.scenarios.iter().zip(sections).enumerate() {
        let next = sections.get(i + 1).map_or(split.done_at, |n| n.started_at);
        let name = if i + 1 == sections.len() {
            "closing leak check (sleep, then kmemleak scan)"
        } else {
            &scenario.name
        };
        row(span(s.started_at, s.ended_at), span(s.ended_at, next), name);
    }
    let rest = split.done_at.map(|done| wall - done);
    row(
        seconds(rest),
        String::new(),
        "QEMU start-up and power-off (wall minus kernel clock)",
    );
    row(format!("{wall:.1}"), String::new(), "whole boot (wall)");
    table
}

/// Guest shell function: asks kmemleak (where the kernel has it) for a scan, copies what it
/// reports to the kernel log as `dw-kmemleak:` lines (one write per line: `/dev/kmsg` takes one
/// record per write), then forgets it. Only our modules are loaded in these guests, so a leak
/// is taken as theirs (its backtrace cannot name a module that is unloaded by then).
const LEAK_CHECK: &str = r#"dw_leak_check() {
    leaks=/sys/kernel/debug/kmemleak
    [ -w $leaks ] || return 0
    echo scan > $leaks
    while IFS= read -r line; do echo "dw-kmemleak: $line" > /dev/kmsg; done < $leaks
    echo clear > $leaks
}
"#;

/// Seconds kmemleak waits before it reports an object (its `MSECS_MIN_AGE`), plus a margin.
const LEAK_MIN_AGE: u32 = 6;

/// The guest's script: each scenario in its own `sh -e` with a time limit, between markers
/// (`log.rs`), followed by the unloading of the modules it left loaded (after a failure, say)
/// and a kmemleak scan.
fn guest_script(scenarios: &[Scenario]) -> String {
    use log::{BEGIN, DONE, NOTE, STATUS};
    let cleanup = format!(
        "for m in $(awk '/^{MODULE_PREFIX}/ {{print $1}}' /proc/modules); do rmmod $m || true; done\n"
    );
    // For the scenarios: `dw_note NAME VALUE` hands a value to the harness's checks (`$NAME`).
    let note = format!("dw_note() {{ echo \"{NOTE} $1=$2\"; }}");
    let mut script = format!("#!/bin/sh\ncd /root\n{LEAK_CHECK}");
    for (i, s) in scenarios.iter().enumerate() {
        let _ = write!(
            script,
            "cat > /tmp/dw-scenario-{i} <<'DW_SCENARIO_EOF'\n{note}\n{body}\nDW_SCENARIO_EOF\n\
             echo '{BEGIN} {i}' > /dev/kmsg\necho '{BEGIN} {i}'\n\
             timeout {t} sh -e /tmp/dw-scenario-{i}\nstatus=$?\n\
             echo \"{STATUS} {i} $status\" > /dev/kmsg\necho \"{STATUS} {i} $status\"\n\
             {cleanup}dw_leak_check\n",
            body = s.script,
            cleanup = if s.keep_modules { "" } else { &cleanup },
            t = s.timeout,
        );
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
