// compile-fail: sleeping in a timer callback (lab task 4)
// error: E0277
// says: this may sleep, but `BhDisabled` means atomic context: a timer or tasklet callback (softirq) must not sleep
// says: hand the sleeping part to a work item (`OwnedWork`, lab task 5): it runs in process context, where it may sleep
use kernel_ext::{
    context::{BhDisabled, MaySleep},
    time::HZ,
    timer::TimerCallback,
};

fn alloc_io(ctx: &impl MaySleep) {
    ctx.schedule_timeout_interruptible(5 * HZ);
}

struct Alloc;

impl TimerCallback for Alloc {
    fn run(_this: &Self, bh: &BhDisabled) {
        alloc_io(bh);
    }
}
