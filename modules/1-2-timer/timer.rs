// SPDX-License-Identifier: GPL-2.0

//! Lab task 1: a timer that prints a message `TIMER_TIMEOUT` seconds after the module loads.

use kernel::prelude::*;
use kernel_ext::{
    context::BhDisabled,
    deferred::impl_deferred_fields,
    time::{jiffies, HZ},
    timer::{new_timer, HasTimer, Timer, TimerCallback},
};

#[path = "../kernel_ext/mod.rs"]
mod kernel_ext;

module! {
    type: TimerModule,
    name: "dw_timer",
    authors: ["Deferred work lab in Rust"],
    description: "Lab task 1: a one-shot timer",
    license: "GPL",
}

const TIMER_TIMEOUT: usize = 1;

/// The module's state: its timer, a field (the C lab's `static struct timer_list timer`).
#[pin_data(PinnedDrop)]
struct TimerModule {
    // TODO 1/2: a pinned field: the module's `Timer`, whose callback gets the module (`Timer<Self>`)
    #[pin]
    timer: Timer<Self>,
}

// The timer is a deferred field of the module: its callback finds the module, and the module's
// drop deletes the timer synchronously before anything else goes (the C lab's
// `timer_delete_sync` in the exit function).
impl_deferred_fields! {
    impl DeferredFields for TimerModule {
        // TODO 1: name the timer field here (`timer: Timer`)
        timer: Timer,
    }
    drop(_this) {
        pr_info!("[timer_exit] Exit module\n");
    }
}

/// What the timer does when it expires: print how long after load it fired.
impl TimerCallback for TimerModule {
    fn run(_this: &Self, _bh: &BhDisabled) {
        // TODO 1: print `[timer_handler] nseconds = TIMER_TIMEOUT` (`pr_info!`)
        pr_info!("[timer_handler] nseconds = {}\n", TIMER_TIMEOUT);
    }
}

impl kernel::InPlaceModule for TimerModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pr_info!("[timer_init] Init module\n");
        try_pin_init!(Self {
            // TODO 1: set the timer up in place (`timer <- new_timer!()`)
            timer <- new_timer!(),
        })
        .pin_chain(|this| {
            // TODO 1: arm it to fire `TIMER_TIMEOUT` seconds from now (`arm_at`, `jiffies()`, `HZ`)
            this.arm_at(jiffies().wrapping_add(TIMER_TIMEOUT * HZ));
            Ok(())
        })
    }
}
