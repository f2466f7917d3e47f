// compile-fail: copying a ProcessContext out of the callback that received it
// error: E0507
use kernel_ext::context::ProcessContext;

fn keep(ctx: &mut ProcessContext) -> ProcessContext {
    *ctx
}
