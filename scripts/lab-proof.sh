#!/usr/bin/env bash
# Build what `dw-tests --lab-proof` boots (build/lab-proof/): the student tree of every task
# (skels/, as `make skels` writes it) and one tree per TODO region (mutants/NN/: the solution
# with only that region removed). A mutant that does not compile is left out of the build (the
# harness reports it as caught by the build, with the error from mutants.log).
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

step "lab proof: the skeleton tree"
kmake M="$out/skels" modules >"$out/skels.log" 2>&1 || tail -20 "$out/skels.log" >&2

step "lab proof: the mutants (make -k, then again without those that do not compile)"
kmake -k M="$out/mutants" modules >"$out/mutants.log" 2>&1 || true
built=()
while IFS=$'\t' read -r dir _ _ module; do
    [[ -f $out/mutants/$dir/${module#dw_}.o ]] && built+=("$dir/")
done <"$out/mutants/mutants.tsv"
printf 'obj-m += %s\n' "${built[*]}" >"$out/mutants/Kbuild"
kmake M="$out/mutants" modules >>"$out/mutants.log" 2>&1
step "lab proof: $(find "$out/mutants" -name '*.ko' | wc -l) mutants built"
