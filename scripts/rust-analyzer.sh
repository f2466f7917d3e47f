#!/usr/bin/env bash
# Write modules/rust-project.json, so that rust-analyzer understands the modules, the
# abstraction layer and the kernel crate (the kernel's `make M=... rust-analyzer`).
set -euo pipefail
source "$(dirname "$0")/common.sh"

mapfile -t vars < <(kmake_vars)
make -s -C "$DW_ROOT/build/kdir/" M="$DW_ROOT/modules" "${vars[@]}" rust-analyzer
step "wrote modules/rust-project.json; .vscode/settings.json links it next to Cargo.toml"
