//! Running boots: the launcher (`qemu/boot.sh`) with each boot's guest script, up to a number of
//! boots side by side, each within its time limit; each boot judged when it ends (`judge.rs`)
//! and its report printed whole.

use crate::{
    check::Boot,
    guest,
    judge::{self, Launch},
    result::{CheckResult, Outcome},
    timing, wall,
};
use std::{
    fmt::Write as _,
    fs, io,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    thread,
    time::Instant,
};

/// The icount shift of the test boots unless `DW_ICOUNT` says otherwise: one instruction is one
/// nanosecond of guest time (`docs/running.md`, "Virtual time").
const DEFAULT_ICOUNT_SHIFT: &str = "0";

/// Seconds a guest may take to boot, on top of its scenarios' own time limits.
const BOOT_MARGIN: u32 = 120;

/// The kernel's source tree: where `build/kdir`'s `source` link points (a build with `O=`),
/// or `build/kdir` itself.
pub fn kernel_source(root: &Path) -> PathBuf {
    let kdir = root.join("build/kdir");
    let linked = kdir.join("source");
    if linked.exists() {
        linked
    } else {
        kdir
    }
}

/// The workspace root, where `qemu/`, `scripts/` and `build/` are.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

/// Where the harness boots guests from and keeps their files.
pub struct Harness {
    pub root: PathBuf,
    /// `qemu/boot.sh`, or the stand-in named by `DW_BOOT_SH`.
    pub launcher: PathBuf,
    /// Each boot's guest script, console, output and launcher status.
    pub dir: PathBuf,
    /// `DW_ICOUNT` for the launcher: the icount shift, empty for the host's clock.
    pub icount_shift: String,
    /// `HOST:GUEST` files for every guest (`qemu/boot.sh --file`): a student's modules.
    pub files: Vec<String>,
    /// Guests start from a saved one (`qemu/boot.sh`'s restore path), except the boots marked
    /// `fresh`: the default; `DW_RESTORE=0` boots every guest.
    pub restore: bool,
}

impl Harness {
    /// The harness of this workspace, with the environment's launcher and clock.
    pub fn from_env() -> Self {
        let root = root();
        let launcher =
            std::env::var_os("DW_BOOT_SH").map_or_else(|| root.join("qemu/boot.sh"), PathBuf::from);
        // Where each boot's files go: DW_BOOTS_DIR for a run beside others (the grader's, one
        // a student), else build/tests.
        let dir = std::env::var_os("DW_BOOTS_DIR")
            .map_or_else(|| root.join("build/tests"), PathBuf::from);
        let icount_shift =
            std::env::var("DW_ICOUNT").unwrap_or_else(|_| DEFAULT_ICOUNT_SHIFT.into());
        Self {
            root,
            launcher,
            dir,
            icount_shift,
            files: Vec::new(),
            restore: std::env::var_os("DW_RESTORE").is_none_or(|r| r != "0"),
        }
    }

    /// This harness, booting every guest, its files in a folder `booted` of its own.
    pub fn booted(&self) -> Self {
        Self {
            root: self.root.clone(),
            launcher: self.launcher.clone(),
            dir: self.dir.join("booted"),
            icount_shift: self.icount_shift.clone(),
            files: self.files.clone(),
            restore: false,
        }
    }

    /// Boots side by side: on virtual time each guest runs on one host thread, so one per host
    /// CPU; otherwise each guest's vCPUs already take every CPU.
    pub fn default_jobs(&self) -> usize {
        let kvm = std::env::var_os("DW_KVM").is_some_and(|k| k == "1");
        if self.icount_shift.is_empty() || kvm {
            1
        } else {
            thread::available_parallelism().map_or(1, |n| n.get())
        }
    }

    /// Runs `boots`, up to `jobs` side by side, the longest first; prints each boot's report
    /// whole when it ends, and returns each boot's results, in the order of `boots`.
    pub fn run_boots(&self, boots: &[Boot], jobs: usize) -> Vec<Vec<CheckResult>> {
        let runs: Vec<(&Boot, &[String])> = boots.iter().map(|b| (b, &self.files[..])).collect();
        self.run_side_by_side(&runs, jobs, false)
    }

