// compile-fail: sleeping with bottom halves disabled
// error: E0502
// says: cannot borrow `*ctx` as immutable because it is also borrowed as mutable
use kernel_ext::{bh::local_bh_disable, context::ProcessContext};

fn nap(ctx: &mut ProcessContext) {
    let bh = local_bh_disable(ctx);
    ctx.schedule_timeout_uninterruptible(1);
    drop(bh);
}
