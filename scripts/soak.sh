#!/usr/bin/env bash
# The soak: the abuse boot's long loops at their full counts (200 load/unload cycles of each of
# the lab's 9 Rust modules, 30 of the C monitor, 1000 monitored processes, 640 random commands; see
# `Intensity` in tests/src/scenarios.rs), which `make test` runs shorter. Arguments go to the harness (e.g. a scenario name filter).
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$DW_ROOT/scripts/build.sh"
step "soak: the abuse scenarios at full count"
cargo run -q --release --locked --manifest-path "$DW_ROOT/Cargo.toml" -p dw-tests -- --soak "$@"
