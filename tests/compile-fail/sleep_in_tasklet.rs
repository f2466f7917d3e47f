// compile-fail: sleeping in a tasklet
// error: E0277
// says: this may sleep, but `BhDisabled` means atomic context: a timer or tasklet callback (softirq) must not sleep
// says: hand the sleeping part to a work item (`OwnedWork`, lab task 5): it runs in process context, where it may sleep
use kernel_ext::{
    context::{BhDisabled, MaySleep},
    tasklet::TaskletCallback,
};

fn nap(ctx: &impl MaySleep) {
    ctx.schedule_timeout_uninterruptible(1);
}

struct Nap;

impl TaskletCallback for Nap {
    fn run(_this: &Self, bh: &BhDisabled) {
        nap(bh);
    }
}
