// compile-fail: sleeping in a timer callback (lab task 4)
// error: E0308
use kernel_ext::{
    context::{BhDisabled, ProcessContext},
    time::HZ,
    timer::{Timer, TimerCallback},
};

fn alloc_io(ctx: &ProcessContext) {
    ctx.schedule_timeout_interruptible(5 * HZ);
}

struct Alloc;

impl TimerCallback for Alloc {
    fn run(_timer: &Timer<Self>, bh: &BhDisabled) {
        alloc_io(bh);
    }
}
