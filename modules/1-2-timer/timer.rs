// SPDX-License-Identifier: GPL-2.0

//! Lab task 1: a timer that prints a message `TIMER_TIMEOUT` seconds after the module loads.

use kernel::prelude::*;
use kernel_ext::{
    context::BhDisabled,
    time::{jiffies, HZ},
    timer::{new_timer, Timer, TimerCallback},
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

/// What the timer does when it expires: print how long after load it fired.
struct Hello;

impl TimerCallback for Hello {
    fn run(_timer: &Timer<Self>, _bh: &BhDisabled) {
        // TODO 1: print `[timer_handler] nseconds = TIMER_TIMEOUT` (`pr_info!`)
        pr_info!("[timer_handler] nseconds = {}\n", TIMER_TIMEOUT);
    }
}

#[pin_data(PinnedDrop)]
struct TimerModule {
    // TODO 1/2: a pinned field: the module owns a `Timer` whose callback data is `Hello`
    #[pin]
    timer: Timer<Hello>,
}

impl kernel::InPlaceModule for TimerModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pr_info!("[timer_init] Init module\n");
        try_pin_init!(Self {
            // TODO 1: set the timer up in place (`timer <- new_timer!(...)`)
            timer <- new_timer!(Hello),
        })
        .pin_chain(|this| {
            // TODO 1/2: arm it to fire `TIMER_TIMEOUT` seconds from now (`arm_at`, `jiffies()`, `HZ`)
            this.timer
                .arm_at(jiffies().wrapping_add(TIMER_TIMEOUT * HZ));
            Ok(())
        })
    }
}

#[pinned_drop]
impl PinnedDrop for TimerModule {
    fn drop(self: Pin<&mut Self>) {
        pr_info!("[timer_exit] Exit module\n");
        // Then the timer field drops, which deletes the timer synchronously (nothing to write:
        // the C lab's `timer_delete_sync` is `Timer`'s `Drop`).
    }
}
