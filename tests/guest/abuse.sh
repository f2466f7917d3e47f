# shellcheck shell=sh disable=SC2065 # ./test is the lab's program, not test(1)
# The abuse scenarios' loops, for tests/src/scenarios. The harness sets the device's ioctl
# numbers first: DW_SET, DW_CANCEL, DW_ALLOC, DW_MON.

# dw_in_flight MODULE CYCLE REARMED_EVERY SLEEPING_EVERY: puts MODULE's deferred work in flight
# in cycle CYCLE of dw_cycles_in_flight, so that its unload meets it. Every REARMED_EVERY
# cycles the periodic timer is unloaded after it fired and re-armed (1.1 s), and every
# SLEEPING_EVERY cycles the work item while it sleeps in alloc_io(); else after 0 to 200 ms.
dw_in_flight() {
    case $1 in
    dw_timer) usleep $(($2 % 5 * 50000)) ;;
    dw_periodic_timer) usleep $(($2 % $3 == 0 ? 1100000 : $2 % 5 * 50000)) ;;
    dw_deferred) ./test s 1 >/dev/null ;;
    dw_workqueue)
        if [ $(($2 % $4)) -eq 0 ]; then ./test a 0; usleep 100000; else ./test a 1; fi >/dev/null
        ;;
    dw_procmon | dw_c_procmon) sleep 5 & ./test p $! >/dev/null; ./test s 1 >/dev/null ;;
    dw_kthread_events) usleep $(($2 % 5 * 100000)) ;;
    *) true ;;
    esac
}

# dw_cycles_in_flight MODULE COUNT REARMED_EVERY SLEEPING_EVERY: COUNT insmod/rmmod cycles of
# MODULE, each unloading it with its work in flight (dw_in_flight).
dw_cycles_in_flight() {
    i=1
    while [ $i -le "$2" ]; do
        insmod "$1.ko"
        dw_in_flight "$1" $i "$3" "$4"
        rmmod "$1"
        i=$((i + 1))
    done
    killall sleep 2>/dev/null || true
    sleep 1
}

# dw_bad_ioctls MODULE: commands that are not the lab's, and the lab's with bad, huge and
# negative arguments, each answered with its errno.
dw_bad_ioctls() {
    insmod "$1.ko"
    # Numbers 0 and 5 of the lab's type, CANCEL's number as a write, SET's as a read-write and
    # a read, and nonsense.
    for cmd in 0 1 0x6b00 0x6b05 0x40086b02 0xc0086b01 0x80086b01 0xffffffff; do
        ./dw-ioctl $cmd 1 || true
    done
    for arg in 0 1 -1 4611686018427387904 9223372036854775807; do
        ./dw-ioctl "$DW_SET" $arg || true
    done
    for arg in 1 -1 4611686018427387904; do ./dw-ioctl "$DW_ALLOC" $arg || true; done
    for arg in 0 -1 0x7fffffff; do ./dw-ioctl "$DW_CANCEL" $arg || true; done
    for arg in 0 -1 4294967297 99999; do ./dw-ioctl "$DW_MON" $arg || true; done
    for arg in 1 2 $$; do ./dw-ioctl "$DW_MON" "$arg" || true; done
    rmmod "$1"
}

# dw_monitor_edge_cases MODULE: the same pid twice, the monitor's own process, a zombie
# (noted as $zombie), kthreadd, pid 0 and 1.
dw_monitor_edge_cases() {
    insmod "$1.ko"
    sleep 1 & ./test p $! >/dev/null; ./test p $! >/dev/null
    # shellcheck disable=SC2016 # $$ is the inner shell's pid
    sh -c './test p $$ >/dev/null; usleep 100000; true' &
    sh -c 'sleep 0 & echo $! > /tmp/zombie; exec sleep 3' &
    usleep 500000; ./test p "$(cat /tmp/zombie)" >/dev/null
    ./test p 2 >/dev/null
    ./test p 0 || true
    ./test p 1 >/dev/null
    dw_note zombie "$(cat /tmp/zombie)"
    sleep 3
    rmmod "$1"
}

# dw_rmmod_while_monitored_die MODULE: 50 processes monitored, ending 200 ms to 1.2 s later;
# MODULE is unloaded after 500 ms, while some live and some die.
dw_rmmod_while_monitored_die() {
    insmod "$1.ko"
    i=0
    while [ $i -lt 50 ]; do
        usleep $((i * 20000 + 200000)) & ./test p $! >/dev/null
        i=$((i + 1))
    done
    usleep 500000
    rmmod "$1"
    sleep 1
}

# dw_short_lived COUNT: COUNT short-lived processes monitored one after another.
dw_short_lived() {
    insmod dw_procmon.ko
    ok=0
    i=0
    while [ $i -lt "$1" ]; do
        usleep 300000 &
        ./test p $! >/dev/null && ok=$((ok + 1))
        i=$((i + 1))
    done
    sleep 3
    rmmod dw_procmon
    echo "monitored $ok"
}

# dw_storm PROCESSES COMMANDS: PROCESSES processes each send COMMANDS random commands while
# the monitor timer runs.
dw_storm() {
    insmod dw_procmon.ko
    sleep 60 & ./test p $! >/dev/null
    cmds="$DW_SET $DW_CANCEL $DW_ALLOC $DW_MON 0x1234"
    args='0 1 2 3 -1 99999'
    commands=$2
    storm=
    j=0
    while [ $j -lt "$1" ]; do
        # RANDOM: busybox's ash has it.
        # shellcheck disable=SC2086,SC3028
        (n=0; while [ $n -lt "$commands" ]; do
            set -- $cmds; shift $((RANDOM % 5)); c=$1
            set -- $args; shift $((RANDOM % 6)); a=$1
            [ "$c" = "$DW_ALLOC" ] && [ "$a" = 0 ] && a=3
            ./dw-ioctl "$c" "$a" >/dev/null 2>&1 || true
            n=$((n + 1))
        done) &
        storm="$storm $!"
        j=$((j + 1))
    done
    # shellcheck disable=SC2086 # one pid a word
    wait $storm
    ./test c >/dev/null
    rmmod dw_procmon
    killall sleep 2>/dev/null || true
    sleep 1
}
