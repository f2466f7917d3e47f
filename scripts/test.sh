#!/usr/bin/env bash
# Run every check: the lint gates and host unit tests, then the guest scenarios; the harness
# (tests/, dw-tests --host) runs them all and ends with `N passed, N failed, N skipped`. The
# results are also written as KTAP, JSON and JUnit XML into build/results/.
# Arguments go to the harness (e.g. a scenario name filter; --help lists the options).
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$DW_ROOT/scripts/build.sh"
step "checks: lint, host unit tests, guest scenarios"
# The harness, and the grader it checks (dw-grade, with dw-skels).
cargo build -q --release --locked --manifest-path "$DW_ROOT/Cargo.toml" -p dw-tests -p dw-skels
"$DW_ROOT/target/release/dw-tests" --host --results "$DW_ROOT/build/results" "$@"
