#!/usr/bin/env bash
# Download and extract the kernel source (linux-source-7.3 from Debian), once.
# Prints the source directory on stdout. Keeps the .deb in the cache.
set -euo pipefail
source "$(dirname "$0")/common.sh"

pkg=linux-source-$DW_KERNEL_SERIES
src_root=$DW_CACHE/src
mkdir -p "$src_root"

extracted() {
    local dir
    dir=$(find "$src_root" -maxdepth 1 -name "linux-$DW_KERNEL_SERIES*" -type d -print -quit)
    [[ -n $dir && -f $dir/.dw-extracted ]] && echo "$dir"
}
extracted && exit 0
lock kernel-source
extracted && exit 0

deb=$(find "$DW_CACHE/debs" -name "${pkg}_*.deb" -print -quit 2>/dev/null || true)
if [[ -z $deb ]]; then
    mkdir -p "$DW_CACHE/debs"
    for suite in trixie-backports trixie-updates trixie; do
        step "apt: looking for $pkg in $suite"
        if "$DW_ROOT/scripts/apt-private.sh" "$suite" apt-cache show "$pkg" >/dev/null 2>&1; then
            step "apt: downloading $pkg from $suite (about 150 MB)"
            (cd "$DW_CACHE/debs" && "$DW_ROOT/scripts/apt-private.sh" "$suite" apt-get download -qq "$pkg/$suite")
            deb=$(find "$DW_CACHE/debs" -name "${pkg}_*.deb" -print -quit)
            break
        fi
    done
fi
[[ -n $deb ]] || die "$pkg is in none of the suites tried. Provide a Rust-enabled kernel build tree
with KDIR=/path/to/build, or put a ${pkg}_*.deb into $DW_CACHE/debs/."

version=$(dpkg-deb -f "$deb" Version)
step "extracting $pkg $version"
tmp=$(mktemp -d "$src_root/tmp.XXXXXX")
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards '*.tar.xz'
tar -xJf "$tmp"/usr/src/linux-source-*.tar.xz -C "$tmp"
dir=$src_root/linux-${version%%-*}
rm -rf "$dir"
mv "$tmp/linux-source-$DW_KERNEL_SERIES" "$dir"
rm -rf "$tmp"
touch "$dir/.dw-extracted"
echo "$dir"
