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
# Environment: DW_KVM=1 uses KVM (it does not work on every host), DW_SMP (2), DW_MEM (512M),
#   DW_ICOUNT=SHIFT runs the guest on virtual time (TCG only: `-icount shift=SHIFT,sleep=off`,
#   all vCPUs on one host thread; idle time is skipped, see the README). The tests set 0.
#   DW_PLUGIN=PLUGIN[,ARGS] loads a TCG plugin (`-plugin`: `make bench ARGS='--mode loader'`).
# Exit status: the command's, 124 on timeout, 125 if the guest ended without reporting one.
set -euo pipefail
source "$(dirname "$0")/../scripts/common.sh"

# DW_BUILD: where the kernel link, initramfs and logs are (scripts/bench.sh has its own).
build=${DW_BUILD:-$DW_ROOT/build}
exec_file="" files=() append="" timeout=300 console=$build/console.log output=""
while (($#)); do
    case $1 in
        --exec) exec_file=$2; shift 2 ;;
        --file) files+=("$2"); shift 2 ;;
        --append) append="$append $2"; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --console) console=$2; shift 2 ;;
        --output) output=$2; shift 2 ;;
        *) die "unknown option $1 (see the top of $0)" ;;
    esac
done
kdir=$(readlink -f "$build/kdir") || die "nothing built yet: run scripts/build.sh"
kernel=$kdir/arch/x86/boot/bzImage

# microvm: no PCI bus and a small ACPI table (poweroff still ends QEMU), which halves the debug
# kernel's boot next to `-M pc` (docs/running.md, "The guest machine").
# shellcheck disable=SC2054 # QEMU's option lists, not bash's
qemu=(qemu-system-x86_64 -machine microvm,acpi=on -m "${DW_MEM:-512M}" -smp "${DW_SMP:-2}"
    -kernel "$kernel" -no-reboot)
if [[ ${DW_KVM:-0} == 1 ]]; then
    qemu+=(-accel kvm -cpu host)
else
    qemu+=(-accel tcg -cpu qemu64)
    if [[ -n ${DW_ICOUNT:-} ]]; then
        qemu+=(-icount "shift=$DW_ICOUNT,sleep=off")
    fi
    [[ -n ${DW_PLUGIN:-} ]] && qemu+=(-plugin "$DW_PLUGIN")
fi
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
# -icount the TSC counts instructions and the PIT calibration succeeds; KVM has kvm-clock.)
if [[ ${DW_KVM:-0} != 1 && -z ${DW_ICOUNT:-} ]]; then
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
trap 'rm -rf "$tmp"' EXIT
entries=("$exec_file:$guest_exec")
for f in "${files[@]}"; do entries+=("$f"); done
"$DW_ROOT/qemu/mkinitramfs.sh" "$kdir" "$tmp/extra.cpio.gz" "${entries[@]}"
cat "$build/initramfs.cpio.gz" "$tmp/extra.cpio.gz" >"$tmp/initramfs.cpio.gz"

: >"$console"
: >"$tmp/output"
: >"$tmp/status"
status=0
# microvm wires one -serial option only: the three ports as ISA devices, ttyS0 to ttyS2.
serial=()
for port in "0:$console" "1:$tmp/output" "2:$tmp/status"; do
    serial+=(-chardev "file,id=serial${port%%:*},path=${port#*:}")
    serial+=(-device "isa-serial,chardev=serial${port%%:*},index=${port%%:*}")
done
timeout -k 5 "$timeout" "${qemu[@]}" -machine isa-serial=off -nodefaults \
    -initrd "$tmp/initramfs.cpio.gz" -append "$cmdline" -display none "${serial[@]}" \
    </dev/null || status=$?
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
