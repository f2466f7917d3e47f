//! Host tests of the harness as a whole and of its shell scripts, with stand-ins for QEMU, make
//! and `qemu/boot.sh`, and crafted console and output files.

use crate::{
    check::Boot,
    result::CheckResult,
    run::{root, Harness},
    scenarios,
};
use std::{
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
};

/// A fresh temporary directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dw-tests-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn executable(path: &Path, text: &str) {
    fs::write(path, text).expect("write a stand-in");
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A harness whose `qemu/boot.sh` is a stand-in that copies `console` and `output` to where the
/// harness asks for them and exits with `status`.
fn stand_in_harness(dir: &Path, console: &[u8], output: &[u8], status: i32) -> Harness {
    fs::write(dir.join("replay.console"), console).unwrap();
    fs::write(dir.join("replay.output"), output).unwrap();
    let launcher = dir.join("boot.sh");
    executable(
        &launcher,
        &format!(
            "#!/bin/bash\nwhile (($#)); do case $1 in\n  \
             --console) cp {d}/replay.console \"$2\" ;;\n  --output) cp {d}/replay.output \"$2\" ;;\n\
             esac; shift 2; done\nexit {status}\n",
            d = dir.display()
        ),
    );
    Harness {
        root: root(),
        launcher,
        dir: dir.join("tests"),
        files: Vec::new(),
        restore: false,
        icount_shift: "0".into(),
    }
}

/// The atomic-sleep boot (lab task 4), as the harness runs it.
fn atomic_sleep_boot() -> Boot {
    let filter = "atomic".to_string();
    scenarios::selected(&[filter], scenarios::Intensity::TEST, None)
        .into_iter()
        .find(|b| b.name == "atomic sleep")
        .expect("the atomic sleep boot")
}

