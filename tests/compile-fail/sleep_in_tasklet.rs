// compile-fail: sleeping in a tasklet
// error: E0308
use kernel_ext::{
    context::{BhDisabled, ProcessContext},
    tasklet::{Tasklet, TaskletCallback},
};

fn nap(ctx: &ProcessContext) {
    ctx.schedule_timeout_uninterruptible(1);
}

struct Nap;

impl TaskletCallback for Nap {
    fn run(_tasklet: &Tasklet<Self>, bh: &BhDisabled) {
        nap(bh);
    }
}
