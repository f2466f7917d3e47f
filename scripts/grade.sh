#!/usr/bin/env bash
# make grade SUBMISSIONS=DIR [OUT=DIR] [JOBS=N] [TASK="1 3"] [POINTS=FILE]: grade a class, every
# subfolder of DIR a student's tree named by the student's id (dw-grade --help says what it
# takes from a tree and what it writes). Needs bubblewrap (setup-toolchain.sh installs it) and
# root (the sandbox runs each student's build as the user nobody).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

[[ -n ${SUBMISSIONS:-} ]] || die "make grade SUBMISSIONS=DIR: DIR holds one tree per student"
[[ -d $SUBMISSIONS ]] || die "SUBMISSIONS=$SUBMISSIONS is not a folder"
"$DW_ROOT/scripts/build.sh"
cargo build -q --release --locked --manifest-path "$DW_ROOT/Cargo.toml" -p dw-skels -p dw-tests
args=("$SUBMISSIONS" --out "${OUT:-$DW_ROOT/build/grade}" --jobs "${JOBS:-1}")
for task in ${TASK:-}; do args+=(--task "$task"); done
[[ -n ${POINTS:-} ]] && args+=(--points "$POINTS")
step "grading the trees of $SUBMISSIONS"
"$DW_ROOT/target/release/dw-grade" "${args[@]}"
