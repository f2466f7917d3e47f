#!/usr/bin/env bash
# Lint gates: formatting of kernel and user code, warning-free modules (built with clippy by
# scripts/build.sh) that link only the C helpers they call and keep C's .init.data flags, the
# abstraction layer's rustdoc, clippy with warnings as errors for the host code, shellcheck on the
# shell scripts (where it is installed).
# Prints PASS/FAIL (or SKIP) per gate and, last, "N passed, N failed"; exits 1 if any gate failed.
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$DW_ROOT" || exit 1

passed=0 failed=0
gate() {
    local name=$1
    shift
    local out
    if out=$("$@" 2>&1); then
        echo "PASS lint: $name"
        passed=$((passed + 1))
    else
        echo "FAIL lint: $name"
        printf '%s\n' "$out" | head -40 | sed 's/^/    /'
        failed=$((failed + 1))
    fi
}

gate "rustfmt, kernel code (the kernel's .rustfmt.toml)" \
    rustfmt --edition 2021 --config-path "$(kernel_rustfmt_config)" --check modules/*/*.rs bench/modules/*.rs
gate "rustfmt, host code" cargo fmt --all --check
gate "modules build without warnings (with clippy)" \
    bash -c '[[ -f build/modules.log && -f build/bench-modules.log ]] &&
        ! grep -E "warning|error" build/modules.log build/bench-modules.log'
gate "each module links exactly the C helpers it calls (helpers.mk)" scripts/helpers-check.sh
# init_data_writable: every built module's .init.data is writable and not SHF_GNU_RETAIN, as C's
# __initdata (kernel_ext/module.rs says why: a read-only one costs each load a set_memory_ro, a
# retained one is skipped by the loader with a WARNING).
init_data_writable() {
    local ko flags ok=1
    for ko in modules/*.ko bench/modules/*.ko; do
        flags=$("llvm-readelf$DW_LLVM" -S --wide "$ko" | sed -n 's/^ *\[ *[0-9]*\] //p' |
            awk '$1 == ".init.data" { print $7 }')
        [[ $flags == *W* && $flags != *R* ]] || { echo "$ko: .init.data flags '$flags'"; ok=0; }
    done
    ((ok))
}
gate "each module's .init.data is writable, as C's (kernel_ext/module.rs)" init_data_writable
# kunit_only_in_dw_kunit: the layer's KUnit suites (`#[cfg(dw_kunit)]` at the bottom of its
# files) are in dw_kunit and in no other module, which compiles the same files.
kunit_only_in_dw_kunit() {
    local ko suites ok=1
    for ko in modules/*.ko bench/modules/*.ko; do
        suites=$("llvm-readelf$DW_LLVM" -S --wide "$ko" | grep -c '\.kunit_test_suites')
        if [[ $ko == */dw_kunit.ko ]]; then
            ((suites)) || { echo "$ko: no KUnit suites"; ok=0; }
        else
            ((suites == 0)) || { echo "$ko: KUnit suites outside dw_kunit"; ok=0; }
        fi
    done
    ((ok))
}
gate "the layer's KUnit suites are in dw_kunit alone" kunit_only_in_dw_kunit
gate "rustdoc of the abstraction layer builds without warnings" scripts/rustdoc.sh
gate "clippy, host code (-D warnings)" \
    cargo clippy -q --locked --workspace --all-targets -- -D warnings
gate "the benchmark's QEMU plugin builds without warnings (bench/tbprof.c)" \
    "clang$DW_LLVM" -O2 -Wall -Wextra -Wno-unused-parameter -Werror -shared -fPIC \
    -o /dev/null bench/tbprof.c
gate "the host's TSC probe builds without warnings (qemu/host-tsc-khz.c)" \
    "clang$DW_LLVM" -O2 -Wall -Wextra -Werror -o /dev/null qemu/host-tsc-khz.c
# The shell scripts, by shellcheck (Debian's package `shellcheck`), where it is installed: the
# harness's guest functions, every finding; the project's scripts, warnings and errors (-x
# follows what they source; SC1091: they source common.sh by a path it cannot resolve).
if command -v shellcheck >/dev/null; then
    gate "shellcheck, the harness's guest functions (tests/guest)" shellcheck tests/guest/*.sh
    gate "shellcheck, the scripts (scripts/, qemu/, .ci/run)" \
        shellcheck -x -e SC1091 -S warning scripts/*.sh qemu/*.sh .ci/run
else
    echo "SKIP lint: shellcheck (not installed: apt-get install shellcheck)"
fi
echo "$passed passed, $failed failed"
((failed == 0))
