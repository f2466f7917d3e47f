// compile-fail: forging a ProcessContext without unsafe
// error: E0133
use kernel_ext::context::ProcessContext;

fn forge() -> ProcessContext {
    ProcessContext::assume_unchecked()
}
