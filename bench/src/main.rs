//! `dw-bench-report RAW KO_DIR OUT_DIR`: the host half of `make bench`.
//!
//! Reads the guest's CSV rows (`language,metric,round,value`, and `meta,key,value`; see
//! `user/src/bin/dw_bench.rs`), adds the `.ko` sizes of the twins in KO_DIR (`size`), and writes
//! to OUT_DIR: `results.md` (also printed), `results.csv` and `latency.png` (the distributions).

mod plot;
mod stats;

use dw_twins::{C, RUST};
use stats::{percentile, Samples};
use std::{collections::BTreeMap, fmt::Write as _, fs, path::Path, process::Command};

/// The modules measured, Rust then C, as `size` reports them.
const TWINS: [(&str, &str); 4] = [
    (RUST.monitor, C.monitor),
    (RUST.periodic_timer, C.periodic_timer),
    (RUST.kthread, C.kthread),
    (RUST.bench, C.bench),
];

/// Per-sample metrics in ns, shown in µs: (metric, what it is).
const LATENCIES: [(&str, &str); 4] = [
    ("timer_lateness_ns", "timer lateness"),
    ("periodic_error_ns", "periodic timer error"),
    ("work_handoff_ns", "timer → work handoff"),
    ("kthread_wakeup_ns", "kthread wake-up"),
];

/// Per-sample metrics in jiffies: (metric, what it is).
const JIFFY_METRICS: [(&str, &str); 2] = [
    ("timer_lateness_jiffies", "timer lateness"),
    ("periodic_error_jiffies", "periodic timer error"),
];

/// Per-round figures, reported as the median over rounds: (metric, what it is, unit).
const PER_ROUND: [(&str, &str, &str); 8] = [
    ("ioctl_cancel_ns", "ioctl round trip, CANCEL", "ns"),
    ("ioctl_set_cancel_ns", "ioctl SET + CANCEL pair", "ns"),
    ("device_load_us", "load `/dev/deferred` module", "µs"),
    ("device_unload_us", "unload `/dev/deferred` module", "µs"),
    ("periodic_timer_load_us", "load periodic timer module", "µs"),
    (
        "periodic_timer_unload_us",
        "unload periodic timer module",
        "µs",
    ),
    ("kthread_load_us", "load kthread module", "µs"),
    ("kthread_unload_us", "unload kthread module", "µs"),
];

/// The issue's targets.
const MAX_RATIO: f64 = 1.02;
const MAX_TEXT_RATIO: f64 = 1.5;

/// One row of the table.
struct Row {
    metric: String,
    statistic: String,
    unit: &'static str,
    rust: f64,
    c: f64,
    /// The target and whether it is met, if the row has one.
    target: Option<(String, bool)>,
}