/// A console and output of a passing atomic-sleep boot, abridged from a real one
/// (`fixtures/atomic-sleep.console`), with `plant` inserted right after the expected report.
fn atomic_sleep_run(plant: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let real = include_bytes!("fixtures/atomic-sleep.console");
    let at = real
        .windows(b"BUG: scheduling while atomic".len())
        .position(|w| w == b"BUG: scheduling while atomic")
        .expect("the fixture has the report");
    let eol = at + real[at..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let console = [&real[..eol], plant, &real[eol..]].concat();
    let output = include_bytes!("fixtures/atomic-sleep.output").to_vec();
    (console, output)
}

fn failures(results: &[CheckResult]) -> Vec<String> {
    results
        .iter()
        .filter(|r| r.failed())
        .map(|r| format!("{}: {}", r.name, r.details()[0]))
        .collect()
}

#[test]
fn the_real_atomic_sleep_boot_passes() {
    let dir = scratch("replay-clean");
    let (console, output) = atomic_sleep_run(b"");
    let harness = stand_in_harness(&dir, &console, &output, 0);
    let results = harness.run_boot(&atomic_sleep_boot()).results;
    assert_eq!(failures(&results), Vec::<String>::new());
    assert_eq!(results.len(), 3);
}

/// End to end: a report planted beside the expected one fails the scenario, and a byte that is
/// not UTF-8 next to it leaves the rest of the console readable.
#[test]
fn a_planted_report_beside_the_expected_one_fails() {
    let planted = "[    9.000000] BUG: KASAN: slab-use-after-free in dw_planted";
    for (name, tail, shown) in [
        ("plant", &b"+0x1/0x2"[..], "+0x1/0x2"),
        ("byte", b" \xff", " \u{fffd}"),
    ] {
        let dir = scratch(&format!("replay-{name}"));
        let plant = [planted.as_bytes(), tail, b"\n"].concat();
        let (console, output) = atomic_sleep_run(&plant);
        let results = stand_in_harness(&dir, &console, &output, 0)
            .run_boot(&atomic_sleep_boot())
            .results;
        let failed = failures(&results);
        assert_eq!(failed.len(), 1, "{failed:#?}");
        let report = format!("kernel report: {}{shown}", &planted[15..]);
        assert!(failed[0].contains(&report), "{failed:#?}");
    }
}

/// A boot that stops before writing anything fails, with the launcher's status, and the
/// previous run's console and output are not read as its own.
#[test]
fn a_failed_boot_fails_and_old_files_are_not_reread() {
    let dir = scratch("stale");
    let boot = atomic_sleep_boot();
    let (console, output) = atomic_sleep_run(b"");
    // A previous, passing run left its files.
    let passing = stand_in_harness(&dir, &console, &output, 0);
    assert!(failures(&passing.run_boot(&boot).results).is_empty());
    // This one's launcher stops at once, writing nothing.
    let launcher = dir.join("dies.sh");
    executable(&launcher, "#!/bin/sh\nexit 125\n");
    let dying = Harness {
        launcher,
        ..passing
    };
    let failed = failures(&dying.run_boot(&boot).results);
    assert_eq!(failed.len(), 3, "{failed:#?}");
    assert!(failed[0].contains("qemu/boot.sh status 125"), "{failed:#?}");
    assert!(failed[1].contains("never started"), "{failed:#?}");
}

/// The benchmark's scan (`dw-tests --reports`) knows the kernel's own spelling.
#[test]
fn the_report_scan_finds_a_kernel_panic() {
    let dir = scratch("reports");
    let console = dir.join("console.log");
    fs::write(
        &console,
        "[    1.0] ok\n[    2.0] Kernel panic - not syncing: Fatal exception\n",
    )
    .unwrap();
    assert_eq!(crate::reports::print_in_file(&console), 1);
    fs::write(&console, "[    1.0] ok\n").unwrap();
    assert_eq!(crate::reports::print_in_file(&console), 0);
}

/// A module build that warned keeps failing the lint gate when the next build has
/// nothing to rebuild (and `make -s` prints nothing).
#[test]
fn module_warnings_survive_a_build_with_nothing_to_rebuild() {
    let dir = scratch("modules");
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    // Kbuild in miniature: `modules` rebuilds (and warns) only when m.ko is missing.
    executable(
        &bin.join("make"),
        "#!/bin/bash\nfor a; do [[ $a == M=* ]] && m=${a#M=}; done\ncase ${*: -1} in\n  \
         clean) rm -f \"$m/m.ko\" ;;\n  \
         modules) [[ -f $m/m.ko ]] || { echo 'warning: unused variable: `x`' >&2; touch \"$m/m.ko\"; } ;;\n\
         esac\n",
    );
    let log = dir.join("modules.log");
    let build = || {
        let status = Command::new(root().join("scripts/build-modules.sh"))
            .args([dir.join("kdir"), dir.clone(), log.clone()])
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run scripts/build-modules.sh");
        assert!(status.success());
        fs::read_to_string(&log).unwrap()
    };
    assert!(build().contains("warning"), "the first build warns");
    assert!(
        build().contains("warning"),
        "and so does the next, to the gate"
    );
}

/// A kernel pack (`make kernel-pack`) of another configuration or toolchain is refused with the
/// line that differs and leaves nothing in the cache; one of this clone's unpacks where the
/// kernel build would be, its `Makefile` and `source` pointing at its source.
#[test]
fn a_kernel_pack_unpacks_only_for_its_own_configuration() {
    let dir = scratch("kernel-pack");
    let cache = dir.join("cache");
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    // The toolchain's versions, from stand-ins.
    executable(
        &bin.join("rustc"),
        "#!/bin/sh\necho 'rustc 1.96.0 (stand-in)'\n",
    );
    executable(&bin.join("bindgen"), "#!/bin/sh\necho 'bindgen 0.72.1'\n");
    executable(
        &bin.join("clang-pack"),
        "#!/bin/sh\necho 'clang version 22 (stand-in)'\n",
    );
    let script = |command: &str| {
        Command::new("bash")
            .arg("-c")
            .arg(command)
            .current_dir(&dir)
            .env("DW_CACHE", &cache)
            .env("DW_RUSTC", bin.join("rustc"))
            .env("DW_BINDGEN", bin.join("bindgen"))
            .env("DW_LLVM", "-pack")
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .output()
            .expect("run bash")
    };
    let common = root().join("scripts/common.sh");
    let key = script(&format!("source {}; kernel_key 7.3.4", common.display()));
    let key = String::from_utf8(key.stdout).unwrap().trim().to_string();
    assert_eq!(key.len(), 12, "a key: {key:?}");
    // pack NAME SED: a pack whose manifest is this clone's, edited by SED.
    let pack = |name: &str, edit: &str| {
        let made = script(&format!(
            "set -e; mkdir -p {name}/build {name}/source; echo CONFIG_HZ=250 >{name}/build/.config\n\
             echo '# the source Makefile' >{name}/source/Makefile\n\
             {{ echo 'key {key}'; source {common}; kernel_key_inputs 7.3.4; }} | sed '{edit}' >{name}/dw-kernel-pack\n\
             tar -C {name} -c dw-kernel-pack build source | zstd -q -o {name}.tar.zst",
            common = common.display()
        ));
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        dir.join(format!("{name}.tar.zst"))
    };
    let unpack = root().join("scripts/kernel-unpack.sh");

    let other = pack("other", "s/^key .*/key 000000000000/; s/1\\.96\\.0/1.95.0/");
    let refused = script(&format!(
        "KERNEL_PACK={} {}",
        other.display(),
        unpack.display()
    ));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        said.contains("was built from another kernel configuration or toolchain")
            && said.contains("  the pack: rustc 1.95.0 (stand-in)\n")
            && said.contains("  here:     rustc 1.96.0 (stand-in)\n"),
        "{said}"
    );
    assert!(!cache
        .join("kbuild")
        .join(format!("linux-7.3.4-{key}"))
        .exists());

    let own = pack("own", "");
    let unpacked = script(&format!(
        "KERNEL_PACK={} {}",
        own.display(),
        unpack.display()
    ));
    assert!(
        unpacked.status.success(),
        "{}",
        String::from_utf8_lossy(&unpacked.stderr)
    );
    let kdir = cache.join("kbuild").join(format!("linux-7.3.4-{key}"));
    assert_eq!(
        String::from_utf8_lossy(&unpacked.stdout).trim(),
        kdir.display().to_string()
    );
    assert!(kdir.join(".dw-built").exists());
    assert_eq!(
        fs::read_to_string(kdir.join(".config")).unwrap(),
        "CONFIG_HZ=250\n"
    );
    assert_eq!(
        fs::read_to_string(kdir.join("source/Makefile")).unwrap(),
        "# the source Makefile\n"
    );
    let makefile = fs::read_to_string(kdir.join("Makefile")).unwrap();
    assert!(
        makefile.contains(&format!("include {}-source/Makefile", kdir.display())),
        "{makefile}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

/// `scripts/exec.sh ... > file` keeps the whole command output, then the kernel log
/// (`exec.sh` prints it after `qemu/boot.sh` returns, on the same descriptor).
#[test]
fn exec_output_redirected_to_a_file_is_kept_whole() {
    let dir = scratch("exec-file");
    let kdir = dir.join("kdir");
    fs::create_dir_all(kdir.join("usr")).unwrap();
    executable(&kdir.join("usr/gen_init_cpio"), "#!/bin/sh\necho cpio\n");
    let build = dir.join("build");
    fs::create_dir_all(&build).unwrap();
    std::os::unix::fs::symlink(&kdir, build.join("kdir")).unwrap();
    fs::write(build.join("initramfs.cpio.gz"), "").unwrap();
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    // QEMU in miniature: 3000 lines on the second serial port (`-chardev file,id=..,path=..`),
    // status 0 on the third.
    executable(
        &bin.join("qemu-system-x86_64"),
        "#!/bin/bash\nports=()\nwhile (($#)); do [[ $1 == -chardev ]] && ports+=(\"${2##*path=}\"); shift; done\n\
         echo '[    0.1] Linux' >\"${ports[0]}\"\n\
         for i in $(seq 3000); do echo \"line $i\"; done >\"${ports[1]}\"\necho 0 >\"${ports[2]}\"\n",
    );
    let script = dir.join("command.sh");
    executable(&script, "#!/bin/sh\ntrue\n");
    let out = dir.join("out.txt");
    let status = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} --exec {} && echo '---- kernel log'",
            root().join("qemu/boot.sh").display(),
            script.display()
        ))
        .env("DW_BUILD", &build)
        // The serial ports are under test, not the choice of KVM (which keeps a verdict).
        .env("DW_KVM", "0")
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .stdout(fs::File::create(&out).unwrap())
        .status()
        .expect("run qemu/boot.sh");
    assert!(status.success());
    let text = fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3001, "{}", &text[..200.min(text.len())]);
    assert_eq!(
        (lines[0], lines[2999], lines[3000]),
        ("line 1", "line 3000", "---- kernel log")
    );
}

