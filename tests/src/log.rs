//! The harness's markers, and splitting a guest run's kernel console and command output into
//! per-scenario sections by them.
//!
//! The guest script (`main.rs`, `guest_script`) writes the markers; this module is the only
//! place that knows their text. A marker is recognised anywhere in a line: a scenario whose
//! output lacks its last newline, or a kernel message printed without one, may put text before it.

/// What every marker of the harness starts with.
pub const MARKER_PREFIX: &str = "@@dw-";
/// A scenario starts: `BEGIN <index>`, to the output, and `BEGIN <index> <jiffies>` to the
/// kernel log (no jiffies where the guest cannot read them).
pub const BEGIN: &str = "@@dw-scenario-begin";
/// A scenario's script ended: `STATUS <index> <exit status>`, to the kernel log and the output.
pub const STATUS: &str = "@@dw-scenario-status";
/// Every scenario ran (and its leak check): to the kernel log, once, last.
pub const DONE: &str = "@@dw-scenarios-done";
/// `RMMOD_RETURNED <module>`, to the kernel log when a scenario's `rmmod <module>` has returned
/// (the scenario scripts' `rmmod` is a shell function that writes it).
pub const RMMOD_RETURNED: &str = "@@dw-rmmod-returned";
/// `NOTE <name>=<value>`, written to the output by the guest function `dw_note`: a value the
/// harness's checks refer to as `$name` (a pid known only in the guest, say).
pub const NOTE: &str = "@@dw-note";

/// What one scenario left behind.
#[derive(Debug, Default, Clone)]
pub struct Section {
    /// Kernel log lines, without their `[ seconds]` timestamps.
    pub log: Vec<String>,
    /// Each log line's timestamp in seconds, where it had one.
    pub times: Vec<Option<f64>>,
    /// The command output lines (without notes).
    pub output: Vec<String>,
    /// The values the scenario noted (`dw_note`).
    pub notes: Vec<(String, String)>,
    /// Whether the scenario started (its begin marker is in the log or the output).
    pub begun: bool,
    /// The exit status, if the scenario finished.
    pub status: Option<i32>,
    /// Kernel time at which the scenario started, in seconds.
    pub started_at: Option<f64>,
    /// The kernel's jiffies when the scenario started.
    pub started_jiffies: Option<u64>,
    /// Kernel time at which its script ended (before the cleanup and leak scan).
    pub ended_at: Option<f64>,
}

/// A boot's console and output, split.
#[derive(Debug, Default)]
pub struct Split {
    /// Kernel log lines outside every scenario: the boot, and power-off.
    pub outside: Vec<String>,
    pub sections: Vec<Section>,
    /// Kernel time at which the last scenario's leak check was done.
    pub done_at: Option<f64>,
}

/// Splits a kernel console line into its timestamp and message.
pub fn split_timestamp(line: &str) -> (Option<f64>, &str) {
    let line = line.trim_end_matches('\r');
    if let Some(rest) = line.strip_prefix('[') {
        if let Some((stamp, message)) = rest.split_once("] ") {
            if let Ok(t) = stamp.trim().parse::<f64>() {
                return (Some(t), message);
            }
        }
    }
    (None, line)
}

/// A marker found in a line: the text before it, and its words after it.
struct Found<'a> {
    before: &'a str,
    words: Vec<&'a str>,
}

fn find_marker<'a>(line: &'a str, marker: &str) -> Option<Found<'a>> {
    let at = line.find(marker)?;
    Some(Found {
        before: &line[..at],
        words: line[at + marker.len()..].split_whitespace().collect(),
    })
}

/// The scenario index a marker names, if it is one of `count`.
fn index(found: &Found, count: usize) -> Option<usize> {
    let i = found.words.first()?.parse().ok()?;
    (i < count).then_some(i)
}

fn status(found: &Found) -> Option<i32> {
    found.words.get(1)?.parse().ok()
}

