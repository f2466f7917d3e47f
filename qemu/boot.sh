#!/usr/bin/env bash
# Boot the guest kernel with the project's initramfs (build it first: scripts/build.sh).
#
# Usage: qemu/boot.sh [options]
#   (no --exec)            interactive: busybox shell on the serial console (Ctrl-a x quits)
#   --exec FILE            run FILE (a script or program) as /dw/exec in the guest, then power off;
#                          its output goes to --output, the kernel console to --console
#   --file HOST:GUEST      also put HOST at GUEST in the guest (repeatable)
#   --append ARGS          extra kernel command line
#   --timeout SECONDS      kill QEMU after this long (non-interactive only; default 300)
#   --console FILE         kernel console log of a non-interactive run (default build/console.log)
#   --output FILE          the command's output (default: standard output)
#   --cpu-time FILE        write there, on exit, the CPU time QEMU and this script used (bash's
#                          `times`): unlike wall time, it hardly changes with the host's load
#   --restore              (or DW_RESTORE=1) start the guest from a saved one instead of booting
#                          it: on virtual time only; the first run of a kernel, initramfs and QEMU
#                          command line boots and saves it (build/snapshots, or DW_SNAPSHOTS)
# Environment: DW_KVM=1 forces KVM, DW_KVM=0 TCG; unset, KVM is used where /dev/kvm opens and
#   nothing asks for TCG (virtual time, a plugin), once a first boot under it has shown it works:
#   a guest that prints nothing within DW_KVM_WATCH seconds (10), or a QEMU that stops, makes
#   that boot start again under TCG, with one line saying why, and the verdict is kept in
#   $DW_CACHE/kvm-probe for this host, kernel and QEMU (DW_KVM_CPU: KVM's -cpu, host by
#   default). DW_SMP (2), DW_MEM (512M),
#   DW_ICOUNT=SHIFT runs the guest on virtual time (TCG only: `-icount shift=SHIFT,sleep=off`,
#   all vCPUs on one host thread; idle time is skipped, see the README). The tests set 0.
#   DW_PLUGIN=PLUGIN[,ARGS] loads a TCG plugin (`-plugin`: `make bench ARGS='--mode loader'`).
# Exit status: the command's, 124 on timeout, 125 if the guest ended without reporting one.
set -euo pipefail
source "$(dirname "$0")/../scripts/common.sh"

# DW_BUILD: where the kernel link, initramfs and logs are (scripts/bench.sh has its own).
build=${DW_BUILD:-$DW_ROOT/build}
exec_file="" files=() append="" timeout=300 console=$build/console.log output="" cpu_time=""
restore=${DW_RESTORE:-0}
while (($#)); do
    case $1 in
        --exec) exec_file=$2; shift 2 ;;
        --file) files+=("$2"); shift 2 ;;
        --append) append="$append $2"; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --console) console=$2; shift 2 ;;
        --output) output=$2; shift 2 ;;
        --cpu-time) cpu_time=$2; shift 2 ;;
        --restore) restore=1; shift ;;
        *) die "unknown option $1 (see the top of $0)" ;;
    esac
done
kdir=$(readlink -f "$build/kdir") || die "nothing built yet: run scripts/build.sh"
kernel=$kdir/arch/x86/boot/bzImage

# microvm: no PCI bus and a small ACPI table (poweroff still ends QEMU), which halves the debug
# kernel's boot next to `-M pc` (docs/running.md, "The guest machine").
# shellcheck disable=SC2054 # QEMU's option lists, not bash's
qemu_base=(qemu-system-x86_64 -machine microvm,acpi=on -m "${DW_MEM:-512M}" -smp "${DW_SMP:-2}"
    -kernel "$kernel" -no-reboot)

