//! `dw-bench-report [--wall RAW] [--instructions RAW]... KO_DIR OUT_DIR`: the host half of
//! `make bench`.
//!
//! Reads the guest's CSV rows (`language,metric,round,value`, and `meta,key,value`; see
//! `user/src/bin/dw_bench.rs`): one wall-clock run (`--wall`) and any number of instruction-mode
//! runs (`--instructions`, one guest boot each), adds the `.ko` sizes of the twins in KO_DIR
//! (`size`), and writes to OUT_DIR: `results.md` (also printed), `results.csv` and, from the
//! wall-clock run, `latency.png` (the distributions).

mod instructions;
mod origins;
mod plot;
mod stats;

use dw_lab::{C, RUST};
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

/// Per-round figures, reported as the median over rounds: (metric, what it is, unit); the module
/// loads and unloads (`loads`, in µs) follow them.
const PER_ROUND: [(&str, &str, &str); 2] = [
    ("ioctl_cancel_ns", "ioctl round trip, CANCEL", "ns"),
    ("ioctl_set_cancel_ns", "ioctl SET + CANCEL pair", "ns"),
];

/// The modules `dw-bench` loads and unloads each round: (its metrics' stem, what it is).
const LOADED: [(&str, &str); 3] = [
    ("device", "`/dev/deferred` module"),
    ("periodic_timer", "periodic timer module"),
    ("kthread", "kthread module"),
];

/// Each load and unload of `LOADED`, in table order: (metric stem, such as `device_load`; what it
/// is, such as "load `/dev/deferred` module"; the kernel code whose CPU time it is).
fn loads() -> impl Iterator<Item = (String, String, &'static str)> {
    const ACTIONS: [(&str, &str); 2] = [
        ("load", "`finit_module`, the loader's"),
        ("unload", "`delete_module`, the unloader's"),
    ];
    LOADED.into_iter().flat_map(|(stem, module)| {
        ACTIONS.map(|(action, timed)| {
            let what = format!("{action} {module}");
            (format!("{stem}_{action}"), what, timed)
        })
    })
}

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

/// The command line.
#[derive(Default)]
struct Args {
    wall: Option<String>,
    instructions: Vec<String>,
    ko_dir: String,
    out_dir: String,
    /// The same modules built with `-Coverflow-checks=n`, for the figure only.
    ko_without_overflow_checks: Option<String>,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Option<Args> {
    let mut parsed = Args::default();
    let mut positional = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--wall" => parsed.wall = Some(args.next()?),
            "--instructions" => parsed.instructions.push(args.next()?),
            "--without-overflow-checks" => parsed.ko_without_overflow_checks = Some(args.next()?),
            _ => positional.push(arg),
        }
    }
    let [ko_dir, out_dir] = <[String; 2]>::try_from(positional).ok()?;
    (parsed.wall.is_some() || !parsed.instructions.is_empty()).then_some(Args {
        ko_dir,
        out_dir,
        ..parsed
    })
}

/// A run's rows: its `meta` keys and its samples.
fn read_run(path: &str) -> (BTreeMap<String, String>, Samples) {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse(&text)
}

