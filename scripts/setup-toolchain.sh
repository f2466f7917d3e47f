#!/usr/bin/env bash
# Install the host toolchain from Debian's packages and the crates registry (idempotent): one Rust
# toolchain, Debian's, for the kernel, the modules and the host programs. docs/toolchain.md says
# what and why.
set -euo pipefail
source "$(dirname "$0")/common.sh"

PACKAGES=(rustc-web rust-web-src cargo-web rustfmt-web rust-web-clippy
          "clang$DW_LLVM" "lld$DW_LLVM" "llvm$DW_LLVM" "libclang$DW_LLVM-dev"
          flex bison bc libelf-dev libssl-dev cpio busybox-static make gcc libc6-dev xz-utils
          zstd                         # the kernel pack (make kernel-pack, KERNEL_PACK=)
          binutils fonts-dejavu-core   # `size` and the plot's font, for make bench
          shellcheck                   # lint.sh's gate on the shell scripts
          bubblewrap)                  # make grade's sandbox for the students' builds
# Wait for another apt (or a second clone's) instead of failing at once.
APT_OPTS=(-y -qq --no-install-recommends -o DPkg::Lock::Timeout=600)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    step "apt: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${APT_OPTS[@]}" "${missing[@]}" >/dev/null
fi

# QEMU 10 from bookworm-backports (bookworm's 7.2 would replace the image's qemu-utils 10).
# A private apt configuration keeps the machine's own sources untouched.
if ! command -v qemu-system-x86_64 >/dev/null; then
    step "apt: installing qemu-system-x86 from bookworm-backports"
    "$DW_ROOT/scripts/apt-private.sh" bookworm-backports apt-get install "${APT_OPTS[@]}" \
        -t bookworm-backports qemu-system-x86 >/dev/null
fi

bindgen_ready() { [[ -x $DW_BINDGEN ]] && "$DW_BINDGEN" --version | grep -q "$DW_BINDGEN_VERSION"; }
if ! bindgen_ready; then
    lock bindgen
    # A kernel pack carries the bindgen its kernel was built with: no need to compile one.
    if ! bindgen_ready && [[ -n ${KERNEL_PACK:-} ]]; then
        pack=$(kernel_pack)
        mkdir -p "$(dirname "$DW_BINDGEN")"
        if kernel_pack_member "$pack" bin/bindgen >"$DW_BINDGEN.part"; then
            chmod +x "$DW_BINDGEN.part" && mv "$DW_BINDGEN.part" "$DW_BINDGEN"
            step "bindgen: taken from the kernel pack ($("$DW_BINDGEN" --version 2>&1 || true))"
        fi
        rm -f "$DW_BINDGEN.part"
    fi
    if ! bindgen_ready; then
        step "cargo: installing bindgen-cli $DW_BINDGEN_VERSION (a few minutes)"
        cargo install --locked --quiet bindgen-cli --version "$DW_BINDGEN_VERSION" --root "$DW_CACHE/cargo"
    fi
fi
for tool in "${DW_RUST_TOOLS[@]}"; do
    [[ -x $DW_RUST_BIN/$tool ]] || die "no $DW_RUST_BIN/$tool: the Rust toolchain is incomplete (docs/toolchain.md)"
done
step "toolchain ready: $("$DW_RUSTC" --version), $(cargo --version), $("$DW_BINDGEN" --version), $(qemu-system-x86_64 --version | head -1)"