# The verdict on KVM for this host, kernel and QEMU: `ok`, `broken: WHY`, or nothing yet.
kvm_probe=${DW_KVM_PROBE:-$DW_CACHE/kvm-probe}
kvm_key() { echo "$(uname -r) -cpu ${DW_KVM_CPU:-host} $(qemu-system-x86_64 --version 2>/dev/null | head -1)"; }
kvm_verdict() { [[ -f $kvm_probe && $(head -1 "$kvm_probe") == "$(kvm_key)" ]] && sed -n 2p "$kvm_probe"; }
kvm_record() { mkdir -p "$(dirname "$kvm_probe")" && printf '%s\n%s\n' "$(kvm_key)" "$1" >"$kvm_probe"; }
# accel: kvm, kvm-watched (a first boot under KVM, watched) or tcg.
accel=tcg
case ${DW_KVM:-} in
    1) accel=kvm ;;
    0) ;;
    *)
        if [[ -z ${DW_ICOUNT:-} && -z ${DW_PLUGIN:-} && -r /dev/kvm && -w /dev/kvm ]]; then
            case $(kvm_verdict) in
                ok) accel=kvm ;;
                broken*) ;;
                *) accel=kvm-watched ;;
            esac
        fi
        ;;
esac
# use_accel tcg|kvm: the QEMU command line for that accelerator, in `qemu`.
use_accel() {
    qemu=("${qemu_base[@]}")
    if [[ $1 == kvm* ]]; then
        qemu+=(-accel kvm -cpu "${DW_KVM_CPU:-host}")
    else
        qemu+=(-accel tcg -cpu qemu64)
        [[ -n ${DW_ICOUNT:-} ]] && qemu+=(-icount "shift=$DW_ICOUNT,sleep=off")
        [[ -n ${DW_PLUGIN:-} ]] && qemu+=(-plugin "$DW_PLUGIN")
    fi
    return 0
}
# Interactive runs are not watched: KVM only once a watched boot has shown it works.
[[ -z $exec_file && $accel == kvm-watched ]] && accel=tcg
use_accel "$accel"
# No legacy BSD pseudo-terminals (/dev/ptyXX): registering the 512 nodes takes 2 s of the boot.
cmdline="console=ttyS0 panic=-1 pty.legacy_count=0"
# Where the kernel has them, SLUB's checks on every cache (consistency, red zones, poisoning).
# They also keep SLUB's per-CPU sheaves off, without which kmemleak misses leaked kmalloc
# objects: a sheaf keeps stale pointers to the objects it handed out (docs/checks.md, "Leaks").
if grep -qx 'CONFIG_SLUB_DEBUG=y' "$kdir/.config" 2>/dev/null; then
    cmdline="$cmdline slab_debug=FZP"
fi
# On the host's clock under TCG the kernel cannot calibrate the TSC: microvm has no HPET or ACPI
# PM timer, and each PIT read takes too long for the PIT calibration to accept. The guest's TSC
# is the host's: its rate, measured (qemu/host-tsc-khz.c), replaces the calibration. (Under
# -icount the TSC counts instructions and the PIT calibration succeeds. Under KVM the TSC is the
# host's too, and kvm-clock is there as well.)
if [[ -z ${DW_ICOUNT:-} ]]; then
    tsc_khz=$build/host-tsc-khz
    if [[ ! -x $tsc_khz || $tsc_khz -ot $DW_ROOT/qemu/host-tsc-khz.c ]]; then
        "clang$DW_LLVM" -O2 -o "$tsc_khz" "$DW_ROOT/qemu/host-tsc-khz.c"
    fi
    cmdline="$cmdline tsc_early_khz=$("$tsc_khz")"
fi
cmdline="$cmdline$append"

if [[ -z $exec_file ]]; then
    step "booting the guest (interactive; 'poweroff -f' or Ctrl-a x to quit)"
    exec "${qemu[@]}" -initrd "$build/initramfs.cpio.gz" -append "$cmdline" -nographic
fi

# Non-interactive: qemu/init runs the command (dw_exec), with its output on the second serial port
# and its exit status on the third (ttyS0 is the kernel console).
guest_exec=/dw/exec
cmdline="$cmdline dw_exec=$guest_exec dw_output=/dev/ttyS1 dw_status=/dev/ttyS2"
tmp=$(mktemp -d "$build/boot.XXXXXX")
# With --cpu-time, bash's `times` there: this shell's user and system time ("0m0.010s 0m0.002s"),
# then its waited-for children's (QEMU's).
trap 'rm -rf "$tmp"; [[ -z $cpu_time ]] || times >"$cpu_time"' EXIT
entries=("$exec_file:$guest_exec")
for f in "${files[@]}"; do entries+=("$f"); done
# The restore path needs the guest clock to be the guest's own (virtual time, under TCG): on the
# host's clock the command line carries the measured TSC rate, which differs from run to run.
[[ $restore == 0 ]] && restore=""
if [[ -n $restore && ( $accel != tcg || -z ${DW_ICOUNT:-} ) ]]; then
    step "restore: only on virtual time under TCG (DW_ICOUNT); booting instead"
    restore=""
