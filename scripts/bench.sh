#!/usr/bin/env bash
# make bench: the Rust modules next to their C twins, measured in guest boots of the bench kernel.
#
# Usage: scripts/bench.sh [--mode both|wall|instructions] [--runs N] [dw-bench options]
#   --mode wall          one boot on QEMU's TCG with the host's clock: latency distributions
#                        (dw-bench defaults: --rounds 3 --ioctls 1000000 --samples 1000)
#   --mode instructions  N boots (--runs, default 2) under `-icount shift=0,sleep=off`: the
#                        guest clock counts instructions (1 ns each), so every figure is an
#                        instruction count, and the runs show how far they agree
#                        (dw-bench defaults: --rounds 3 --ioctls 20000 --samples 200)
#   --mode both          (the default) both, wall first
# The other options go to dw-bench in every mode (user/src/bin/dw_bench.rs).
# Builds the bench kernel (qemu/kernel.config + qemu/kernel-bench.config: no lock or object
# debugging, no KASAN or kmemleak; cached), the modules for it in build/bench/modules (the tree's
# own build stays the test kernel's), then writes build/bench/results.md (printed), results.csv
# and latency.png with dw-bench-report (bench/). Not part of `make test`.
# KDIR=/path/to/your/kernel uses your kernel instead; DW_KVM=1 runs the wall-clock guest under KVM
# (the instruction mode is TCG's).
# One vCPU by default (DW_SMP=N for more): with two, the vCPUs' ticks are out of phase and a
# wake-up may cross to an idle vCPU, which under TCG adds milliseconds of noise to both languages.
set -euo pipefail
source "$(dirname "$0")/common.sh"

command="make bench${*:+ ARGS='$*'}"
mode=both runs=2 args=()
while (($#)); do
    case $1 in
        --mode) mode=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
[[ $mode == both || $mode == wall || $mode == instructions ]] ||
    die "--mode is both, wall or instructions, not $mode"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs takes a positive number, not $runs"

"$DW_ROOT/scripts/setup-toolchain.sh"
KDIR=${KDIR:-$(DW_KERNEL_CONFIGS=qemu/kernel-bench.config "$DW_ROOT/scripts/build-kernel.sh")}
out=$DW_ROOT/build/bench
mkdir -p "$out/modules"
ln -sfn "$KDIR" "$out/kdir"

# A copy of the module sources (Kbuild builds in the source tree, which stays the test kernel's).
step "modules for the bench kernel: make -C KDIR M=build/bench/modules"
(cd "$DW_ROOT/modules" && find . \( -name '*.rs' -o -name '*.[ch]' -o -name '*.mk' -o -name Kbuild \) \
    -exec cp --parents -u {} "$out/modules/" \;)
"$DW_ROOT/scripts/build-modules.sh" "$KDIR" "$out/modules" "$out/modules.log"
# The same, with Rust's overflow checks off (CONFIG_RUST_OVERFLOW_CHECKS=n for our code), for the
# report's module text figure only.
step "the same with -Coverflow-checks=n: build/bench/modules-no-overflow-checks (text figure only)"
mkdir -p "$out/modules-no-overflow-checks"
cp -ru "$out/modules/." "$out/modules-no-overflow-checks/"
"$DW_ROOT/scripts/build-modules.sh" "$KDIR" "$out/modules-no-overflow-checks" \
    "$out/modules-no-overflow-checks.log" KRUSTFLAGS=-Coverflow-checks=n

step "dw-bench (static), dw-bench-report, and dw-tests (for its kernel report scan)"
target=x86_64-unknown-linux-gnu
RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release --locked \
    --manifest-path "$DW_ROOT/Cargo.toml" -p deferred-test --bin dw-bench --target "$target"
cargo build -q --release --locked --manifest-path "$DW_ROOT/Cargo.toml" -p dw-bench-report -p dw-tests

entries=(--base "$DW_ROOT/target/$target/release/dw-bench:/root/dw-bench")
for ko in "$out"/modules/*.ko; do entries+=("$ko:/root/${ko##*/}"); done
"$DW_ROOT/qemu/mkinitramfs.sh" "$KDIR" "$out/initramfs.cpio.gz" "${entries[@]}"

