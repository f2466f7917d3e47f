//! Boot-and-check harness: runs the scenarios in QEMU guests and checks their kernel logs.
//!
//! Usage: `dw-tests [--list] [FILTER...]`: runs the scenarios whose name contains any FILTER
//! (all without one). Ends with `N passed, N failed`, counting the host tests that
//! `scripts/test.sh` ran before (`DW_HOST_PASSED`, `DW_HOST_FAILED`).

mod check;
mod log;
mod scenarios;

use check::{Boot, Scenario};
use std::{
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
    process::{exit, Command},
    time::Instant,
};

/// Seconds a guest may take to boot, on top of its scenarios' own time limits.
const BOOT_MARGIN: u32 = 120;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("usage: dw-tests [--list] [FILTER...]\nRuns the guest scenarios whose name contains a FILTER.");
        return;
    }
    let list = args.iter().any(|a| a == "--list");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let selected =
        |s: &Scenario| filters.is_empty() || filters.iter().any(|f| s.name.contains(f.as_str()));
    let boots: Vec<Boot> = scenarios::all()
        .into_iter()
        .map(|mut b| {
            b.scenarios.retain(selected);
            b
        })
        .filter(|b| !b.scenarios.is_empty())
        .map(|mut b| {
            // Last in each boot: a leak check late enough for kmemleak to report what the
            // scenarios left behind.
            let name = format!("{}: no memory leaked by our modules (kmemleak)", b.name);
            b.scenarios
                .push(Scenario::new(&name, &format!("sleep {LEAK_MIN_AGE}")));
            b
        })
        .collect();
    if list {
        for b in &boots {
            println!("boot {}:", b.name);
            b.scenarios.iter().for_each(|s| println!("  {}", s.name));
        }
        return;
    }

    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf();
    let host = |name| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0)
    };
    let (mut passed, mut failed) = (host("DW_HOST_PASSED"), host("DW_HOST_FAILED"));
    for boot in &boots {
        for (name, problems) in run_boot(&root, boot) {
            if problems.is_empty() {
                passed += 1;
            } else {
                failed += 1;
                eprintln!("FAIL {name}");
                problems.iter().for_each(|p| eprintln!("{}", indent(p)));
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    exit(i32::from(failed > 0));
}

/// Boots one guest, runs its scenarios, and returns each check's name and problems.
fn run_boot(root: &Path, boot: &Boot) -> Vec<(String, Vec<String>)> {
    let dir = root.join("build/tests");
    fs::create_dir_all(&dir).expect("create build/tests");
    let stem = boot.name.replace(|c: char| !c.is_ascii_alphanumeric(), "-");
    let (script, console, output) = (
        dir.join(format!("{stem}.sh")),
        dir.join(format!("{stem}.console")),
        dir.join(format!("{stem}.output")),
    );
    fs::write(&script, guest_script(&boot.scenarios)).expect("write the guest script");

    let timeout = BOOT_MARGIN + boot.scenarios.iter().map(|s| s.timeout + 5).sum::<u32>();
    let started = Instant::now();
    println!(
        "==> boot {} ({} scenarios)",
        boot.name,
        boot.scenarios.len()
    );
    let status = Command::new(root.join("qemu/boot.sh"))
        .args([
            "--exec",
            path(&script),
            "--console",
            path(&console),
            "--output",
            path(&output),
        ])
        .args(["--timeout", &timeout.to_string(), "--append", &boot.append])
        .status()
        .expect("run qemu/boot.sh");
    let read = |p: &PathBuf| {
        fs::read_to_string(p)
            .map(|s| String::from_utf8_lossy(s.as_bytes()).into_owned())
            .unwrap_or_default()
    };
    let (boot_log, sections) = log::split(&read(&console), &read(&output), boot.scenarios.len());
    let up = sections
        .first()
        .and_then(|s| s.started_at)
        .map_or("?".into(), |t| format!("{t:.1}"));
    println!(
        "    guest up after {up} s (kernel clock), whole boot {:.1} s wall, qemu/boot.sh status {}",
        started.elapsed().as_secs_f64(),
        status.code().unwrap_or(-1)
    );

    let mut results = vec![(
        format!("{}: boots without kernel reports", boot.name),
        check::reports(&boot_log)
            .map(|l| format!("kernel report: {l}"))
            .collect::<Vec<_>>(),
    )];
    for (scenario, section) in boot.scenarios.iter().zip(&sections) {
        let mut problems = scenario.verify(
            &section.log,
            &section.times,
            &section.output,
            section.status,
        );
        if !problems.is_empty() {
            problems.push(format!(
                "its kernel log:\n{}\nits output:\n{}",
                tail(&section.log),
                tail(&section.output)
            ));
        }
        let verdict = if problems.is_empty() { "PASS" } else { "FAIL" };
        println!("    {verdict} {}", scenario.name);
        results.push((scenario.name.clone(), problems));
        for (name, problems) in log::ktap_results(&section.log) {
            println!(
                "    {} {name}",
                if problems.is_empty() { "PASS" } else { "FAIL" }
            );
            results.push((name, problems));
        }
    }
    if results.iter().any(|(_, p)| !p.is_empty()) {
        println!(
            "    (full logs: {} and {})",
            console.display(),
            output.display()
        );
    }
    results
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

/// After a scenario: unloads our modules that it left loaded (after a failure, say), so that the
/// next scenario starts clean.
const CLEANUP: &str =
    "for m in $(awk '/^dw_/ {print $1}' /proc/modules); do rmmod $m || true; done\n";

/// Seconds kmemleak waits before it reports an object (its `MSECS_MIN_AGE`), plus a margin.
const LEAK_MIN_AGE: u32 = 6;

/// The guest's /dw/exec: each scenario in its own `sh -e` with a time limit, between markers,
/// each followed by a kmemleak scan.
fn guest_script(scenarios: &[Scenario]) -> String {
    let mut script = format!("#!/bin/sh\ncd /root\n{LEAK_CHECK}");
    for (i, s) in scenarios.iter().enumerate() {
        let _ = write!(
            script,
            "cat > /tmp/dw-scenario-{i} <<'DW_SCENARIO_EOF'\n{body}\nDW_SCENARIO_EOF\n\
             echo '{begin} {i}' > /dev/kmsg\necho '{begin} {i}'\n\
             timeout {t} sh -e /tmp/dw-scenario-{i}\necho \"{status} {i} $?\"\n{cleanup}dw_leak_check\n",
            body = s.script,
            cleanup = if s.keep_modules { "" } else { CLEANUP },
            begin = log::BEGIN,
            status = log::STATUS,
            t = s.timeout,
        );
    }
    script
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
