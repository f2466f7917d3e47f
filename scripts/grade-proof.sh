#!/usr/bin/env bash
# make grade-proof [JOBS=N]: the grader's proof. Grades a class made from the solutions (the
# solutions, the skeleton, one tree per mutant and forger of the lab proof, trees that do not
# build, hang on unload or bring hostile files) on every task with dw-grade, as `make grade`
# does, and checks each tree's grade and files (dw-tests --grade-proof). Takes about two
# minutes a tree on TCG; its results are in build/grade-proof/. As root, as `make grade` (the
# sandbox builds each tree as the user nobody). TREES="solution mutant-07" grades only those.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

"$DW_ROOT/scripts/build.sh"
cargo build -q --release --locked --manifest-path "$DW_ROOT/Cargo.toml" -p dw-skels -p dw-tests
"$DW_ROOT/target/release/dw-tests" --grade-proof --jobs "${JOBS:-1}" ${TREES:-} \
    --results "$DW_ROOT/build/grade-proof/results"
