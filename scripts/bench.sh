#!/usr/bin/env bash
# make bench: the Rust modules next to their C twins, measured in one guest boot.
#
# Usage: scripts/bench.sh [--rounds N] [--ioctls N] [--samples N]   (defaults: 3, 1000000, 1000)
# Builds the light kernel (KASAN, kmemleak and lockdep would dominate every figure), the modules
# for it in build/bench/modules (the tree's own build stays the test kernel's), boots the guest
# once with dw-bench (user/src/bin/dw_bench.rs), then writes build/bench/results.md (printed),
# results.csv and latency.png with dw-bench-report (bench/). Not part of `make test`.
# KDIR=/path/to/your/kernel uses your kernel instead; DW_KVM=1 runs the guest under KVM.
# One vCPU by default (DW_SMP=N for more): with two, the vCPUs' ticks are out of phase and a
# wake-up may cross to an idle vCPU, which under TCG adds milliseconds of noise to both languages.
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$DW_ROOT/scripts/setup-toolchain.sh"
KDIR=${KDIR:-$(DW_KERNEL_CONFIGS='' "$DW_ROOT/scripts/build-kernel.sh")}
out=$DW_ROOT/build/bench
mkdir -p "$out/modules"
ln -sfn "$KDIR" "$out/kdir"

# A copy of the module sources (Kbuild builds in the source tree, which stays the test kernel's).
step "modules for the bench kernel: make -C KDIR M=build/bench/modules"
(cd "$DW_ROOT/modules" && find . \( -name '*.rs' -o -name '*.[ch]' -o -name '*.mk' -o -name Kbuild \) \
    -exec cp --parents -u {} "$out/modules/" \;)
"$DW_ROOT/scripts/build-modules.sh" "$KDIR" "$out/modules" "$out/modules.log"

step "dw-bench (static), dw-bench-report, and dw-tests (for its kernel report scan)"
target=x86_64-unknown-linux-gnu
RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release --locked \
    --manifest-path "$DW_ROOT/Cargo.toml" -p deferred-test --bin dw-bench --target "$target"
cargo build -q --release --locked --manifest-path "$DW_ROOT/Cargo.toml" -p dw-bench-report -p dw-tests

entries=(--base "$DW_ROOT/target/$target/release/dw-bench:/root/dw-bench")
for ko in "$out"/modules/*.ko; do entries+=("$ko:/root/${ko##*/}"); done
"$DW_ROOT/qemu/mkinitramfs.sh" "$KDIR" "$out/initramfs.cpio.gz" "${entries[@]}"

script=$out/guest.sh
printf '#!/bin/sh\nexec ./dw-bench %s\n' "$*" >"$script"
step "guest: dw-bench $* (several minutes under TCG; kernel log: build/bench/console.log)"
DW_BUILD=$out DW_SMP=${DW_SMP:-1} "$DW_ROOT/qemu/boot.sh" --exec "$script" --timeout 7200 \
    --output "$out/raw.csv" --console "$out/console.log" ||
    die "the guest benchmark failed (status $?): see build/bench/raw.csv and console.log"
"$DW_ROOT/target/release/dw-tests" --reports "$out/console.log" >&2 ||
    die "the kernel reported a problem during the benchmark (build/bench/console.log)"

# What the guest cannot know about itself.
if [[ ${DW_KVM:-0} == 1 ]]; then accel=KVM qemu_cpu=host; else accel=TCG qemu_cpu=qemu64; fi
{
    echo "meta,command,make bench${*:+ ARGS='$*'}"
    echo "meta,host_cpu,$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "meta,host_cores,$(nproc)"
    echo "meta,accel,$accel"
    echo "meta,qemu_cpu,$qemu_cpu"
    echo "meta,kernel_config,$(if [[ $KDIR == "$DW_CACHE"/kbuild/* ]]; then echo "qemu/kernel.config (light)"; else echo "$KDIR"; fi)"
    echo "meta,date,$(date -u '+%Y-%m-%d %H:%M UTC')"
} >>"$out/raw.csv"
"$DW_ROOT/target/release/dw-bench-report" "$out/raw.csv" "$out/modules" "$out"
step "written: build/bench/results.md, results.csv, latency.png"