/// Boots run side by side, each with its own files and report, and the launcher is
/// told the icount shift.
#[test]
fn parallel_boots_run_side_by_side_and_keep_their_output_apart() {
    let dir = scratch("parallel");
    let (console, output) = atomic_sleep_run(b"");
    let harness = stand_in_harness(&dir, &console, &output, 0);
    // Each launch records its DW_ICOUNT and takes a second, as if the guest ran.
    let launcher = dir.join("slow.sh");
    executable(
        &launcher,
        &format!(
            "#!/bin/bash\necho \"$DW_ICOUNT\" >> {d}/icount\nsleep 1\nexec {d}/boot.sh \"$@\"\n",
            d = dir.display()
        ),
    );
    let harness = Harness {
        launcher,
        ..harness
    };
    let boots: Vec<Boot> = ["first", "second"]
        .map(|name| Boot {
            name: name.into(),
            ..atomic_sleep_boot()
        })
        .into();
    let started = std::time::Instant::now();
    let per_boot = harness.run_boots(&boots, 2);
    let results: Vec<_> = per_boot.iter().flatten().cloned().collect();
    assert!(
        started.elapsed().as_secs_f64() < 1.9,
        "the two boots overlapped"
    );
    assert_eq!(failures(&results), Vec::<String>::new());
    for name in ["first", "second"] {
        let boot_line = format!("{name}: boots, runs to the end, without kernel reports");
        assert_eq!(results.iter().filter(|r| r.name == boot_line).count(), 1);
        let own = &per_boot[if name == "first" { 0 } else { 1 }];
        assert!(own.iter().any(|r| r.name == boot_line));
        assert!(dir.join(format!("tests/{name}.console")).exists());
    }
    assert_eq!(fs::read_to_string(dir.join("icount")).unwrap(), "0\n0\n");
    // A boot's report names only its own checks.
    let report = harness.run_boot(&boots[0]).report;
    assert!(report.starts_with("==> boot first: ") && !report.contains("second"));
    assert!(report.contains("QEMU start and kernel boot to the first scenario"));
}

