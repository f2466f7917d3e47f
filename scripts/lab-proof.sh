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

# build_tree DIR [LOG]: `make M=DIR modules` into LOG (DIR/build.log), unless DIR was built before from the
# same sources (not the `.mod.c` Kbuild writes) against the same kernel and toolchain (its
# `.dw-built` stamp): a warm run builds
# only the trees whose sources changed. No module of an earlier build may stand in for one that
# no longer builds: a tree built again loses its modules first.
build_tree() {
    local dir=$1 log=${2:-$1/build.log} stamp
    stamp=$( (printf '%s\n' "$(readlink -f "$kdir")" "${vars[@]}"
        cd "$dir" && find . -type f \( -name '*.rs' -o -name '*.c' -o -name '*.h' -o -name '*.mk' \
            -o -name Kbuild \) ! -name '*.mod.c' -print0 | sort -z | xargs -0 sha256sum) | sha256sum)
    [[ -f $dir/.dw-built && $(cat "$dir/.dw-built") == "$stamp" ]] && return 0
    find "$dir" -maxdepth 1 -name '*.ko' -delete
    rm -f "$dir/.dw-built"
    make -s -C "$kdir" "${vars[@]}" -j"$(nproc)" M="$dir" modules >"$log" 2>&1 || true
    echo "$stamp" >"$dir/.dw-built"
}
export -f build_tree
export kdir
step "lab proof: the skeleton tree"
build_tree "$out/skels" "$out/skels.log"
[[ -n $(find "$out/skels" -maxdepth 1 -name '*.ko') ]] || tail -20 "$out/skels.log" >&2

step "lab proof: the mutants, one build each (Kbuild refuses two modules of one name in one)"
# Each build is mostly one rustc: $(nproc) of them side by side. (The array `vars` goes to the
# child shells as a declaration.)
cut -f1 "$out/mutants/mutants.tsv" | xargs -P "$(nproc)" -I{} bash -c \
    "$(declare -p vars); build_tree \"\$1\"" _ "$out/mutants/{}"
step "lab proof: $(find "$out/mutants" -name '*.ko' | wc -l) mutants and forgers built"
