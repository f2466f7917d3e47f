#!/usr/bin/env bash
# Build the out-of-tree modules of MODULES_DIR against KDIR, keeping make's output in LOG for the
# lint gate "modules build without warnings" (scripts/lint.sh).
# Usage: scripts/build-modules.sh KDIR MODULES_DIR LOG [MAKE_VARIABLE=VALUE]...
# make prints nothing for the objects it does not rebuild, so the warnings of a build would
# vanish from LOG at the next one: a build that printed anything (or left no LOG) is redone in
# full, until it prints nothing.
set -euo pipefail
source "$(dirname "$0")/common.sh"

kdir=$1 modules=$2 log=$3
shift 3
mapfile -t vars < <(kmake_vars)
vars+=("$@")
if [[ ! -f $log || -s $log ]]; then
    make -s -C "$kdir" M="$modules" "${vars[@]}" clean
fi
make -s -C "$kdir" M="$modules" "${vars[@]}" -j"$(nproc)" modules 2>&1 | tee "$log" >&2