/// With `DW_RESTORE=1` the launcher is asked to restore each boot but those marked fresh.
#[test]
fn restored_boots_but_the_fresh_ones() {
    let dir = scratch("restore");
    let (console, output) = atomic_sleep_run(b"");
    let launcher = dir.join("records.sh");
    executable(
        &launcher,
        &format!(
            "#!/bin/bash\necho \"$DW_RESTORE\" >> {d}/restore\nexec {d}/boot.sh \"$@\"\n",
            d = dir.display()
        ),
    );
    let boot = atomic_sleep_boot();
    assert!(boot.fresh, "the atomic sleep boot is booted");
    let other = Boot {
        name: "other".into(),
        fresh: false,
        ..boot.clone()
    };
    for restore in [false, true] {
        let harness = Harness {
            launcher: launcher.clone(),
            restore,
            ..stand_in_harness(&dir, &console, &output, 0)
        };
        harness.run_boots(&[boot.clone(), other.clone()], 1);
    }
    let recorded = fs::read_to_string(dir.join("restore")).unwrap();
    assert_eq!(recorded, "0\n0\n0\n1\n");
}

/// A stand-in for QEMU under `qemu/boot.sh --restore`: a guest to save prints /init's ready line
/// and writes a state on `migrate`; a restored one (`-incoming`) checks that state, loses the
/// first byte of its ttyS1 input (as a restore may), then does what /init does with the rest and
/// lists the files on ttyS1.
const RESTORE_QEMU: &str = r#"#!/bin/bash
[[ $1 == --version ]] && { echo "QEMU emulator version 0 (stand-in)"; exit 0; }
chardevs=() incoming="" monitor=""
while (($#)); do
    case $1 in
        -chardev) case $2 in file,*) chardevs+=("$2") ;; pipe,*) monitor=${2##*path=} ;; esac; shift 2 ;;
        -incoming) incoming=${2#file:}; shift 2 ;;
        *) shift ;;
    esac
