// SPDX-License-Identifier: GPL-2.0

//! Lab task 1: a timer that prints a message `TIMER_TIMEOUT` seconds after the module loads.

use kernel::prelude::*;
use kernel_ext::{
    context::BhDisabled,
    time::{jiffies, HZ},
    timer::{new_timer, Timer, TimerCallback},
};

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
        pr_info!("[timer_handler] nseconds = {}\n", TIMER_TIMEOUT);
    }
}

#[pin_data(PinnedDrop)]
struct TimerModule {
    #[pin]
    timer: Timer<Hello>,
}

impl kernel::InPlaceModule for TimerModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pr_info!("[timer_init] Init module\n");
        try_pin_init!(Self {
            timer <- new_timer!(Hello),
        })
        .pin_chain(|this| {
            this.timer.arm_at(jiffies() + TIMER_TIMEOUT * HZ);
            Ok(())
        })
    }
}

#[pinned_drop]
impl PinnedDrop for TimerModule {
    fn drop(self: Pin<&mut Self>) {
        pr_info!("[timer_exit] Exit module\n");
        // Then the timer field drops, which cancels the timer synchronously.
    }
}