fi
if [[ -n $restore ]]; then
    # The guest's /init waits for the run's files on ttyS1 (qemu/init), with a fresh random seed.
    cmdline="$cmdline dw_payload=/dev/ttyS1"
    head -c 64 /dev/urandom >"$tmp/seed"
    entries+=("$tmp/seed:/dw/seed")
fi
"$DW_ROOT/qemu/mkinitramfs.sh" "$kdir" "$tmp/extra.cpio.gz" "${entries[@]}"
initrd=$tmp/initramfs.cpio.gz
cat "$build/initramfs.cpio.gz" "$tmp/extra.cpio.gz" >"$initrd"

: >"$console"
: >"$tmp/output"
: >"$tmp/status"
status=0
# microvm wires one -serial option only: the three ports as ISA devices, ttyS0 to ttyS2.
# serial_ports CONSOLE OUTPUT STATUS [OPTIONS0 OPTIONS1]: their options, in `serial`.
serial_ports() {
    serial=()
    local port=0 path opts=("${@:4}")
    for path in "${@:1:3}"; do
        serial+=(-chardev "file,id=serial$port,path=$path${opts[port]:+,${opts[port]}}")
        serial+=(-device "isa-serial,chardev=serial$port,index=$port")
        port=$((port + 1))
    done
}
serial_ports "$console" "$tmp/output" "$tmp/status"
incoming=()

