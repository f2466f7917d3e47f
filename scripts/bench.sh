#!/usr/bin/env bash
# make bench: the Rust modules next to their C twins, measured in guest boots of the bench kernel.
#
# Usage: scripts/bench.sh [--mode both|wall|instructions|loader] [--runs N] [dw-bench options]
#   --mode wall          one boot on QEMU's TCG with the host's clock: latency distributions
#                        (dw-bench defaults: --rounds 3 --ioctls 1000000 --samples 1000)
#   --mode instructions  N boots (--runs, default 2) under `-icount shift=0,sleep=off`: the
#                        guest clock counts instructions (1 ns each), so every figure is an
#                        instruction count, and the runs show how far they agree
#                        (dw-bench defaults: --rounds 3 --ioctls 20000 --samples 200)
#   --mode both          (the default) both, wall first
#   --mode loader        instruction boots that measure the module loader alone: one for each
#                        twin, stripped of its local symbols, and made-up modules that differ in
#                        one thing (undefined symbols and their names, relocations, text,
#                        symbols); then, per twin, 100 loads and unloads profiled by kernel
#                        function (bench/tbprof.c, a QEMU plugin), and where the Rust module's
#                        extra instructions go; build/bench/loader.md
# The other options go to dw-bench in every mode (user/src/bin/dw_bench.rs).
# Builds the bench kernel (qemu/kernel.config + qemu/kernel-bench.config: no lock or object
# debugging, no KASAN or kmemleak; cached), the modules for it in build/bench/modules (the tree's
# own build stays the test kernel's), then writes build/bench/results.md (printed), results.csv
# and latency.png with dw-bench-report (bench/). Not part of `make test`.
# KDIR=/path/to/your/kernel uses your kernel instead; DW_KVM=1 runs the wall-clock guest under KVM
# (the instruction mode is TCG's).
# One vCPU by default (DW_SMP=N for more): with two, the vCPUs' ticks are out of phase and a
# wake-up may cross to an idle vCPU, which under TCG adds milliseconds of noise to both languages.
set -euo pipefail
source "$(dirname "$0")/common.sh"

