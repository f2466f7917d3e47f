//! The host checks (`--host`): the lint gates, the compile tests and the host unit tests, run
//! here so that their counts and exit statuses reach the closing line directly.

use crate::result::{CheckResult, Outcome};
use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, ExitStatus, Stdio},
};

/// `scripts/lint.sh`: one result per gate (its `PASS lint: ...`/`FAIL lint: ...` lines).
pub fn lint(root: &Path) -> Vec<CheckResult> {
    println!("==> lint: formatting, clippy, warnings");
    script(root, "scripts/lint.sh")
}

/// `scripts/compile-tests.sh`: one result per case (`PASS compile-fail: ...`, `compile-pass`).
pub fn compile_tests(root: &Path) -> Vec<CheckResult> {
    println!("==> compile tests: kernel_ext's compile-fail cases and documentation examples");
    script(root, "scripts/compile-tests.sh")
}

/// `make exec` on the host's clock (no `-icount`, as `make run` and the benchmark's wall mode
/// boot): the guest boots, runs a command that sleeps, and powers off. (On microvm the kernel
/// needs the TSC's rate from `qemu/boot.sh` there, or hangs calibrating it.)
pub fn host_clock_boot(root: &Path) -> Vec<CheckResult> {
    const NAME: &str = "make exec boots the guest on the host's clock (no -icount)";
    println!("==> host clock: scripts/exec.sh on the host's clock");
    let mut exec = Command::new(root.join("scripts/exec.sh"));
    exec.args(["--timeout", "180", "--", "sleep 1 && echo slept"])
        .env_remove("DW_ICOUNT")
        .env_remove("DW_KVM");
    let (output, status) = run(exec);
    if status.success() && output.lines().any(|l| l == "slept") {
        println!("PASS {NAME}");
        vec![CheckResult::new(NAME, Outcome::Pass)]
    } else {
        let why = format!("scripts/exec.sh: {status}, and no `slept` in its output");
        println!("FAIL {NAME}\n    {why}");
        vec![CheckResult::new(NAME, Outcome::Fail(vec![why]))]
    }
}

/// KVM by default where it works (`qemu/boot.sh`): a first boot under KVM that stops or prints
/// nothing starts again under TCG, and the verdict is kept. Checked twice, each time from no
/// verdict: with a `-cpu` model QEMU does not know (it stops at once, on any host with KVM), and
/// with this host's KVM as it is (here its guest aborts, `failed to set MSR 0x10a`, or hangs;
/// on a host where KVM works the boot is a KVM one). Skipped without a usable `/dev/kvm`.
pub fn kvm_fallback(root: &Path) -> Vec<CheckResult> {
    println!("==> KVM: the first boot under KVM, watched, falls back to TCG where KVM fails");
    let usable = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok();
    let cases = [
        (
            "KVM: a guest whose QEMU stops under KVM boots again under TCG, and the verdict is kept",
            Some("no-such-cpu-model"),
        ),
        (
            "KVM: this host's KVM is used where its guest boots, else TCG after one watched boot",
            None,
        ),
    ];
    let mut results = Vec::new();
    for (name, cpu) in cases {
        if !usable {
            let result = CheckResult::new(name, Outcome::Skip("no usable /dev/kvm".into()));
            result.print();
            results.push(result);
            continue;
        }
        let probe = root.join("build/kvm-probe-check");
        let _ = std::fs::remove_file(&probe);
        let mut exec = Command::new(root.join("scripts/exec.sh"));
        exec.args(["--timeout", "180", "--", "echo booted"])
            .env_remove("DW_ICOUNT")
            .env_remove("DW_KVM")
            .env("DW_KVM_PROBE", &probe);
        if let Some(cpu) = cpu {
            exec.env("DW_KVM_CPU", cpu);
        }
        let (output, status) = run(exec);
        let verdict = std::fs::read_to_string(&probe)
            .ok()
            .and_then(|v| v.lines().nth(1).map(str::to_string))
            .unwrap_or_default();
        println!("    KVM's verdict: {verdict:?}");
        let booted = status.success() && output.lines().any(|l| l == "booted");
        let expected = match cpu {
            Some(_) => verdict.starts_with("broken: QEMU stopped"),
            None => verdict == "ok" || verdict.starts_with("broken: "),
        };
        let outcome = if booted && expected {
            Outcome::Pass
        } else {
            Outcome::Fail(vec![format!(
                "scripts/exec.sh: {status}, booted: {booted}, KVM's verdict {verdict:?}"
            )])
        };
        let result = CheckResult::new(name, outcome);
        result.print();
        results.push(result);
    }
    results
}

/// Runs a script that prints a `PASS NAME`, `FAIL NAME` or `SKIP NAME (WHY)` line per check.
fn script(root: &Path, path: &str) -> Vec<CheckResult> {
    let (output, status) = run(Command::new(root.join(path)));
    script_results(path, &output, status.code())
}