    /// Runs each boot with its `HOST:GUEST` files, up to `jobs` side by side, the longest
    /// first; prints each boot's report whole when it ends. Returns each boot's results, in the
    /// order of `runs`. `proof`: as in `run_boot_with`.
    pub fn run_side_by_side(
        &self,
        runs: &[(&Boot, &[String])],
        jobs: usize,
        proof: bool,
    ) -> Vec<Vec<CheckResult>> {
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

    /// Boots one guest and runs its scenarios: each check's result, and the report to print.
    #[cfg(test)]
    pub fn run_boot(&self, boot: &Boot) -> BootRun {
        self.run_boot_with(boot, &self.files, false)
    }

    /// `run_boot`, with `files` in the guest; `proof`: its scenarios are meant to fail (a
    /// skeleton's, a mutant's), so their failures are reported without their logs.
    fn run_boot_with(&self, boot: &Boot, files: &[String], proof: bool) -> BootRun {
        fs::create_dir_all(&self.dir).expect("create build/tests");
        let [script, console, output, cpu] =
            ["sh", "console", "output", "cpu"].map(|ext| judge::file(&self.dir, boot, ext));
        // A boot that stops early must not leave the previous run's files to be read as its own.
        for file in [&console, &output, &cpu] {
            match fs::remove_file(file) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => panic!("{}: {e}", file.display()),
                _ => {}
            }
        }
        fs::write(&script, guest::script(boot)).expect("write the guest script");

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
            .args(["--cpu-time", path(&cpu)])
            .args(["--append", &boot.append])
            .args(files.iter().flat_map(|f| ["--file", f.as_str()]))
            .env("DW_ICOUNT", &self.icount_shift)
            .env(
                "DW_RESTORE",
                u8::from(self.restore && !boot.fresh).to_string(),
            )
            .spawn()
            .unwrap_or_else(|e| panic!("run {}: {e}", self.launcher.display()));
        let (status, marks) = wall::watch(&mut child, &console, boot.scenarios.len(), started);
        let wall = started.elapsed().as_secs_f64();
        let launch = Launch { status, timeout };
        let status_file = judge::file(&self.dir, boot, "status");
        fs::write(status_file, launch.save()).expect("write the boot's status");
        let (console_text, output_text) = (judge::read_lossy(&console), judge::read_lossy(&output));
        let judged = judge::judge(boot, &console_text, &output_text, &launch);
        let mut report = format!("==> boot {}: {wall:.0} s", boot.name);
        // The launcher's CPU time, QEMU's: what the boot costs whatever else the host runs.
        if let Some(cpu) = fs::read_to_string(&cpu)
            .ok()
            .and_then(|t| timing::cpu_seconds(&t))
        {
            write!(report, " (CPU {cpu:.0} s)").unwrap();
        }
        report.push('\n');
        report += &timing::table(boot, &judged.split, &marks, wall);
        let mut failures = String::new();
        for (i, result) in judged.results.iter().enumerate() {
            let name = &result.name;
            match &result.outcome {
                Outcome::Pass => writeln!(report, "    PASS {name}"),
                Outcome::Skip(why) => writeln!(report, "    SKIP {name} ({why})"),
                // The boot's own result (the first) is never meant to fail.
                Outcome::Fail(_) if proof && i > 0 => {
                    writeln!(report, "    fails {name}")
                }
                Outcome::Fail(_) => {
                    writeln!(failures, "FAIL {name}").unwrap();
                    for detail in result.details() {
                        writeln!(failures, "{}", crate::result::indent(detail)).unwrap();
                    }
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
            results: judged.results,
            report,
            failures,
        }
    }
}

/// One boot's results, and what to print for it (standard output and error).
pub struct BootRun {
    pub results: Vec<CheckResult>,
    pub report: String,
    failures: String,
}

impl BootRun {
    /// Prints the report and the failures; returns the results.
    fn print(self) -> Vec<CheckResult> {
        print!("{}", self.report);
        eprint!("{}", self.failures);
        self.results
    }
}

/// Seconds a boot may take: its scenarios' time limits, and a margin for the boot itself.
fn time_limit(boot: &Boot) -> u32 {
    BOOT_MARGIN + boot.scenarios.iter().map(|s| s.timeout + 5).sum::<u32>()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}
