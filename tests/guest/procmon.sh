# shellcheck shell=sh disable=SC2065 # ./test is the lab's program, not test(1)
# The process monitor's scenarios (in Rust and in C), for tests/src/scenarios.

# How many task_structs are allocated, exactly (the slab's counter after a shrink, with SLUB
# debugging; 0 on kernels without it). A task reference that is never dropped keeps its task
# allocated after the process is gone and reaped, which kmemleak does not see.
tasks_allocated() {
    s=/sys/kernel/slab/task_struct
    [ -w $s/shrink ] || { echo 0; return; }
    sleep 1
    echo 1 > $s/shrink
    cat $s/objects
}

# dw_monitor_several MODULE: three processes monitored at once, noted as $a, $b, $c.
dw_monitor_several() {
    insmod "$1.ko"
    sleep 1 & a=$!
    sleep 2 & b=$!
    sleep 3 & c=$!
    ./test p $c
    ./test p $a
    ./test p $b
    dw_note a $a
    dw_note b $b
    dw_note c $c
    sleep 6
    rmmod "$1"
}

# dw_tasks_freed MODULE: 50 processes monitored and reported; their tasks must be freed.
dw_tasks_freed() {
    insmod "$1.ko"
    before=$(tasks_allocated)
    i=0
    while [ $i -lt 50 ]; do sleep 1 & ./test p $! >/dev/null; i=$((i + 1)); done
    sleep 3
    after=$(tasks_allocated)
    rmmod "$1"
    echo "task_struct objects: $before before, $after after"
    [ $((after - before)) -lt 10 ]
}
