#!/usr/bin/env bash
# Install the host toolchain from Debian's packages and crates.io (idempotent).
# Recipe and the reasons behind it: ../shared/toolchain.md, summarized in README.md.
set -euo pipefail
source "$(dirname "$0")/common.sh"

PACKAGES=(rustc-web rust-web-src rust-web-clippy "clang$DW_LLVM" "lld$DW_LLVM" "llvm$DW_LLVM" "libclang$DW_LLVM-dev"
          flex bison bc libelf-dev libssl-dev cpio busybox-static make gcc libc6-dev xz-utils
          binutils fonts-dejavu-core)  # the last two: `size` and the plot's font, for make bench

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    step "apt: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# QEMU 10 from bookworm-backports (bookworm's 7.2 would replace the image's qemu-utils 10).
# A private apt configuration keeps the machine's own sources untouched.
if ! command -v qemu-system-x86_64 >/dev/null; then
    step "apt: installing qemu-system-x86 from bookworm-backports"
    "$DW_ROOT/scripts/apt-private.sh" bookworm-backports apt-get install -y -qq --no-install-recommends \
        -t bookworm-backports qemu-system-x86 >/dev/null
fi

if [[ ! -x $DW_BINDGEN ]] || ! "$DW_BINDGEN" --version | grep -q "$DW_BINDGEN_VERSION"; then
    step "cargo: installing bindgen-cli $DW_BINDGEN_VERSION (about 2 minutes)"
    CARGO_HOME=$DW_CACHE/cargo cargo install --locked --quiet bindgen-cli --version "$DW_BINDGEN_VERSION" \
        --root "$DW_CACHE/cargo"
fi
step "toolchain ready: $("$DW_RUSTC" --version), $("$DW_BINDGEN" --version), $(qemu-system-x86_64 --version | head -1)"
