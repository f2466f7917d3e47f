// compile-fail: sleeping in a wait queue's condition (it runs again on every check of the wait)
// error: E0502
// says: cannot borrow `*ctx` as mutable because it is also borrowed as immutable
// says: first borrow occurs due to use of `*ctx` in closure
use kernel_ext::{context::ProcessContext, wait::WaitQueue};

fn wait(queue: &WaitQueue, ctx: &mut ProcessContext) -> Result {
    queue.wait_interruptible(ctx, || ctx.schedule_timeout_uninterruptible(1) == 0)
}
