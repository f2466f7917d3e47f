#!/usr/bin/env bash
# Build everything the guest needs, reusing what is built already:
# toolchain and kernel (cached outside the clone; skipped when KDIR is set; unpacked from
# KERNEL_PACK when that is set: scripts/kernel-unpack.sh), the modules,
# the static `test` program, and the base initramfs (build/initramfs.cpio.gz).
set -euo pipefail
source "$(dirname "$0")/common.sh"

if [[ -n ${KDIR:-} ]]; then
    step "using your kernel tree KDIR=$KDIR"
    [[ -f $KDIR/arch/x86/boot/bzImage && -f $KDIR/Module.symvers ]] ||
        die "KDIR=$KDIR is not a built kernel tree (no bzImage or Module.symvers)"
elif [[ -n ${KERNEL_PACK:-} ]]; then
    "$DW_ROOT/scripts/setup-toolchain.sh"
    KDIR=$("$DW_ROOT/scripts/kernel-unpack.sh")
else
    "$DW_ROOT/scripts/setup-toolchain.sh"
    KDIR=$("$DW_ROOT/scripts/build-kernel.sh")
fi
mkdir -p "$DW_ROOT/build"
ln -sfn "$KDIR" "$DW_ROOT/build/kdir"

# Modules build through clippy when the clippy matching the kernel's rustc is there.
clippy=()
[[ -x $DW_CLIPPY_DRIVER && ${DW_CLIPPY:-1} == 1 ]] && clippy=(CLIPPY=1)
# The two folders of the top Kbuild, one by one (M=$DW_ROOT would also clean and search build/
# and target/): the lab's modules, then the benchmark's with the C twins.
step "modules: make -C KDIR M=modules, M=bench/modules ${clippy[*]}"
"$DW_ROOT/scripts/doctests.sh"
"$DW_ROOT/scripts/build-modules.sh" "$KDIR" "$DW_ROOT/modules" "$DW_ROOT/build/modules.log" "${clippy[@]}"
"$DW_ROOT/scripts/build-modules.sh" "$KDIR" "$DW_ROOT/bench/modules" "$DW_ROOT/build/bench-modules.log" \
    "${clippy[@]}"

step "test programs: cargo build (static)"
target=x86_64-unknown-linux-gnu
RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release --locked \
    --manifest-path "$DW_ROOT/Cargo.toml" -p deferred-test --target "$target"

step "initramfs: busybox, /init, modules, test, dw-ioctl"
bin=$DW_ROOT/target/$target/release
entries=(--base "$bin/test:/root/test" "$bin/dw-ioctl:/root/dw-ioctl")
kos=("$DW_ROOT"/modules/*.ko "$DW_ROOT"/bench/modules/*.ko)
for ko in "${kos[@]}"; do entries+=("$ko:/root/${ko##*/}"); done
"$DW_ROOT/qemu/mkinitramfs.sh" "$KDIR" "$DW_ROOT/build/initramfs.cpio.gz" "${entries[@]}"
step "built: ${kos[*]##*/} test"