/// Splits the console log and the output of a boot that ran `count` scenarios.
pub fn split(console: &str, output: &str, count: usize) -> Split {
    let mut split = Split {
        sections: vec![Section::default(); count],
        ..Split::default()
    };
    let mut current: Option<usize> = None;
    let push = |split: &mut Split, current: Option<usize>, stamp, message: &str| {
        if message.is_empty() {
            return;
        }
        match current {
            Some(i) => {
                split.sections[i].log.push(message.to_string());
                split.sections[i].times.push(stamp);
            }
            None => split.outside.push(message.to_string()),
        }
    };
    for line in console.lines() {
        let (stamp, message) = split_timestamp(line);
        if let Some(found) = find_marker(message, BEGIN) {
            push(&mut split, current, stamp, found.before);
            if let Some(i) = index(&found, count) {
                current = Some(i);
                split.sections[i].begun = true;
                split.sections[i].started_at = stamp;
                split.sections[i].started_jiffies = found.words.get(1).and_then(|j| j.parse().ok());
            }
        } else if let Some(found) = find_marker(message, STATUS) {
            push(&mut split, current, stamp, found.before);
            if let Some(i) = index(&found, count) {
                split.sections[i].ended_at = stamp;
            }
        } else if let Some(found) = find_marker(message, DONE) {
            push(&mut split, current, stamp, found.before);
            current = None;
            split.done_at = stamp;
        } else {
            push(&mut split, current, stamp, message);
        }
    }
    let mut current: Option<usize> = None;
    for line in output.lines().map(|l| l.trim_end_matches('\r')) {
        let mut text = line;
        let mut next = current;
        if let Some(found) = find_marker(line, BEGIN) {
            text = found.before;
            if let Some(i) = index(&found, count) {
                split.sections[i].begun = true;
                next = Some(i);
            }
        } else if let Some(found) = find_marker(line, STATUS) {
            text = found.before;
            if let Some(i) = index(&found, count) {
                split.sections[i].status = status(&found);
            }
            next = None;
        } else if let Some(found) = find_marker(line, NOTE) {
            text = found.before;
            let note = found.words.first().and_then(|w| w.split_once('='));
            if let (Some(i), Some((name, value))) = (current, note) {
                split.sections[i].notes.push((name.into(), value.into()));
            }
        }
        if let Some(i) = current {
            if !(text.is_empty() && text.len() < line.len()) {
                split.sections[i].output.push(text.to_string());
            }
        }
        current = next;
    }
    split
}

/// Where each object that kmemleak reported in `section` was allocated: the scenario that had
/// begun last by its allocation time (`jiffies N` in the report), from the scenarios' begin
/// markers (none where the guest could not read the jiffies). A hint next to the report (the leak
/// fails the section either way).
pub fn leak_origins(section: &Section, sections: &[Section], names: &[&str]) -> Vec<String> {
    if sections.iter().all(|s| s.started_jiffies.is_none()) {
        return Vec::new();
    }
    let allocated = |line: &String| -> Option<u64> {
        let (_, report) = line.split_once("dw-kmemleak:")?;
        report
            .split_once("jiffies ")?
            .1
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    let mut origins: Vec<(String, usize)> = Vec::new();
    for at in section.log.iter().filter_map(allocated) {
        let during = sections
            .iter()
            .zip(names)
            .rfind(|(s, _)| s.started_jiffies.is_some_and(|begun| begun <= at))
            .map_or(
                "the boot, before the first scenario".to_string(),
                |(_, n)| format!("`{n}`"),
            );
        match origins.iter_mut().find(|(d, _)| *d == during) {
            Some((_, count)) => *count += 1,
            None => origins.push((during, 1)),
        }
    }
    origins
        .into_iter()
        .map(|(during, count)| format!("leaked objects allocated during {during}: {count}"))
        .collect()
}

/// How one check came out.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pass,
    /// What went wrong.
    Fail(Vec<String>),
    /// Not run, and why.
    Skip(String),
}

impl Outcome {
    /// Passes if there are no problems.
    pub fn from_problems(problems: Vec<String>) -> Self {
        if problems.is_empty() {
            Self::Pass
        } else {
            Self::Fail(problems)
        }
    }
}

/// A KTAP suite being read.
struct Suite {
    name: String,
    /// The number of cases its plan line (`1..N`) promised.
    planned: Option<usize>,
    /// The case numbers that reported.
    reported: Vec<usize>,
}

impl Suite {
    /// The cases the plan promised that never reported.
    fn finish(self, results: &mut Vec<(String, Outcome)>) {
        for n in 1..=self.planned.unwrap_or(0) {
            if !self.reported.contains(&n) {
                results.push((
                    format!("kunit {}: case {n}", self.name),
                    Outcome::Fail(vec![format!(
                        "never reported (the plan promised {} cases)",
                        self.planned.unwrap_or(0)
                    )]),
                ));
            }
        }
    }
}

