//! Misuses that compile, each reported at run time by `kernel_ext`'s checks, and lab task 4's
//! sleep in a timer handler: the scenarios that provoke a kernel report on purpose.

use super::{line, DEFERRED, MISUSE};
use crate::{
    check::Scenario,
    reports::{
        ATOMIC_SLEEP, BH_WITH_IRQS_OFF, DROP_IN_ATOMIC, KTHREAD_DROPS_ITSELF, LEAVES_BH_DISABLED,
        PANIC_IN_WAIT_CONDITION, SLEEP_UNDER_LOCK,
    },
    trace::Mechanism,
};

/// Misuses that compile (`dw_misuse`), each reported at run time by `kernel_ext`'s checks; then
/// lab task 4: `dw_deferred` makes its timer handler sleep, which the kernel must report.
pub(super) fn atomic_sleep() -> Vec<Scenario> {
    let m = "dw_misuse";
    // `might_sleep()` reports at most once a second: each case waits that long first.
    let misuse = |case: u32, what: &str, start: &str| {
        MISUSE
            .rust(
                what,
                &format!("sleep 1\ninsmod {m}.ko case={case}\nrmmod {m}"),
            )
            .in_order(&[&line(m, start), &line(m, "[misuse] done")])
    };
    let d = "dw_deferred";
    vec![
        misuse(
            1,
            "sleeping under a kernel crate SpinLock is reported by might_sleep at the call",
            "[misuse] waiting for a completion under a spinlock",
        )
        .expect_report(SLEEP_UNDER_LOCK),
        misuse(
            2,
            "a work item dropped in a timer callback is reported by might_sleep at its drop",
            "[misuse] dropping a work item in a timer callback",
        )
        .expect_report(DROP_IN_ATOMIC),
        misuse(
            3,
            "bottom halves disabled with interrupts off are reported by lockdep at the guard",
            "[misuse] disabling bottom halves under an IRQ-disabling spinlock",
        )
        .expect_report(BH_WITH_IRQS_OFF),
        MISUSE.rust(
            "a kernel thread that drops its own KThread is reported, stops, and holds its module until it exits",
            &format!(
                "sleep 1\ninsmod {m}.ko case=4\nrmmod {m} 2>&1 || echo \"refused $?\"\n\
                 sleep 1\nrmmod {m}"
            ),
        )
        .output(&format!("rmmod: can't unload module '{m}': *\nrefused 1"))
        .in_order(&[
            &line(m, "[misuse] a kernel thread drops its own KThread"),
            &line(m, "a KThread was dropped by its own thread, which cannot wait for itself: *"),
            &line(m, "[misuse] the thread dropped its own KThread; should it stop? true"),
            &line(m, "[misuse] done"),
            &line(m, "[misuse] the thread that dropped its own KThread exits"),
        ])
        .expect_report(KTHREAD_DROPS_ITSELF),
        MISUSE.rust(
            "an ioctl that forgets a BhGuard is reported by name as it returns",
            &format!(
                "sleep 1\ninsmod {m}.ko case=6\n./dw-ioctl --device /dev/dw_misuse 0x6b05\n\
                 rmmod {m}"
            ),
        )
        .output("ok 0")
        .in_order(&[
            &line(m, "[misuse] ioctl 0x6b05 forgets a BhGuard"),
            &line(m, "ioctl 0x6b05 returned with bottom halves disabled: *"),
        ])
        .expect_report(LEAVES_BH_DISABLED),
        MISUSE.rust(
            "a module init and exit that forget a BhGuard are reported by name as they return",
            &format!("sleep 1\ninsmod {m}.ko case=7\nsleep 1\nrmmod {m}"),
        )
        .in_order(&[
            &line(m, "[misuse] init forgets a BhGuard"),
            &line(m, "[misuse] done"),
            &line(m, "the module's init returned with bottom halves disabled: *"),
            &line(m, "[misuse] exit forgets a BhGuard"),
            &line(m, "the module's exit returned with bottom halves disabled: *"),
        ])
        .expect_report(LEAVES_BH_DISABLED),
        DEFERRED.rust(
        "alloc sleeping in the timer handler (atomic context) is a BUG the kernel reports",
        // No rmmod: after this bug the timer wheel of that CPU may be stuck, and rmmod would
        // wait for the timer forever.
        "insmod dw_deferred.ko\n./test a 1\nsleep 4",
    )
    .output("Allocate memory after 1 seconds")
    .in_order(&[
        &format!("{d}: [deferred_ioctl] Command: Allocate memory"),
        &format!("{d}: [timer_handler] pid = *, comm = *"),
        "BUG: scheduling while atomic: *",
    ])
    .by("BUG: scheduling while atomic: *", Mechanism::SleepInTimer)
    .expect_report(ATOMIC_SLEEP)
    .keep_modules(),
    ]
}

/// `dw_misuse case=5`: a wait condition panics in a kernel thread. The panic kills the thread;
/// the wake-ups after its death must find nothing of it on the queue.
pub(super) fn panic_in_wait_condition() -> Scenario {
    let m = "dw_misuse";
    MISUSE
        .rust(
            "a panic in a wait condition kills its thread and leaves nothing on the queue",
            &format!("insmod {m}.ko case=5\nrmmod {m}"),
        )
        .in_order(&[
            &line(m, "[misuse] waking a thread whose wait condition panics"),
            "rust_kernel: panicked at selftests/misuse.rs:*",
            &line(m, "[misuse] waking the queue of the dead thread"),
            &line(m, "[misuse] done"),
        ])
        .expect_report(PANIC_IN_WAIT_CONDITION)
}
