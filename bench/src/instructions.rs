//! The instruction mode's table: each path's instruction count, Rust against C, from several
//! runs (guest boots) under `-icount shift=0,sleep=off`, where 1 ns of guest time is one
//! instruction, and how far the runs agree.

use crate::stats::{percentile, Samples};
use dw_lab::{C, RUST};
use std::fmt::Write as _;

/// How a path's figure comes out of one run's samples.
#[derive(Clone, Copy)]
enum Figure<'a> {
    /// The median over rounds of a per-round metric, times a factor (µs → instructions: 1000).
    Rounds(&'a str, f64),
    /// The median over rounds of the difference of two per-round metrics.
    RoundsDifference(&'a str, &'a str),
    /// The median of a per-sample metric (ns → instructions), minus a number of ticks.
    Samples(&'a str, f64),
}

/// The paths before the module loads and unloads (`crate::loads`): (what, how it is measured,
/// figure). Rows alike in shape by design: one per path, each over five lines as rustfmt sets it.
const PATHS: [(&str, &str, Figure); 6] = [
    (
        "ioctl CANCEL",
        "per call, mean of `--ioctls` calls; median of rounds",
        Figure::Rounds("ioctl_cancel_ns", 1.0),
    ),
    (
        "ioctl SET",
        "per call: SET+CANCEL pair − CANCEL; median of rounds",
        Figure::RoundsDifference("ioctl_set_cancel_ns", "ioctl_cancel_ns"),
    ),
    (
        "ioctl SET + CANCEL pair",
        "per pair, mean of `--ioctls` pairs; median of rounds",
        Figure::Rounds("ioctl_set_cancel_ns", 1.0),
    ),
    (
        "timer expiry → handler",
        "timer lateness − 1 tick, median of samples",
        Figure::Samples("timer_lateness_ns", 1.0),
    ),
    (
        "timer → work handoff",
        "median of samples",
        Figure::Samples("work_handoff_ns", 0.0),
    ),
    (
        "kthread wake-up",
        "median of samples",
        Figure::Samples("kthread_wakeup_ns", 0.0),
    ),
];

/// One path's figures, one per run.
pub struct Path {
    pub what: String,
    pub how: String,
    pub rust: Vec<f64>,
    pub c: Vec<f64>,
}

/// The mean of `values`.
fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// How far the runs are apart: (max − min) / mean, as a fraction.
fn spread(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let m = mean(values);
    if m == 0.0 {
        0.0
    } else {
        (max - min) / m.abs()
    }
}

impl Path {
    pub fn ratio(&self) -> f64 {
        mean(&self.rust) / mean(&self.c)
    }

    pub fn difference(&self) -> f64 {
        mean(&self.rust) - mean(&self.c)
    }

    /// The larger of the two languages' run-to-run spreads.
    pub fn spread(&self) -> f64 {
        spread(&self.rust).max(spread(&self.c))
    }
}

/// One run's figure for `language`; `tick_ns` is the guest's tick in ns.
fn figure(samples: &Samples, language: &str, how: Figure, tick_ns: f64) -> f64 {
    let median = |metric| percentile(samples.get(language, metric), 50.0);
    match how {
        Figure::Rounds(metric, factor) => median(metric) * factor,
        Figure::RoundsDifference(a, b) => {
            let (a, b) = (samples.get(language, a), samples.get(language, b));
            let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
            percentile(&d, 50.0)
        }
        Figure::Samples(metric, ticks) => median(metric) - ticks * tick_ns,
    }
}

/// A path's figures from each run's samples (`tick_ns`: each run's tick).
fn path(runs: &[(Samples, f64)], what: String, how_text: String, how: Figure) -> Path {
    let figures = |language| {
        runs.iter()
            .map(|(s, tick)| figure(s, language, how, *tick))
            .collect()
    };
    Path {
        what,
        how: how_text,
        rust: figures(RUST.name),
        c: figures(C.name),
    }
}

/// The paths' figures from each run's samples (`tick_ns`: each run's tick): `PATHS`, then the
/// CPU time of each module's load and unload.
pub fn paths(runs: &[(Samples, f64)]) -> Vec<Path> {
    let measured = PATHS
        .iter()
        .map(|&(what, how_text, how)| path(runs, what.into(), how_text.into(), how));
    let loads = crate::loads().map(|(stem, what, timed)| {
        let how_text = format!("{timed} CPU time; median of rounds");
        let metric = format!("{stem}_cpu_us");
        path(runs, what, how_text, Figure::Rounds(&metric, 1000.0))
    });
    measured.chain(loads).collect()
}

/// The known loop of each run: (iterations, ns per iteration of each run), from the medians of
/// its repeats, less the clock reads alone (the 0-iteration loop).
pub fn known_loops(runs: &[(Samples, f64)]) -> Vec<(u64, Vec<f64>)> {
    let metric = |n: u64| format!("iterations_{n}_ns");
    let lengths: Vec<u64> = [1_000_000, 10_000_000]
        .into_iter()
        .filter(|&n| {
            runs.iter()
                .all(|(s, _)| !s.get("loop", &metric(n)).is_empty())
        })
        .collect();
    lengths
        .into_iter()
        .map(|n| {
            let per_iteration = runs
                .iter()
                .map(|(s, _)| {
                    let median = |m: &str| percentile(s.get("loop", m), 50.0);
                    (median(&metric(n)) - median(&metric(0))) / n as f64
                })
                .collect();
            (n, per_iteration)
        })
        .collect()
}

/// `a / b / ...`, whole numbers.
fn joined(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{v:.0}"))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The instruction table and the loop check, in Markdown.
pub fn markdown(s: &mut String, paths: &[Path], loops: &[(u64, Vec<f64>)], clock_empty: &[f64]) {
    let runs = paths.first().map_or(0, |p| p.rust.len());
    let run_names = (1..=runs)
        .map(|r| format!("run {r}"))
        .collect::<Vec<_>>()
        .join(" / ");
    writeln!(
        s,
        "Check: a loop of `dec; jnz` (2 instructions per iteration) timed with `clock_gettime` \
         in the guest, median of 5 repeats less the clock reads alone ({} ns, {run_names}):\n",
        joined(clock_empty)
    )
    .unwrap();
    writeln!(
        s,
        "| iterations | expected ns per iteration | measured, {run_names} |"
    )
    .unwrap();
    writeln!(s, "|---:|---:|---:|").unwrap();
    for (n, per_iteration) in loops {
        let measured: Vec<String> = per_iteration.iter().map(|v| format!("{v:.4}")).collect();
        writeln!(s, "| {n} | 2 | {} |", measured.join(" / ")).unwrap();
    }
    writeln!(s).unwrap();
    writeln!(
        s,
        "| path | figure | Rust, {run_names} | C, {run_names} | Rust/C | Rust − C | run-to-run spread |"
    )
    .unwrap();
    writeln!(s, "|---|---|---:|---:|---:|---:|---:|").unwrap();
    for p in paths {
        writeln!(
            s,
            "| {} | {} | {} | {} | {:.3} | {:+.0} | {:.2} % |",
            p.what,
            p.how,
            joined(&p.rust),
            joined(&p.c),
            p.ratio(),
            p.difference(),
            p.spread() * 100.0
        )
        .unwrap();
    }
}

/// The instruction rows of the CSV (the header is the caller's).
pub fn csv(s: &mut String, paths: &[Path]) {
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(";")
    };
    for p in paths {
        writeln!(
            s,
            "instructions,\"{}\",\"{}\",instructions,{:.0},{:.0},{:.4},{:.4},{},{},\"\",",
            p.what.replace('"', "\"\""),
            p.how.replace('"', "\"\""),
            mean(&p.rust),
            mean(&p.c),
            p.ratio(),
            p.spread(),
            list(&p.rust),
            list(&p.c)
        )
        .unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_range_over_mean() {
        assert_eq!(spread(&[100.0, 100.0]), 0.0);
        assert!((spread(&[99.0, 101.0]) - 0.02).abs() < 1e-12);
        assert_eq!(spread(&[5.0]), 0.0);
    }

    #[test]
    fn figures_from_samples() {
        let mut s = Samples::default();
        for (pair, cancel) in [(300.0, 100.0), (320.0, 110.0), (310.0, 90.0)] {
            s.push("rust", "ioctl_set_cancel_ns", pair);
            s.push("rust", "ioctl_cancel_ns", cancel);
        }
        let set = figure(
            &s,
            "rust",
            Figure::RoundsDifference("ioctl_set_cancel_ns", "ioctl_cancel_ns"),
            0.0,
        );
        assert_eq!(set, 210.0);
        s.push("rust", "timer_lateness_ns", 4_000_500.0);
        let late = figure(
            &s,
            "rust",
            Figure::Samples("timer_lateness_ns", 1.0),
            4_000_000.0,
        );
        assert_eq!(late, 500.0);
    }

    /// Two runs of every path's metric, 10 % more for Rust: the rendered table and CSV rows.
    #[test]
    fn table_and_csv_rows() {
        let metrics = [
            "ioctl_cancel_ns",
            "ioctl_set_cancel_ns",
            "timer_lateness_ns",
            "work_handoff_ns",
            "kthread_wakeup_ns",
            "device_load_cpu_us",
            "device_unload_cpu_us",
            "periodic_timer_load_cpu_us",
            "periodic_timer_unload_cpu_us",
            "kthread_load_cpu_us",
            "kthread_unload_cpu_us",
        ];
        let runs: Vec<(Samples, f64)> = (1..=2)
            .map(|run| {
                let mut s = Samples::default();
                for (i, metric) in (1..).zip(metrics) {
                    for (language, scale) in [("rust", 11.0), ("c", 10.0)] {
                        for round in 0..3 {
                            let value = f64::from(100 * i + 3 * round + run);
                            s.push(language, metric, scale * value);
                        }
                    }
                }
                (s, 40.0)
            })
            .collect();
        let paths = paths(&runs);
        let mut s = String::new();
        markdown(&mut s, &paths, &known_loops(&runs), &[300.0, 301.0]);
        csv(&mut s, &paths);
        assert_eq!(s, TABLE_AND_CSV_ROWS);
    }

    /// What `table_and_csv_rows` renders.
    const TABLE_AND_CSV_ROWS: &str = r#"Check: a loop of `dec; jnz` (2 instructions per iteration) timed with `clock_gettime` in the guest, median of 5 repeats less the clock reads alone (300 / 301 ns, run 1 / run 2):

| iterations | expected ns per iteration | measured, run 1 / run 2 |
|---:|---:|---:|

| path | figure | Rust, run 1 / run 2 | C, run 1 / run 2 | Rust/C | Rust − C | run-to-run spread |
|---|---|---:|---:|---:|---:|---:|
| ioctl CANCEL | per call, mean of `--ioctls` calls; median of rounds | 1144 / 1155 | 1040 / 1050 | 1.100 | +104 | 0.96 % |
| ioctl SET | per call: SET+CANCEL pair − CANCEL; median of rounds | 1100 / 1100 | 1000 / 1000 | 1.100 | +100 | 0.00 % |
| ioctl SET + CANCEL pair | per pair, mean of `--ioctls` pairs; median of rounds | 2244 / 2255 | 2040 / 2050 | 1.100 | +204 | 0.49 % |
| timer expiry → handler | timer lateness − 1 tick, median of samples | 3304 / 3315 | 3000 / 3010 | 1.101 | +304 | 0.33 % |
| timer → work handoff | median of samples | 4444 / 4455 | 4040 / 4050 | 1.100 | +404 | 0.25 % |
| kthread wake-up | median of samples | 5544 / 5555 | 5040 / 5050 | 1.100 | +504 | 0.20 % |
| load `/dev/deferred` module | `finit_module`, the loader's CPU time; median of rounds | 6644000 / 6655000 | 6040000 / 6050000 | 1.100 | +604500 | 0.17 % |
| unload `/dev/deferred` module | `delete_module`, the unloader's CPU time; median of rounds | 7744000 / 7755000 | 7040000 / 7050000 | 1.100 | +704500 | 0.14 % |
| load periodic timer module | `finit_module`, the loader's CPU time; median of rounds | 8844000 / 8855000 | 8040000 / 8050000 | 1.100 | +804500 | 0.12 % |
| unload periodic timer module | `delete_module`, the unloader's CPU time; median of rounds | 9944000 / 9955000 | 9040000 / 9050000 | 1.100 | +904500 | 0.11 % |
| load kthread module | `finit_module`, the loader's CPU time; median of rounds | 11044000 / 11055000 | 10040000 / 10050000 | 1.100 | +1004500 | 0.10 % |
| unload kthread module | `delete_module`, the unloader's CPU time; median of rounds | 12144000 / 12155000 | 11040000 / 11050000 | 1.100 | +1104500 | 0.09 % |
instructions,"ioctl CANCEL","per call, mean of `--ioctls` calls; median of rounds",instructions,1150,1045,1.1000,0.0096,1144;1155,1040;1050,"",
instructions,"ioctl SET","per call: SET+CANCEL pair − CANCEL; median of rounds",instructions,1100,1000,1.1000,0.0000,1100;1100,1000;1000,"",
instructions,"ioctl SET + CANCEL pair","per pair, mean of `--ioctls` pairs; median of rounds",instructions,2250,2045,1.1000,0.0049,2244;2255,2040;2050,"",
instructions,"timer expiry → handler","timer lateness − 1 tick, median of samples",instructions,3310,3005,1.1013,0.0033,3304;3315,3000;3010,"",
instructions,"timer → work handoff","median of samples",instructions,4450,4045,1.1000,0.0025,4444;4455,4040;4050,"",
instructions,"kthread wake-up","median of samples",instructions,5550,5045,1.1000,0.0020,5544;5555,5040;5050,"",
instructions,"load `/dev/deferred` module","`finit_module`, the loader's CPU time; median of rounds",instructions,6649500,6045000,1.1000,0.0017,6644000;6655000,6040000;6050000,"",
instructions,"unload `/dev/deferred` module","`delete_module`, the unloader's CPU time; median of rounds",instructions,7749500,7045000,1.1000,0.0014,7744000;7755000,7040000;7050000,"",
instructions,"load periodic timer module","`finit_module`, the loader's CPU time; median of rounds",instructions,8849500,8045000,1.1000,0.0012,8844000;8855000,8040000;8050000,"",
instructions,"unload periodic timer module","`delete_module`, the unloader's CPU time; median of rounds",instructions,9949500,9045000,1.1000,0.0011,9944000;9955000,9040000;9050000,"",
instructions,"load kthread module","`finit_module`, the loader's CPU time; median of rounds",instructions,11049500,10045000,1.1000,0.0010,11044000;11055000,10040000;10050000,"",
instructions,"unload kthread module","`delete_module`, the unloader's CPU time; median of rounds",instructions,12149500,11045000,1.1000,0.0009,12144000;12155000,11040000;11050000,"",
"#;
}
