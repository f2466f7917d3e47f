# Shared settings and helpers for the project's scripts (sourced, not run).
# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source it

DW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything downloaded or built lives here, outside the clone, so clean clones reuse it.
DW_CACHE=${DW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deferred-work-rs}
# Toolchain recipe: see ../shared/toolchain.md and the README.
DW_LLVM=${DW_LLVM:--22}
DW_RUSTC=${DW_RUSTC:-/usr/bin/rustc}
DW_RUSTDOC=${DW_RUSTDOC:-/usr/bin/rustdoc}
DW_CLIPPY_DRIVER=${DW_CLIPPY_DRIVER:-/usr/bin/clippy-driver}
DW_BINDGEN_VERSION=0.72.1
DW_BINDGEN=${DW_BINDGEN:-$DW_CACHE/cargo/bin/bindgen}
DW_KERNEL_SERIES=7.3
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm${DW_LLVM}/lib}

DW_START=${DW_START:-$(date +%s)}
export DW_START

# step NAME: announce a step with the time elapsed since the command started.
step() {
    printf '==> [%4ss] %s\n' "$(($(date +%s) - DW_START))" "$*" >&2
}

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# The kernel make variables every build of ours passes.
kmake_vars() {
    printf '%s\n' "LLVM=$DW_LLVM" "RUSTC=$DW_RUSTC" "RUSTDOC=$DW_RUSTDOC" "BINDGEN=$DW_BINDGEN" \
        "CLIPPY_DRIVER=$DW_CLIPPY_DRIVER"
}
