// compile-fail: cancelling a timer from its own callback (it would wait for itself)
// error: E0277
// says: this may sleep, but `BhDisabled` means atomic context: a timer or tasklet callback (softirq) must not sleep
// says: required by a bound in `Timer::<T>::cancel`
use kernel_ext::{
    context::BhDisabled,
    timer::{Timer, TimerCallback},
};

struct Once;

impl TimerCallback for Once {
    fn run(timer: &Timer<Self>, bh: &BhDisabled) {
        timer.cancel(bh);
    }
}
