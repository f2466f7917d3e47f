//! The KUnit test cases in a kernel log: KTAP, as modules print it when they are loaded.

use crate::result::{CheckResult, Outcome};

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
    fn finish(self, results: &mut Vec<CheckResult>) {
        for n in 1..=self.planned.unwrap_or(0) {
            if !self.reported.contains(&n) {
                let why = format!(
                    "never reported (the plan promised {} cases)",
                    self.planned.unwrap_or(0)
                );
                let name = format!("kunit {}: case {n}", self.name);
                results.push(CheckResult::new(name, Outcome::Fail(vec![why])));
            }
        }
    }
}

/// The KUnit test cases in a log (KTAP, as modules print it when loaded): one result each,
/// named `kunit SUITE: CASE`, failing with the case's diagnostic lines, skipped with the
/// reason after `# SKIP`. A case the suite's plan promised that never reported fails.
pub fn results(log: &[String]) -> Vec<CheckResult> {
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
                let name = format!("kunit {}: {}", s.name, name.trim());
                results.push(CheckResult::new(name, outcome));
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

    /// Each result's name and outcome.
    fn pairs(log: &[String]) -> Vec<(String, Outcome)> {
        results(log)
            .into_iter()
            .map(|r| (r.name, r.outcome))
            .collect()
    }

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_ktap_cases() {
        let log = lines(&[
            "KTAP version 1",
            "    # Subtest: kernel_ext_timer",
            "    1..2",
            "    ok 1 timer_fires_once_and_cancels",
            "    # dropping_an_armed_timer_stops_it: ASSERTION FAILED at kernel_ext/timer.rs:279",
            "    Expected runs == 0, but",
            "    not ok 2 dropping_an_armed_timer_stops_it",
            "# kernel_ext_timer: pass:1 fail:1 skip:0 total:2",
            "not ok 1 kernel_ext_timer",
        ]);
        let results = pairs(&log);
        assert_eq!(results.len(), 2);
        assert_eq!(
            results[0],
            (
                "kunit kernel_ext_timer: timer_fires_once_and_cancels".into(),
                Outcome::Pass
            )
        );
        assert_eq!(
            results[1].0,
            "kunit kernel_ext_timer: dropping_an_armed_timer_stops_it"
        );
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
        let results = pairs(&log);
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
        let cut = pairs(&log[..3]);
        assert_eq!(cut.len(), 3);
        assert!(matches!(cut[1].1, Outcome::Fail(_)) && matches!(cut[2].1, Outcome::Fail(_)));
    }
}