fn main() {
    let args = parse_args(std::env::args().skip(1)).unwrap_or_else(|| {
        eprintln!(
            "usage: dw-bench-report [--wall RAW] [--instructions RAW]... \
             [--without-overflow-checks KO_DIR] KO_DIR OUT_DIR"
        );
        std::process::exit(2)
    });
    let out = Path::new(&args.out_dir);
    fs::create_dir_all(out).expect("the output directory");
    let wall = args.wall.as_deref().map(|raw| {
        let (meta, samples) = read_run(raw);
        let mut rows = Vec::new();
        per_round_rows(&samples, &mut rows);
        latency_rows(&samples, &mut rows);
        plot::latencies(&samples, &LATENCIES, &out.join("latency.png"));
        (meta, rows)
    });
    let runs: Vec<(BTreeMap<String, String>, Samples)> =
        args.instructions.iter().map(|r| read_run(r)).collect();
    let mut size_rows = Vec::new();
    let sizes = ko_sizes(Path::new(&args.ko_dir), &mut size_rows);

    let mut markdown = markdown(wall.as_ref(), &runs, &size_rows, &sizes);
    markdown.push('\n');
    markdown.push_str(&origin_tables(
        Path::new(&args.ko_dir),
        args.ko_without_overflow_checks.as_deref().map(Path::new),
    ));
    fs::write(out.join("results.md"), &markdown).expect("results.md");
    let paths = instruction_paths(&runs);
    fs::write(
        out.join("results.csv"),
        csv(wall.as_ref().map(|(_, r)| r.as_slice()), &paths, &size_rows),
    )
    .expect("results.csv");
    print!("{markdown}");
}

/// The instruction table's paths from the runs (each with its tick: 10⁹ / HZ ns).
fn instruction_paths(runs: &[(BTreeMap<String, String>, Samples)]) -> Vec<instructions::Path> {
    if runs.is_empty() {
        return Vec::new();
    }
    instructions::paths(&with_ticks(runs))
}

fn with_ticks(runs: &[(BTreeMap<String, String>, Samples)]) -> Vec<(Samples, f64)> {
    runs.iter()
        .map(|(meta, samples)| {
            let hz: f64 = meta
                .get("hz")
                .and_then(|h| h.parse().ok())
                .unwrap_or(f64::NAN);
            (samples.clone(), (1e9 / hz).round())
        })
        .collect()
}

/// Splits the guest's rows into `meta` keys and samples by (language, metric).
fn parse(text: &str) -> (BTreeMap<String, String>, Samples) {
    let mut meta = BTreeMap::new();
    let mut samples = Samples::default();
    for line in text.lines() {
        // A meta value may hold commas (`-icount shift=0,sleep=off`).
        if let Some((key, value)) = line.strip_prefix("meta,").and_then(|r| r.split_once(',')) {
            meta.insert(key.to_string(), value.to_string());
            continue;
        }
        let fields: Vec<&str> = line.splitn(4, ',').collect();
        if let [language, metric, _round, value] = fields.as_slice() {
            if let Ok(v) = value.parse() {
                samples.push(language, metric, v);
            }
        }
    }
    (meta, samples)
}

