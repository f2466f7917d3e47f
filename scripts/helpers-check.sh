#!/usr/bin/env bash
# Check that each built module links exactly the C helpers of kernel_ext it calls (helpers.mk):
# none undefined (modpost stops at those anyway), and no function of a linked helper topic
# that its Rust objects do not call (`ld -r` keeps it, for nothing).
# Usage: scripts/helpers-check.sh [DIR...]: the M= folders of module builds (modules/ and
# bench/modules/ by default; build/bench/modules/src for the bench kernel's). Exits 1 on a finding.
set -euo pipefail
source "$(dirname "$0")/common.sh"

(($#)) || set -- "$DW_ROOT/modules" "$DW_ROOT/bench/modules"
nm=llvm-nm$DW_LLVM
# dw_names WHAT FILE...: the dw_* symbols that llvm-nm WHAT (-u, or --defined-only) prints.
dw_names() {
    local what=$1
    shift
    (($#)) || return 0
    "$nm" "$what" "$@" | awk '$NF ~ /^dw_/ && ($1 == "U" || $2 ~ /^[Tt]$/) { print $NF }' | sort -u
}
found=0 checked=0
for dir in "$@"; do
    # Kbuild lists each module's objects in <module>.mod, relative to the M= folder.
    while IFS= read -r mod; do
        ko=${mod%.mod}.ko
        [[ -f $ko ]] || continue
        mapfile -t objs < <(sed "s|^\./||; s|^|$dir/|" "$mod")
        helpers=() rust=()
        for o in "${objs[@]}"; do
            if [[ $o == */kernel_ext/helpers/* ]]; then helpers+=("$o"); else rust+=("$o"); fi
        done
        undefined=$(dw_names -u "$ko" | paste -sd' ')
        uncalled=$(comm -23 <(dw_names --defined-only "${helpers[@]}") <(dw_names -u "${rust[@]}") |
            paste -sd' ')
        name=${ko##*/}
        [[ -z $undefined ]] || { echo "$name: undefined: $undefined"; found=1; }
        [[ -z $uncalled ]] || { echo "$name: links helpers it does not call: $uncalled"; found=1; }
        checked=$((checked + 1))
    done < <(find "$dir" -name '*.mod' | sort)
done
((checked)) || die "no built module in $*"
((found == 0)) && echo "$checked modules link exactly the helpers they call"
((found == 0))