/// The KUnit test cases in a log (KTAP, as modules print it when loaded): one result each,
/// named `kunit SUITE: CASE`, failing with the case's diagnostic lines, skipped with the
/// reason after `# SKIP`. A case the suite's plan promised that never reported fails.
pub fn ktap_results(log: &[String]) -> Vec<(String, Outcome)> {
    let mut results = Vec::new();
    let mut suite: Option<Suite> = None;
    let mut diagnostics = Vec::new();
    for line in log {
        let Some(case) = line.strip_prefix("    ") else {
            // The suite's own result, at the top level, ends it.
            if let Some(s) = suite.take_if(|s| result_line(line).is_some_and(|r| r.2 == s.name)) {
                s.finish(&mut results);
            }
            continue;
        };
        if let Some(name) = case.strip_prefix("# Subtest: ") {
            if let Some(s) = suite.take() {
                s.finish(&mut results);
            }
            suite = Some(Suite {
                name: name.trim().to_string(),
                planned: None,
                reported: Vec::new(),
            });
            diagnostics.clear();
        } else if case.starts_with("# ") || case.starts_with("Expected") || case.starts_with("    ")
        {
            diagnostics.push(line.trim().to_string());
        } else if let Some(s) = &mut suite {
            if let Some(plan) = case.strip_prefix("1..") {
                s.planned = plan.trim().parse().ok();
            } else if let Some((ok, number, name)) = result_line(case) {
                s.reported.extend(number);
                let (name, directive) = name.split_once(" # ").unwrap_or((name, ""));
                let outcome = match directive.strip_prefix("SKIP") {
                    Some(reason) => Outcome::Skip(reason.trim().to_string()),
                    None if ok => Outcome::Pass,
                    None => Outcome::Fail(core::mem::take(&mut diagnostics)),
                };
                results.push((format!("kunit {}: {}", s.name, name.trim()), outcome));
                diagnostics.clear();
            }
        }
    }
    if let Some(s) = suite {
        s.finish(&mut results);
    }
    results
}

