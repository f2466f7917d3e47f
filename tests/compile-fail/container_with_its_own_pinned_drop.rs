// compile-fail: a container with a `PinnedDrop` of its own besides the one that stops its timer
// error: E0119
// says: conflicting implementations of trait `PinnedDrop` for type `Device`
use kernel_ext::{
    context::BhDisabled,
    deferred::impl_deferred_fields,
    timer::{Timer, TimerCallback},
};

#[pin_data(PinnedDrop)]
struct Device {
    #[pin]
    timer: Timer<Self>,
}

impl_deferred_fields! {
    impl DeferredFields for Device {
        timer: Timer,
    }
}

#[pinned_drop]
impl PinnedDrop for Device {
    fn drop(self: Pin<&mut Self>) {}
}

impl TimerCallback for Device {
    fn run(_this: &Self, _bh: &BhDisabled) {}
}