# The kernel's debug options, as its .config has them (`n` for those it does not set).
debug_options=(DEBUG_KERNEL PROVE_LOCKING LOCKDEP DEBUG_SPINLOCK DEBUG_ATOMIC_SLEEP DEBUG_OBJECTS
    KASAN DEBUG_KMEMLEAK SLUB_DEBUG DETECT_HUNG_TASK SOFTLOCKUP_DETECTOR KUNIT RUST_OVERFLOW_CHECKS
    RUST_DEBUG_ASSERTIONS BUG HZ PREEMPT_NONE PREEMPT_VOLUNTARY PREEMPT NO_HZ_IDLE HZ_PERIODIC)
kernel_config=$(for o in "${debug_options[@]}"; do
    v=$(sed -n "s/^CONFIG_$o=//p" "$KDIR/.config")
    printf '%s=%s ' "$o" "${v:-n}"
done)

# guest NAME ICOUNT: boots the guest once with dw-bench (virtual time if ICOUNT is set), its rows
# in build/bench/NAME.csv, the kernel console in NAME.console.log.
guest() {
    local name=$1 icount=$2 script=$out/$1.sh guest_args=("${args[@]}")
    [[ -n $icount ]] && guest_args=(--instructions "${guest_args[@]}")
    printf '#!/bin/sh\nexec ./dw-bench %s\n' "${guest_args[*]}" >"$script"
    step "guest $name: dw-bench ${guest_args[*]} (kernel log: build/bench/$name.console.log)"
    local start=$SECONDS kvm=${DW_KVM:-0}
    [[ -n $icount ]] && kvm=0
    DW_BUILD=$out DW_SMP=${DW_SMP:-1} DW_ICOUNT=$icount DW_KVM=$kvm \
        "$DW_ROOT/qemu/boot.sh" --exec "$script" --timeout 7200 \
        --output "$out/$name.csv" --console "$out/$name.console.log" ||
        die "the guest benchmark failed (status $?): see build/bench/$name.csv and $name.console.log"
    "$DW_ROOT/target/release/dw-tests" --reports "$out/$name.console.log" >&2 ||
        die "the kernel reported a problem during the benchmark (build/bench/$name.console.log)"
    # What the guest cannot know about itself.
    local accel=TCG qemu_cpu=qemu64 clock="host (wall clock)"
    [[ $kvm == 1 ]] && accel=KVM qemu_cpu=host
    [[ -n $icount ]] && clock="virtual: -icount shift=$icount,sleep=off"
    {
        echo "meta,command,$command"
        echo "meta,host_cpu,$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
        echo "meta,host_cores,$(nproc)"
        echo "meta,accel,$accel"
        echo "meta,qemu_cpu,$qemu_cpu"
        echo "meta,clock,$clock"
        echo "meta,kernel_config,$(if [[ $KDIR == "$DW_CACHE"/kbuild/* ]]; then echo "qemu/kernel.config + qemu/kernel-bench.config"; else echo "$KDIR"; fi)"
        echo "meta,kernel_debug,${kernel_config% }"
        echo "meta,date,$(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "meta,wall_s,$((SECONDS - start))"
    } >>"$out/$name.csv"
}

report=()
rm -f "$out"/wall.csv "$out"/icount-*.csv
if [[ $mode != instructions ]]; then
    guest wall ""
    report+=(--wall "$out/wall.csv")
fi
if [[ $mode != wall ]]; then
    # The instruction runs at once, as the host's cores allow: their figures do not depend on it.
    pids=()
    for ((run = 1; run <= runs; run++)); do
        guest "icount-$run" 0 &
        pids+=($!)
        report+=(--instructions "$out/icount-$run.csv")
    done
    for pid in "${pids[@]}"; do wait "$pid" || die "an instruction run failed (above)"; done
fi
"$DW_ROOT/target/release/dw-bench-report" "${report[@]}" \
    --without-overflow-checks "$out/modules-no-overflow-checks" "$out/modules" "$out"
step "written: build/bench/results.md, results.csv$([[ $mode != instructions ]] && echo ", latency.png")"
