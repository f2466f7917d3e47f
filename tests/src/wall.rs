//! The host's wall-clock time of each scenario marker, read from the console while the guest
//! runs. The kernel's timestamps are the guest's clock, which virtual time (icount) decouples
//! from the wall clock: idle time is skipped, busy time runs slower.

use crate::{
    log::split_timestamp,
    markers::{self, Marker},
};
use std::{
    fs::File,
    io::{Read, Seek, SeekFrom},
    path::Path,
    process::{Child, ExitStatus},
    thread,
    time::{Duration, Instant},
};

/// Wall seconds since the launch at which each marker reached the console.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct MarkerTimes {
    /// Each scenario's begin marker.
    pub begun: Vec<Option<f64>>,
    /// Each scenario's status marker (its script ended; the cleanup and leak scan follow).
    pub ended: Vec<Option<f64>>,
    /// The last leak check done.
    pub done: Option<f64>,
    /// Console bytes after the last newline, kept until their line is complete.
    partial: Vec<u8>,
}

impl MarkerTimes {
    pub fn new(scenarios: usize) -> Self {
        Self {
            begun: vec![None; scenarios],
            ended: vec![None; scenarios],
            ..Self::default()
        }
    }

    /// Takes console bytes that had arrived `at` seconds after the launch.
    pub fn feed(&mut self, bytes: &[u8], at: f64) {
        self.partial.extend_from_slice(bytes);
        let Some(last_newline) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return;
        };
        let lines: Vec<u8> = self.partial.drain(..=last_newline).collect();
        for line in String::from_utf8_lossy(&lines).lines() {
            let first = |slot: &mut Option<f64>| *slot = slot.or(Some(at));
            // A marker counts anywhere in its line, as in `log::split`.
            match markers::find(split_timestamp(line).1).map(|f| f.marker) {
                Some(Marker::Done) => first(&mut self.done),
                Some(Marker::Begin { index: Some(i), .. }) if i < self.begun.len() => {
                    first(&mut self.begun[i])
                }
                Some(Marker::Status { index: Some(i), .. }) if i < self.ended.len() => {
                    first(&mut self.ended[i])
                }
                _ => {}
            }
        }
    }
}

/// How often the console is read while the guest runs.
const POLL: Duration = Duration::from_millis(100);

/// Waits for `child` (the launcher), reading `console` as it grows, and returns its status and
/// when each marker of its `scenarios` arrived (wall seconds since `started`).
pub fn watch(
    child: &mut Child,
    console: &Path,
    scenarios: usize,
    started: Instant,
) -> (ExitStatus, MarkerTimes) {
    let mut times = MarkerTimes::new(scenarios);
    let mut offset = 0;
    loop {
        let exited = child.try_wait().expect("wait for the launcher");
        offset = read_new(console, offset, &mut times, started.elapsed().as_secs_f64());
        if let Some(status) = exited {
            return (status, times);
        }
        thread::sleep(POLL);
    }
}

/// Feeds what `file` holds past `offset` to `times`; returns the new offset. A file that is
/// not there yet or was truncated (the launcher empties it before QEMU starts) starts over.
fn read_new(file: &Path, offset: u64, times: &mut MarkerTimes, at: f64) -> u64 {
    let Ok(mut f) = File::open(file) else {
        return 0;
    };
    let len = f.metadata().map_or(0, |m| m.len());
    let from = if len < offset { 0 } else { offset };
    let mut bytes = Vec::new();
    if f.seek(SeekFrom::Start(from)).is_err() || f.read_to_end(&mut bytes).is_err() {
        return from;
    }
    times.feed(&bytes, at);
    from + bytes.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_timed_when_their_line_is_complete() {
        let mut t = MarkerTimes::new(2);
        t.feed(b"[    1.0] Linux\n[   30.1] @@dw-scenario-be", 1.0);
        assert_eq!(t.begun, [None, None]);
        t.feed(b"gin 0\n[   33.0] @@dw-scenario-status 0 0\n", 2.5);
        t.feed(b"[   34.0] @@dw-scenario-begin 1\n", 3.0);
        // A repeated marker keeps its first time; an index out of range is ignored.
        t.feed(
            b"[   34.0] @@dw-scenario-begin 1\n@@dw-scenario-begin 7\n",
            4.0,
        );
        t.feed(b"[   40.0] @@dw-scenarios-done\n", 9.0);
        assert_eq!(t.begun, [Some(2.5), Some(3.0)]);
        assert_eq!(t.ended, [Some(2.5), None]);
        assert_eq!(t.done, Some(9.0));
    }

    #[test]
    fn a_growing_and_truncated_file_is_read_from_where_it_is() {
        let dir = std::env::temp_dir().join(format!("dw-tests-{}-wall", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let console = dir.join("console");
        let mut t = MarkerTimes::new(1);
        assert_eq!(read_new(&console, 0, &mut t, 0.5), 0, "not there yet");
        std::fs::write(&console, "old text, longer than what follows\n").unwrap();
        let offset = read_new(&console, 0, &mut t, 1.0);
        std::fs::write(&console, "@@dw-scenario-begin 0\n").unwrap();
        let offset = read_new(&console, offset, &mut t, 2.0);
        assert_eq!((offset, t.begun[0]), (22, Some(2.0)));
    }
}
