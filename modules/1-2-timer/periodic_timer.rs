// SPDX-License-Identifier: GPL-2.0

//! Lab task 2: the timer of task 1, re-armed from its own handler every `TIMER_TIMEOUT` seconds.

use kernel::{
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
};
use kernel_ext::{
    context::BhDisabled,
    deferred::impl_deferred_fields,
    time::{jiffies, HZ},
    timer::{new_timer, HasTimer, Timer, TimerCallback},
};

#[path = "../kernel_ext/mod.rs"]
mod kernel_ext;

module! {
    type: PeriodicTimerModule,
    name: "dw_periodic_timer",
    authors: ["Deferred work lab in Rust"],
    description: "Lab task 2: a periodic timer",
    license: "GPL",
}

const TIMER_TIMEOUT: usize = 1;

/// The module's state: its timer and the seconds elapsed since load, as counted by the handler.
#[pin_data(PinnedDrop)]
struct PeriodicTimerModule {
    #[pin]
    timer: Timer<Self>,
    // TODO 2: a counter of the seconds elapsed (`Atomic<usize>`: the handler may run on any CPU)
    nseconds: Atomic<usize>,
}

impl_deferred_fields! {
    impl DeferredFields for PeriodicTimerModule {
        timer: Timer,
    }
    drop(_this) {
        pr_info!("[timer_exit] Exit module\n");
        // Then the timer is shut down, even if its handler is re-arming it.
    }
}

impl TimerCallback for PeriodicTimerModule {
    fn run(this: &Self, _bh: &BhDisabled) {
        // TODO 2/2: add `TIMER_TIMEOUT` to the counter and print `[timer_handler] nseconds = N`
        let nseconds = this.nseconds.fetch_add(TIMER_TIMEOUT, Relaxed) + TIMER_TIMEOUT;
        pr_info!("[timer_handler] nseconds = {}\n", nseconds);
        // TODO 2: re-arm the timer `TIMER_TIMEOUT` seconds from now
        this.arm_at(jiffies().wrapping_add(TIMER_TIMEOUT * HZ));
    }
}

impl kernel::InPlaceModule for PeriodicTimerModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pr_info!("[timer_init] Init module\n");
        try_pin_init!(Self {
            timer <- new_timer!(),
            // TODO 2: start the counter at 0
            nseconds: Atomic::new(0),
        })
        .pin_chain(|this| {
            this.arm_at(jiffies().wrapping_add(TIMER_TIMEOUT * HZ));
            Ok(())
        })
    }
}
