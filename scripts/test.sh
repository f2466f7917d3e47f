#!/usr/bin/env bash
# Run every check: host unit tests, then the guest scenarios. Ends with `N passed, N failed`.
# Arguments go to the guest harness (e.g. a scenario name filter; --help lists the options).
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$DW_ROOT/scripts/build.sh"

host_log=$(mktemp)
trap 'rm -f "$host_log"' EXIT
step "lint: formatting, clippy, warnings"
"$DW_ROOT/scripts/lint.sh" | tee "$host_log" || true
step "compile tests: kernel_ext's compile-fail cases and doc examples"
"$DW_ROOT/scripts/compile-tests.sh" | tee -a "$host_log" || true
step "host: cargo test"
cargo test -q --locked --manifest-path "$DW_ROOT/Cargo.toml" --workspace 2>&1 | tee -a "$host_log" || true
# Carry the lint and host totals into the harness's closing line.
read -r DW_HOST_PASSED DW_HOST_FAILED < <(awk '
    /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
    /^PASS (lint|compile-fail|compile-pass):/ { p++ } /^FAIL (lint|compile-fail|compile-pass):/ { f++ }
    END { print p + 0, f + 0 }' "$host_log")
grep -q '^test result:' "$host_log" || DW_HOST_FAILED=$((DW_HOST_FAILED + 1))
export DW_HOST_PASSED DW_HOST_FAILED

step "guest: scenarios"
cargo run -q --release --locked --manifest-path "$DW_ROOT/Cargo.toml" -p dw-tests -- "$@"
