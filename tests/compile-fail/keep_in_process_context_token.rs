// compile-fail: keeping the context `in_process_context` lends past its closure
// error: lifetime may not live long enough
// says: returning this value requires that `'1` must outlive `'2`
use kernel_ext::context::{in_process_context, ProcessContext};

fn kept() -> Result<&'static mut ProcessContext> {
    in_process_context(|ctx| ctx)
}
