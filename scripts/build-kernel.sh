#!/usr/bin/env bash
# Configure and build the guest kernel, cached outside the clone (idempotent).
# The cache key covers the kernel version, the config fragment and the toolchain,
# so a change of any of them builds a new tree and an unchanged one is reused.
# Prints the build directory (the KDIR for out-of-tree modules) on stdout.
# DW_KERNEL_CONFIGS names the fragments merged on top of qemu/kernel.config, in order; by default
# the debug one (KASAN, kmemleak). DW_KERNEL_CONFIGS= (empty) builds a lighter, faster kernel,
# DW_KERNEL_CONFIGS=qemu/kernel-bench.config the benchmark's (no lock debugging either).
set -euo pipefail
source "$(dirname "$0")/common.sh"

# A kernel of this configuration in the cache (built, or unpacked from a pack) needs no source.
for dir in "$DW_CACHE/kbuild/linux-$DW_KERNEL_SERIES".*; do
    version=${dir##*/linux-}
    version=${version%-*}
    if [[ -f $dir/.dw-built && $dir == */linux-$version-$(kernel_key "$version") ]]; then
        step "kernel $version is built (cache: $dir)"
        echo "$dir"
        exit 0
    fi
done
src=$("$DW_ROOT/scripts/fetch-kernel.sh")
version=${src##*/linux-}
mapfile -t fragments < <(kernel_fragments)
key=$(kernel_key "$version")
out=$DW_CACHE/kbuild/linux-$version-$key
built="kernel $version is built (cache: $out)"
cached_kernel "$out" "$built" && exit 0
lock "kbuild-linux-$version-$key"
cached_kernel "$out" "$built" && exit 0

mapfile -t vars < <(kmake_vars)
kmake() { make -C "$src" O="$out" "${vars[@]}" "$@"; }

mkdir -p "$out"
step "kernel $version: configuring (tinyconfig + ${fragments[*]##*/})"
kmake -s rustavailable >&2 || die "the Rust toolchain is not usable for this kernel (see above)"
kmake -s tinyconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${fragments[@]}" >/dev/null
kmake -s olddefconfig >&2
# What the fragments ask for, the last one winning (a later fragment may turn off what an earlier
# one sets): `CONFIG_X=v` must be in .config as such, `# CONFIG_X is not set` must not be set.
declare -A wanted=()
while read -r line; do
    if [[ $line =~ ^(CONFIG_[A-Z0-9_]+)= || $line =~ ^#\ (CONFIG_[A-Z0-9_]+)\ is\ not\ set$ ]]; then
        wanted[${BASH_REMATCH[1]}]=$line
    fi
done < <(cat "${fragments[@]}")
dropped=$(for option in "${!wanted[@]}"; do
    line=${wanted[$option]}
    if [[ $line == "#"* ]]; then
        ! grep -q "^$option=" "$out/.config" || echo "  $line"
    else
        grep -qxF "$line" "$out/.config" || echo "  $line"
    fi
done | sort)
[[ -z $dropped ]] || die "these options of ${fragments[*]##*/} were dropped by Kconfig (a dependency is missing):
$dropped"

jobs=$(($(nproc) + 1))
step "kernel $version: building with -j$jobs (about 10 minutes on 2 cores: docs/toolchain.md)"
kmake -j"$jobs" all >&2
touch "$out/.dw-built"
step "kernel $version: built (cache: $out)"
echo "$out"
