//! Splitting a guest run's kernel console and command output into per-scenario sections, by the
//! markers the guest script writes (`markers.rs`).

use crate::markers::{self, Marker};

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
    /// The kernel's tick rate (`trace::HZ_PREFIX`), for the trace checks.
    pub hz: Option<u32>,
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
    // A scenario's index, if it is one of `count`.
    let valid = |index: Option<usize>| index.filter(|&i| i < count);
    for line in console.lines() {
        let (stamp, message) = split_timestamp(line);
        // A console cut off in the middle of a line (a message from another context took it
        // over) prints it again whole after this one (`console_prepend_message` in
        // kernel/printk/printk.c): the part before it is dropped, so a cut report is not a
        // report of its own.
        if message == "** replaying previous printk message **" {
            match current {
                Some(i) => {
                    split.sections[i].log.pop();
                    split.sections[i].times.pop();
                }
                None => {
                    split.outside.pop();
                }
            }
            continue;
        }
        let Some(found) = markers::find(message) else {
            push(&mut split, current, stamp, message);
            continue;
        };
        match found.marker {
            Marker::Begin { index, jiffies } => {
                push(&mut split, current, stamp, found.before);
                if let Some(i) = valid(index) {
                    current = Some(i);
                    let section = &mut split.sections[i];
                    section.begun = true;
                    section.started_at = stamp;
                    section.started_jiffies = jiffies;
                }
            }
            Marker::Status { index, .. } => {
                push(&mut split, current, stamp, found.before);
                if let Some(i) = valid(index) {
                    split.sections[i].ended_at = stamp;
                }
            }
            Marker::Done => {
                push(&mut split, current, stamp, found.before);
                current = None;
                split.done_at = stamp;
            }
            // `rmmod`'s markers stay in the log, for `Scenario::exits_with`.
            Marker::RmmodReturned(_) | Marker::Note(_) | Marker::Stuck(_) => {
                push(&mut split, current, stamp, message)
            }
        }
    }
    let mut current: Option<usize> = None;
    for line in output.lines().map(|l| l.trim_end_matches('\r')) {
        // Only the scenarios' markers and notes go to the output.
        let found = markers::find(line).filter(|f| {
            !matches!(
                f.marker,
                Marker::Done | Marker::RmmodReturned(_) | Marker::Stuck(_)
            )
        });
        let text = found.as_ref().map_or(line, |f| f.before);
        let mut next = current;
        match found.map(|f| f.marker) {
            Some(Marker::Begin { index, .. }) => {
                if let Some(i) = valid(index) {
                    split.sections[i].begun = true;
                    next = Some(i);
                }
            }
            Some(Marker::Status { index, status }) => {
                if let Some(i) = valid(index) {
                    split.sections[i].status = status;
                }
                next = None;
            }
            Some(Marker::Note(Some((name, value)))) => {
                if let Some(i) = current {
                    let note = (name.to_string(), value.to_string());
                    split.sections[i].notes.push(note);
                }
            }
            _ => {}
        }
        if let Some(i) = current {
            if !(text.is_empty() && text.len() < line.len()) {
                split.sections[i].output.push(text.to_string());
            }
        }
        current = next;
    }
    let hz = crate::trace::hz(&split.outside);
    split.sections.iter_mut().for_each(|s| s.hz = hz);
    split
}

/// Where each object that kmemleak reported in `section` was allocated: the scenario that had
/// begun last by its allocation time (`jiffies N` in the report), from the scenarios' begin
/// markers (none where the guest could not read the jiffies). A hint next to the report (the leak
/// fails the section either way).
pub fn leak_origins(section: &Section, sections: &[Section], names: &[&str]) -> Vec<String> {
    let mut origins: Vec<(String, usize)> = Vec::new();
    for origin in leaked_during(section, sections) {
        let during = origin.map_or("the boot, before the first scenario".to_string(), |i| {
            format!("`{}`", names[i])
        });
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

/// For each object kmemleak reported in `section`, the index of the scenario it was allocated
/// during (`None`: before the first one); nothing where the guest could not read the jiffies.
pub fn leaked_during(section: &Section, sections: &[Section]) -> Vec<Option<usize>> {
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
    section
        .log
        .iter()
        .filter_map(allocated)
        .map(|at| {
            sections
                .iter()
                .rposition(|s| s.started_jiffies.is_some_and(|begun| begun <= at))
        })
        .collect()
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

    #[test]
    fn a_line_the_console_replays_counts_once() {
        let console = [
            "[    1.0] @@dw-scenario-begin 0",
            "[    2.0] BUG: scheduling w",
            "** replaying previous printk message **",
            "[    2.0] BUG: scheduling while atomic: swapper/0/0/0x00000102",
            "[    3.0] @@dw-scenarios-done",
        ];
        let split = split(&console.join("\n"), "", 1);
        assert_eq!(
            split.sections[0].log,
            ["BUG: scheduling while atomic: swapper/0/0/0x00000102"]
        );
        assert_eq!(split.sections[0].times, [Some(2.0)]);
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
