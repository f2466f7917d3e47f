// compile-fail: looking a task up by pid in a timer callback (softirq: `current` is whichever task was interrupted)
// error: E0308
use kernel_ext::{
    context::BhDisabled,
    task::find_task,
    timer::{Timer, TimerCallback},
};

struct Lookup;

impl TimerCallback for Lookup {
    fn run(_timer: &Timer<Self>, bh: &BhDisabled) {
        let _ = find_task(1, bh);
    }
}
