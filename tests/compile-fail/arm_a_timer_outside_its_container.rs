// compile-fail: arming a timer field from outside the container its type names
// error: E0599
// says: method `arm_at` not found for this struct
// says: a timer, tasklet or work item is a field of the struct its type names
//
// `Timer<Device>` sits in `Other`: its callback would take `Other` for a `Device` (`container_of`
// with `Device`'s offset). Arming goes from the container (`HasTimer::arm_at`), never from a
// bare field, so only the `Device`'s own timer can be armed.
use kernel_ext::{
    context::BhDisabled,
    deferred::impl_deferred_fields,
    time::jiffies,
    timer::{new_timer, HasTimer, Timer, TimerCallback},
};

#[pin_data(PinnedDrop)]
struct Device {
    #[pin]
    timer: Timer<Self>,
    count: u32,
}

impl_deferred_fields! {
    impl DeferredFields for Device {
        timer: Timer,
    }
}

impl TimerCallback for Device {
    fn run(this: &Self, _bh: &BhDisabled) {
        pr_info!("{}\n", this.count);
    }
}

#[pin_data]
struct Other {
    #[pin]
    stray: Timer<Device>,
}

fn arm(other: &Other) {
    other.stray.arm_at(jiffies());
}

fn stray() -> impl PinInit<Other> {
    pin_init!(Other { stray <- new_timer!() })
}
