#!/usr/bin/env bash
# make check [TASK="1 3"] [SKELS=DIR]: build the student tree DIR (build/skels by default)
# against the lab's kernel and run the checks of the lab tasks named (those whose module DIR
# has, by default) on the debug kernel, with the student's modules in place of ours. A failed
# check points at its task's TODOs and the lab text's section; the end is
# `N passed, N failed, N skipped`.
set -euo pipefail
source "$(dirname "$0")/common.sh"

dir=${SKELS:-$DW_ROOT/build/skels}
[[ -f $dir/Kbuild ]] || die "no student tree in $dir: make skels first (or SKELS=your/tree)"
dir=$(cd "$dir" && pwd)
"$DW_ROOT/scripts/build.sh"
step "your modules: make -C KDIR M=$dir"
mapfile -t vars < <(kmake_vars)
make -s -C "$DW_ROOT/build/kdir" M="$dir" "${vars[@]}" -j"$(nproc)" modules ||
    die "your tree does not build: the compiler's errors are above"
args=(--modules "$dir")
for task in ${TASK:-}; do args+=(--task "$task"); done
step "checks: task(s) ${TASK:-of every module your tree has}"
cargo run -q --release --locked --manifest-path "$DW_ROOT/Cargo.toml" -p dw-tests -- "${args[@]}"
