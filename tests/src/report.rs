//! The results in the formats other tools read: KTAP (the kernel's test output,
//! `tools/testing/kunit/kunit.py parse` reads it), JSON with the same tree, and JUnit XML (one
//! testcase per check). Each group of checks (a host step, a boot, the lab proof) is one subtest,
//! one JSON group, one JUnit test suite; the checks are the leaves, counted as the closing line
//! counts them.

use crate::result::{CheckResult, Outcome, Tally};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;
use std::{fs, path::Path, process::Command};

/// Checks that ran together: a host step, a boot, the lab proof.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub results: Vec<CheckResult>,
}

impl Group {
    pub fn new(name: &str, results: Vec<CheckResult>) -> Self {
        Self {
            name: name.to_string(),
            results,
        }
    }

    fn failed(&self) -> bool {
        self.results.iter().any(CheckResult::failed)
    }
}

/// KTAP version 1 (`Documentation/dev-tools/ktap.rst`): a subtest per group, a test per check;
/// a failure's problems and a skip's reason as diagnostics.
pub fn ktap(groups: &[Group]) -> String {
    // KTAP names end at a `#` (a directive follows) and at the line's end.
    let name = |n: &str| n.replace('#', "no.").replace('\n', " ");
    let mut out = format!("KTAP version 1\n1..{}\n", groups.len());
    for (i, group) in groups.iter().enumerate() {
        out += &format!(
            "    KTAP version 1\n    # Subtest: {}\n    1..{}\n",
            name(&group.name),
            group.results.len()
        );
        for (j, result) in group.results.iter().enumerate() {
            let check = name(&result.name);
            match &result.outcome {
                Outcome::Pass => out += &format!("    ok {} {check}\n", j + 1),
                Outcome::Skip(why) => {
                    out += &format!("    ok {} {check} # SKIP {}\n", j + 1, name(why))
                }
                Outcome::Fail(_) => {
                    for line in result.details().iter().flat_map(|p| p.lines()) {
                        out += &format!("    # {line}\n");
                    }
                    out += &format!("    not ok {} {check}\n", j + 1);
                }
            }
        }
        let status = if group.failed() { "not ok" } else { "ok" };
        out += &format!("{status} {} {}\n", i + 1, name(&group.name));
    }
    out
}

#[derive(Serialize)]
struct JsonGroup<'a> {
    name: &'a str,
    status: &'static str,
    checks: Vec<JsonCheck<'a>>,
}

#[derive(Serialize)]
struct JsonCheck<'a> {
    name: &'a str,
    status: &'static str,
    /// What went wrong (a failure), or why it did not run (a skip).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<&'a str>,
    /// The lab task it checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    task: Option<u32>,
    /// The language of the modules it loads (`rust`, `c`).
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'static str>,
    /// Whether it ran on a mutant of the lab proof.
    mutant: bool,
    /// The boot it ran in.
    #[serde(skip_serializing_if = "Option::is_none")]
    boot: Option<&'a str>,
}

fn status(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Fail(_) => "fail",
        Outcome::Skip(_) => "skip",
    }
}

/// The same tree as JSON: `{"groups": [{"name", "status", "checks": [{"name", "status",
/// "details", "task", "language", "mutant", "boot"}]}], "passed", "failed", "skipped"}` (a
/// check's `details`, `task`, `language` and `boot` only where it has them).
pub fn json(groups: &[Group]) -> String {
    let tally = tally(groups);
    let groups: Vec<JsonGroup> = groups
        .iter()
        .map(|g| JsonGroup {
            name: &g.name,
            status: if g.failed() { "fail" } else { "pass" },
            checks: g
                .results
                .iter()
                .map(|r| JsonCheck {
                    name: &r.name,
                    status: status(&r.outcome),
                    details: r.details(),
                    task: r.identity.task,
                    language: r.identity.language.map(|l| l.name),
                    mutant: r.identity.mutant(),
                    boot: r.identity.boot.as_deref(),
                })
                .collect(),
        })
        .collect();
    let doc = serde_json::json!({
        "groups": groups,
        "passed": tally.passed,
        "failed": tally.failed,
        "skipped": tally.skipped,
    });
    serde_json::to_string_pretty(&doc).expect("plain data serializes") + "\n"
}

/// JUnit XML: a test suite per group, a testcase per check.
pub fn junit(groups: &[Group]) -> String {
    let mut report = Report::new("deferred-work-rs");
    for group in groups {
        let mut suite = TestSuite::new(group.name.as_str());
        for result in &group.results {
            let status = match &result.outcome {
                Outcome::Pass => TestCaseStatus::success(),
                Outcome::Fail(_) => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status.set_description(result.details().join("\n"));
                    status
                }
                Outcome::Skip(why) => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(why.as_str());
                    status
                }
            };
            suite.add_test_case(TestCase::new(result.name.as_str(), status));
        }
        report.add_test_suite(suite);
    }
    report.to_string().expect("a report serializes")
}

pub fn tally(groups: &[Group]) -> Tally {
    let mut tally = Tally::default();
    groups.iter().for_each(|g| tally.add_all(&g.results));
    tally
}

