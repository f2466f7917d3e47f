//! The marker protocol between the guest script and the harness: the `@@dw-...` lines the guest
//! writes to its kernel log and its output. This module alone knows their text: it writes the
//! shell functions that print them, and it parses them (for `log.rs`, `wall.rs`, `check.rs`).
//!
//! A marker is recognised anywhere in a line: a scenario whose output lacks its last newline, or
//! a kernel message printed without one, may put text before it.

/// What every marker starts with.
const PREFIX: &str = "@@dw-";
/// A scenario starts: `BEGIN <index>`, to the output, and `BEGIN <index> <jiffies>` to the
/// kernel log (no jiffies where the guest cannot read them).
const BEGIN: &str = "@@dw-scenario-begin";
/// A scenario's script ended: `STATUS <index> <exit status>`, to the kernel log and the output.
const STATUS: &str = "@@dw-scenario-status";
/// Every scenario ran (and the leak check): to the kernel log, once, last.
const DONE: &str = "@@dw-scenarios-done";
/// `RMMOD_RETURNED <module>`, to the kernel log when a scenario's `rmmod <module>` returned.
const RMMOD_RETURNED: &str = "@@dw-rmmod-returned";
/// `STUCK <module>`, to the kernel log after a scenario that left `module` unloading for good
/// (its `rmmod` hung): no later scenario can load it again.
const STUCK: &str = "@@dw-stuck-unloading";
/// `NOTE <name>=<value>`, to the output: a value the checks refer to as `$name` (a pid known
/// only in the guest, say).
const NOTE: &str = "@@dw-note";

/// The boot script's functions that mark a scenario's start and end and the end of the boot:
/// `dw_mark_begin INDEX`, `dw_mark_status INDEX STATUS`, `dw_mark_done`; and a module left
/// unloading, `dw_mark_stuck MODULE`. The begin marker in
/// the kernel log carries the jiffies (`dw_jiffies`, of the guest's functions), so that a leaked
/// object's allocation time names its scenario.
pub fn boot_functions() -> String {
    format!(
        r#"dw_mark_begin() {{
    echo "{BEGIN} $1 $(dw_jiffies)" > /dev/kmsg
    echo "{BEGIN} $1"
}}
dw_mark_status() {{
    echo "{STATUS} $1 $2" > /dev/kmsg
    echo "{STATUS} $1 $2"
}}
dw_mark_done() {{
    echo '{DONE}' > /dev/kmsg
}}
dw_mark_stuck() {{
    echo "{STUCK} $1" > /dev/kmsg
}}
"#
    )
}

/// The functions each scenario's script starts with: `dw_note NAME VALUE` hands a value to the
/// checks (`$NAME`), and `rmmod` marks in the kernel log that it returned (for
/// `Scenario::exits_with`).
pub fn scenario_functions() -> String {
    format!(
        "dw_note() {{ echo \"{NOTE} $1=$2\"; }}\n\
         rmmod() {{ command rmmod \"$@\" && echo \"{RMMOD_RETURNED} $*\" > /dev/kmsg; }}\n"
    )
}

/// A marker, parsed.
#[derive(Debug, PartialEq)]
pub enum Marker<'a> {
    /// A scenario started, with the jiffies where the kernel log's marker has them.
    Begin {
        index: Option<usize>,
        jiffies: Option<u64>,
    },
    /// A scenario's script ended with this exit status.
    Status {
        index: Option<usize>,
        status: Option<i32>,
    },
    /// The boot's scenarios and leak check are done.
    Done,
    /// `rmmod` returned, with these arguments.
    RmmodReturned(Vec<&'a str>),
    /// A value noted for the checks: its name and value.
    Note(Option<(&'a str, &'a str)>),
    /// A module left unloading for good.
    Stuck(Option<&'a str>),
}

/// A marker found in a line, and the text before it.
#[derive(Debug, PartialEq)]
pub struct Found<'a> {
    pub before: &'a str,
    pub marker: Marker<'a>,
}

/// The marker in `line`, if it has one.
pub fn find(line: &str) -> Option<Found<'_>> {
    let kinds = [BEGIN, STATUS, DONE, RMMOD_RETURNED, STUCK, NOTE];
    let (kind, at) = kinds
        .into_iter()
        .find_map(|kind| Some((kind, line.find(kind)?)))?;
    let words: Vec<&str> = line[at + kind.len()..].split_whitespace().collect();
    let index = words.first().and_then(|w| w.parse().ok());
    let second = words.get(1);
    let marker = match kind {
        BEGIN => Marker::Begin {
            index,
            jiffies: second.and_then(|j| j.parse().ok()),
        },
        STATUS => Marker::Status {
            index,
            status: second.and_then(|s| s.parse().ok()),
        },
        DONE => Marker::Done,
        RMMOD_RETURNED => Marker::RmmodReturned(words),
        STUCK => Marker::Stuck(words.first().copied()),
        _ => Marker::Note(words.first().and_then(|w| w.split_once('='))),
    };
    Some(Found {
        before: &line[..at],
        marker,
    })
}

/// Whether `line` holds a marker `rmmod` wrote when `rmmod module` returned.
pub fn rmmod_returned(line: &str, module: &str) -> bool {
    matches!(find(line), Some(Found { marker: Marker::RmmodReturned(args), .. }) if args == [module])
}

/// Whether `line` carries any of the harness's markers (which are not a module's log).
pub fn is_marked(line: &str) -> bool {
    line.contains(PREFIX)
}

/// The kernel log line `rmmod module` leaves when it returns, for tests.
#[cfg(test)]
pub fn rmmod_line(module: &str) -> String {
    format!("{RMMOD_RETURNED} {module}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_anywhere_in_a_line() {
        let found = find("partial@@dw-scenario-begin 1 4294892750").unwrap();
        assert_eq!(found.before, "partial");
        let begin = Marker::Begin {
            index: Some(1),
            jiffies: Some(4294892750),
        };
        assert_eq!(found.marker, begin);
        let status = find("@@dw-scenario-status 0 3").unwrap().marker;
        let expected = Marker::Status {
            index: Some(0),
            status: Some(3),
        };
        assert_eq!(status, expected);
        assert_eq!(find("x @@dw-scenarios-done").unwrap().marker, Marker::Done);
        let note = find("@@dw-note pid=42").unwrap().marker;
        assert_eq!(note, Marker::Note(Some(("pid", "42"))));
        assert_eq!(find("dw_timer: [timer_init] Init module"), None);
    }

    /// Another module's marker does not count (`mm` is not `m`).
    #[test]
    fn rmmod_markers_name_their_module() {
        let stuck = find("@@dw-stuck-unloading dw_kthread").unwrap().marker;
        assert_eq!(stuck, Marker::Stuck(Some("dw_kthread")));
        assert!(rmmod_returned("junk@@dw-rmmod-returned m", "m"));
        assert!(!rmmod_returned("@@dw-rmmod-returned mm", "m"));
        assert!(!rmmod_returned("@@dw-rmmod-returned m x", "m"));
        assert!(is_marked(&rmmod_line("m")));
    }

    /// The guest functions write what `find` reads.
    #[test]
    fn the_guest_functions_write_the_markers_read_here() {
        let (boot, scenario) = (boot_functions(), scenario_functions());
        for marker in [BEGIN, STATUS, DONE] {
            assert!(boot.contains(marker), "{marker}");
        }
        for marker in [NOTE, RMMOD_RETURNED] {
            assert!(scenario.contains(marker), "{marker}");
        }
    }
}
