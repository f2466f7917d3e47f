# The ``` examples of a Rust file's documentation (`///` and `//!`), as rustdoc tests them: with
# its hidden `# ` lines shown. Shared by scripts/compile-tests.sh (each must compile) and
# scripts/doctests.sh (each runs as a KUnit test case).
# Usage: awk -v out=DIR -v stem=STEM -f doc-examples.awk FILE
# Writes each example's body to DIR/STEM_LINE.rs (LINE: its opening fence's) and appends
# "STEM<TAB>LINE<TAB>MODE" to DIR/index.tsv, MODE `run`, or `no_run` for a ```no_run fence
# (compiled, never run). Fences of other kinds (`ignore`, `compile_fail`, `text`) are skipped.
# Reading stops at `#[cfg(dw_kunit)]`: the file's KUnit tests, at its bottom, hold no examples.
function flush(  f) {
    f = out "/" stem "_" start ".rs"
    printf "%s", body > f
    close(f)
    printf "%s\t%d\t%s\n", stem, start, mode >> (out "/index.tsv")
    close(out "/index.tsv")
}
/^#\[cfg\(dw_kunit\)\]/ { exit }
{
    line = $0
    if (line !~ /^ *\/\/[\/!]( |$)/) { inblock = 0; next }
    sub(/^ *\/\/[\/!] ?/, "", line)
    if (skipping) { if (line ~ /^```$/) skipping = 0; next }
    if (!inblock && line ~ /^```((rust)?|(rust,)?no_run)$/) {
        inblock = 1; start = FNR; body = ""
        mode = line ~ /no_run$/ ? "no_run" : "run"
        next
    }
    if (!inblock && line ~ /^```/) { skipping = 1; next }
    if (inblock && line ~ /^```$/) { inblock = 0; flush(); next }
    if (inblock) {
        if (line ~ /^# /) line = substr(line, 3); else if (line == "#") line = ""
        body = body line "\n"
    }
}
