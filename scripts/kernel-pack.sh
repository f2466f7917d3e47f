#!/usr/bin/env bash
# Write the kernel pack: one archive (tar, zstd) with what building modules against the guest
# kernel (make M=) and booting it need, so that a class's machines and CI unpack the kernel
# instead of building it: KERNEL_PACK=FILE make build (scripts/kernel-unpack.sh). Builds the
# kernel first if it is not in the cache. DW_KERNEL_CONFIGS picks the kernel, as for the build.
# Usage: scripts/kernel-pack.sh [FILE]   (build/kernel-pack.tar.zst by default)
# The pack holds:
#   dw-kernel-pack  the cache key and what it covers (scripts/common.sh, kernel_key_inputs)
#   bin/bindgen     the bindgen the kernel was built with, so setup need not compile one
#   build/          the build tree without objects and intermediate images: .config,
#                   Module.symvers, include/, scripts/ and objtool, rust/ (the kernel crates'
#                   metadata and proc macros, bindings), bzImage, System.map, usr/gen_init_cpio
#   source/         the source a module build reads: Makefile, include/, arch/x86's Makefiles
#                   and headers, scripts/, rust/, .rustfmt.toml, and tools/testing/kunit (kunit.py)
set -euo pipefail
source "$(dirname "$0")/common.sh"

pack=$(realpath -m "${1:-$DW_ROOT/build/kernel-pack.tar.zst}")
"$DW_ROOT/scripts/setup-toolchain.sh"
out=$("$DW_ROOT/scripts/build-kernel.sh")
version=${out##*/linux-}
version=${version%-*}
key=$(kernel_key "$version")
[[ $out == */linux-$version-$key ]] || die "$out is not the cache entry of this configuration ($key)"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
ln -s "$out" "$stage/build"
ln -s "$(readlink -f "$out/source")" "$stage/source"
ln -s "$(dirname "$DW_BINDGEN")" "$stage/bin"
{
    echo "key $key"
    kernel_key_inputs "$version"
} >"$stage/dw-kernel-pack"

step "kernel pack: listing kernel $version ($key)"
cd "$stage"
{
    # The first two are read on their own (kernel_pack_member), so they come first.
    echo dw-kernel-pack
    echo bin/bindgen
    find -H build \( -path build/source -o -path build/Makefile -o -name '*.[oa]' -o -name '.*.cmd' \
        -o -name '.tmp_*' -o -name 'vmlinux*' -o -name '.vmlinux.export.c' -o -name '*.mod.c' \
        -o -name '*.d' -o -name '.dw-*' \) -prune -o \( -type f -o -type l \) -print
    echo source/Makefile source/.rustfmt.toml source/COPYING | tr ' ' '\n'
    find -H source/include source/arch/x86/include source/scripts source/rust source/tools/testing/kunit \
        \( -type f -o -type l \) -print
    find -H source/arch/x86 -maxdepth 1 -name 'Makefile*'
} >"$stage/list"
step "kernel pack: writing $pack ($(wc -l <"$stage/list") files)"
mkdir -p "$(dirname "$pack")"
tar -c -f - -T "$stage/list" | zstd -q -T0 -"${DW_PACK_LEVEL:-12}" -o "$pack.part" -f
mv "$pack.part" "$pack"
step "kernel pack: $pack, $(du -h "$pack" | cut -f1); KERNEL_PACK=$pack make build unpacks it"
