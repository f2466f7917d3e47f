//! `dw-bench`: the guest half of `make bench`. Measures each Rust module next to its C twin,
//! alternating the two languages (Rust, C, Rust, C, ...) so that drift hits both alike, and
//! prints every measurement as a CSV row `language,metric,round,value` on standard output
//! (lines starting with `meta,` describe the guest). `bench/` turns them into the report.
//!
//! Each module is loaded and unloaded once before the first round, unmeasured. Per round and
//! language:
//! - the `/dev/deferred` module (`dw_procmon`, `dw_c_procmon`): load time, ns per CANCEL ioctl
//!   and per SET+CANCEL pair (averaged over `--ioctls` calls each), unload time;
//! - the periodic timer and kthread modules: load and unload time;
//! - for each load and unload also the CPU time dw-bench spent in it (`*_cpu_us`: without the
//!   time it slept);
//! - the bench module (`dw_bench`, `dw_c_bench`): its in-kernel samples (timer lateness,
//!   periodic timer error, timer-to-work handoff, kthread wake-up), read from `/dev/kmsg`.
//!
//! With `--instructions` (`make bench`'s instruction mode, a guest under QEMU's
//! `-icount shift=0,sleep=off`) the guest clock advances 1 ns per instruction executed, so every
//! figure above is an instruction count. It first checks that with a known loop (2 instructions
//! per iteration), printed as `loop` rows (`loop,iterations_<N>_ns,repeat,ns`), and takes
//! smaller defaults (the figures do not vary: fewer calls and samples suffice).
//!
//! With `--loads FILE.ko...` it measures only the module loader: the CPU time of loading and
//! unloading each file (`make bench ARGS='--mode loader'`).
//!
//! Usage: `dw-bench [--instructions] [--rounds N] [--ioctls N] [--samples N] [--loads FILE.ko...]`
//! in `/root`, where the modules are.

use deferred_test::{DEVICE_PATH, MY_IOCTL_TIMER_CANCEL, MY_IOCTL_TIMER_SET};
use dw_lab::LANGUAGES;
use nix::{
    kmod::{delete_module, finit_module, DeleteModuleFlags, ModuleInitFlags},
    sys::{
        resource::{getrusage, UsageWho},
        time::TimeVal,
    },
};
use rustix::{
    fs::{open, seek, Mode, OFlags, SeekFrom},
    io::{read, Errno},
    ioctl::{ioctl, IntegerSetter, NoArg},
};
use std::{
    ffi::CString,
    fs::{self, File},
    os::fd::{AsFd, OwnedFd},
    process::exit,
    time::{Duration, Instant},
};

/// How long `settle` sleeps after each unload (free in the instruction mode, where idle time is
/// skipped).
const SETTLE_MS: u64 = 50;

/// The SET argument of the SET+CANCEL pairs: far enough that the timer never fires.
const FAR_AHEAD_SECS: usize = 1000;

struct Options {
    instructions: bool,
    rounds: u32,
    ioctls: u32,
    samples: u32,
    /// `--loads`: only the loader's cost of these `.ko` files.
    loads: Vec<String>,
}

/// The known loop's lengths, in iterations (0: the clock reads alone), and repeats of each.
const LOOP_ITERATIONS: [u64; 3] = [0, 1_000_000, 10_000_000];
const LOOP_REPEATS: u32 = 5;

fn main() {
    let options = parse_options().unwrap_or_else(|| {
        eprintln!(
            "usage: dw-bench [--instructions] [--rounds N] [--ioctls N] [--samples N] \
             [--loads FILE.ko...]"
        );
        exit(2)
    });
    // Keep the kernel's messages off the serial console: printing them there would dominate
    // every figure (each ioctl logs a line). They still go to the log buffer, as in normal use.
    fs::write("/proc/sys/kernel/printk", "1")
        .unwrap_or_else(|e| fail("/proc/sys/kernel/printk", e));
    print_meta(&options);
    if options.instructions {
        known_loops();
    }
    if !options.loads.is_empty() {
        loader_costs(&options.loads, options.rounds);
        return;
    }
    // The boot's first module load runs about 120,000 fewer instructions than the later ones,
    // whichever module it is (docs/benchmark.md): load and unload each module once, unmeasured,
    // so that every round compares like with like.
    for language in LANGUAGES {
        for module in [language.monitor, language.periodic_timer, language.kthread] {
            load(module, "");
            unload(module);
            settle();
        }
    }
    for round in 0..options.rounds {
        for language in LANGUAGES {
            let row = |metric: &str, value: f64| {
                println!("{},{metric},{round},{value}", language.name);
            };
            let (elapsed, cpu) = timed_cpu(|| load(language.monitor, ""));
            row("device_load_us", elapsed);
            row("device_load_cpu_us", cpu);
            let device = open(DEVICE_PATH, OFlags::RDWR, Mode::empty())
                .unwrap_or_else(|e| fail(DEVICE_PATH, e));
            let (cancel, pair) = ioctl_round_trips(&device, options.ioctls);
            row("ioctl_cancel_ns", cancel);
            row("ioctl_set_cancel_ns", pair);
            drop(device);
            let (elapsed, cpu) = timed_cpu(|| unload(language.monitor));
            settle();
            row("device_unload_us", elapsed);
            row("device_unload_cpu_us", cpu);
            for (metric, module) in [
                ("periodic_timer", language.periodic_timer),
                ("kthread", language.kthread),
            ] {
                let (elapsed, cpu) = timed_cpu(|| load(module, ""));
                row(&format!("{metric}_load_us"), elapsed);
                row(&format!("{metric}_load_cpu_us"), cpu);
                let (elapsed, cpu) = timed_cpu(|| unload(module));
                settle();
                row(&format!("{metric}_unload_us"), elapsed);
                row(&format!("{metric}_unload_cpu_us"), cpu);
            }
            for (metric, values) in bench_samples(language.bench, options.samples) {
                values.iter().for_each(|&v| row(&metric, v as f64));
            }
        }
    }
}

