//! Splitting a guest run's kernel console and command output into per-scenario sections.

/// Marker a scenario writes to `/dev/kmsg` and to its output when it starts.
pub const BEGIN: &str = "@@dw-scenario-begin";
/// Marker a scenario writes to its output when it ends, followed by its exit status.
pub const STATUS: &str = "@@dw-scenario-status";

/// What one scenario left behind.
#[derive(Debug, Default, Clone)]
pub struct Section {
    /// Kernel log lines, without their `[ seconds]` timestamps.
    pub log: Vec<String>,
    /// Each log line's timestamp in seconds, where it had one.
    pub times: Vec<Option<f64>>,
    /// The command output lines.
    pub output: Vec<String>,
    /// The exit status, if the scenario finished.
    pub status: Option<i32>,
    /// Kernel time at which the scenario started, in seconds.
    pub started_at: Option<f64>,
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
/// Returns the boot's own log (before the first scenario) and one section per scenario.
pub fn split(console: &str, output: &str, count: usize) -> (Vec<String>, Vec<Section>) {
    let mut boot = Vec::new();
    let mut sections = vec![Section::default(); count];
    let mut current: Option<usize> = None;
    for line in console.lines() {
        let (stamp, message) = split_timestamp(line);
        if let Some(index) = marker_index(message, BEGIN, count) {
            current = Some(index);
            sections[index].started_at = stamp;
            continue;
        }
        match current {
            Some(i) => {
                sections[i].log.push(message.to_string());
                sections[i].times.push(stamp);
            }
            None => boot.push(message.to_string()),
        }
    }
    let mut current: Option<usize> = None;
    for line in output.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(index) = marker_index(line, BEGIN, count) {
            current = Some(index);
        } else if let Some(rest) = line.strip_prefix(STATUS) {
            let mut words = rest.split_whitespace();
            if let (Some(Ok(i)), Some(Ok(status))) = (
                words.next().map(str::parse::<usize>),
                words.next().map(str::parse),
            ) {
                if i < count {
                    sections[i].status = Some(status);
                }
            }
            current = None;
        } else if let Some(i) = current {
            sections[i].output.push(line.to_string());
        }
    }
    (boot, sections)
}

/// The KUnit test cases in a log (KTAP, as modules print it when loaded): one result each,
/// named `kunit SUITE: CASE`, failing with the case's diagnostic lines.
pub fn ktap_results(log: &[String]) -> Vec<(String, Vec<String>)> {
    let mut results = Vec::new();
    let mut suite = None;
    let mut diagnostics = Vec::new();
    for line in log {
        let case = line.strip_prefix("    ").unwrap_or_default();
        if let Some(name) = case.strip_prefix("# Subtest: ") {
            suite = Some(name.trim().to_string());
        } else if case.starts_with("# ") || case.starts_with("Expected") || case.starts_with("    ")
        {
            diagnostics.push(line.trim().to_string());
        } else if let Some(suite) = &suite {
            let (ok, rest) = match case.strip_prefix("not ok ") {
                Some(rest) => (false, rest),
                None => match case.strip_prefix("ok ") {
                    Some(rest) => (true, rest),
                    None => continue,
                },
            };
            let name = rest.split_once(' ').map_or(rest, |(_, name)| name).trim();
            let problems = if ok {
                Vec::new()
            } else {
                core::mem::take(&mut diagnostics)
            };
            results.push((format!("kunit {suite}: {name}"), problems));
            diagnostics.clear();
        }
    }
    results
}

fn marker_index(line: &str, marker: &str, count: usize) -> Option<usize> {
    let index = line.strip_prefix(marker)?.trim().parse().ok()?;
    (index < count).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_console_and_output_by_markers() {
        let console = "[    0.100000] Linux version 7.3\n\
                       [    1.000000] @@dw-scenario-begin 0\n\
                       [    1.500000] dw_timer: [timer_init] Init module\n\
                       [    3.000000] @@dw-scenario-begin 1\n\
                       [    3.100000] other\n";
        let output =
            "@@dw-scenario-begin 0\r\nhello\r\n@@dw-scenario-status 0 0\n@@dw-scenario-begin 1\n";
        let (boot, sections) = split(console, output, 2);
        assert_eq!(boot, ["Linux version 7.3"]);
        assert_eq!(sections[0].log, ["dw_timer: [timer_init] Init module"]);
        assert_eq!(sections[0].times, [Some(1.5)]);
        assert_eq!(sections[0].output, ["hello"]);
        assert_eq!(sections[0].status, Some(0));
        assert_eq!(sections[0].started_at, Some(1.0));
        assert_eq!(sections[1].log, ["other"]);
        assert_eq!(
            sections[1].status, None,
            "a scenario that never reported did not finish"
        );
    }

    #[test]
    fn reads_ktap_cases() {
        let log: Vec<String> = [
            "KTAP version 1",
            "    # Subtest: dw_kernel_ext",
            "    1..2",
            "    ok 1 time_conversions",
            "    # timer: ASSERTION FAILED at kernel_ext/kunit.rs:90",
            "    Expected runs == 1, but",
            "    not ok 2 timer",
            "# dw_kernel_ext: pass:1 fail:1 skip:0 total:2",
            "not ok 1 dw_kernel_ext",
        ]
        .map(String::from)
        .to_vec();
        let results = ktap_results(&log);
        assert_eq!(results.len(), 2);
        assert_eq!(
            results[0],
            ("kunit dw_kernel_ext: time_conversions".into(), vec![])
        );
        assert_eq!(results[1].0, "kunit dw_kernel_ext: timer");
        assert_eq!(results[1].1.len(), 2, "the failure's diagnostics");
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
