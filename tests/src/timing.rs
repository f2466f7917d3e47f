//! Where a boot's time went: the table printed after each boot.

use crate::{
    check::{Boot, Kind},
    log::Split,
    wall::MarkerTimes,
};
use std::fmt::Write as _;

/// Where a boot's time went, per scenario (its script, then the cleanup after it, and after the
/// last the kmemleak scans): on the wall clock, from when each marker reached the console
/// (`wall.rs`), and on the guest's clock, from the markers' kernel timestamps (virtual time skips
/// idle time, so the two differ). Then the kernel boot before the first scenario, power-off.
pub fn table(boot: &Boot, split: &Split, marks: &MarkerTimes, wall: f64) -> String {
    let seconds = |t: Option<f64>| t.map_or("?".to_string(), |t| format!("{t:.1}"));
    let span = |a: Option<f64>, b: Option<f64>| seconds(a.zip(b).map(|(a, b)| b - a));
    let sections = &split.sections;
    let mut table = String::new();
    let mut row = |wall: [String; 2], guest: [String; 2], what: &str| {
        let _ = writeln!(
            table,
            "    {:>7} {:>7} {:>8} {:>7}  {what}",
            wall[0], wall[1], guest[0], guest[1]
        );
    };
    let blank = || String::new();
    row(
        ["wall s".into(), "after".into()],
        ["guest s".into(), "after".into()],
        "",
    );
    let first = sections.first().and_then(|s| s.started_at);
    let first_wall = marks.begun.first().copied().flatten();
    row(
        [seconds(first_wall), blank()],
        [seconds(first), blank()],
        "QEMU start and kernel boot to the first scenario",
    );
    for (i, (scenario, s)) in boot.scenarios.iter().zip(sections).enumerate() {
        let next = sections.get(i + 1).map_or(split.done_at, |n| n.started_at);
        let next_wall = marks.begun.get(i + 1).copied().unwrap_or(marks.done);
        let (begun, ended) = (marks.begun[i], marks.ended[i]);
        let name = if scenario.kind == Kind::LeakCheck {
            "closing leak check (sleep, then two kmemleak scans)"
        } else {
            &scenario.name
        };
        row(
            [span(begun, ended), span(ended, next_wall)],
            [span(s.started_at, s.ended_at), span(s.ended_at, next)],
            name,
        );
    }
    row(
        [seconds(marks.done.map(|done| wall - done)), blank()],
        [blank(), blank()],
        "power-off",
    );
    row(
        [format!("{wall:.1}"), blank()],
        [blank(), blank()],
        "whole boot",
    );
    table
}

/// The CPU seconds in bash's `times` output (`qemu/boot.sh --cpu-time`): the shell's user and
/// system time, then its children's, each as `1m2.500s`; `None` if it is not that.
pub fn cpu_seconds(times: &str) -> Option<f64> {
    let fields: Vec<&str> = times.split_whitespace().collect();
    (fields.len() == 4).then_some(())?;
    fields.iter().try_fold(0.0, |sum, f| {
        let (minutes, seconds) = f.strip_suffix('s')?.split_once('m')?;
        Some(sum + minutes.parse::<f64>().ok()? * 60.0 + seconds.parse::<f64>().ok()?)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_seconds_are_read_from_bash_times() {
        let times = "0m0.250s 0m0.050s\n1m2.500s 0m3.200s\n";
        let cpu = super::cpu_seconds(times).unwrap();
        assert!((cpu - 66.0).abs() < 1e-9, "{cpu}");
        assert_eq!(super::cpu_seconds("0m0.250s\n"), None);
        assert_eq!(super::cpu_seconds(""), None);
    }
}
