// compile-fail: cancelling a timer from its own callback (it would wait for itself)
// error: E0308
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
