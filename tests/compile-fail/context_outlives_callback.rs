// compile-fail: keeping a work item's context after its run
// error: lifetime may not live long enough
// says: type annotation requires that `'1` must outlive `'static`
use kernel_ext::{
    context::ProcessContext,
    workqueue::WorkCallback,
};

struct Keep;

impl WorkCallback for Keep {
    fn run(_this: &Self, ctx: &mut ProcessContext) {
        let kept: &'static ProcessContext = ctx;
        let _ = kept;
    }
}