command="make bench${*:+ ARGS='$*'}"
mode=both runs=2 args=()
while (($#)); do
    case $1 in
        --mode) mode=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
[[ $mode == both || $mode == wall || $mode == instructions || $mode == loader ]] ||
    die "--mode is both, wall, instructions or loader, not $mode"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs takes a positive number, not $runs"

"$DW_ROOT/scripts/setup-toolchain.sh"
KDIR=${KDIR:-$(DW_KERNEL_CONFIGS=qemu/kernel-bench.config "$DW_ROOT/scripts/build-kernel.sh")}
out=$DW_ROOT/build/bench
mkdir -p "$out/modules"
ln -sfn "$KDIR" "$out/kdir"

# build_modules DIR [MAKE_VARIABLE=VALUE]...: every module, built as the top Kbuild says from a
# copy of the sources in DIR/src (Kbuild builds in the source tree, which stays the test
# kernel's), make's output in DIR.log, the .ko files in DIR.
build_modules() {
    local dir=$1 ko
    shift
    mkdir -p "$dir/src"
    # Kbuild's temporary folders (.tmp_*) are left out: a build in the tree meanwhile (make test)
    # removes them under find, which then fails.
    (cd "$DW_ROOT" && find Kbuild modules bench/modules -name '.tmp_*' -prune -o \
        \( -name '*.rs' -o -name '*.[ch]' -o -name '*.mk' -o -name Kbuild \) \
        -exec cp --parents -u {} "$dir/src/" \;)
    "$DW_ROOT/scripts/doctests.sh" "$dir/src/modules" "$KDIR"
    "$DW_ROOT/scripts/build-modules.sh" "$KDIR" "$dir/src" "$dir.log" "$@"
    while IFS= read -r ko; do cp -u "$ko" "$dir/"; done < <(find "$dir/src" -name '*.ko')
}
step "modules for the bench kernel: make -C KDIR M=build/bench/modules/src"
build_modules "$out/modules"
# The same, with Rust's overflow checks off (CONFIG_RUST_OVERFLOW_CHECKS=n for our code), for the
# report's module text figure only.
step "the same with -Coverflow-checks=n: build/bench/modules-no-overflow-checks (text figure only)"
build_modules "$out/modules-no-overflow-checks" KRUSTFLAGS=-Coverflow-checks=n

# loader_modules: build/bench/loader/: the twins stripped of the symbols no relocation needs
# (`<module>.stripped.ko`), and made-up C modules that differ from `loader_none` in one thing:
# `loader_undefined_c` and `loader_undefined_rust` refer to as many kernel symbols, named as
# the C `/dev/deferred` module's are and as the Rust one's `_RN...` and `rust_helper_...` ones
# are; `loader_relocations` to the C ones four times each; `loader_text` has 8 KiB more code;
# `loader_symbols` 40 more functions.
loader_modules() {
    step "the loader's made-up modules: build/bench/loader"
    rm -rf "$loader"
    mkdir -p "$loader"
    local c_names rust_names m n i
    undefined() { "llvm-readelf$DW_LLVM" -s --wide "$out/modules/$1.ko" | awk '$7 == "UND" && $8 { print $8 }'; }
    mapfile -t c_names < <(undefined dw_c_procmon)
    mapfile -t rust_names < <(undefined dw_procmon | grep -E '^(_RN|rust_helper_)')
    n=$((${#c_names[@]} < ${#rust_names[@]} ? ${#c_names[@]} : ${#rust_names[@]}))
    # module NAME REPEATS SYMBOL...: refers to each SYMBOL REPEATS times.
    module() {
        local name=$1 repeats=$2 r
        shift 2
        {
            echo '// SPDX-License-Identifier: GPL-2.0'
            echo '#include <linux/module.h>'
            # shellcheck disable=SC1087 # C's `ref1[]`, not a bash array
            for ((i = 1; i <= $#; i++)); do echo "extern char ref$i[] __asm__(\"${!i}\");"; done
            echo 'static void *const refs[] __used = {'
            for ((r = 0; r < repeats; r++)); do
                for ((i = 1; i <= $#; i++)); do echo "	ref$i,"; done
            done
            echo '	NULL,'
            echo '};'
            [[ $name == loader_text ]] && echo 'asm(".pushsection .text\n.skip 8192, 0xcc\n.popsection");'
            if [[ $name == loader_symbols ]]; then
                for ((i = 0; i < 40; i++)); do echo "void loader_function_with_a_longer_name_$i(void) {}"; done
            fi
            echo 'static int __init loader_init(void) { return 0; }'
            echo 'static void __exit loader_exit(void) { }'
            echo 'module_init(loader_init);'
            echo 'module_exit(loader_exit);'
            echo 'MODULE_LICENSE("GPL");'
            echo 'MODULE_DESCRIPTION("make bench --mode loader");'
        } >"$loader/$name.c"
        echo "obj-m += $name.o" >>"$loader/Kbuild"
    }
    module loader_none 1
    module loader_undefined_c 1 "${c_names[@]:0:n}"
    module loader_undefined_rust 1 "${rust_names[@]:0:n}"
    module loader_relocations 4 "${c_names[@]:0:n}"
    module loader_text 1
    module loader_symbols 1
    local vars
    mapfile -t vars < <(kmake_vars)
    make -s -C "$KDIR" M="$loader" "${vars[@]}" KCFLAGS=-Wno-missing-prototypes modules >&2
    "clang$DW_LLVM" -O2 -Wall -shared -fPIC -o "$loader/libtbprof.so" "$DW_ROOT/bench/tbprof.c"
    for m in "${twins[@]}"; do
        "llvm-objcopy$DW_LLVM" --strip-unneeded "$out/modules/$m.ko" "$loader/$m.stripped.ko"
    done
}

step "dw-bench (static), dw-bench-report, and dw-tests (for its kernel report scan)"
target=x86_64-unknown-linux-gnu
RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release --locked \
    --manifest-path "$DW_ROOT/Cargo.toml" -p deferred-test --bin dw-bench --target "$target"
cargo build -q --release --locked --manifest-path "$DW_ROOT/Cargo.toml" -p dw-bench-report -p dw-tests

# The twins: each C module of bench/modules/c/ but the bench's, and its Rust module.
twins=()
for c in "$DW_ROOT"/bench/modules/c/*.c; do
    c=${c##*/}
    [[ $c == bench.c ]] || twins+=("dw_${c%.c}" "dw_c_${c%.c}")
done
loader=$out/loader
[[ $mode == loader ]] && loader_modules
entries=(--base "$DW_ROOT/target/$target/release/dw-bench:/root/dw-bench")
for ko in "$out"/modules/*.ko; do entries+=("$ko:/root/${ko##*/}"); done
if [[ $mode == loader ]]; then
    for ko in "$loader"/*.ko; do entries+=("$ko:/root/${ko##*/}"); done
fi
"$DW_ROOT/qemu/mkinitramfs.sh" "$KDIR" "$out/initramfs.cpio.gz" "${entries[@]}"

# The kernel's debug options, as its .config has them (`n` for those it does not set).
debug_options=(DEBUG_KERNEL PROVE_LOCKING LOCKDEP DEBUG_SPINLOCK DEBUG_ATOMIC_SLEEP DEBUG_OBJECTS
    KASAN DEBUG_KMEMLEAK SLUB_DEBUG DETECT_HUNG_TASK SOFTLOCKUP_DETECTOR KUNIT RUST_OVERFLOW_CHECKS
    RUST_DEBUG_ASSERTIONS RUST_INLINE_HELPERS BUG HZ PREEMPT_NONE PREEMPT_VOLUNTARY PREEMPT
    NO_HZ_IDLE HZ_PERIODIC)
kernel_config=$(for o in "${debug_options[@]}"; do
    v=$(sed -n "s/^CONFIG_$o=//p" "$KDIR/.config")
    printf '%s=%s ' "$o" "${v:-n}"
done)

# guest NAME ICOUNT: boots the guest once with dw-bench (virtual time if ICOUNT is set), its rows
# in build/bench/NAME.csv, the kernel console in NAME.console.log.
guest() {
    local name=$1 icount=$2 script=$out/$1.sh guest_args=("${args[@]}")
    [[ -n $icount ]] && guest_args=(--instructions "${guest_args[@]}")
    printf '#!/bin/sh\nexec ./dw-bench %s\n' "${guest_args[*]}" >"$script"
    step "guest $name: dw-bench ${guest_args[*]} (kernel log: build/bench/$name.console.log)"
    local start=$SECONDS kvm=${DW_KVM:-0}
    [[ -n $icount ]] && kvm=0
    DW_BUILD=$out DW_SMP=${DW_SMP:-1} DW_ICOUNT=$icount DW_KVM=$kvm \
        "$DW_ROOT/qemu/boot.sh" --exec "$script" --timeout 7200 \
        --output "$out/$name.csv" --console "$out/$name.console.log" ||
        die "the guest benchmark failed (status $?): see build/bench/$name.csv and $name.console.log"
    "$DW_ROOT/target/release/dw-tests" --reports "$out/$name.console.log" >&2 ||
        die "the kernel reported a problem during the benchmark (build/bench/$name.console.log)"
    # What the guest cannot know about itself.
    local accel=TCG qemu_cpu=qemu64 clock="host (wall clock)"
    [[ $kvm == 1 ]] && accel=KVM qemu_cpu=host
    [[ -n $icount ]] && clock="virtual: -icount shift=$icount,sleep=off"
    {
        echo "meta,command,$command"
        echo "meta,host_cpu,$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
        echo "meta,host_cores,$(nproc)"
        echo "meta,accel,$accel"
        echo "meta,qemu_cpu,$qemu_cpu"
        echo "meta,clock,$clock"
        echo "meta,kernel_config,$(if [[ $KDIR == "$DW_CACHE"/kbuild/* ]]; then echo "qemu/kernel.config + qemu/kernel-bench.config"; else echo "$KDIR"; fi)"
        echo "meta,kernel_debug,${kernel_config% }"
        echo "meta,date,$(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "meta,wall_s,$((SECONDS - start))"
    } >>"$out/$name.csv"
}

# loader_table: build/bench/loader.md from the loader run: per file, what the loader works on and
# its CPU time (median of the rounds).
loader_table() {
    local file ko rows
    {
        echo "# The module loader's cost (\`$command\`)"
        echo
        echo "One guest boot under \`-icount shift=0,sleep=off\`: 1 µs of CPU time is 1000 instructions."
        echo "CPU time of \`finit_module\` and \`delete_module\` in the calling process, median of the rounds."
        echo "Undefined symbols: named \`_RN...\` or \`rust_helper_...\` / others."
        echo
        echo "| file | undefined symbols | relocations | defined symbols | text (bytes) | load (µs) | unload (µs) |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        for file in "${loads[@]}"; do
            ko=$out/modules/$file
            [[ -f $ko ]] || ko=$loader/$file
            rows=$("llvm-readelf$DW_LLVM" -s --wide "$ko")
            printf '| `%s` | %s / %s | %s | %s | %s | %s | %s |\n' "$file" \
                "$(awk '$7 == "UND" && $8 ~ /^(_RN|rust_helper_)/' <<<"$rows" | wc -l)" \
                "$(awk '$7 == "UND" && $8 && $8 !~ /^(_RN|rust_helper_)/' <<<"$rows" | wc -l)" \
                "$("llvm-readelf$DW_LLVM" -r --wide "$ko" | grep -c R_X86_64)" \
                "$(awk '$1 ~ /:$/ && $7 != "UND" && $4 != "SECTION" && $4 != "FILE" && $8' <<<"$rows" | wc -l)" \
                "$(size "$ko" | awk 'NR == 2 { print $1 }')" \
                "$(median "$file" load_cpu_us)" "$(median "$file" unload_cpu_us)"
        done
    } >"$out/loader.md"
}
# profile_functions COUNTS: `instructions function` per kernel function (System.map's), from
# the plugin's `address instructions executions` lines; module code is `[module]`.
profile_functions() {
    {
        awk '$2 ~ /^[tTwW]$/ { print $1, "S", $3 }' "$KDIR/System.map"
        awk '{ print $1, "B", $2 * $3 }' "$1"
    } | LC_ALL=C sort -k1,1 -k2,2r | awk '
        $2 == "S" { f = $3; next }
        { sum[$1 >= "ffffffffa0000000" ? "[module]" : f] += $3 }
        END { for (f in sum) print sum[f], f }'
}
# profile_table RUST C N: the functions whose instructions differ most between the two profiles,
# per each of the N loads and unloads.
profile_table() {
    local total
    total=$(awk -v n="$3" '{ t += $1 } END { printf "%+.0f", t / n }' \
        <(profile_functions "$1") <(profile_functions "$2" | awk '{ print -$1, $2 }'))
    echo "Rust − C, per load and unload: **$total** instructions. The functions that differ most:"
    echo
    echo "| function | Rust − C |"
    echo "|---|---:|"
    awk -v n="$3" 'FNR == NR { d[$2] += $1; next } { d[$2] -= $1 }
        END { for (f in d) printf "%.0f %s\n", d[f] / n, f }' \
        <(profile_functions "$1") <(profile_functions "$2") |
        awk '{ print ($1 < 0 ? -$1 : $1), $0 }' | sort -k1,1nr | awk 'NR <= 15' |
        awk '{ printf "| `%s` | %+d |\n", $3, $2 }'
    echo
}
# median FILE METRIC: of the loader run's rows `FILE,METRIC,round,value`.
median() {
    awk -F, -v f="$1" -v m="$2" '$1 == f && $2 == m { print $4 }' "$out/loader.csv" | sort -n |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

if [[ $mode == loader ]]; then
    loads=(loader_none.ko)
    for m in "${twins[@]}"; do loads+=("$m.ko" "$m.stripped.ko"); done
    for m in undefined_c undefined_rust relocations text symbols; do loads+=("loader_$m.ko"); done
    common=("${args[@]}")
    args+=(--loads "${loads[@]}")
    guest loader 0
    loader_table
    # The profiles, all at once (their counts do not depend on the host either). Each boot's
    # one-off work (a vmalloc pool's decay, ...) is spread over this many loads and unloads.
    profile_rounds=100
    pids=()
    for m in "${twins[@]}"; do
        args=("${common[@]}" --rounds "$profile_rounds" --loads "$m.ko")
        DW_PLUGIN="$loader/libtbprof.so,out=$out/profile-$m.counts" guest "profile-$m" 0 &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || die "a profile run failed (above)"; done
    {
        echo
        echo "## Where the Rust modules' extra instructions go"
        echo
        echo "Each twin loaded and unloaded $profile_rounds times in a boot of its own, with the QEMU plugin"
        echo "\`bench/tbprof.c\` counting the instructions of each kernel function (System.map's);"
        echo "the difference of two boots is that of their loads and unloads."
        echo
        for ((i = 0; i < ${#twins[@]}; i += 2)); do
            echo "### \`${twins[i]}.ko\` / \`${twins[i + 1]}.ko\`"
            echo
            profile_table "$out/profile-${twins[i]}.counts" "$out/profile-${twins[i + 1]}.counts" "$profile_rounds"
        done
    } >>"$out/loader.md"
    cat "$out/loader.md"
    step "written: build/bench/loader.md"
    exit 0
fi

report=()
rm -f "$out"/wall.csv "$out"/icount-*.csv
if [[ $mode != instructions ]]; then
    guest wall ""
    report+=(--wall "$out/wall.csv")
fi
if [[ $mode != wall ]]; then
    # The instruction runs at once, as the host's cores allow: their figures do not depend on it.
    pids=()
    for ((run = 1; run <= runs; run++)); do
        guest "icount-$run" 0 &
        pids+=($!)
        report+=(--instructions "$out/icount-$run.csv")
    done
    for pid in "${pids[@]}"; do wait "$pid" || die "an instruction run failed (above)"; done
fi
"$DW_ROOT/target/release/dw-bench-report" "${report[@]}" \
    --without-overflow-checks "$out/modules-no-overflow-checks" "$out/modules" "$out"
step "written: build/bench/results.md, results.csv$([[ $mode != instructions ]] && echo ", latency.png")"