fn parse_options() -> Option<Options> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let instructions = args.first().is_some_and(|a| a == "--instructions");
    // Counted instructions do not vary from call to call as wall-clock times do.
    let mut options = Options {
        instructions,
        rounds: 3,
        ioctls: if instructions { 20_000 } else { 1_000_000 },
        samples: if instructions { 200 } else { 1000 },
        loads: Vec::new(),
    };
    let mut args = args.iter().skip(usize::from(instructions));
    while let Some(option) = args.next() {
        if option == "--loads" {
            options.loads = args.cloned().collect();
            return (!options.loads.is_empty()).then_some(options);
        }
        let value = args.next()?.parse().ok()?;
        match option.as_str() {
            "--rounds" => options.rounds = value,
            "--ioctls" => options.ioctls = value,
            "--samples" => options.samples = value,
            _ => return None,
        }
    }
    Some(options)
}

/// What the report says about the run and the guest: options, kernel, CPU model, vCPUs.
fn print_meta(options: &Options) {
    println!(
        "meta,mode,{}",
        if options.instructions {
            "instructions"
        } else {
            "wall"
        }
    );
    println!("meta,rounds,{}", options.rounds);
    println!("meta,ioctls,{}", options.ioctls);
    println!("meta,samples,{}", options.samples);
    let osrelease = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')))
        .map_or("unknown", |(_, m)| m.trim());
    let vcpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("meta,kernel,{}", osrelease.trim());
    println!("meta,cpu,{model}");
    println!("meta,vcpus,{vcpus}");
    let clocksource =
        fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .unwrap_or_default();
    println!("meta,clocksource,{}", clocksource.trim());
}

/// The known loop: `iterations` times `dec; jnz`, 2 instructions per iteration (`iterations` > 0).
fn known_loop(iterations: u64) {
    // SAFETY: the loop only counts a register down to zero: it touches no memory and no stack,
    // and the register is declared clobbered.
    unsafe {
        std::arch::asm!(
            "2:",
            "dec {n}",
            "jnz 2b",
            n = inout(reg) iterations => _,
            options(nomem, nostack),
        );
    }
}

/// Times the known loop, `LOOP_REPEATS` times for each of `LOOP_ITERATIONS` (0: the two clock
/// reads alone), as `loop,iterations_<N>_ns,repeat,ns` rows. In the instruction mode each
/// iteration should take 2 ns: the check that the clock counts instructions.
fn known_loops() {
    for repeat in 0..LOOP_REPEATS {
        for n in LOOP_ITERATIONS {
            let (elapsed, ()) = timed(|| {
                if n > 0 {
                    known_loop(n)
                }
            });
            println!("loop,iterations_{n}_ns,{repeat},{}", elapsed.as_nanos());
        }
    }
}

/// `--loads`: for each `.ko` file, the CPU time of its load and unload, `rounds` times, after
/// one unmeasured load (the boot's first load costs less: docs/benchmark.md), as rows
/// `<file>,load_cpu_us|unload_cpu_us,round,µs`. The module's name is the file's up to its first
/// `.` (`dw_procmon.stripped.ko` is `dw_procmon`).
fn loader_costs(files: &[String], rounds: u32) {
    for (i, file) in files.iter().enumerate() {
        let module = file.split('.').next().unwrap_or(file);
        if i == 0 {
            load_file(file, "");
            unload(module);
            settle();
        }
        for round in 0..rounds {
            let (_, load_cpu) = timed_cpu(|| load_file(file, ""));
            let (_, unload_cpu) = timed_cpu(|| unload(module));
            settle();
            println!("{file},load_cpu_us,{round},{load_cpu}");
            println!("{file},unload_cpu_us,{round},{unload_cpu}");
        }
    }
}

/// Loads `<module>.ko` (from the current directory) with `params`.
fn load(module: &str, params: &str) {
    load_file(&format!("{module}.ko"), params);
}

fn load_file(path: &str, params: &str) {
    let file = File::open(path).unwrap_or_else(|e| fail(path, e));
    let params = CString::new(params).expect("no NUL in module parameters");
    finit_module(&file, &params, ModuleInitFlags::empty()).unwrap_or_else(|e| fail(path, e));
}

