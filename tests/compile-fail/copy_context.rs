// compile-fail: copying a ProcessContext out of the callback that received it
// error: E0507
// says: cannot move out of `*ctx` which is behind a mutable reference
// says: `*ctx` has type `ProcessContext`, which does not implement the `Copy` trait
use kernel_ext::context::ProcessContext;

fn keep(ctx: &mut ProcessContext) -> ProcessContext {
    *ctx
}
