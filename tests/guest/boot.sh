# shellcheck shell=sh
# The functions of each boot's guest script (tests/src/guest.rs puts them first, then the
# marker functions of tests/src/markers.rs, then a call of dw_run_scenario per scenario).

# Asks kmemleak (where the kernel has it) for two scans (the first records a new object's
# checksum; an object is reported once it stayed unchanged and unreferenced since), copies what
# it reports to the kernel log as `dw-kmemleak:` lines (one write per line: /dev/kmsg takes one
# record per write), then forgets it. Only our modules are loaded in these guests, so a leak is
# taken as theirs (its backtrace cannot name a module that is unloaded by then).
dw_leak_check() {
    leaks=/sys/kernel/debug/kmemleak
    [ -w $leaks ] || return 0
    echo scan > $leaks
    echo scan > $leaks
    while IFS= read -r line; do echo "dw-kmemleak: $line" > /dev/kmsg; done < $leaks
    echo clear > $leaks
}

# Prints the kernel's jiffies (from the scheduler's debugfs file, nothing without it), which
# each scenario's begin marker carries, so that a leaked object's allocation time names its
# scenario.
dw_jiffies() {
    awk '$1 == "jiffies" { print $3; exit }' /sys/kernel/debug/sched/debug 2>/dev/null
}

# dw_run_scenario INDEX TIMEOUT [traced]: runs /tmp/dw-scenario-INDEX in its own `sh -e` with a
# time limit, between its begin and status markers; with the kernel's trace events (trace.sh)
# when traced.
dw_run_scenario() {
    dw_mark_begin "$1"
    [ -z "${3:-}" ] || dw_trace_start
    timeout "$2" sh -e "/tmp/dw-scenario-$1"
    status=$?
    [ -z "${3:-}" ] || dw_trace_dump
    dw_mark_status "$1" $status
}

# Unloads the modules whose name starts with $1 (ours), after a scenario that left any loaded.
dw_unload() {
    # shellcheck disable=SC2013 # a module name a line
    for m in $(awk -v prefix="$1" 'index($1, prefix) == 1 {print $1}' /proc/modules); do
        rmmod "$m" || true
    done
    # A module whose rmmod hung stays "Unloading": no later scenario can load it again.
    # shellcheck disable=SC2013 # a module name a line
    for m in $(awk -v prefix="$1" 'index($1, prefix) == 1 && $5 == "Unloading" {print $1}' \
        /proc/modules); do
        dw_mark_stuck "$m"
    done
}
