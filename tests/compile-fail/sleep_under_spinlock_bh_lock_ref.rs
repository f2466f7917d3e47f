// compile-fail: sleeping under a SpinLockBh taken again through its guard's lock_ref
// error: E0502
// says: cannot borrow `*ctx` as immutable because it is also borrowed as mutable
use kernel_ext::{context::ProcessContext, sync::SpinLockBh};

fn nap(lock: &SpinLockBh<u32>, ctx: &mut ProcessContext) {
    let inner = lock.lock(ctx).lock_ref();
    let guard = inner.lock();
    ctx.schedule_timeout_uninterruptible(1);
    drop(guard);
}