impl Row {
    fn ratio(&self) -> Option<f64> {
        (self.c != 0.0).then(|| self.rust / self.c)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [raw, ko_dir, out_dir] = args.as_slice() else {
        eprintln!("usage: dw-bench-report RAW KO_DIR OUT_DIR");
        std::process::exit(2)
    };
    let text = fs::read_to_string(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
    let (meta, samples) = parse(&text);
    let mut rows = Vec::new();
    per_round_rows(&samples, &mut rows);
    latency_rows(&samples, &mut rows);
    let sizes = ko_sizes(Path::new(ko_dir), &mut rows);

    let out = Path::new(out_dir);
    fs::create_dir_all(out).expect("the output directory");
    let markdown = markdown(&meta, &rows, &sizes);
    fs::write(out.join("results.md"), &markdown).expect("results.md");
    fs::write(out.join("results.csv"), csv(&rows)).expect("results.csv");
    plot::latencies(&samples, &LATENCIES, &out.join("latency.png"));
    print!("{markdown}");
}

/// Splits the guest's rows into `meta` keys and samples by (language, metric).
fn parse(text: &str) -> (BTreeMap<String, String>, Samples) {
    let mut meta = BTreeMap::new();
    let mut samples = Samples::default();
    for line in text.lines() {
        let fields: Vec<&str> = line.splitn(4, ',').collect();
        match fields.as_slice() {
            ["meta", key, value] => {
                meta.insert(key.to_string(), value.to_string());
            }
            [language, metric, _round, value] => {
                if let Ok(v) = value.parse() {
                    samples.push(language, metric, v);
                }
            }
            _ => {}
        }
    }
    (meta, samples)
}

fn per_round_rows(samples: &Samples, rows: &mut Vec<Row>) {
    for (metric, what, unit) in PER_ROUND {
        let median = |language| percentile(samples.get(language, metric), 50.0);
        let (rust, c) = (median(RUST.name), median(C.name));
        let target = metric
            .starts_with("ioctl")
            .then(|| (format!("Rust/C ≤ {MAX_RATIO}"), rust <= c * MAX_RATIO));
        rows.push(Row {
            metric: what.into(),
            statistic: "median of rounds".into(),
            unit,
            rust,
            c,
            target,
        });
    }
}

fn latency_rows(samples: &Samples, rows: &mut Vec<Row>) {
    const PERCENTILES: [(f64, &str); 4] =
        [(50.0, "p50"), (90.0, "p90"), (99.0, "p99"), (100.0, "max")];
    for (metric, what) in LATENCIES {
        for (p, name) in PERCENTILES {
            let at = |language| percentile(samples.get(language, metric), p) / 1000.0;
            let (rust, c) = (at(RUST.name), at(C.name));
            // Lateness can be negative (a timer fires early within its tick): compare magnitudes
            // only where the figures are latencies.
            let target = (p < 100.0 && c > 0.0)
                .then(|| (format!("Rust/C ≤ {MAX_RATIO}"), rust <= c * MAX_RATIO));
            rows.push(Row {
                metric: what.into(),
                statistic: name.into(),
                unit: "µs",
                rust,
                c,
                target,
            });
        }
    }
    for (metric, what) in JIFFY_METRICS {
        for (p, name) in PERCENTILES {
            let at = |language| percentile(samples.get(language, metric), p);
            let (rust, c) = (at(RUST.name), at(C.name));
            let limit = match name {
                "p50" => Some(1.0),
                "p99" => Some(2.0),
                _ => None,
            };
            let target = limit.map(|l| {
                (
                    format!("≤ {l} {}", if l == 1.0 { "jiffy" } else { "jiffies" }),
                    rust <= l && c <= l,
                )
            });
            rows.push(Row {
                metric: what.into(),
                statistic: name.into(),
                unit: "jiffies",
                rust,
                c,
                target,
            });
        }
    }
}

/// Adds the text/data/bss rows of each twin pair; returns `size`'s own output for the report.
fn ko_sizes(ko_dir: &Path, rows: &mut Vec<Row>) -> String {
    let files: Vec<String> = TWINS
        .iter()
        .flat_map(|(r, c)| [r, c])
        .map(|m| ko_dir.join(format!("{m}.ko")).display().to_string())
        .collect();
    let output = Command::new("size")
        .args(&files)
        .output()
        .expect("`size` (binutils)");
    assert!(
        output.status.success(),
        "size: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("size prints text");
    // Berkeley format: text data bss dec hex filename.
    let mut by_module = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if let [text, data, bss, _, _, file] = f.as_slice() {
            let name = Path::new(file)
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let n = |s: &str| s.parse::<f64>().unwrap_or(0.0);
            by_module.insert(name, [n(text), n(data), n(bss)]);
        }
    }
    for (rust, c) in TWINS {
        let (r, cc) = (by_module[rust], by_module[c]);
        for (i, section) in ["text", "data", "bss"].into_iter().enumerate() {
            let target = (section == "text").then(|| {
                (
                    format!("Rust/C ≤ {MAX_TEXT_RATIO}"),
                    r[i] <= cc[i] * MAX_TEXT_RATIO,
                )
            });
            rows.push(Row {
                metric: format!("`{rust}.ko` / `{c}.ko`"),
                statistic: section.into(),
                unit: "bytes",
                rust: r[i],
                c: cc[i],
                target,
            });
        }
    }
    text.replace(&format!("{}/", ko_dir.display()), "")
}

/// Whole numbers for bytes, jiffies and ns; one decimal for µs.
fn number(v: f64, unit: &str) -> String {
    match unit {
        "µs" => format!("{v:.1}"),
        _ => format!("{v:.0}"),
    }
}

fn markdown(meta: &BTreeMap<String, String>, rows: &[Row], sizes: &str) -> String {
    let m = |key: &str| meta.get(key).map_or("?", String::as_str);
    let mut s = String::new();
    writeln!(s, "# Benchmark: the Rust modules next to their C twins\n").unwrap();
    writeln!(s, "- Command: `{}`", m("command")).unwrap();
    writeln!(
        s,
        "- Host: {} ({} cores); guest: QEMU {} (`-cpu {}`, reported as \"{}\"), {} vCPUs",
        m("host_cpu"),
        m("host_cores"),
        m("accel"),
        m("qemu_cpu"),
        m("cpu"),
        m("vcpus")
    )
    .unwrap();
    writeln!(
        s,
        "- Guest kernel: {} (config: {}), HZ = {} (1 jiffy = {} µs)",
        m("kernel"),
        m("kernel_config"),
        m("hz"),
        meta.get("hz")
            .and_then(|h| h.parse::<f64>().ok())
            .map_or("?".into(), |hz| format!("{:.0}", 1e6 / hz))
    )
    .unwrap();
    writeln!(s, "- {} rounds, Rust and C alternating; per round and language: {} ioctls of each kind, {} samples of each latency", m("rounds"), m("ioctls"), m("samples")).unwrap();
    writeln!(s, "- Date: {}\n", m("date")).unwrap();
    writeln!(
        s,
        "| metric | statistic | unit | Rust | C | Rust/C | target |"
    )
    .unwrap();
    writeln!(s, "|---|---|---|---:|---:|---:|---|").unwrap();
    for r in rows {
        let ratio = r.ratio().map_or("—".into(), |x| format!("{x:.3}"));
        let target = r.target.as_ref().map_or(String::new(), |(t, met)| {
            format!("{t}: {}", if *met { "met" } else { "**missed**" })
        });
        writeln!(
            s,
            "| {} | {} | {} | {} | {} | {ratio} | {target} |",
            r.metric,
            r.statistic,
            r.unit,
            number(r.rust, r.unit),
            number(r.c, r.unit)
        )
        .unwrap();
    }
    writeln!(s, "\n`size` of the modules:\n\n```\n{}```\n", sizes).unwrap();
    writeln!(s, "![latency distributions](latency.png)").unwrap();
    s
}

fn csv(rows: &[Row]) -> String {
    let mut s = String::from("metric,statistic,unit,rust,c,ratio,target,met\n");
    for r in rows {
        let (target, met) = r
            .target
            .as_ref()
            .map_or((String::new(), String::new()), |(t, m)| {
                (t.clone(), m.to_string())
            });
        let ratio = r.ratio().map_or(String::new(), |x| format!("{x:.4}"));
        let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
        writeln!(
            s,
            "{},{},{},{},{},{ratio},{},{met}",
            quote(&r.metric),
            r.statistic,
            r.unit,
            r.rust,
            r.c,
            quote(&target)
        )
        .unwrap();
    }
    s
}