/// Sleeps a little after an unload, so that what the kernel defers from it runs before the next
/// load rather than in it, or not: the execmem cache's clean-up work frees the 2 MiB of module
/// memory left empty, and the next load fills a new 2 MiB with `int3` and makes it read-only
/// (~550,000 instructions, the same for both languages). Without the sleep that work runs only
/// if the scheduler gets to it between the two (docs/benchmark.md).
fn settle() {
    std::thread::sleep(Duration::from_millis(SETTLE_MS));
}

fn unload(module: &str) {
    let name = CString::new(module).expect("no NUL in module names");
    delete_module(&name, DeleteModuleFlags::O_NONBLOCK).unwrap_or_else(|e| fail(module, e));
}

/// Returns the mean ns per CANCEL, and per SET+CANCEL pair, over `calls` calls each.
fn ioctl_round_trips(device: &OwnedFd, calls: u32) -> (f64, f64) {
    let fd = device.as_fd();
    let cancel = || {
        // SAFETY: CANCEL takes no argument.
        unsafe { ioctl(fd, NoArg::<MY_IOCTL_TIMER_CANCEL>::new()) }
            .unwrap_or_else(|e| fail("CANCEL", e))
    };
    let set = || {
        // SAFETY: SET takes an integer by value; the driver reads no user memory.
        unsafe {
            ioctl(
                fd,
                IntegerSetter::<MY_IOCTL_TIMER_SET>::new_usize(FAR_AHEAD_SECS),
            )
        }
        .unwrap_or_else(|e| fail("SET", e))
    };
    let per_call = |d: Duration| d.as_nanos() as f64 / f64::from(calls);
    let (cancels, ()) = timed(|| (0..calls).for_each(|_| cancel()));
    let (pairs, ()) = timed(|| {
        (0..calls).for_each(|_| {
            set();
            cancel();
        })
    });
    (per_call(cancels), per_call(pairs))
}

/// Loads bench module `module` (which measures during its init), unloads it, and returns its
/// samples by metric, as it logged them: `start ...`, then `<metric> <value>...` lines, `done`.
fn bench_samples(module: &str, samples: u32) -> Vec<(String, Vec<i64>)> {
    let kmsg = open(
        "/dev/kmsg",
        OFlags::RDONLY | OFlags::NONBLOCK,
        Mode::empty(),
    )
    .unwrap_or_else(|e| fail("/dev/kmsg", e));
    seek(&kmsg, SeekFrom::End(0)).unwrap_or_else(|e| fail("/dev/kmsg", e));
    load(module, &format!("samples={samples}"));
    unload(module);
    settle();

    let prefix = format!("{module}: ");
    let mut metrics: Vec<(String, Vec<i64>)> = Vec::new();
    let mut done = false;
    let mut record = vec![0u8; 8192];
    loop {
        let n = match read(&kmsg, &mut record) {
            Ok(n) => n,
            Err(Errno::AGAIN) => break,
            Err(e) => fail("/dev/kmsg (records lost?)", e),
        };
        // A record is `priority,sequence,timestamp,flags;text\n` and maybe continuation lines.
        let record = String::from_utf8_lossy(&record[..n]);
        let Some(text) = record.split_once(';').and_then(|(_, t)| t.lines().next()) else {
            continue;
        };
        let Some(line) = text.strip_prefix(&prefix) else {
            continue;
        };
        let mut words = line.split(' ');
        match words.next() {
            // `start samples=N hz=HZ`
            Some("start") => words
                .filter_map(|w| w.split_once('='))
                .for_each(|(key, value)| println!("meta,{key},{value}")),
            Some("done") => done = true,
            Some(metric) => {
                let values = words.map(|v| v.parse().unwrap_or_else(|_| fail(line, Errno::INVAL)));
                match metrics.iter_mut().find(|(m, _)| m == metric) {
                    Some((_, all)) => all.extend(values),
                    None => metrics.push((metric.to_owned(), values.collect())),
                }
            }
            None => {}
        }
    }
    if !done {
        fail(&format!("{module} did not log `done`"), Errno::IO);
    }
    metrics
}

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let result = f();
    (start.elapsed(), result)
}

/// Runs `f`; returns the µs it took, and the µs of CPU time this process spent in it (user and
/// system: `getrusage`, whose sum the kernel keeps to the ns of its scheduler clock), which leaves
/// out the time the process slept (a module's unload waits for an RCU grace period, its load for
/// other threads) and what other threads did meanwhile.
fn timed_cpu(f: impl FnOnce()) -> (f64, f64) {
    let cpu = || {
        let usage = getrusage(UsageWho::RUSAGE_SELF).unwrap_or_else(|e| fail("getrusage", e));
        let us = |t: TimeVal| t.tv_sec() as f64 * 1e6 + t.tv_usec() as f64;
        us(usage.user_time()) + us(usage.system_time())
    };
    let before = cpu();
    let (elapsed, ()) = timed(f);
    (micros(elapsed), cpu() - before)
}

fn micros(d: Duration) -> f64 {
    d.as_nanos() as f64 / 1000.0
}

fn fail(what: &str, error: impl std::fmt::Display) -> ! {
    eprintln!("dw-bench: {what}: {error}");
    exit(1)
}
