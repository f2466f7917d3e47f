//! Scenarios and what they assert about the guest.

/// Text that means the kernel reported a problem. A scenario fails on any of these in its part
/// of the log, unless it declares the report it expects (see [`Scenario::expect_report`]).
pub const REPORTS: &[&str] = &[
    "BUG:",
    "WARNING:",
    "Oops",
    "Call Trace",
    "Kernel panic",
    "INFO: ",
    "ODEBUG",
    "inconsistent lock state",
    "possible recursive locking",
    "circular locking",
    "general protection fault",
    "suspected memory leak",
    // What the guest script writes for each kmemleak object that names one of our modules.
    "dw-kmemleak:",
];

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
    /// This kernel log line appears at least this many times.
    AtLeast(String, usize),
    /// Of the kernel log lines starting with the prefix, the last one is this one.
    LastOf(String, String),
    /// The command output is this, line by line (`*` wildcards allowed).
    Output(String),
    /// The command exits with this status.
    Status(i32),
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
    expected_report: Option<String>,
    /// Whether our modules stay loaded afterwards (otherwise the harness unloads them).
    pub keep_modules: bool,
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
        }
    }

    pub fn in_order(mut self, lines: &[&str]) -> Self {
        self.checks.push(Check::InOrder(
            lines.iter().map(|l| l.to_string()).collect(),
        ));
        self
    }

    pub fn count(mut self, line: &str, times: usize) -> Self {
        self.checks.push(Check::Count(line.to_string(), times));
        self
    }

    pub fn at_least(mut self, line: &str, times: usize) -> Self {
        self.checks.push(Check::AtLeast(line.to_string(), times));
        self
    }

    /// The module's last message is `line`: nothing it prints comes after.
    pub fn last_of(mut self, prefix: &str, line: &str) -> Self {
        self.checks
            .push(Check::LastOf(prefix.to_string(), line.to_string()));
        self
    }

    /// The line matching `to` follows the one matching `from` by `min` to `max` seconds.
    pub fn delay(mut self, from: &str, to: &str, min: f64, max: f64) -> Self {
        self.checks.push(Check::Delay {
            from: from.to_string(),
            to: to.to_string(),
            min,
            max,
        });
        self
    }

    pub fn output(mut self, text: &str) -> Self {
        self.checks.push(Check::Output(text.to_string()));
        self
    }

    pub fn timeout(mut self, seconds: u32) -> Self {
        self.timeout = seconds;
        self
    }

    /// The scenario provokes this kernel report on purpose: it must appear, and the other
    /// reports it drags along (Call Trace, lockdep, ...) are allowed.
    pub fn expect_report(mut self, report: &str) -> Self {
        self.expected_report = Some(report.to_string());
        self
    }

    /// Leaves our modules loaded after the scenario, for one whose `rmmod` would hang.
    pub fn keep_modules(mut self) -> Self {
        self.keep_modules = true;
        self
    }

    /// Checks a finished (or unfinished) scenario; returns what went wrong.
    /// `times` holds each log line's kernel timestamp.
    pub fn verify(
        &self,
        log: &[String],
        times: &[Option<f64>],
        output: &[String],
        status: Option<i32>,
    ) -> Vec<String> {
        let mut problems = Vec::new();
        let Some(status) = status else {
            return vec![format!(
                "did not finish within {}s (or the guest died)",
                self.timeout
            )];
        };
        let count = |pattern: &str| log.iter().filter(|l| matches(pattern, l)).count();
        for check in &self.checks {
            match check {
                Check::InOrder(lines) => {
                    let mut rest = log.iter();
                    for line in lines {
                        if !rest.any(|l| matches(line, l)) {
                            problems.push(format!("kernel log lacks, in order: {line:?}"));
                            break;
                        }
                    }
                }
                Check::Count(line, times) if count(line) != *times => {
                    problems.push(format!(
                        "{line:?} appears {} times, expected {times}",
                        count(line)
                    ));
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
        match &self.expected_report {
            Some(report) if !log.iter().any(|l| l.contains(report.as_str())) => {
                problems.push(format!("the expected kernel report {report:?} is missing"));
            }
            Some(_) => {}
            None => problems.extend(reports(log).map(|l| format!("kernel report: {l}"))),
        }
        problems
    }
}

/// The lines of `log` that are kernel reports.
pub fn reports(log: &[String]) -> impl Iterator<Item = &String> {
    log.iter().filter(|l| REPORTS.iter().any(|r| l.contains(r)))
}

/// Scenarios that run one after another in one boot, with extra kernel command line.
#[derive(Debug, Clone)]
pub struct Boot {
    pub name: String,
    pub append: String,
    pub scenarios: Vec<Scenario>,
}

impl Boot {
    pub fn new(name: &str, scenarios: Vec<Scenario>) -> Self {
        Self {
            name: name.to_string(),
            append: String::new(),
            scenarios,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn passes_when_everything_holds() {
        let s = Scenario::new("s", "true")
            .in_order(&["a", "c"])
            .count("b", 1)
            .last_of("m:", "m: exit")
            .output("hel*");
        let log = lines(&["a", "m: init", "b", "c", "m: exit"]);
        assert!(s
            .verify(&log, &[None; 5], &lines(&["hello"]), Some(0))
            .is_empty());
    }

    #[test]
    fn fails_on_order_counts_late_lines_status_and_reports() {
        let s = Scenario::new("s", "true")
            .in_order(&["c", "a"])
            .count("b", 2)
            .last_of("m:", "m: exit");
        let log = lines(&["a", "b", "c", "m: exit", "m: late", "BUG: sleeping"]);
        let problems = s.verify(&log, &[None; 6], &[], Some(1));
        assert_eq!(problems.len(), 5, "{problems:#?}");
    }

    #[test]
    fn unfinished_scenarios_fail() {
        let s = Scenario::new("s", "true");
        assert_eq!(s.verify(&[], &[], &[], None).len(), 1);
    }

    #[test]
    fn expected_reports_are_required_and_allowed() {
        let s = Scenario::new("s", "true").expect_report("BUG: scheduling while atomic");
        let log = lines(&["BUG: scheduling while atomic: x", "Call Trace:"]);
        assert!(s.verify(&log, &[None; 2], &[], Some(0)).is_empty());
        assert_eq!(s.verify(&[], &[], &[], Some(0)).len(), 1);
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
        let log = lines(&["set", "x", "fired"]);
        assert!(s
            .verify(&log, &[Some(1.0), Some(2.0), Some(4.1)], &[], Some(0))
            .is_empty());
        assert_eq!(
            s.verify(&log, &[Some(1.0), Some(2.0), Some(1.5)], &[], Some(0))
                .len(),
            1
        );
        assert_eq!(
            s.verify(&lines(&["set"]), &[Some(1.0)], &[], Some(0)).len(),
            1
        );
    }
}
