// compile-fail: a timer field that the container's `impl_deferred_fields!` does not name
// error: E0277
// says: `Device` does not name this deferred field in `impl_deferred_fields!`
// says: listed in that struct's `impl_deferred_fields!`, whose drop stops it before any other field goes
//
// Nothing would stop it before the container's other fields drop, so it cannot be set up.
use kernel_ext::{
    context::BhDisabled,
    timer::{new_timer, Timer, TimerCallback},
};

#[pin_data]
struct Device {
    #[pin]
    timer: Timer<Self>,
}

impl TimerCallback for Device {
    fn run(_this: &Self, _bh: &BhDisabled) {}
}

fn device() -> impl PinInit<Device> {
    pin_init!(Device { timer <- new_timer!() })
}
