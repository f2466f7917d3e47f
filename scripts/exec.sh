#!/usr/bin/env bash
# Run one command in a fresh guest, like `vng --exec`: build what is missing, boot, run the
# command, print its output and then the kernel log, power off, exit with the command's status.
#
# Usage: scripts/exec.sh [--file HOST:GUEST]... [--append ARGS] [--timeout S] [--] COMMAND...
# Example: scripts/exec.sh --file ./a.out:/root/a.out -- 'insmod dw_timer.ko; sleep 2; ./a.out'
set -euo pipefail
source "$(dirname "$0")/common.sh"

opts=()
while (($#)); do
    case $1 in
        --file | --append | --timeout) opts+=("$1" "$2"); shift 2 ;;
        --) shift; break ;;
        *) break ;;
    esac
done
(($#)) || die "usage: $0 [--file HOST:GUEST]... [--append ARGS] [--timeout S] [--] COMMAND..."

"$DW_ROOT/scripts/build.sh"
script=$(mktemp)
trap 'rm -f "$script"' EXIT
printf '#!/bin/sh\n%s\n' "$*" >"$script"
step "guest: $*"
status=0
"$DW_ROOT/qemu/boot.sh" --exec "$script" "${opts[@]}" || status=$?
echo "---- kernel log (also in build/console.log) ----"
tr -d '\r' <"$DW_ROOT/build/console.log"
step "guest command exited with status $status"
exit "$status"
