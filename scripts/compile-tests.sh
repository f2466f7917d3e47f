#!/usr/bin/env bash
# The compiler's half of kernel_ext's claims, checked against the real kernel crate:
#   compile-fail: each case in tests/compile-fail/ must fail with exactly the error it names,
#   and say the words it names;
#   compile-pass: each example in kernel_ext's documentation must compile (they also run in the
#   guest, as KUnit test cases: scripts/doctests.sh).
# Each is compiled (--emit=metadata) with the rustc command Kbuild used for the modules, as the
# crate root of a small crate that has the layer as `mod kernel_ext;`. Prints PASS/FAIL per check
# and, last, "N passed, N failed"; exits 1 if any failed. Needs scripts/build.sh first.
set -uo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

kbuild_rustc_command
work=$DW_ROOT/build/compile-tests
rm -rf "$work"
mkdir -p "$work/out"
# The crates live next to the layer they use.
ln -s "$DW_ROOT/modules/kernel_ext" "$work/"
prelude='use kernel::prelude::*;
#[allow(dead_code, unused_imports, unused_macros)]
#[path = "kernel_ext/mod.rs"]
mod kernel_ext;'
# A module around the crate (the printing and vtable macros need what `module!` defines), unless
# the example declares its own.
module='module! { type: CompileTest, name: "dw_compile_test", license: "GPL", }
struct CompileTest;
impl kernel::Module for CompileTest {
    fn init(_module: &'"'"'static ThisModule) -> Result<Self> {
        Ok(CompileTest)
    }
}'

passed=0 failed=0
report() { # report PASS|FAIL NAME [DETAILS]
    echo "$1 $2"
    if [[ $1 == PASS ]]; then passed=$((passed + 1)); else
        failed=$((failed + 1))
        [[ -n ${3:-} ]] && printf '%s\n' "$3" | head -30 | sed 's/^/    /'
    fi
}

# compile CRATE_ROOT: rustc's diagnostics on stdout; its status.
compile() {
    local name
    name=$(basename "$1" .rs)
    (cd "$work" && env RUSTC_BOOTSTRAP=1 "${rust_env[@]}" "$DW_RUSTC" "${rust_args[@]}" \
        --crate-name "$name" --emit=metadata --out-dir out -Awarnings "$1" 2>&1)
}

# compile-fail cases: "// compile-fail: WHAT" and "// error: E0277" on top (comma-separated error
# codes, or messages of errors that have none), then one "// says: WORDS" line or more: words
# that rustc's diagnostics must contain, as printed (the lesson of a context error).
for case in "$DW_ROOT"/tests/compile-fail/*.rs; do
    what=$(sed -n 's|^// compile-fail: ||p' "$case" | head -1)
    want=$(sed -n 's|^// error: ||p' "$case" | head -1)
    mapfile -t says < <(sed -n 's|^// says: ||p' "$case")
    name="compile-fail: ${what:-$(basename "$case")}"
    [[ -n $what && -n $want && ${#says[@]} -gt 0 ]] ||
        { report FAIL "$name" "no '// compile-fail:', '// error:' or '// says:' line"; continue; }
    root=$work/fail_$(basename "$case")
    printf '%s\n%s\n%s\n' "$prelude" "$module" "$(cat "$case")" >"$root"
    if out=$(compile "$root"); then
        report FAIL "$name" "it compiles; expected error $want"
        continue
    fi
    # Every error must be an expected one (rustc's closing summary aside): `error[CODE]` for a
    # code, `error: MESSAGE` for a message.
    errors=$(grep -E '^error(\[E[0-9]+\])?: ' <<<"$out" | grep -vE '^error: aborting due to')
    others=$errors
    IFS=, read -ra wanted <<<"$want"
    for w in "${wanted[@]}"; do
        w=${w# }
        if [[ $w =~ ^E[0-9]+$ ]]; then pattern="error[$w]: "; else pattern="error: $w"; fi
        others=$(grep -vF "$pattern" <<<"$others")
    done
    unsaid=()
    for words in "${says[@]}"; do
        grep -qF -- "$words" <<<"$out" || unsaid+=("$words")
    done
    if [[ -z $errors || -n $others ]]; then
        report FAIL "$name" "expected only error $want, got:
$out"
    elif ((${#unsaid[@]})); then
        report FAIL "$name" "the error does not say: $(printf '\n    %s' "${unsaid[@]}")
got:
$out"
    else
        report PASS "$name"
    fi
done

# compile-pass: the ``` examples of kernel_ext's docs (plain or `no_run`; not `ignore` or
# `compile_fail`), with rustdoc's hidden `# ` lines shown (scripts/doc-examples.awk), wrapped in a
# function (or at the crate's top level when they declare a module). One crate per example,
# named after its file and line. (The examples also run in the guest, but for the `no_run` ones:
# scripts/doctests.sh.)
doc_examples "$work/examples"
while IFS=$'\t' read -r stem line _; do
    body=$work/examples/${stem}_$line.rs
    example=$work/doc_${stem}_$line.rs
    name="compile-pass: doc example $stem.rs:$line"
    last=$(grep -v '^[[:space:]]*$' "$body" | tail -1)
    {
        printf '%s\n' "$prelude"
        if grep -q 'module! *{' "$body"; then
            cat "$body"
        else
            printf '%s\n#[allow(dead_code, unused)]\n' "$module"
            if [[ $last =~ ^[[:space:]]*Ok::\< ]]; then
                printf 'fn doc_example() -> Result<(), Error> {\n'
            else
                printf 'fn doc_example() {\n'
            fi
            cat "$body"
            printf '}\n'
        fi
    } >"$example"
    if out=$(compile "$example"); then report PASS "$name"; else report FAIL "$name" "$out"; fi
done < <(sort -t$'\t' -k1,1 -k2,2 "$work/examples/index.tsv")

echo "$passed passed, $failed failed"
((failed == 0))
