// compile-fail: cancelling a timer from its own callback (it would wait for itself)
// error: E0277
// says: this may sleep, but `BhDisabled` means atomic context: a timer or tasklet callback (softirq) must not sleep
// says: required by a bound in `timer::<impl deferred::Field<TimerList, T, ID>>::cancel`
use kernel_ext::{
    context::BhDisabled,
    deferred::impl_deferred_fields,
    timer::{Timer, TimerCallback},
};

#[pin_data(PinnedDrop)]
struct Once {
    #[pin]
    timer: Timer<Self>,
}

impl_deferred_fields! {
    impl DeferredFields for Once {
        timer: Timer,
    }
}

impl TimerCallback for Once {
    fn run(this: &Self, bh: &BhDisabled) {
        this.timer.cancel(bh);
    }
}
