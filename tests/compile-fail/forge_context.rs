// compile-fail: forging a ProcessContext without unsafe
// error: E0133
// says: call to unsafe function `ProcessContext::assume_unchecked` is unsafe and requires unsafe block
use kernel_ext::context::ProcessContext;

fn forge() -> ProcessContext {
    ProcessContext::assume_unchecked()
}