done
path() { local c=${chardevs[$1]#*path=}; echo "${c%%,*}"; }
if [[ -n $monitor ]]; then
    echo "dw-init: ready for a payload on /dev/ttyS1" >>"$(path 0)"
    while read -r command arg; do
        case $command in migrate) echo saved >"${arg#file:}" ;; quit) exit 0 ;; esac
    done <"$monitor.in"
fi
[[ $(cat "$incoming") == saved ]] || exit 1
tail -c +2 "${chardevs[1]#*input-path=}" | {
    while IFS= read -r line; do [ "$line" = dw-payload ] && break; done
    read -r size epoch
    head -c "$size" | unxz | cpio -it 2>/dev/null
} >"$(path 1)"
echo restored >>"$(path 0)"
echo 0 >"$(path 2)"
"#;

/// `qemu/boot.sh --restore`: the first run saves a guest, the next ones restore it; each run's
/// script and files reach the restored guest, and its console starts with the saved boot's.
/// Needs the kernel tree (`build/kdir`) for its cpio tool; skipped without it.
#[test]
fn boot_sh_saves_a_guest_once_then_restores_it_with_each_run_s_files() {
    let kdir = root().join("build/kdir");
    if !kdir.join("usr/gen_init_cpio").exists() {
        eprintln!("skipped: no build/kdir");
        return;
    }
    let dir = scratch("restore-boot-sh");
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    executable(&bin.join("qemu-system-x86_64"), RESTORE_QEMU);
    let build = dir.join("build");
    fs::create_dir_all(&build).unwrap();
    std::os::unix::fs::symlink(&kdir, build.join("kdir")).unwrap();
    fs::write(build.join("initramfs.cpio.gz"), "base").unwrap();
    executable(&dir.join("script"), "#!/bin/sh\n");
    fs::write(dir.join("module.ko"), "module").unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    for run in ["first", "second"] {
        let console = dir.join(format!("{run}.console"));
        let out = Command::new(root().join("qemu/boot.sh"))
            .arg("--exec")
            .arg(dir.join("script"))
            .arg("--file")
            .arg(format!(
                "{}:/root/module.ko",
                dir.join("module.ko").display()
            ))
            .arg("--console")
            .arg(&console)
            .env("PATH", &path)
            .env("DW_BUILD", &build)
            .env("DW_ICOUNT", "0")
            .env("DW_RESTORE", "1")
            .env("DW_SNAPSHOTS", dir.join("snapshots"))
            .output()
            .expect("qemu/boot.sh");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(out.status.success(), "{run}: {stdout}{stderr}");
        let files: Vec<&str> = stdout.lines().collect();
        let expected = ["dw", "dw/exec", "root", "root/module.ko", "dw/seed"];
        assert_eq!(files, expected, "{run}");
        assert_eq!(
            stderr.contains("booting a guest to save it"),
            run == "first"
        );
        let console = fs::read_to_string(console).unwrap();
        assert!(console.starts_with("dw-init: ready") && console.ends_with("restored\n"));
    }
}
