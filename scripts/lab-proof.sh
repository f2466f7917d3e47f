#!/usr/bin/env bash
# Build what `dw-tests --lab-proof` boots (build/lab-proof/): the student tree of every task
# (skels/, as `make skels` writes it), one tree per TODO region (mutants/NN/: the solution
# with only that region removed, built on its own: NN/build.log) and one per forger
# (tests/forgers/: a solution patched to print the right lines by the wrong mechanism). A mutant that does not compile
# is reported by the harness as caught by the build, with the compiler's first error.
set -euo pipefail
source "$(dirname "$0")/common.sh"

out=$DW_ROOT/build/lab-proof kdir=$DW_ROOT/build/kdir
mkdir -p "$out"
cargo build -q --release --locked --manifest-path "$DW_ROOT/Cargo.toml" -p dw-skels
skels=$DW_ROOT/target/release/dw-skels
"$skels" --force "$out/skels" >/dev/null
"$skels" --mutants "$out/mutants"
mapfile -t vars < <(kmake_vars)
kmake() { make -s -C "$kdir" "${vars[@]}" -j"$(nproc)" "$@"; }

# No module of an earlier build may stand in for one that no longer builds. (The trees' sources
# are written over only where they changed, so Kbuild recompiles only those; linking again the
# modules of objects it keeps is quick.)
find "$out/skels" "$out/mutants" -name '*.ko' -delete
step "lab proof: the skeleton tree"
kmake M="$out/skels" modules >"$out/skels.log" 2>&1 || tail -20 "$out/skels.log" >&2

step "lab proof: the mutants, one build each (Kbuild refuses two modules of one name in one)"
# Each build is mostly one rustc: $(nproc) of them side by side.
cut -f1 "$out/mutants/mutants.tsv" | xargs -P "$(nproc)" -I{} bash -c \
    'dir=$1; shift; make -s "$@" M="$dir" modules >"$dir/build.log" 2>&1 || true' \
    _ "$out/mutants/{}" -C "$kdir" "${vars[@]}"
step "lab proof: $(find "$out/mutants" -name '*.ko' | wc -l) mutants and forgers built"
