# shellcheck shell=sh
# Load and unload cycles of one module, for the scenarios of tests/src/scenarios.

# dw_cycles MODULE COUNT STEP_MS: loads and unloads MODULE COUNT times, staying loaded STEP_MS,
# 2 × STEP_MS, ... so that unloading meets the timer both armed and (late in the run) firing or
# re-arming.
dw_cycles() {
    i=1
    while [ $i -le "$2" ]; do
        insmod "$1.ko"
        usleep $((i * $3 * 1000))
        rmmod "$1"
        i=$((i + 1))
    done
    sleep 2
}
