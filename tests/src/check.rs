//! Scenarios and what they assert about the guest.

use crate::{
    log::Section,
    markers,
    reports::{reports, ExpectedReport},
    result::Identity,
    trace::{self, Mechanism},
};
use dw_lab::Language;

/// Exit status of a script that `timeout` ended: coreutils' 124, or busybox's SIGTERM (143).
const TIMED_OUT: [i32; 2] = [124, 128 + 15];

/// Whether `line` matches `pattern`, in which `*` stands for any text (possibly empty).
pub fn matches(pattern: &str, line: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    let mut parts = parts.peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// One thing a scenario asserts. Log line patterns may contain `*` wildcards.
#[derive(Debug, Clone)]
enum Check {
    /// These kernel log lines appear in this order (other lines may come between).
    InOrder(Vec<String>),
    /// This kernel log line appears exactly this many times.
    Count(String, usize),
    /// This kernel log line appears exactly as many times as the scenario noted (`dw_note`).
    CountNoted(String, String),
    /// This kernel log line appears at least this many times.
    AtLeast(String, usize),
    /// Of the kernel log lines starting with the prefix, the last one is this one.
    LastOf(String, String),
    /// The module (by name) printed this line, and nothing after its last `rmmod` returned.
    ExitsWith(String, String),
    /// The command output is this, line by line (`*` wildcards allowed).
    Output(String),
    /// The command exits with this status.
    Status(i32),
    /// Each kernel log line matching the pattern came about by this mechanism, as the
    /// kernel's trace events show it (the scenario is traced).
    Mechanism(String, Mechanism),
    /// The line matching the pattern (`... pid = P, comm = C`) names the task that was running
    /// when it was printed, as the trace shows it.
    RunningTask(String),
    /// No timer of a module ran while the scenario was traced: what CANCEL disarmed never runs,
    /// silent or not.
    NoTimerRuns,
    /// The first line matching `to` after the first one matching `from` comes between `min`
    /// and `max` seconds later (kernel clock). Keep the window generous: this checks that
    /// something happened "about then", not how precisely.
    Delay {
        from: String,
        to: String,
        min: f64,
        max: f64,
    },
}

/// A sequence of guest commands and what must follow from them.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    /// Shell commands, run by `sh -e` in /root with the modules and `test` at hand.
    pub script: String,
    /// Seconds the script may take before it counts as hung.
    pub timeout: u32,
    checks: Vec<Check>,
    expected_report: Option<ExpectedReport>,
    /// Whether our modules stay loaded afterwards (otherwise the harness unloads them).
    pub keep_modules: bool,
    /// Whether the kernel's trace events are recorded while it runs (`tests/guest/trace.sh`).
    pub traced: bool,
    /// Its lab task, its modules' language and tree (its boot is the one it runs in).
    pub identity: Identity,
    pub kind: Kind,
}

/// What a scenario is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Kind {
    /// A check of what the modules do.
    #[default]
    Behaviour,
    /// insmod/rmmod cycles: robustness, not what a TODO does (the lab proof leaves them out).
    LoadCycles,
    /// The boot's closing leak check: the kmemleak scans after the last scenario.
    LeakCheck,
}

impl Scenario {
    pub fn new(name: &str, script: &str) -> Self {
        Self {
            name: name.to_string(),
            script: script.to_string(),
            timeout: 60,
            checks: vec![Check::Status(0)],
            expected_report: None,
            keep_modules: false,
            traced: false,
            identity: Identity::default(),
            kind: Kind::default(),
        }
    }

    /// It checks the work of lab task `task` (`None`: of no task), on modules of `language`.
    pub fn of(mut self, task: Option<u32>, language: &'static Language) -> Self {
        self.identity.task = task;
        self.identity.language = Some(language);
        self
    }

