// compile-fail: a container whose drop would not stop its timer (`#[pin_data]` without `PinnedDrop`)
// error: E0119, E0277
// says: UselessPinnedDropImpl_you_need_to_specify_PinnedDrop
// says: the trait bound `Device: Drop` is not satisfied
//
// Its fields would drop with the timer still armed, and a callback could read them freed.
use kernel_ext::{
    context::BhDisabled,
    deferred::impl_deferred_fields,
    timer::{Timer, TimerCallback},
};

#[pin_data]
struct Device {
    name: KVec<u8>,
    #[pin]
    timer: Timer<Self>,
}

impl_deferred_fields! {
    impl DeferredFields for Device {
        timer: Timer,
    }
}

impl TimerCallback for Device {
    fn run(this: &Self, _bh: &BhDisabled) {
        pr_info!("{}\n", this.name.len());
    }
}
