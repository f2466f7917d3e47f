# Shared settings and helpers for the project's scripts (sourced, not run).
# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source it

DW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything downloaded or built lives here, outside the clone, so clean clones reuse it.
DW_CACHE=${DW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deferred-work-rs}
# The toolchain (docs/toolchain.md). One Rust toolchain builds everything: Debian's rustc-web,
# cargo-web, rustfmt-web and rust-web-clippy, in /usr/bin. DW_RUST_BIN names another toolchain's
# bin directory (for a KDIR built with it); it needs the kernel's library source (rust-src).
DW_LLVM=${DW_LLVM:--22}
DW_RUST_BIN=${DW_RUST_BIN:-/usr/bin}
DW_RUSTC=${DW_RUSTC:-$DW_RUST_BIN/rustc}
DW_RUSTDOC=${DW_RUSTDOC:-$DW_RUST_BIN/rustdoc}
DW_CLIPPY_DRIVER=${DW_CLIPPY_DRIVER:-$DW_RUST_BIN/clippy-driver}
# Its tools go first on the PATH, before any other toolchain's (rustup's), linked from a
# directory of their own so that every other program is found as before. cargo runs its
# subcommands (clippy, fmt) from $CARGO_HOME/bin before the PATH, so CARGO_HOME is the cache's
# own (bindgen and the downloaded crates), never rustup's.
DW_RUST_TOOLS=(cargo cargo-clippy cargo-fmt clippy-driver rustc rustdoc rustfmt)
DW_RUST_PATH=$DW_ROOT/build/rust-bin
if [[ $(readlink "$DW_RUST_PATH/${DW_RUST_TOOLS[-1]}") != "$DW_RUST_BIN/${DW_RUST_TOOLS[-1]}" ]]; then
    mkdir -p "$DW_RUST_PATH"
    for tool in "${DW_RUST_TOOLS[@]}"; do ln -sfn "$DW_RUST_BIN/$tool" "$DW_RUST_PATH/$tool"; done
fi
[[ $PATH == "$DW_RUST_PATH":* ]] || PATH=$DW_RUST_PATH:$PATH
export PATH CARGO_HOME=$DW_CACHE/cargo
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

# as_root COMMAND...: run COMMAND as root, through sudo for a user who is not.
as_root() {
    if ((EUID == 0)); then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "not root and no sudo: run as root: $*"
    fi
}

# lock NAME: wait for the cache's lock NAME, then hold it until the script exits, so that two
# clones filling the same cache entry at once take turns instead of mixing their files.
lock() {
    local file=$DW_CACHE/locks/$1.lock
    mkdir -p "${file%/*}"
    exec {DW_LOCK_FD}>"$file"
    flock -n "$DW_LOCK_FD" && return
    step "waiting for another clone that holds $file"
    flock "$DW_LOCK_FD"
}

# kernel_rustfmt_config: the kernel's .rustfmt.toml, for the modules' code.
kernel_rustfmt_config() {
    local kdir
    kdir=$(readlink -f "$DW_ROOT/build/kdir")
    if [[ -f $kdir/source/.rustfmt.toml ]]; then echo "$kdir/source/.rustfmt.toml"; else echo "$kdir/.rustfmt.toml"; fi
}

# The kernel make variables every build of ours passes.
kmake_vars() {
    printf '%s\n' "LLVM=$DW_LLVM" "RUSTC=$DW_RUSTC" "RUSTDOC=$DW_RUSTDOC" "BINDGEN=$DW_BINDGEN" \
        "CLIPPY_DRIVER=$DW_CLIPPY_DRIVER"
}

# kbuild_rustc_command: the rustc command Kbuild saved for dw_kunit
# (modules/selftests/.kunit.o.cmd), the crate that compiles all of kernel_ext: target,
# sanitizers, cfgs, the kernel crate. Sets `rust_env` (its environment) and `rust_args` (its
# options, without the compiler, the crate root, the outputs and clippy's lints), for rustdoc or
# rustc runs on other crate roots. Needs scripts/build.sh first.
kbuild_rustc_command() {
    local saved=$DW_ROOT/modules/selftests/.kunit.o.cmd arg out_dir=0
    [[ -f $saved ]] || die "build the modules first (scripts/build.sh)"
    eval "set -- $(sed -n 's|^savedcmd_selftests/kunit.o := ||p' "$saved")"
    rust_env=() rust_args=()
    for arg; do
        ((out_dir)) && { out_dir=0; continue; } # the value of --out-dir
        case $arg in
            *=*) [[ ${#rust_args[@]} -eq 0 && $arg != -* ]] && { rust_env+=("$arg"); continue; } ;;&
            */clippy-driver | */rustc) ;;
            --out-dir) out_dir=1 ;;
            --emit=* | -Zbinary_dep_depinfo=y | -[WA]clippy::* | */kunit.rs) ;;
            *) rust_args+=("$arg") ;;
        esac
    done
}
