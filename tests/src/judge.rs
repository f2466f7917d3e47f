//! Judging a boot: from what it left (its console, its output and how its launcher ended) to
//! the result of each check. The same function judges a boot that just ran and one judged again
//! from its saved files (`dw-tests judge DIR`), as `kunit.py parse` reads a saved KUnit log.

use crate::{
    check::{Boot, Kind},
    kunit,
    log::{self, Split},
    markers::{self, Found, Marker},
    reports::reports,
    result::{CheckResult, Identity, Outcome},
};
use std::{
    fs,
    os::unix::process::ExitStatusExt,
    path::{Path, PathBuf},
    process::ExitStatus,
};

/// How the launcher (`qemu/boot.sh`) ended.
#[derive(Debug)]
pub struct Launch {
    pub status: ExitStatus,
    /// The time limit it was given, in seconds.
    pub timeout: u32,
}

impl Launch {
    /// `STATUS TIMEOUT`: the raw wait status and the time limit, for [`Launch::load`].
    pub fn save(&self) -> String {
        format!("{} {}\n", self.status.into_raw(), self.timeout)
    }

    pub fn load(text: &str) -> Option<Self> {
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

/// Where a boot keeps its files in `dir`: `<stem>.sh` (the guest script), `.console`, `.output`
/// and `.status` (the launcher's).
pub fn file(dir: &Path, boot: &Boot, ext: &str) -> PathBuf {
    let stem = boot.name.replace(|c: char| !c.is_ascii_alphanumeric(), "-");
    dir.join(format!("{stem}.{ext}"))
}

/// A boot judged: each check's result (the boot's own first, then each scenario's and the
/// KUnit cases it ran), and the console and output split by scenario.
pub struct Judged {
    pub results: Vec<CheckResult>,
    pub split: Split,
}

/// The result of each check of `boot`, from its console, output and launcher's end.
pub fn judge(boot: &Boot, console: &str, output: &str, launch: &Launch) -> Judged {
    let split = log::split(console, output, boot.scenarios.len());
    let in_boot = |identity: &Identity| Identity {
        boot: Some(boot.name.clone()),
        ..identity.clone()
    };
    let mut boot_problems: Vec<String> = launch.problem().into_iter().collect();
    boot_problems.extend(reports(&split.outside).map(|l| format!("kernel report: {l}")));
    let name = format!(
        "{}: boots, runs to the end, without kernel reports",
        boot.name
    );
    let boot_result = CheckResult::new(name, Outcome::from_problems(boot_problems));
    let mut results = vec![boot_result.with_identity(in_boot(&Identity::default()))];
    let names: Vec<&str> = boot.scenarios.iter().map(|s| s.name.as_str()).collect();
    // Modules left unloading for good, and the scenario whose `rmmod` hung.
    let mut stuck: Vec<(String, &str)> = Vec::new();
    for (scenario, section) in boot.scenarios.iter().zip(&split.sections) {
        let mut problems = scenario.verify(section);
        problems.extend(log::leak_origins(section, &split.sections, &names));
        // A scenario that needs a module an earlier one left unloading fails because of that
        // one: say so, rather than show its knock-on errors ("File exists") as a second bug.
        let knock_on = stuck
            .iter()
            .find(|(module, _)| scenario.script.contains(module.as_str()));
        if let (Some((module, culprit)), false) = (knock_on, problems.is_empty()) {
            problems = vec![format!(
                "not checked: {module} was still unloading, since its rmmod hung in \
                 \"{culprit}\" (look at that check first)"
            )];
        }
        for line in &section.log {
            if let Some(Found {
                marker: Marker::Stuck(Some(module)),
                ..
            }) = markers::find(line)
            {
                if !stuck.iter().any(|(m, _)| m == module) {
                    stuck.push((module.to_string(), &scenario.name));
                    problems.push(format!(
                        "rmmod {module} never returned: the module's exit, or what it waits \
                         for, hangs; {module} stays unloading for the rest of the boot"
                    ));
                }
            }
        }
        // A leak is the work of the task whose scenario allocated it, when one task's did.
        let mut identity = scenario.identity.clone();
        if scenario.kind == Kind::LeakCheck {
            let mut tasks: Vec<Option<u32>> = log::leaked_during(section, &split.sections)
                .into_iter()
                .map(|i| i.and_then(|i| boot.scenarios[i].identity.task))
                .collect();
            tasks.sort();
            tasks.dedup();
            if let [Some(task)] = tasks[..] {
                identity.task = Some(task);
            }
        }
        let evidence = (!problems.is_empty()).then(|| {
            format!(
                "its kernel log:\n{}\nits output:\n{}",
                tail(&timed(section)),
                tail(&section.output)
            )
        });
        results.push(CheckResult {
            evidence,
            ..CheckResult::new(&scenario.name, Outcome::from_problems(problems))
                .with_identity(in_boot(&identity))
        });
        // The layer's own tests, whatever tree the scenario loads.
        let kunit_identity = in_boot(&Identity::default());
        results.extend(
            kunit::results(&section.log)
                .into_iter()
                .map(|r| r.with_identity(kunit_identity.clone())),
        );
    }
    Judged { results, split }
}

/// A file's bytes as text, invalid UTF-8 replaced (a report that prints freed memory may carry
/// any byte); an empty text for a file that is not there.
pub fn read_lossy(file: &Path) -> String {
    fs::read(file)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// `boot` judged from the files its run left in `dir`: its console, output and launcher status.
pub fn saved(boot: &Boot, dir: &Path) -> Result<Judged, String> {
    let status = file(dir, boot, "status");
    let text = fs::read_to_string(&status).map_err(|e| format!("{}: {e}", status.display()))?;
    let console = file(dir, boot, "console");
    let launch = Launch::load(&text).ok_or(format!("{}: not a saved status", console.display()))?;
    let output = read_lossy(&file(dir, boot, "output"));
    Ok(judge(boot, &read_lossy(&console), &output, &launch))
}

/// `boot` judged from its files in `dir`, or one failing result saying why it could not be.
pub fn saved_or_failure(boot: &Boot, dir: &Path) -> Vec<CheckResult> {
    saved(boot, dir).map_or_else(
        |e| {
            let name = format!("boot {}: judged again", boot.name);
            vec![CheckResult::new(name, Outcome::Fail(vec![e]))]
        },
        |judged| judged.results,
    )
}

/// Whether each boot of `boots`, judged again from its saved files, gets the verdicts it got.
pub fn rejudged_alike(boots: &[Boot], dir: &Path, verdicts: &[Vec<CheckResult>]) -> Outcome {
    let mut problems = Vec::new();
    for (boot, live) in boots.iter().zip(verdicts) {
        match saved(boot, dir) {
            Ok(again) if again.results == *live => {}
            Ok(again) => {
                for (was, is) in live.iter().zip(&again.results) {
                    if was != is {
                        let (name, was, is) = (&was.name, &was.outcome, &is.outcome);
                        problems.push(format!("{name}: {was:?} when run, {is:?} re-judged"));
                    }
                }
                if again.results.len() != live.len() {
                    problems.push(format!(
                        "boot {}: {} checks when run, {} re-judged",
                        boot.name,
                        live.len(),
                        again.results.len()
                    ));
                }
            }
            Err(e) => problems.push(format!("boot {}: {e}", boot.name)),
        }
    }
    Outcome::from_problems(problems)
}

/// Whether two runs of one boot came out alike: as many checks, each with the same status
/// (pass, fail or skip; what a failure says, and the boot's name, may differ).
pub fn alike(one: &[CheckResult], other: &[CheckResult]) -> Outcome {
    let status = |o: &Outcome| match o {
        Outcome::Pass => "pass",
        Outcome::Fail(_) => "fail",
        Outcome::Skip(_) => "skip",
    };
    let mut problems = Vec::new();
    for (a, b) in one.iter().zip(other) {
        let (sa, sb) = (status(&a.outcome), status(&b.outcome));
        if sa != sb {
            problems.push(format!("{}: {sa}, and {sb} the other time", a.name));
        }
    }
    if one.len() != other.len() {
        problems.push(format!(
            "{} checks, and {} the other time",
            one.len(),
            other.len()
        ));
    }
    Outcome::from_problems(problems)
}

/// A section's kernel log lines with their times (kernel seconds), so that an excerpt shows
/// when each thing happened ("fired too early" is a time).
fn timed(section: &log::Section) -> Vec<String> {
    section
        .log
        .iter()
        .zip(&section.times)
        .map(|(line, time)| match time {
            Some(t) => format!("[{t:12.6}] {line}"),
            None => line.clone(),
        })
        .collect()
}

/// The last lines of a log, enough to see what happened.
fn tail(lines: &[String]) -> String {
    // The harness's own markers (`rmmod`'s, say) and the copy of the trace are not the
    // module's log (the trace checks quote the events they found wrong).
    let lines: Vec<&String> = lines
        .iter()
        .filter(|l| !markers::is_marked(l) && !l.contains(crate::trace::PREFIX))
        .collect();
    let skip = lines.len().saturating_sub(40);
    let mut text = String::new();
    if skip > 0 {
        text += &format!("  ... {skip} lines before\n");
    }
    lines[skip..]
        .iter()
        .for_each(|l| text += &format!("  {l}\n"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::{selected, Intensity};

    /// Two runs of a boot are alike when each check has the same status, whatever a failure
    /// says; a check that passed once and failed once, or a missing one, is named.
    #[test]
    fn runs_alike_by_status() {
        let check = |name: &str, outcome: Outcome| CheckResult::new(name, outcome);
        let restored = [
            check("a", Outcome::Pass),
            check("b", Outcome::Fail(vec!["late by 1 jiffy".into()])),
        ];
        let booted = [
            check("a", Outcome::Pass),
            check("b", Outcome::Fail(vec!["late by 2 jiffies".into()])),
        ];
        assert_eq!(alike(&restored, &booted), Outcome::Pass);
        let passed = [check("a", Outcome::Pass), check("b", Outcome::Pass)];
        assert_eq!(
            alike(&restored, &passed),
            Outcome::Fail(vec!["b: fail, and pass the other time".into()])
        );
        assert_eq!(
            alike(&restored, &passed[..1]),
            Outcome::Fail(vec!["2 checks, and 1 the other time".into()])
        );
    }

    /// The atomic-sleep boot of a real run, as its files were saved, judged again: every check
    /// passes; without its status file, one failure says so.
    #[test]
    fn a_saved_boot_is_judged_from_its_files() {
        let dir = std::env::temp_dir().join(format!("dw-tests-{}-judge", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let boots = selected(&["atomic".into()], Intensity::TEST, None);
        let boot = boots.iter().find(|b| b.name == "atomic sleep").unwrap();
        let fixture = include_str!("fixtures/atomic-sleep.console");
        fs::write(file(&dir, boot, "console"), fixture).unwrap();
        let output = include_str!("fixtures/atomic-sleep.output");
        fs::write(file(&dir, boot, "output"), output).unwrap();
        let _ = fs::remove_file(file(&dir, boot, "status"));
        let missing = saved_or_failure(boot, &dir);
        assert!(missing.len() == 1 && missing[0].failed(), "{missing:#?}");
        let launch = Launch {
            status: ExitStatus::from_raw(0),
            timeout: 400,
        };
        fs::write(file(&dir, boot, "status"), launch.save()).unwrap();
        let results = saved(boot, &dir).unwrap().results;
        assert_eq!(results.len(), boot.scenarios.len() + 1);
        assert!(results.iter().all(|r| !r.failed()), "{results:#?}");
        let task4 = results.iter().find(|r| r.identity.task == Some(4)).unwrap();
        assert_eq!(task4.identity.boot.as_deref(), Some("atomic sleep"));
    }

    /// A module whose `rmmod` hung fails its scenario, which says so, and a later scenario that
    /// loads it says why it could not, rather than show "Device or resource busy" as a bug.
    #[test]
    fn a_hung_rmmod_is_reported_once_not_as_a_knock_on_failure() {
        use crate::check::Scenario;
        let boot = Boot::new(
            "b",
            vec![
                Scenario::new("k: hangs", "insmod dw_k.ko; rmmod dw_k"),
                Scenario::new("k: cycles", "insmod dw_k.ko; rmmod dw_k"),
                Scenario::new("t: other", "insmod dw_t.ko; rmmod dw_t"),
            ],
        )
        .without_leak_check();
        let console = "@@dw-scenario-begin 0 1\n@@dw-scenario-status 0 143\n\
                       @@dw-stuck-unloading dw_k\n@@dw-scenario-begin 1 2\n\
                       @@dw-scenario-status 1 1\n@@dw-scenario-begin 2 3\n\
                       @@dw-scenario-status 2 1\n@@dw-scenarios-done\n";
        let output = "@@dw-scenario-begin 0\n@@dw-scenario-status 0 143\n\
                      @@dw-scenario-begin 1\ninsmod: Device or resource busy\n\
                      @@dw-scenario-status 1 1\n@@dw-scenario-begin 2\n@@dw-scenario-status 2 1\n";
        let launch = Launch {
            status: ExitStatus::from_raw(0),
            timeout: 400,
        };
        let results = judge(&boot, console, output, &launch).results;
        let problems = |name: &str| match &results.iter().find(|r| r.name == name).unwrap().outcome
        {
            Outcome::Fail(p) => p.clone(),
            other => panic!("{name}: {other:?}"),
        };
        assert!(problems("k: hangs")
            .iter()
            .any(|p| p.starts_with("rmmod dw_k never returned")));
        assert_eq!(problems("k: cycles").len(), 1);
        assert!(problems("k: cycles")[0].contains("since its rmmod hung in \"k: hangs\""));
        // Another module's failure is its own.
        assert!(problems("t: other")
            .iter()
            .all(|p| !p.contains("still unloading")));
    }
}
