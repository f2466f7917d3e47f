#!/usr/bin/env bash
# Build a gzip'd cpio (newc) initramfs with the kernel's own usr/gen_init_cpio.
# Usage: mkinitramfs.sh KDIR OUTPUT [--base] [HOST_FILE:GUEST_PATH]...
#   --base adds busybox, /init and the usual directories; the other entries add files
#   (mode 0755), creating their parent directories. Archives can be concatenated: the kernel
#   unpacks them in order, so a small per-run archive can extend the base one.
set -euo pipefail
kdir=$1 out=$2
shift 2
gen=$kdir/usr/gen_init_cpio
[[ -x $gen ]] || { echo "mkinitramfs: no $gen: is $kdir a built kernel tree?" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
list=$(mktemp)
trap 'rm -f "$list"' EXIT
declare -A dirs=()
add_dir() {
    local d=$1
    [[ $d == / || $d == . || -n ${dirs[$d]:-} ]] && return
    add_dir "$(dirname "$d")"
    dirs[$d]=1
    echo "dir $d 0755 0 0" >>"$list"
}
for arg; do
    if [[ $arg == --base ]]; then
        for d in /bin /dev /proc /sys /root /tmp; do add_dir "$d"; done
        {
            echo "nod /dev/console 0600 0 0 c 5 1"
            echo "file /bin/busybox $(command -v busybox) 0755 0 0"
            echo "file /init $here/init 0755 0 0"
        } >>"$list"
    else
        host=${arg%%:*} guest=${arg#*:}
        [[ -f $host ]] || { echo "mkinitramfs: no such file: $host" >&2; exit 1; }
        add_dir "$(dirname "$guest")"
        echo "file $guest $(realpath "$host") 0755 0 0" >>"$list"
    fi
done
# One fixed time for every entry, and none in gzip's header: the same files give the same archive,
# which keys the saved guest that runs restore from (qemu/boot.sh).
"$gen" -t 0 "$list" | gzip -1 -n >"$out"