fn per_round_rows(samples: &Samples, rows: &mut Vec<Row>) {
    let ioctls = PER_ROUND.map(|(metric, what, unit)| (metric.to_owned(), what.to_owned(), unit));
    let loads = loads().map(|(stem, what, _)| (format!("{stem}_us"), what, "µs"));
    for (metric, what, unit) in ioctls.into_iter().chain(loads) {
        let median = |language| percentile(samples.get(language, &metric), 50.0);
        let (rust, c) = (median(RUST.name), median(C.name));
        let target = metric
            .starts_with("ioctl")
            .then(|| (format!("Rust/C ≤ {MAX_RATIO}"), rust <= c * MAX_RATIO));
        rows.push(Row {
            metric: what,
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

/// A run's setting, for the report's list: `meta` key `key` of every run, once if they agree.
fn meta_of(runs: &[&BTreeMap<String, String>], key: &str) -> String {
    let values: Vec<&str> = runs
        .iter()
        .map(|m| m.get(key).map_or("?", String::as_str))
        .collect();
    if values.windows(2).all(|w| w[0] == w[1]) {
        values.first().copied().unwrap_or("?").to_owned()
    } else {
        values.join(" / ")
    }
}

/// What the runs were: command, host, guest, kernel, date.
fn describe(s: &mut String, runs: &[&BTreeMap<String, String>]) {
    let m = |key: &str| meta_of(runs, key);
    writeln!(s, "- Command: `{}`", m("command")).unwrap();
    writeln!(
        s,
        "- Host: {} ({} cores); guest: QEMU {} (`-cpu {}`, reported as \"{}\"), {} vCPUs; \
         guest clock: {} (clocksource `{}`)",
        m("host_cpu"),
        m("host_cores"),
        m("accel"),
        m("qemu_cpu"),
        m("cpu"),
        m("vcpus"),
        m("clock"),
        m("clocksource"),
    )
    .unwrap();
    let hz = m("hz");
    writeln!(
        s,
        "- Guest kernel: {} (config: {}), HZ = {hz} (1 jiffy = {} µs)",
        m("kernel"),
        m("kernel_config"),
        hz.parse::<f64>()
            .map_or("?".into(), |hz| format!("{:.0}", 1e6 / hz))
    )
    .unwrap();
    writeln!(
        s,
        "- Its debug options (from its `.config`; `n`: not set): `{}`",
        m("kernel_debug")
    )
    .unwrap();
    writeln!(s, "- {} rounds, Rust and C alternating; per round and language: {} ioctls of each kind, {} samples of each latency", m("rounds"), m("ioctls"), m("samples")).unwrap();
    writeln!(
        s,
        "- Date: {}; guest wall time: {} s\n",
        m("date"),
        m("wall_s")
    )
    .unwrap();
}

fn markdown(
    wall: Option<&(BTreeMap<String, String>, Vec<Row>)>,
    runs: &[(BTreeMap<String, String>, Samples)],
    size_rows: &[Row],
    sizes: &str,
) -> String {
    let mut s = String::new();
    writeln!(s, "# Benchmark: the Rust modules next to their C twins\n").unwrap();
    if !runs.is_empty() {
        writeln!(
            s,
            "## Instruction counts (mode: instructions, {} guest boots under `-icount shift=0,sleep=off`)\n",
            runs.len()
        )
        .unwrap();
        let metas: Vec<&BTreeMap<String, String>> = runs.iter().map(|(m, _)| m).collect();
        describe(&mut s, &metas);
        let with_ticks = with_ticks(runs);
        let empty: Vec<f64> = with_ticks
            .iter()
            .map(|(samples, _)| stats::percentile(samples.get("loop", "iterations_0_ns"), 50.0))
            .collect();
        instructions::markdown(
            &mut s,
            &instructions::paths(&with_ticks),
            &instructions::known_loops(&with_ticks),
            &empty,
        );
        writeln!(s).unwrap();
    }
    if let Some((meta, rows)) = wall {
        writeln!(
            s,
            "## Wall clock (mode: wall, one guest boot, the host's clock)\n"
        )
        .unwrap();
        describe(&mut s, &[meta]);
        table(&mut s, rows);
        writeln!(s, "\n![latency distributions](latency.png)\n").unwrap();
    }
    writeln!(s, "## Module sizes\n").unwrap();
    table(&mut s, size_rows);
    writeln!(s, "\n`size` of the modules:\n\n```\n{}```", sizes).unwrap();
    s
}

/// Each twin pair's text by origin (`origins`), in Markdown: `size`'s text is the read-only
/// sections, code and data.
fn origin_tables(ko_dir: &Path, without_overflow_checks: Option<&Path>) -> String {
    let mut s = String::new();
    writeln!(
        s,
        "## Module text by origin\n\n`size`'s text is every allocated read-only section: code and \
         read-only data. The code is split by the origin of each function (symbol sizes and \
         demangled names from `llvm-readelf -s`; C's code is all its own).\n"
    )
    .unwrap();
    for (rust, c) in TWINS {
        let ko = |m: &str| ko_dir.join(format!("{m}.ko"));
        let (r, cc) = (
            origins::breakdown(&ko(rust), true),
            origins::breakdown(&ko(c), false),
        );
        writeln!(s, "### `{rust}.ko` / `{c}.ko`\n").unwrap();
        writeln!(s, "| part | Rust bytes | C bytes |").unwrap();
        writeln!(s, "|---|---:|---:|").unwrap();
        let mut sections: Vec<&String> = r
            .read_only
            .iter()
            .chain(&cc.read_only)
            .map(|(n, _)| n)
            .collect();
        sections.sort();
        sections.dedup();
        let bytes = |list: &[(String, u64)], name: &str| {
            list.iter().find(|(n, _)| n == name).map_or(0, |(_, b)| *b)
        };
        let (mut rt, mut ct) = (0, 0);
        for name in sections {
            let (rb, cb) = (bytes(&r.read_only, name), bytes(&cc.read_only, name));
            (rt, ct) = (rt + rb, ct + cb);
            writeln!(s, "| data: `{name}` | {rb} | {cb} |").unwrap();
        }
        for (i, what) in origins::ORIGINS.iter().enumerate() {
            let (rb, cb) = (r.code[i], cc.code[i]);
            if rb == 0 && cb == 0 {
                continue;
            }
            (rt, ct) = (rt + rb, ct + cb);
            let largest: Vec<String> = r.functions[i]
                .iter()
                .take(3)
                .map(|(n, b)| format!("`{}` {b}", short(n)))
                .collect();
            let largest = if largest.is_empty() {
                String::new()
            } else {
                format!(" (largest: {})", largest.join(", "))
            };
            writeln!(s, "| code: {what}{largest} | {rb} | {cb} |").unwrap();
        }
        writeln!(
            s,
            "| of the code: calls to a panic (overflow, bounds, `unwrap`), ~12 bytes each | {} calls | {} calls |",
            r.panic_sites, cc.panic_sites
        )
        .unwrap();
        writeln!(s, "| **total** (`size` text) | **{rt}** | **{ct}** |").unwrap();
        if let Some(dir) = without_overflow_checks {
            let total = |m: &str| origins::breakdown(&dir.join(format!("{m}.ko")), false).total();
            writeln!(
                s,
                "| total, Rust built with `-Coverflow-checks=n` (for this figure only) | {} | {} |",
                total(rust),
                total(c)
            )
            .unwrap();
        }
        s.push('\n');
    }
    s
}

/// A demangled name without its generic arguments' paths, for the tables.
fn short(name: &str) -> String {
    let name = name.replace("kernel::", "").replace("core::", "");
    if name.len() > 90 {
        format!(
            "{}…",
            &name[..name.char_indices().nth(89).map_or(name.len(), |(i, _)| i)]
        )
    } else {
        name
    }
}

/// `rows` as a Markdown table.
fn table(s: &mut String, rows: &[Row]) {
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
}

/// One CSV: the instruction rows (`mode` = instructions, with each run's figures), the
/// wall-clock rows (wall) and the sizes (size).
fn csv(wall: Option<&[Row]>, paths: &[instructions::Path], size_rows: &[Row]) -> String {
    let mut s = String::from(
        "mode,metric,statistic,unit,rust,c,ratio,spread,rust_runs,c_runs,target,met\n",
    );
    instructions::csv(&mut s, paths);
    let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    let rows = |s: &mut String, mode: &str, rows: &[Row]| {
        for r in rows {
            let (target, met) = r
                .target
                .as_ref()
                .map_or((String::new(), String::new()), |(t, m)| {
                    (t.clone(), m.to_string())
                });
            let ratio = r.ratio().map_or(String::new(), |x| format!("{x:.4}"));
            writeln!(
                s,
                "{mode},{},{},{},{},{},{ratio},,,,{},{met}",
                quote(&r.metric),
                r.statistic,
                r.unit,
                r.rust,
                r.c,
                quote(&target)
            )
            .unwrap();
        }
    };
    rows(&mut s, "wall", wall.unwrap_or_default());
    rows(&mut s, "size", size_rows);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split(' ').map(String::from).collect()
    }

    #[test]
    fn command_line() {
        let a = parse_args(args(
            "--wall w.csv --instructions 1.csv --instructions 2.csv ko out",
        ))
        .unwrap();
        assert_eq!(a.wall.as_deref(), Some("w.csv"));
        assert_eq!(a.instructions, ["1.csv", "2.csv"]);
        assert_eq!((a.ko_dir.as_str(), a.out_dir.as_str()), ("ko", "out"));
        assert_eq!(a.ko_without_overflow_checks, None);
        let a = parse_args(args(
            "--instructions 1.csv --without-overflow-checks ko-n ko out",
        ))
        .unwrap();
        assert_eq!(a.ko_without_overflow_checks.as_deref(), Some("ko-n"));
        assert_eq!(a.ko_dir, "ko");
        assert!(parse_args(args("ko out")).is_none(), "no run at all");
        assert!(
            parse_args(args("--wall w.csv ko")).is_none(),
            "no output directory"
        );
    }

    /// Three rounds of every per-round metric, Rust 1 % slower: the wall table's rows and CSV.
    #[test]
    fn per_round_table_and_csv() {
        let metrics = [
            "ioctl_cancel_ns",
            "ioctl_set_cancel_ns",
            "device_load_us",
            "device_unload_us",
            "periodic_timer_load_us",
            "periodic_timer_unload_us",
            "kthread_load_us",
            "kthread_unload_us",
        ];
        let mut samples = Samples::default();
        for (i, metric) in (1..).zip(metrics) {
            for (language, scale) in [("rust", 1.01), ("c", 1.0)] {
                for round in 0..3 {
                    samples.push(language, metric, scale * f64::from(100 * i + round));
                }
            }
        }
        let mut rows = Vec::new();
        per_round_rows(&samples, &mut rows);
        let mut s = String::new();
        table(&mut s, &rows);
        s.push_str(&csv(Some(&rows), &[], &[]));
        assert_eq!(s, PER_ROUND_TABLE_AND_CSV);
    }

    /// What `per_round_table_and_csv` renders.
    const PER_ROUND_TABLE_AND_CSV: &str = r#"| metric | statistic | unit | Rust | C | Rust/C | target |
|---|---|---|---:|---:|---:|---|
| ioctl round trip, CANCEL | median of rounds | ns | 102 | 101 | 1.010 | Rust/C ≤ 1.02: met |
| ioctl SET + CANCEL pair | median of rounds | ns | 203 | 201 | 1.010 | Rust/C ≤ 1.02: met |
| load `/dev/deferred` module | median of rounds | µs | 304.0 | 301.0 | 1.010 |  |
| unload `/dev/deferred` module | median of rounds | µs | 405.0 | 401.0 | 1.010 |  |
| load periodic timer module | median of rounds | µs | 506.0 | 501.0 | 1.010 |  |
| unload periodic timer module | median of rounds | µs | 607.0 | 601.0 | 1.010 |  |
| load kthread module | median of rounds | µs | 708.0 | 701.0 | 1.010 |  |
| unload kthread module | median of rounds | µs | 809.0 | 801.0 | 1.010 |  |
mode,metric,statistic,unit,rust,c,ratio,spread,rust_runs,c_runs,target,met
wall,"ioctl round trip, CANCEL",median of rounds,ns,102.01,101,1.0100,,,,"Rust/C ≤ 1.02",true
wall,"ioctl SET + CANCEL pair",median of rounds,ns,203.01,201,1.0100,,,,"Rust/C ≤ 1.02",true
wall,"load `/dev/deferred` module",median of rounds,µs,304.01,301,1.0100,,,,"",
wall,"unload `/dev/deferred` module",median of rounds,µs,405.01,401,1.0100,,,,"",
wall,"load periodic timer module",median of rounds,µs,506.01,501,1.0100,,,,"",
wall,"unload periodic timer module",median of rounds,µs,607.01,601,1.0100,,,,"",
wall,"load kthread module",median of rounds,µs,708.01,701,1.0100,,,,"",
wall,"unload kthread module",median of rounds,µs,809.01,801,1.0100,,,,"",
"#;
}