    pub fn kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }

    fn with(mut self, check: Check) -> Self {
        self.checks.push(check);
        self
    }

    pub fn in_order(self, lines: &[&str]) -> Self {
        self.with(Check::InOrder(
            lines.iter().map(|l| l.to_string()).collect(),
        ))
    }

    pub fn count(self, line: &str, times: usize) -> Self {
        self.with(Check::Count(line.into(), times))
    }

    /// `line` appears as many times as the value the scenario noted as `name`.
    pub fn count_noted(self, line: &str, name: &str) -> Self {
        self.with(Check::CountNoted(line.into(), name.into()))
    }

    pub fn at_least(self, line: &str, times: usize) -> Self {
        self.with(Check::AtLeast(line.into(), times))
    }

    /// The module's last message is `line`: nothing it prints comes after.
    pub fn last_of(self, prefix: &str, line: &str) -> Self {
        self.with(Check::LastOf(prefix.into(), line.into()))
    }

    /// Module `module` prints `line` (its exit message), and nothing once its last `rmmod` has
    /// returned. A timer or work item may still run between the exit function's first message
    /// and its teardown, as in C; after the unload nothing of the module may run.
    pub fn exits_with(self, module: &str, line: &str) -> Self {
        self.with(Check::ExitsWith(module.into(), line.into()))
    }

    /// Each line matching `line` came about by `mechanism`, as the kernel's trace shows.
    pub fn by(mut self, line: &str, mechanism: Mechanism) -> Self {
        self.traced = true;
        self.with(Check::Mechanism(line.into(), mechanism))
    }

    /// The line matching `line` (`... pid = P, comm = C`) names the task that was running.
    pub fn names_running_task(mut self, line: &str) -> Self {
        self.traced = true;
        self.with(Check::RunningTask(line.into()))
    }

    /// No timer callback of a module runs while it is traced.
    pub fn no_timer_runs(mut self) -> Self {
        self.traced = true;
        self.with(Check::NoTimerRuns)
    }

    /// The line matching `to` follows the one matching `from` by `min` to `max` seconds.
    pub fn delay(self, from: &str, to: &str, min: f64, max: f64) -> Self {
        let (from, to) = (from.into(), to.into());
        self.with(Check::Delay { from, to, min, max })
    }

    pub fn output(self, text: &str) -> Self {
        self.with(Check::Output(text.into()))
    }

    pub fn timeout(mut self, seconds: u32) -> Self {
        self.timeout = seconds;
        self
    }

    /// The scenario provokes this kernel report on purpose: it must appear, and the reports
    /// the kernel prints with it are allowed; no other.
    pub fn expect_report(mut self, report: ExpectedReport) -> Self {
        self.expected_report = Some(report);
        self
    }

    /// Leaves our modules loaded after the scenario, for one whose `rmmod` would hang.
    pub fn keep_modules(mut self) -> Self {
        self.keep_modules = true;
        self
    }

    /// Checks what a scenario left behind; returns what went wrong. Log patterns may name the
    /// values the scenario noted (`$name`).
    pub fn verify(&self, section: &Section) -> Vec<String> {
        let unfinished = match section.status {
            _ if !section.begun => Some("never started: the guest stopped before it".to_string()),
            None => Some(
                "started but never reported its end: the guest died or hung, or the boot ran out of \
                 time (see the boot's result)"
                    .to_string(),
            ),
            Some(s) if TIMED_OUT.contains(&s) => Some(format!(
                "did not finish within its {} s (timeout ended it, status {s})",
                self.timeout
            )),
            Some(_) => None,
        };
        let mut problems: Vec<String> = unfinished.into_iter().collect();
        if problems.is_empty() {
            problems.extend(self.check(section));
        }
        problems.extend(self.unexpected_reports(&section.log));
        problems
    }

    /// Whether the scenario's own checks hold (for one that finished).
    fn check(&self, section: &Section) -> Vec<String> {
        let mut problems = Vec::new();
        let (log, times, output) = (&section.log, &section.times, &section.output);
        let status = section.status.unwrap_or(-1);
        let expand = |pattern: &str| {
            section
                .notes
                .iter()
                .fold(pattern.to_string(), |p, (name, value)| {
                    p.replace(&format!("${name}"), value)
                })
        };
        let count = |pattern: &str| log.iter().filter(|l| matches(pattern, l)).count();
        for check in &self.checks {
            match check {
                Check::InOrder(lines) => {
                    let mut rest = log.iter();
                    for line in lines {
                        let line = &expand(line);
                        if !rest.any(|l| matches(line, l)) {
                            problems.push(format!("kernel log lacks, in order: {line:?}"));
                            break;
                        }
                    }
                }
                Check::Count(line, times) if count(&expand(line)) != *times => {
                    problems.push(format!(
                        "{:?} appears {} times, expected {times}",
                        expand(line),
                        count(&expand(line))
                    ));
                }
                Check::CountNoted(line, name) => {
                    let noted = section.notes.iter().find(|(n, _)| n == name);
                    match noted.and_then(|(_, v)| v.parse::<usize>().ok()) {
                        Some(times) if count(&expand(line)) == times => {}
                        Some(times) => problems.push(format!(
                            "{line:?} appears {} times, expected {times} (noted as ${name})",
                            count(&expand(line))
                        )),
                        None => problems.push(format!("the scenario noted no number ${name}")),
                    }
                }
                Check::AtLeast(line, times) if count(line) < *times => {
                    problems.push(format!(
                        "{line:?} appears {} times, expected at least {times}",
                        count(line)
                    ));
                }
                Check::LastOf(prefix, line) => {
                    let last = log.iter().rev().find(|l| l.starts_with(prefix.as_str()));
                    if !last.is_some_and(|l| matches(line, l)) {
                        problems.push(format!(
                            "last {prefix:?} line is {last:?}, expected {line:?}"
                        ));
                    }
                }
                Check::ExitsWith(module, line) => {
                    let returned = |l: &String| markers::rmmod_returned(l, module);
                    let own = format!("{module}:");
                    match log.iter().rposition(returned) {
                        None => problems.push(format!("`rmmod {module}` never returned")),
                        Some(end) => {
                            if !log[..end].iter().any(|l| matches(line, l)) {
                                problems
                                    .push(format!("no {line:?} before `rmmod {module}` returned"));
                            }
                            let after: Vec<&String> =
                                log[end..].iter().filter(|l| l.starts_with(&own)).collect();
                            if !after.is_empty() {
                                problems.push(format!(
                                    "{module} printed after its `rmmod` returned: {after:?}"
                                ));
                            }
                        }
                    }
                }
                Check::Output(text) => {
                    let actual = output.join("\n");
                    let (expected_lines, actual_lines) =
                        (text.trim_end().lines(), actual.trim_end().lines());
                    let same = expected_lines.clone().count() == actual_lines.clone().count()
                        && expected_lines.zip(actual_lines).all(|(e, a)| matches(e, a));
                    if !same {
                        problems.push(format!(
                            "output differs:\n--- expected\n{text}\n--- actual\n{actual}"
                        ));
                    }
                }
                Check::Status(expected) if status != *expected => {
                    problems.push(format!("exit status {status}, expected {expected}"));
                }
                Check::Mechanism(line, mechanism) => {
                    let events = trace::events(log);
                    problems.extend(trace::verify(&events, &expand(line), mechanism, section.hz));
                }
                Check::RunningTask(line) => {
                    let events = trace::events(log);
                    problems.extend(trace::running_task_problem(&events, &expand(line)));
                }
                Check::NoTimerRuns => problems.extend(trace::timer_ran(&trace::events(log))),
                Check::Delay { from, to, min, max } => {
                    let start = log.iter().position(|l| matches(from, l));
                    let end = start
                        .and_then(|s| log[s..].iter().position(|l| matches(to, l)).map(|e| s + e));
                    match (start.and_then(|s| times[s]), end.and_then(|e| times[e])) {
                        (Some(t0), Some(t1)) if (*min..=*max).contains(&(t1 - t0)) => {}
                        (Some(t0), Some(t1)) => problems.push(format!(
                            "{to:?} came {:.2} s after {from:?}, expected {min} to {max} s",
                            t1 - t0
                        )),
                        _ => problems.push(format!("kernel log lacks {from:?} followed by {to:?}")),
                    }
                }
                _ => {}
            }
        }
        if let Some(expected) = &self.expected_report {
            if !log.iter().any(|l| l.contains(expected.report)) {
                problems.push(format!(
                    "the expected kernel report {:?} is missing",
                    expected.report
                ));
            }
        }
        problems
    }

    /// The kernel reports in `log` other than the expected one and its companions.
    fn unexpected_reports(&self, log: &[String]) -> Vec<String> {
        let allowed = |l: &String| {
            self.expected_report
                .is_some_and(|e| l.contains(e.report) || e.companions.iter().any(|c| matches(c, l)))
        };
        // Of kmemleak's dumps, the first object's whole, then one line an object for 19 more,
        // then a count: a leak in a loop reports thousands of lines, and the first says it all.
        let (mut objects, mut problems) = (0, Vec::new());
        for line in reports(log).filter(|l| !allowed(l)) {
            let leak = line.contains("dw-kmemleak:");
            let object = line.contains("dw-kmemleak: unreferenced object");
            objects += usize::from(object);
            if !leak || objects <= 1 || (object && objects <= 20) {
                problems.push(format!("kernel report: {line}"));
            }
        }
        if objects > 20 {
            problems.push(format!(
                "kernel report: kmemleak: {objects} objects in all (the first 20 shown; every dump \
                 is in the boot's console)"
            ));
        }
        problems
    }
}