# The restore path. The saved guest is keyed by QEMU, its command line, the kernel and the base
# initramfs; it was saved at the point where /init waits for the run's files.
if [[ -n $restore ]]; then
    snapshots=${DW_SNAPSHOTS:-$build/snapshots}
    key=$({
        qemu-system-x86_64 --version | head -1
        printf '%s\n' "${qemu[@]}" "$cmdline"
        sha256sum <"$kernel"
        sha256sum <"$build/initramfs.cpio.gz"
    } | sha256sum | cut -c1-16)
    snapshot=$snapshots/$key
    mkdir -p "$snapshots"
    # One launcher saves a guest while the others with the same key wait.
    exec {lock}>"$snapshots/$key.lock"
    flock "$lock"
    if [[ ! -s $snapshot/state ]]; then
        step "restore: booting a guest to save it in $snapshot (once per kernel, initramfs, QEMU)"
        # Snapshots of an older kernel or initramfs are of no more use.
        for old in "$snapshots"/*/; do
            state=$old/state
            if [[ -e $state && ($state -ot $kernel || $state -ot $build/initramfs.cpio.gz) ]]; then
                rm -rf "$old"
            fi
        done
        save=$tmp/save
        mkdir "$save"
        mkfifo "$save/monitor.in" "$save/monitor.out"
        serial_ports "$save/console" "$save/ttyS1" "$save/ttyS2"
        timeout -k 5 "$timeout" "${qemu[@]}" -machine isa-serial=off -nodefaults \
            -initrd "$build/initramfs.cpio.gz" -append "$cmdline" -display none "${serial[@]}" \
            -chardev "pipe,id=monitor,path=$save/monitor" -mon chardev=monitor,mode=readline \
            -global migration.store-global-state=off \
            </dev/null >"$save/qemu.err" 2>&1 &
        save_pid=$!
        # Opened read-write: neither open waits for QEMU's.
        exec {to_monitor}<>"$save/monitor.in" {from_monitor}<>"$save/monitor.out"
        cat <&"$from_monitor" >"$save/monitor" &
        monitor_cat=$!
        # Virtual time runs on while the guest waits to be saved: look often once /init runs.
        pause=0.2
        until grep -q '^dw-init: ready for a payload' "$save/console" 2>/dev/null; do
            if ! kill -0 "$save_pid" 2>/dev/null; then
                kill "$monitor_cat"
                die "restore: the guest to save stopped before /init was ready:" \
                    "$(tail -3 "$save/qemu.err" "$save/console")"
            fi
            grep -q "Run /init" "$save/console" 2>/dev/null && pause=0.005
            sleep "$pause"
        done
        # HMP's migrate returns once the state is written: QEMU quits after it.
        printf 'stop\nmigrate file:%s\nquit\n' "$save/state" >&"$to_monitor"
        wait "$save_pid" || die "restore: QEMU did not save the guest: $(cat "$save/qemu.err")"
        kill "$monitor_cat"
        exec {to_monitor}>&- {from_monitor}>&-
        if [[ ! -s $save/state ]] || grep -q Error "$save/monitor"; then
            die "restore: QEMU did not save the guest: $(grep -a -m1 Error "$save/monitor")"
        fi
        mkdir -p "$snapshot"
        mv "$save/console" "$snapshot/console"
        mv "$save/state" "$snapshot/state"
    fi
    flock -u "$lock"
    # The console starts with the saved boot's, as a booted guest's does; the run's files arrive
    # on ttyS1 (leading bytes may be lost while QEMU loads the state: blank lines first).
    cp "$snapshot/console" "$console"
    # xz, not gzip: the files of a run (a class's or the mutants' modules) share most bytes.
    gunzip -c "$tmp/extra.cpio.gz" | xz -6 --check=crc32 >"$tmp/payload.xz"
    {
        printf '\n%.0s' {1..32}
        echo dw-payload
        echo "$(stat -c %s "$tmp/payload.xz") $(date +%s)"
        cat "$tmp/payload.xz"
    } >"$tmp/payload"
    serial_ports "$console" "$tmp/output" "$tmp/status" append=on "input-path=$tmp/payload"
    initrd=$build/initramfs.cpio.gz
    incoming=(-incoming "file:$snapshot/state")
fi
# boot: the guest, in the background (its `timeout` process is $qemu_pid), QEMU's errors in
# $tmp/qemu.err.
boot() {
    timeout -k 5 "$timeout" "${qemu[@]}" -machine isa-serial=off -nodefaults \
        -initrd "$initrd" -append "$cmdline" -display none "${serial[@]}" "${incoming[@]}" \
        </dev/null 2>"$tmp/qemu.err" &
    qemu_pid=$!
}
boot
if [[ $accel == kvm-watched ]]; then
    # The first boot under KVM: the guest must print within DW_KVM_WATCH seconds.
    watch=${DW_KVM_WATCH:-10} why=""
    for ((i = 0; i < watch * 10; i++)); do
        [[ -s $console ]] && break
        kill -0 "$qemu_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ ! -s $console ]]; then
        if kill -0 "$qemu_pid" 2>/dev/null; then
            why="the guest printed nothing in ${watch}s"
            kill "$qemu_pid" 2>/dev/null || true
        else
            why="QEMU stopped: $(grep -m1 . "$tmp/qemu.err" || echo 'no message')"
        fi
        { wait "$qemu_pid"; } 2>/dev/null || true
        kvm_record "broken: $why"
        step "KVM: $why; falling back to TCG (kept in $kvm_probe; DW_KVM=1 forces KVM)"
        use_accel tcg
        : >"$console"
        boot
    else
        kvm_record ok
    fi
fi
wait "$qemu_pid" || status=$?
grep . "$tmp/qemu.err" >&2 || true
# A saved guest that QEMU cannot load is of no use: the next run saves another.
if [[ -n $restore ]] && grep -q "load of migration failed" "$tmp/qemu.err"; then
    rm -rf "$snapshot"
fi
# Without --output, through the inherited descriptor: reopening /dev/stdout would truncate a file
# that it redirects to, and lose its offset.
if [[ -n $output ]]; then
    tr -d '\r' <"$tmp/output" >"$output"
else
    tr -d '\r' <"$tmp/output"
fi
if ((status == 124)); then
    echo "qemu/boot.sh: the guest did not finish within ${timeout}s" >&2
    exit 124
fi
reported=$(tr -dc '0-9' <"$tmp/status")
[[ -n $reported ]] || { echo "qemu/boot.sh: the guest ended without reporting a status" >&2; exit 125; }
exit "$reported"
