// compile-fail: a work item that borrows non-'static data
// error: E0477, E0478, E0803, lifetime may not live long enough
// says: but lifetime parameter must outlive the static lifetime
use kernel_ext::{
    context::ProcessContext,
    workqueue::WorkCallback,
};

struct Peek<'a>(&'a KVec<u64>);

impl<'a> WorkCallback for Peek<'a> {
    fn run(this: &Self, _ctx: &mut ProcessContext) {
        pr_info!("{}\n", this.0.len());
    }
}
