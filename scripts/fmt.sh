#!/usr/bin/env bash
# make fmt: format the modules' code (with the kernel's .rustfmt.toml) and the host code, with
# the project's rustfmt (docs/toolchain.md). Needs scripts/build.sh first (the kernel tree).
set -euo pipefail
source "$(dirname "$0")/common.sh"

cd "$DW_ROOT"
rustfmt --edition 2021 --config-path "$(kernel_rustfmt_config)" modules/*/*.rs bench/modules/*.rs
cargo fmt --all
