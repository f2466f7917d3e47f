// compile-fail: sleeping while holding a SpinLockBh
// error: E0502
// says: cannot borrow `*ctx` as immutable because it is also borrowed as mutable
use kernel_ext::{context::ProcessContext, sync::SpinLockBh};

fn nap(lock: &SpinLockBh<u32>, ctx: &mut ProcessContext) {
    let guard = lock.lock(ctx);
    ctx.schedule_timeout_uninterruptible(1);
    drop(guard);
}
