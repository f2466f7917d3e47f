// compile-fail: sending a ProcessContext to another thread
// error: E0277
// says: within `ProcessContext`, the trait `Send` is not implemented for `*mut ()`
use kernel_ext::context::ProcessContext;

fn is_send<T: Send>(_: T) {}

fn give_away(ctx: ProcessContext) {
    is_send(ctx);
}