/// Scenarios that run one after another in one boot, with extra kernel command line.
#[derive(Debug, Clone)]
pub struct Boot {
    pub name: String,
    pub append: String,
    pub scenarios: Vec<Scenario>,
    /// kmemleak scans after the last scenario (the harness's closing leak check): a leak then
    /// fails the section it closes, which names the scenario that allocated it.
    pub leak_check: bool,
    /// Booted even where the others start from a saved guest (by default): its checks are
    /// of a kernel that has just booted.
    pub fresh: bool,
}

impl Boot {
    pub fn new(name: &str, scenarios: Vec<Scenario>) -> Self {
        Self {
            name: name.to_string(),
            append: String::new(),
            scenarios,
            leak_check: true,
            fresh: false,
        }
    }

    /// No kmemleak scans: for scenarios meant to fail (the lab proof's skeleton and mutants),
    /// where the scans cost time and can only add a failure.
    pub fn without_leak_check(mut self) -> Self {
        self.leak_check = false;
        self
    }

    /// Booted, never restored (`fresh`).
    pub fn fresh(mut self) -> Self {
        self.fresh = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::ATOMIC_SLEEP;

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| s.to_string()).collect()
    }

    /// A scenario's section that ran with `status`, with `log` lines (no timestamps).
    fn section(log: &[&str], output: &[&str], status: Option<i32>) -> Section {
        Section {
            log: lines(log),
            times: vec![None; log.len()],
            output: lines(output),
            begun: true,
            status,
            ..Section::default()
        }
    }

    fn timed(log: &[&str], times: &[f64]) -> Section {
        Section {
            times: times.iter().map(|t| Some(*t)).collect(),
            ..section(log, &[], Some(0))
        }
    }

    #[test]
    fn passes_when_everything_holds() {
        let s = Scenario::new("s", "true")
            .in_order(&["a", "c"])
            .count("b", 1)
            .last_of("m:", "m: exit")
            .output("hel*");
        let log = ["a", "m: init", "b", "c", "m: exit"];
        assert!(s.verify(&section(&log, &["hello"], Some(0))).is_empty());
    }

    #[test]
    fn a_module_exits_when_nothing_of_it_runs_after_its_rmmod_returned() {
        let s = Scenario::new("s", "true").exits_with("m", "m: exit");
        let marker = markers::rmmod_line("m");
        // A timer firing between the exit function's message and its teardown is fine.
        let raced = ["m: init", "m: exit", "m: tick", &marker, "other: x"];
        assert!(s.verify(&section(&raced, &[], Some(0))).is_empty());
        let late = ["m: exit", &marker, "m: tick"];
        assert_eq!(s.verify(&section(&late, &[], Some(0))).len(), 1);
        let no_exit = ["m: init", &marker];
        assert_eq!(s.verify(&section(&no_exit, &[], Some(0))).len(), 1);
        let never_returned = ["m: init", "m: exit"];
        assert_eq!(s.verify(&section(&never_returned, &[], Some(0))).len(), 1);
        // Another module's marker does not count (`mm` is not `m`).
        let other = ["m: exit", &markers::rmmod_line("mm")];
        assert_eq!(s.verify(&section(&other, &[], Some(0))).len(), 1);
    }

    #[test]
    fn fails_on_order_counts_late_lines_status_and_reports() {
        let s = Scenario::new("s", "true")
            .in_order(&["c", "a"])
            .count("b", 2)
            .last_of("m:", "m: exit");
        let log = ["a", "b", "c", "m: exit", "m: late", "BUG: sleeping"];
        let problems = s.verify(&section(&log, &[], Some(1)));
        assert_eq!(problems.len(), 5, "{problems:#?}");
    }

    /// A scenario that did not finish is still scanned for reports, and the verdict
    /// says whether it never started, never ended, or was ended by its time limit.
    #[test]
    fn unfinished_scenarios_fail_saying_why_and_are_scanned_for_reports() {
        let s = Scenario::new("s", "true");
        let problems = s.verify(&section(&["BUG: KASAN: use-after-free"], &[], None));
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(
            problems[0].contains("never reported its end"),
            "{problems:#?}"
        );
        assert_eq!(problems[1], "kernel report: BUG: KASAN: use-after-free");
        let never = s.verify(&Section::default());
        assert_eq!(never.len(), 1);
        assert!(never[0].contains("never started"), "{never:#?}");
        let timed_out = s.verify(&section(&[], &[], Some(143)));
        assert!(
            timed_out[0].contains("did not finish within its 60 s"),
            "{timed_out:#?}"
        );
    }

    #[test]
    fn expected_reports_are_required_and_allowed() {
        let s = Scenario::new("s", "true").expect_report(ATOMIC_SLEEP);
        let log = ["BUG: scheduling while atomic: x", "Call Trace:"];
        assert!(s.verify(&section(&log, &[], Some(0))).is_empty());
        assert_eq!(s.verify(&section(&[], &[], Some(0))).len(), 1);
    }

    /// Next to the expected report, any other report still fails.
    #[test]
    fn expected_reports_allow_no_other_report() {
        let s = Scenario::new("s", "true").expect_report(ATOMIC_SLEEP);
        let log = [
            "BUG: scheduling while atomic: x",
            "Call Trace:",
            "BUG: KASAN: slab-use-after-free in x",
        ];
        let problems = s.verify(&section(&log, &[], Some(0)));
        assert_eq!(
            problems,
            ["kernel report: BUG: KASAN: slab-use-after-free in x"]
        );
    }

    /// Protocol: checks name what the guest noted (`$name`), instead of `dmesg | grep` in the
    /// guest, so that a miss says which line.
    #[test]
    fn patterns_use_noted_values() {
        let s = Scenario::new("s", "true")
            .in_order(&["task sleep ($pid) is dead"])
            .count_noted("cpu *", "cpus");
        let mut ok = section(&["cpu 0", "task sleep (42) is dead", "cpu 1"], &[], Some(0));
        ok.notes = vec![("pid".into(), "42".into()), ("cpus".into(), "2".into())];
        assert!(s.verify(&ok).is_empty(), "{:#?}", s.verify(&ok));
        let mut wrong = ok.clone();
        wrong.notes = vec![("pid".into(), "43".into()), ("cpus".into(), "3".into())];
        let problems = s.verify(&wrong);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(
            problems[0].contains("task sleep (43) is dead"),
            "{problems:#?}"
        );
    }

    #[test]
    fn wildcards_match_any_text() {
        assert!(matches(
            "a: pid = *, comm = kworker/*",
            "a: pid = 21, comm = kworker/1:0"
        ));
        assert!(matches("x*", "x"));
        assert!(matches("*z", "xyz"));
        assert!(!matches(
            "a: pid = *, comm = kworker/*",
            "a: pid = 0, comm = swapper/0"
        ));
        assert!(!matches("abc", "abcd"));
    }

    #[test]
    fn delays_use_kernel_timestamps() {
        let s = Scenario::new("s", "true").delay("set", "fired", 2.0, 5.0);
        let log = ["set", "x", "fired"];
        assert!(s.verify(&timed(&log, &[1.0, 2.0, 4.1])).is_empty());
        assert_eq!(s.verify(&timed(&log, &[1.0, 2.0, 1.5])).len(), 1);
        assert_eq!(s.verify(&timed(&["set"], &[1.0])).len(), 1);
    }

    #[test]
    fn a_long_leak_report_shows_its_first_dump_and_a_count() {
        let mut log = Vec::new();
        for i in 0..30 {
            log.push(format!(
                "dw-kmemleak: unreferenced object 0x{i:x} (size 64):"
            ));
            log.push("dw-kmemleak:   backtrace (crc 0):".to_string());
        }
        let problems = Scenario::new("a", "true").unexpected_reports(&log);
        // The first object's two lines, 19 objects' first lines, the count.
        assert_eq!(problems.len(), 2 + 19 + 1, "{problems:?}");
        assert!(problems.last().unwrap().contains("30 objects in all"));
    }
}
