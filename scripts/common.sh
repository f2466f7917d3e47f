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
# cached_kernel DIR MESSAGE: prints DIR (after MESSAGE) if a whole kernel build is there.
cached_kernel() {
    [[ -f $1/.dw-built ]] || return
    step "$2"
    echo "$1"
}

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

# kernel_fragments: the guest kernel's config fragments, in order: qemu/kernel.config, then
# DW_KERNEL_CONFIGS's (by default the debug one).
kernel_fragments() {
    local f
    echo "$DW_ROOT/qemu/kernel.config"
    for f in ${DW_KERNEL_CONFIGS-qemu/kernel-debug.config}; do realpath "$DW_ROOT/$f"; done
}

# kernel_key VERSION: the cache key of a kernel build: the version, the config fragments and the
# toolchain's versions, so a change of any of them makes another key.
kernel_key() {
    local fragments
    mapfile -t fragments < <(kernel_fragments)
    {
        echo "$1"
        cat "${fragments[@]}"
        "$DW_RUSTC" --version
        "clang$DW_LLVM" --version | head -1
        "$DW_BINDGEN" --version
    } | sha256sum | cut -c1-12
}

# kernel_key_inputs VERSION: what kernel_key covers, a line each, for people to compare.
kernel_key_inputs() {
    local f
    echo "kernel $1"
    while read -r f; do
        echo "fragment ${f#"$DW_ROOT"/} $(sha256sum <"$f" | cut -c1-12)"
    done < <(kernel_fragments)
    "$DW_RUSTC" --version
    "clang$DW_LLVM" --version | head -1
    "$DW_BINDGEN" --version
}

# kernel_pack: the file KERNEL_PACK names (`make kernel-pack` writes one); a URL is downloaded
# once into the cache (delete $DW_CACHE/packs to download it again).
kernel_pack() {
    local pack=$KERNEL_PACK file
    if [[ $pack == http://* || $pack == https://* ]]; then
        file=$DW_CACHE/packs/$(sha256sum <<<"$pack" | cut -c1-12)-${pack##*/}
        if [[ ! -f $file ]]; then
            command -v curl >/dev/null || die "KERNEL_PACK=$pack: downloading it needs curl"
            mkdir -p "${file%/*}"
            step "downloading the kernel pack $pack"
            curl -fsSL --retry 3 -o "$file.part" "$pack" || die "could not download KERNEL_PACK=$pack"
            mv "$file.part" "$file"
        fi
        pack=$file
    fi
    [[ -f $pack ]] || die "KERNEL_PACK=$pack: no such file (a relative path is from $PWD)"
    realpath "$pack"
}

# kernel_pack_member PACK NAME: print the member NAME of a kernel pack, reading only as far as it.
kernel_pack_member() {
    { zstd -dcq "$1" 2>/dev/null || true; } | tar -xO --occurrence=1 -f - "$2" 2>/dev/null
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
# rustc runs on other crate roots. Without `--cfg=dw_kunit` too: as in a lab module, the layer's
# KUnit tests are not compiled (they would be in its documentation, and change the paths rustc
# names types by in the compile-fail cases' errors). Needs scripts/build.sh first.
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
            --emit=* | -Zbinary_dep_depinfo=y | -[WA]clippy::* | --cfg=dw_kunit | */kunit.rs) ;;
            *) rust_args+=("$arg") ;;
        esac
    done
}

# doc_examples DIR: the examples of kernel_ext's documentation (scripts/doc-examples.awk), from
# every file of the layer but mod.rs and testing.rs (the KUnit tests' fixtures), in DIR (emptied
# first): DIR/index.tsv lists them, one "FILE_STEM<TAB>LINE<TAB>run|no_run" a line.
doc_examples() {
    local dir=$1 layer=${2:-$DW_ROOT/modules/kernel_ext} src
    rm -rf "$dir"
    mkdir -p "$dir"
    : >"$dir/index.tsv"
    for src in "$layer"/*.rs; do
        [[ $src == */testing.rs || $src == */mod.rs ]] && continue
        awk -v out="$dir" -v stem="$(basename "$src" .rs)" -f "$DW_ROOT/scripts/doc-examples.awk" "$src"
    done
}