/// A KTAP result line `[not ]ok N name`: whether ok, the number, the rest.
fn result_line(line: &str) -> Option<(bool, Option<usize>, &str)> {
    let (ok, rest) = match line.strip_prefix("not ok ") {
        Some(rest) => (false, rest),
        None => (true, line.strip_prefix("ok ")?),
    };
    let (number, name) = rest.split_once(' ').unwrap_or((rest, ""));
    Some((ok, number.parse().ok(), name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_console_and_output_by_markers() {
        let console = "[    0.100000] Linux version 7.3\n\
                       [    1.000000] @@dw-scenario-begin 0\n\
                       [    1.500000] dw_timer: [timer_init] Init module\n\
                       [    2.000000] @@dw-scenario-status 0 0\n\
                       [    2.500000] dw_timer: [timer_exit] Exit module\n\
                       [    3.000000] @@dw-scenario-begin 1\n\
                       [    3.100000] other\n\
                       [    4.000000] @@dw-scenarios-done\n\
                       [    4.100000] reboot: Power down\n";
        let output = "@@dw-scenario-begin 0\r\nhello\r\n@@dw-note pid=42\n\
                      @@dw-scenario-status 0 0\n@@dw-scenario-begin 1\n";
        let split = split(console, output, 2);
        let sections = &split.sections;
        assert_eq!(split.outside, ["Linux version 7.3", "reboot: Power down"]);
        assert_eq!(
            sections[0].log,
            [
                "dw_timer: [timer_init] Init module",
                "dw_timer: [timer_exit] Exit module"
            ]
        );
        assert_eq!(sections[0].times, [Some(1.5), Some(2.5)]);
        assert_eq!(sections[0].output, ["hello"]);
        assert_eq!(sections[0].notes, [("pid".into(), "42".into())]);
        assert_eq!(sections[0].status, Some(0));
        assert_eq!(
            (sections[0].started_at, sections[0].ended_at),
            (Some(1.0), Some(2.0))
        );
        assert_eq!(sections[1].log, ["other"]);
        assert!(sections[1].begun);
        assert_eq!(
            sections[1].status, None,
            "a scenario that never reported did not finish"
        );
        assert_eq!(split.done_at, Some(4.0));
    }

    /// A leak that the closing scans report is traced, by its allocation jiffies,
    /// to the scenario that had begun last then.
    #[test]
    fn names_the_scenario_that_allocated_a_leaked_object() {
        let console = "[    1.000000] @@dw-scenario-begin 0 4294892500\n\
                       [    2.000000] @@dw-scenario-begin 1 4294892750\n\
                       [    3.000000] @@dw-scenario-begin 2 4294893000\n\
                       [    9.000000] dw-kmemleak: unreferenced object 0xffff888 (size 64):\n\
                       [    9.000001] dw-kmemleak:   comm \"insmod\", pid 80, jiffies 4294892800\n\
                       [    9.000002] dw-kmemleak:   comm \"swapper/0\", pid 0, jiffies 4294892300\n\
                       [    9.000003] dw-kmemleak:   comm \"kworker/0:1\", pid 9, jiffies 4294892751\n\
                       [    9.500000] @@dw-scenarios-done\n";
        let traced = split(console, "", 3);
        assert_eq!(traced.sections[1].started_jiffies, Some(4294892750));
        let names = ["a", "b", "leak check"];
        assert_eq!(
            leak_origins(&traced.sections[2], &traced.sections, &names),
            [
                "leaked objects allocated during `b`: 2",
                "leaked objects allocated during the boot, before the first scenario: 1"
            ]
        );
        let without_jiffies = split(
            "[    1.000000] @@dw-scenario-begin 0\n\
             [    9.000001] dw-kmemleak:   comm \"insmod\", pid 80, jiffies 4294892800\n",
            "",
            1,
        );
        let sections = &without_jiffies.sections;
        assert!(leak_origins(&sections[0], sections, &names).is_empty());
    }

    /// Protocol: a marker after text that lacks its newline still counts, and the text
    /// stays in its section.
    #[test]
    fn finds_markers_inside_lines() {
        let console =
            "[    1.000000] x@@dw-scenario-begin 0\n[    1.1] partial@@dw-scenario-begin 1\n";
        let output = "@@dw-scenario-begin 0\nno newline@@dw-scenario-status 0 3\n\
                      junk @@dw-scenario-begin 1\n";
        let split = split(console, output, 2);
        assert_eq!(split.outside, ["x"]);
        assert_eq!(split.sections[0].log, ["partial"]);
        assert_eq!(split.sections[0].output, ["no newline"]);
        assert_eq!(split.sections[0].status, Some(3));
        assert!(split.sections[1].begun);
        assert_eq!(split.sections[1].started_at, Some(1.1));
    }

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_ktap_cases() {
        let log = lines(&[
            "KTAP version 1",
            "    # Subtest: dw_kernel_ext",
            "    1..2",
            "    ok 1 time_conversions",
            "    # timer: ASSERTION FAILED at kernel_ext/kunit.rs:90",
            "    Expected runs == 1, but",
            "    not ok 2 timer",
            "# dw_kernel_ext: pass:1 fail:1 skip:0 total:2",
            "not ok 1 dw_kernel_ext",
        ]);
        let results = ktap_results(&log);
        assert_eq!(results.len(), 2);
        assert_eq!(
            results[0],
            (
                "kunit dw_kernel_ext: time_conversions".into(),
                Outcome::Pass
            )
        );
        assert_eq!(results[1].0, "kunit dw_kernel_ext: timer");
        assert!(
            matches!(&results[1].1, Outcome::Fail(d) if d.len() == 2),
            "the failure's diagnostics"
        );
    }

    /// A skipped case is a skip, under its own name; a case the plan promised that
    /// never reported fails.
    #[test]
    fn ktap_skips_apart_and_the_plan_is_honoured() {
        let log = lines(&[
            "    # Subtest: s",
            "    1..3",
            "    ok 1 a",
            "    ok 2 b # SKIP needs two CPUs",
            "# s: pass:1 fail:0 skip:1 total:3",
            "ok 1 s",
        ]);
        let results = ktap_results(&log);
        assert_eq!(
            results,
            [
                ("kunit s: a".into(), Outcome::Pass),
                ("kunit s: b".into(), Outcome::Skip("needs two CPUs".into())),
                (
                    "kunit s: case 3".into(),
                    Outcome::Fail(vec!["never reported (the plan promised 3 cases)".into()])
                ),
            ]
        );
        // A suite cut short (the module crashed mid-suite): the log simply ends.
        let cut = ktap_results(&log[..3]);
        assert_eq!(cut.len(), 3);
        assert!(matches!(cut[1].1, Outcome::Fail(_)) && matches!(cut[2].1, Outcome::Fail(_)));
    }

    #[test]
    fn keeps_lines_without_timestamps() {
        assert_eq!(
            split_timestamp("[   12.345678] x: y"),
            (Some(12.345678), "x: y")
        );
        assert_eq!(split_timestamp("plain"), (None, "plain"));
    }
}
