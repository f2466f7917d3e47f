#!/usr/bin/env bash
# Build the rustdoc of the abstraction layer (modules/kernel_ext/) into build/doc/. Kbuild has no
# rustdoc target for external modules, so this reuses the exact compiler command Kbuild saved
# for dw_kunit (modules/selftests/.kunit.o.cmd: target, sanitizer, cfgs, the kernel crate),
# with rustdoc in place of rustc and without the output and clippy options, nor the cfg of the
# layer's KUnit tests (which are not documented). Needs `scripts/build.sh` first.
# Open build/doc/dw_kunit/kernel_ext/index.html.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

cd "$DW_ROOT/modules"
kbuild_rustc_command
rm -rf "$DW_ROOT/build/doc"
env RUSTC_BOOTSTRAP=1 "${rust_env[@]}" "$DW_RUSTDOC" "${rust_args[@]}" --crate-name dw_kunit \
    --document-private-items -Dwarnings -Arustdoc::private_intra_doc_links \
    -o "$DW_ROOT/build/doc" selftests/kunit.rs
step "rustdoc: build/doc/dw_kunit/kernel_ext/index.html"