/// `cargo test --workspace`: one result per test (counted from its `test result:` lines).
pub fn cargo_test(root: &Path) -> Vec<CheckResult> {
    println!("==> host: cargo test");
    let mut cargo = Command::new("cargo");
    cargo
        .args(["test", "-q", "--locked", "--workspace", "--manifest-path"])
        .arg(root.join("Cargo.toml"));
    let (output, status) = run(cargo);
    cargo_test_results(&output, status.code())
}

/// Runs a command, its standard output passed through and kept.
fn run(mut command: Command) -> (String, ExitStatus) {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"));
    let mut output = String::new();
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line.unwrap_or_else(|e| format!("(unreadable output: {e})"));
        println!("{line}");
        output.push_str(&line);
        output.push('\n');
    }
    let status = child.wait().expect("wait for a host check");
    (output, status)
}

fn script_results(path: &str, output: &str, code: Option<i32>) -> Vec<CheckResult> {
    let mut results: Vec<CheckResult> = output
        .lines()
        .filter_map(|l| {
            if let Some(name) = l.strip_prefix("PASS ") {
                Some(CheckResult::new(name, Outcome::Pass))
            } else if let Some(skipped) = l.strip_prefix("SKIP ") {
                // `SKIP name (why)`
                let (name, why) = skipped.split_once(" (").unwrap_or((skipped, ")"));
                let why = why.strip_suffix(')').unwrap_or(why);
                Some(CheckResult::new(name, Outcome::Skip(why.into())))
            } else {
                l.strip_prefix("FAIL ")
                    .map(|name| CheckResult::new(name, Outcome::Fail(vec![])))
            }
        })
        .collect();
    let failed = results.iter().any(CheckResult::failed);
    if code != Some(0) && !failed {
        results.push(unexplained(path, code));
    }
    results
}

/// Counts the tests of each `test result:` line; a failing `cargo test` (a test binary that
/// aborts, a build error) fails even when every line it printed said `ok`.
fn cargo_test_results(output: &str, code: Option<i32>) -> Vec<CheckResult> {
    let mut results = Vec::new();
    for line in output.lines().filter(|l| l.starts_with("test result:")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            let Ok(n) = pair[0].parse::<usize>() else {
                continue;
            };
            let outcome = match pair[1].trim_end_matches([';', ',']) {
                "passed" => Outcome::Pass,
                "failed" => Outcome::Fail(vec![]),
                "ignored" => Outcome::Skip("ignored".into()),
                _ => continue,
            };
            results.extend((0..n).map(|_| CheckResult::new("host unit test", outcome.clone())));
        }
    }
    let failed = results.iter().any(CheckResult::failed);
    if code != Some(0) && !failed {
        results.push(unexplained("cargo test", code));
    }
    results
}

fn unexplained(what: &str, code: Option<i32>) -> CheckResult {
    let status = code.map_or("a signal".to_string(), |c| format!("status {c}"));
    let why = format!("{what} ended with {status} without reporting a failure");
    CheckResult::new(format!("{what} succeeds"), Outcome::Fail(vec![why]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::Tally;

    fn tally(results: &[CheckResult]) -> Tally {
        let mut t = Tally::default();
        t.add_all(results);
        t
    }

    const OK: &str = "running 3 tests\n...\n\
        test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s\n";

    #[test]
    fn counts_cargo_test_results() {
        let t = tally(&cargo_test_results(OK, Some(0)));
        assert_eq!((t.passed, t.failed, t.skipped), (3, 0, 1));
        let failing =
            "test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n";
        assert_eq!(tally(&cargo_test_results(failing, Some(101))).failed, 1);
    }

    /// A test binary that aborts after another binary printed `test result: ok` fails
    /// the run, and so does a `cargo test` that printed no result at all.
    #[test]
    fn a_failing_cargo_test_fails_even_after_ok_lines() {
        let aborted =
            format!("{OK}running 2 tests\nerror: test failed, to rerun pass `-p x --bin y`\n");
        let t = tally(&cargo_test_results(&aborted, Some(101)));
        assert_eq!((t.passed, t.failed), (3, 1));
        assert_eq!(tally(&cargo_test_results("", Some(101))).failed, 1);
        assert_eq!(tally(&cargo_test_results("", None)).failed, 1);
    }

    #[test]
    fn script_checks_count_and_a_silent_failure_fails() {
        let out = "PASS lint: a\nFAIL compile-fail: b\n    why\nSKIP lint: c (not installed: x)\n\
                   1 passed, 1 failed\n";
        let results = script_results("x.sh", out, Some(1));
        assert_eq!(results[1].name, "compile-fail: b");
        assert_eq!(results[2].name, "lint: c");
        assert_eq!(results[2].outcome, Outcome::Skip("not installed: x".into()));
        let t = tally(&results);
        assert_eq!((t.passed, t.failed, t.skipped), (1, 1, 1));
        assert_eq!(
            tally(&script_results("x.sh", "PASS lint: a\n", Some(2))).failed,
            1
        );
    }
}
