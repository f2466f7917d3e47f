# shellcheck shell=sh
# The kernel's trace events of a traced scenario (tests/src/trace.rs reads them): the timers and
# work items whose function is module code, the timeouts of schedule_timeout() armed in a softirq
# (a timer callback going to sleep), the kernel log lines, the tasks kthreadd (pid 2) makes
# (kernel threads) and the timers' ends. The boot script calls dw_trace_start before the scenario
# and dw_trace_dump after it.

DW_TRACE=/sys/kernel/tracing
# The first address of the modules' area on x86_64 (MODULES_VADDR).
DW_MODULES_VADDR=0xffffffffa0000000

dw_trace_start() {
    [ -d $DW_TRACE/events ] || mount -t tracefs nodev $DW_TRACE 2> /dev/null || return 0
    echo 0 > $DW_TRACE/tracing_on
    echo > $DW_TRACE/trace
    for event in timer/timer_start timer/timer_expire_entry workqueue/workqueue_queue_work \
        workqueue/workqueue_execute_start workqueue/workqueue_execute_end; do
        echo "function >= $DW_MODULES_VADDR" > $DW_TRACE/events/$event/filter
        echo 1 > $DW_TRACE/events/$event/enable
    done
    # schedule_timeout()'s timer function, looked up once.
    [ -n "${DW_PROCESS_TIMEOUT:-}" ] ||
        DW_PROCESS_TIMEOUT=$(awk '$3 == "process_timeout" { print "0x" $1; exit }' /proc/kallsyms)
    [ -z "$DW_PROCESS_TIMEOUT" ] ||
        echo "function >= $DW_MODULES_VADDR || function == $DW_PROCESS_TIMEOUT" \
            > $DW_TRACE/events/timer/timer_start/filter
    echo "common_pid == 2" > $DW_TRACE/events/task/task_newtask/filter
    for event in timer/timer_expire_exit printk/console task/task_newtask; do
        echo 1 > $DW_TRACE/events/$event/enable
    done
    echo 1 > $DW_TRACE/tracing_on
}

# Copies the trace to the kernel log as `dw-trace: LINE` (one write per line: /dev/kmsg takes one
# record per write), each event by its first line only: of the timers' ends, only those of the
# module timers recorded, of the schedule_timeout() timeouts only those armed in a softirq (flags
# with `s`), and of the kernel log lines only the modules' (dw_*) and the kernel's report of a
# sleep in atomic context. Then stops and clears it.
dw_trace_dump() {
    [ -d $DW_TRACE/events ] || return 0
    echo 0 > $DW_TRACE/tracing_on
    echo 0 > $DW_TRACE/events/enable
    awk '
        /^#/ { next }
        # The rest of a multi-line kernel log line, whose console event may be dropped below.
        !/-[0-9]+ +\[[0-9]+\] / { next }
        / timer_expire_entry: / { for (i = 1; i <= NF; i++) if ($i ~ /^timer=/) ours[$i] = 1 }
        / timer_expire_exit: / { for (i = 1; i <= NF; i++) if ($i ~ /^timer=/ && !($i in ours)) next }
        / timer_start: .* function=process_timeout / {
            for (i = 1; i < NF; i++) if ($i ~ /^\[[0-9]+\]$/) break
            if ($(i + 1) !~ /s/) next
        }
        / console: / && !/ console: dw_/ && !/ console: BUG: scheduling while atomic: / { next }
        { print }
    ' $DW_TRACE/trace | while IFS= read -r line; do
        echo "dw-trace: $line" > /dev/kmsg
    done
    echo > $DW_TRACE/trace
}
