#!/usr/bin/env bash
# Build the rustdoc of the abstraction layer (modules/kernel_ext/) into build/doc/. Kbuild has no
# rustdoc target for external modules, so this reuses the exact compiler command Kbuild saved
# for dw_kunit (modules/.kunit.o.cmd: target, sanitizer, cfgs, the kernel crate), with rustdoc
# in place of rustc and without the output and clippy options. Needs `scripts/build.sh` first.
# Open build/doc/dw_kunit/kernel_ext/index.html.
set -euo pipefail
source "$(dirname "$0")/common.sh"

cd "$DW_ROOT/modules"
[[ -f .kunit.o.cmd ]] || die "build the modules first (scripts/build.sh)"
eval "set -- $(sed -n 's/^savedcmd_kunit.o := //p' .kunit.o.cmd)"
env=() args=()
for arg; do
    case $arg in
        *=* ) [[ ${#args[@]} -eq 0 && $arg != -* ]] && { env+=("$arg"); continue; } ;;&
        */clippy-driver | */rustc) ;;
        --emit=* | --out-dir | ./ | -Zbinary_dep_depinfo=y | -[WA]clippy::* | kunit.rs) ;;
        *) args+=("$arg") ;;
    esac
done
rm -rf "$DW_ROOT/build/doc"
env RUSTC_BOOTSTRAP=1 "${env[@]}" "$DW_RUSTDOC" "${args[@]}" --crate-name dw_kunit \
    --document-private-items -Dwarnings -Arustdoc::private_intra_doc_links \
    -o "$DW_ROOT/build/doc" kunit.rs
step "rustdoc: build/doc/dw_kunit/kernel_ext/index.html"
