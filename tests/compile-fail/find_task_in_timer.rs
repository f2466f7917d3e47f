// compile-fail: looking a task up by pid in a timer callback (softirq: `current` is whichever task was interrupted)
// error: E0277
// says: this needs the current task, but `BhDisabled` means atomic context: in a timer or tasklet callback (softirq), `current` is whichever task was interrupted
// says: look the task up beforehand, in process context (the ioctl, lab task 7), and keep the reference
use kernel_ext::{
    context::BhDisabled,
    task::find_task,
    timer::TimerCallback,
};

struct Lookup;

impl TimerCallback for Lookup {
    fn run(_this: &Self, bh: &BhDisabled) {
        let _ = find_task(1, bh);
    }
}
