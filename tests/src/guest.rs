//! The guest's script for one boot: each scenario in its own `sh -e` with a time limit, between
//! markers (`markers.rs`), followed by the unloading of the modules it left loaded (after a
//! failure, say); after the last one, the kmemleak scans (unless the boot has no leak check).
//! Its shell functions are in `tests/guest/boot.sh`.

use crate::{check::Boot, markers, trace};
use dw_lab::MODULE_PREFIX;
use std::fmt::Write as _;

/// The boot script's own functions: `dw_run_scenario`, `dw_unload`, `dw_leak_check`,
/// `dw_jiffies`; and those that record a traced scenario's trace events.
const BOOT_FUNCTIONS: &str = include_str!("../guest/boot.sh");
const TRACE_FUNCTIONS: &str = include_str!("../guest/trace.sh");

/// The tick rate of the kernel the guests boot (`CONFIG_HZ` of `build/kdir/.config`), which the
/// guest script prints for the trace checks.
fn kernel_hz() -> Option<u32> {
    let config = std::fs::read_to_string(crate::run::root().join("build/kdir/.config")).ok()?;
    config
        .lines()
        .find_map(|l| l.strip_prefix("CONFIG_HZ=")?.parse().ok())
}

/// Seconds kmemleak waits before it reports an object (its `MSECS_MIN_AGE`), plus a margin: the
/// closing leak check's scenario sleeps that long.
pub const LEAK_MIN_AGE: u32 = 6;

/// The script `qemu/boot.sh --exec` runs in the guest for `boot`.
pub fn script(boot: &Boot) -> String {
    let mut script = format!(
        "#!/bin/sh\ncd /root\n{BOOT_FUNCTIONS}{TRACE_FUNCTIONS}{}",
        markers::boot_functions()
    );
    if let Some(hz) = kernel_hz() {
        let _ = writeln!(script, "echo '{}{hz}' > /dev/kmsg", trace::HZ_PREFIX);
    }
    let preamble = markers::scenario_functions();
    for (i, s) in boot.scenarios.iter().enumerate() {
        let _ = write!(
            script,
            "cat > /tmp/dw-scenario-{i} <<'DW_SCENARIO_EOF'\n{preamble}{body}\nDW_SCENARIO_EOF\n\
             dw_run_scenario {i} {timeout}{traced}\n",
            body = s.script,
            timeout = s.timeout,
            traced = if s.traced { " traced" } else { "" },
        );
        if !s.keep_modules {
            let _ = writeln!(script, "dw_unload {MODULE_PREFIX}");
        }
    }
    if boot.leak_check {
        script.push_str("dw_leak_check\n");
    }
    script.push_str("dw_mark_done\n");
    script
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check::Scenario, scenarios};
    use std::process::Command;

    /// Every boot's guest script is what `sh -n` accepts.
    #[test]
    fn guest_scripts_parse() {
        let intensities = [scenarios::Intensity::TEST, scenarios::Intensity::SOAK];
        for boot in intensities.into_iter().flat_map(scenarios::all) {
            let status = Command::new("sh")
                .args(["-n", "-c", &script(&boot)])
                .status()
                .expect("sh");
            assert!(status.success(), "boot {}", boot.name);
        }
    }

    /// One leak check closes a boot (kmemleak scans after its last scenario, none between
    /// scenarios), unless the boot has none.
    #[test]
    fn kmemleak_scans_close_the_boot_unless_it_has_no_leak_check() {
        let scenarios = vec![Scenario::new("a", "true"), Scenario::new("b", "true")];
        let boot = Boot::new("x", scenarios);
        let script = script(&boot);
        let scans = |script: &str| script.matches("\ndw_leak_check\n").count();
        assert_eq!(scans(&script), 1);
        let after_last = script.rfind("dw_run_scenario 1 60\n").unwrap();
        assert!(script.find("\ndw_leak_check\n").unwrap() > after_last);
        assert!(script.ends_with("dw_leak_check\ndw_mark_done\n"));
        assert_eq!(scans(&super::script(&boot.without_leak_check())), 0);
    }

    /// The guest script, run by a shell with stand-ins for the guest's commands, runs each
    /// scenario between its markers and unloads only our modules after it.
    #[test]
    fn the_script_marks_each_scenario_and_unloads_our_modules() {
        let keep = Scenario::new("kept", "echo kept; false").keep_modules();
        let boot = Boot::new("x", vec![Scenario::new("a", "dw_note pid 7"), keep]);
        // The guest's files and commands, as a shell sees them on the host.
        let text = script(&boot)
            .replace("/dev/kmsg", "/dev/stdout")
            .replace("/proc/modules", "/dev/stdin")
            .replace(
                "/tmp/dw-scenario",
                &format!("/tmp/dw-tests-{}-s", std::process::id()),
            )
            .replace(
                "cd /root\n",
                "rmmod() { echo \"rmmod $*\"; }\ntimeout() { shift; \"$@\"; }\n",
            );
        let out = Command::new("sh")
            .args(["-c", &text])
            .stdin(std::fs::File::open("/dev/null").unwrap())
            .output()
            .expect("sh");
        let out = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = out
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.starts_with(trace::HZ_PREFIX))
            .collect();
        assert_eq!(
            lines,
            [
                "@@dw-scenario-begin 0",
                "@@dw-scenario-begin 0",
                "@@dw-note pid=7",
                "@@dw-scenario-status 0 0",
                "@@dw-scenario-status 0 0",
                "@@dw-scenario-begin 1",
                "@@dw-scenario-begin 1",
                "kept",
                "@@dw-scenario-status 1 1",
                "@@dw-scenario-status 1 1",
                "@@dw-scenarios-done",
            ]
        );
    }
}
