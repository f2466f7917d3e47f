#!/usr/bin/env bash
# make skels [TASKS="1 2"] [SKELS=DIR] [FORCE=1]: write the student tree of the lab tasks (all
# by default) into DIR (build/skels by default): the skeletons of their modules, kernel_ext/,
# a Kbuild and a Makefile at its root, and the `test` program. Files of yours that differ from
# the skeleton are never replaced without FORCE=1.
set -euo pipefail
source "$(dirname "$0")/common.sh"

out=${SKELS:-$DW_ROOT/build/skels}
target=x86_64-unknown-linux-gnu
step "the test program and dw-skels: cargo build"
RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release --locked \
    --manifest-path "$DW_ROOT/Cargo.toml" -p deferred-test --target "$target"
cargo build -q --release --locked --manifest-path "$DW_ROOT/Cargo.toml" -p dw-skels
force=()
[[ ${FORCE:-0} == 1 ]] && force=(--force)
# shellcheck disable=SC2086  # TASKS is a list of numbers
"$DW_ROOT/target/release/dw-skels" "${force[@]}" \
    --test-bin "$DW_ROOT/target/$target/release/test" "$out" ${TASKS:-}