/// Writes `results.ktap`, `results.json` and `results.xml` (JUnit) into `dir`.
pub fn write(dir: &Path, groups: &[Group]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    fs::write(dir.join("results.ktap"), ktap(groups))?;
    fs::write(dir.join("results.json"), json(groups))?;
    fs::write(dir.join("results.xml"), junit(groups))
}

/// The files of [`write`], read back by the readers the ecosystem uses: the KTAP by the
/// kernel's own `kunit.py parse` (from the kernel source at `ksrc`), the XML by a JUnit library;
/// each must count what `expected` counts.
pub fn check_readers(dir: &Path, ksrc: &Path, expected: &Tally) -> Vec<CheckResult> {
    let kunit = ksrc.join("tools/testing/kunit/kunit.py");
    let ktap = match Command::new("python3")
        .arg(&kunit)
        .args(["parse", "--summary"])
        .arg(dir.join("results.ktap"))
        .output()
    {
        Ok(out) => match kunit_counts(&String::from_utf8_lossy(&out.stdout)) {
            Some(counts) if counts == *expected => Outcome::Pass,
            Some(counts) => Outcome::Fail(vec![format!(
                "kunit.py parse counts {counts}, the closing line {expected}"
            )]),
            None => Outcome::Fail(vec![format!(
                "no summary from {}:\n{}{}",
                kunit.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )]),
        },
        Err(e) => Outcome::Fail(vec![format!("python3 {}: {e}", kunit.display())]),
    };
    let junit = match fs::read(dir.join("results.xml")) {
        Ok(xml) => match junit_parser::from_reader(std::io::Cursor::new(xml)) {
            Ok(suites) => {
                let counts = Tally {
                    passed: suites
                        .suites
                        .iter()
                        .flat_map(|s| &s.cases)
                        .filter(|c| c.status.is_success())
                        .count(),
                    failed: suites.failures as usize + suites.errors as usize,
                    skipped: suites.skipped as usize,
                };
                if counts == *expected {
                    Outcome::Pass
                } else {
                    Outcome::Fail(vec![format!(
                        "the JUnit reader counts {counts}, the closing line {expected}"
                    )])
                }
            }
            Err(e) => Outcome::Fail(vec![format!("results.xml: {e}")]),
        },
        Err(e) => Outcome::Fail(vec![format!("results.xml: {e}")]),
    };
    vec![
        CheckResult::new(
            "results: the KTAP is read by the kernel's kunit.py parse, with the same counts",
            ktap,
        ),
        CheckResult::new(
            "results: the JUnit XML is read by a JUnit library, with the same counts",
            junit,
        ),
    ]
}

/// The counts of `kunit.py parse`'s summary: `Testing complete. Ran N tests: passed: P,
/// failed: F, skipped: S` (each count only when not zero).
fn kunit_counts(summary: &str) -> Option<Tally> {
    let line = summary.lines().find(|l| l.contains("Testing complete."))?;
    let (_, counts) = line.split_once("tests:")?;
    let mut tally = Tally::default();
    for part in counts.split(',') {
        let (key, value) = part.trim().split_once(':')?;
        let value: usize = value.trim().parse().ok()?;
        match key.trim() {
            "passed" => tally.passed = value,
            "failed" => tally.failed = value,
            "skipped" => tally.skipped = value,
            _ => {}
        }
    }
    Some(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Group> {
        vec![
            Group::new(
                "host",
                vec![
                    CheckResult::new("lint: rustfmt", Outcome::Pass),
                    CheckResult {
                        evidence: Some("seen".into()),
                        ..CheckResult::new(
                            "a check # with a hash",
                            Outcome::Fail(vec!["went wrong\ntwice".into()]),
                        )
                    },
                ],
            ),
            Group::new(
                "boot timers",
                vec![CheckResult::new(
                    "timer: fires",
                    Outcome::Skip("no KVM".into()),
                )],
            ),
        ]
    }

    #[test]
    fn ktap_nests_a_subtest_per_group() {
        let text = ktap(&sample());
        assert!(text.starts_with("KTAP version 1\n1..2\n"));
        assert!(text.contains("    # twice\n    # seen\n    not ok 2 a check no. with a hash\n"));
        assert!(text.contains("not ok 1 host\n"));
        assert!(text.contains("    ok 1 timer: fires # SKIP no KVM\n"));
        assert!(text.ends_with("ok 2 boot timers\n"));
    }

    #[test]
    fn json_and_junit_count_like_the_closing_line() {
        let groups = sample();
        let json: serde_json::Value = serde_json::from_str(&json(&groups)).expect("JSON");
        assert_eq!(
            (json["passed"].as_u64(), json["failed"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(
            json["groups"][0]["checks"][1]["details"][0],
            "went wrong\ntwice"
        );
        let suites = junit_parser::from_reader(std::io::Cursor::new(junit(&groups))).expect("XML");
        assert_eq!((suites.tests, suites.failures, suites.skipped), (3, 1, 1));
    }

    #[test]
    fn kunit_summary_is_read() {
        let summary =
            "[10:00:00] Testing complete. Ran 4 tests: passed: 2, failed: 1, skipped: 1\n";
        let expected = Tally {
            passed: 2,
            failed: 1,
            skipped: 1,
        };
        assert_eq!(kunit_counts(summary), Some(expected));
        assert_eq!(
            kunit_counts("Testing complete. Ran 3 tests: passed: 3\n").map(|t| t.passed),
            Some(3)
        );
    }
}
