#!/usr/bin/env bash
# Build what is missing, then boot the guest with a shell on the serial console.
set -euo pipefail
here=$(dirname "$0")
"$here/build.sh"
exec "$here/../qemu/boot.sh" "$@"
