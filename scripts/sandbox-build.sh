#!/usr/bin/env bash
# Build the modules of TREE (`make -C KDIR M=TREE modules`) as untrusted code, for the grader: in
# a bubblewrap sandbox (Debian's `bubblewrap`), as the user nobody, with no network and no other
# namespace of the host's, with only the toolchain (/usr), the kernel tree (read-only) and TREE
# (writable, made nobody's) in view, so that a source can pull in no file of the host's
# (`include_str!` of a path outside them fails to compile), under a time limit (SECONDS, 300 by
# default: then status 124) and an output limit (the first 200 KB). Prints make's output; exits
# with its status.
# Usage: scripts/sandbox-build.sh TREE [SECONDS]
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

tree=$(realpath "$1") limit=${2:-300}
kdir=$(readlink -f "$DW_ROOT/build/kdir")
source_dir=$(readlink -f "$kdir/source")
command -v bwrap >/dev/null || die "building untrusted code needs bubblewrap (apt-get install bubblewrap)"
chown -R nobody:"$(id -g nobody)" "$tree"
mapfile -t vars < <(kmake_vars)
view=()
# parents_enterable PATH: PATH's parents as folders nobody may enter (the host's /root is not).
parents_enterable() {
    local parent
    parent=$(dirname "$1")
    while [[ $parent != / ]]; do view+=(--perms 0755 --dir "$parent"); parent=$(dirname "$parent"); done
}
for dir in /usr /etc/alternatives "$kdir" "$source_dir" "$(dirname "$DW_BINDGEN")"; do
    parents_enterable "$dir"
    view+=(--ro-bind "$dir" "$dir")
done
parents_enterable "$tree"
for dir in bin lib lib64 sbin; do [[ -L /$dir ]] && view+=(--symlink "$(readlink "/$dir")" "/$dir"); done
# bwrap as root sets the sandbox up (its mounts see what nobody could not reach); setpriv then
# runs make as nobody, without capabilities or a way to gain any.
set +e
bwrap --unshare-net --unshare-pid --unshare-ipc --unshare-uts --unshare-cgroup-try \
    --die-with-parent --new-session --tmpfs /tmp "${view[@]}" \
    --bind "$tree" "$tree" --proc /proc --dev /dev --chdir "$tree" \
    --clearenv --setenv HOME /tmp --setenv PATH /usr/bin --setenv LIBCLANG_PATH "$LIBCLANG_PATH" \
    setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups --no-new-privs \
    --inh-caps=-all --bounding-set=-all timeout "$limit" make -s -C "$kdir" M="$tree" "${vars[@]}" -j"$(nproc)" \
    modules 2>&1 | head -c 200000
status=${PIPESTATUS[0]}
exit "$status"
