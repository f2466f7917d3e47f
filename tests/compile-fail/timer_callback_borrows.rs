// compile-fail: a timer callback that borrows non-'static data
// error: E0477, E0478, E0803, lifetime may not live long enough
// says: but lifetime parameter must outlive the static lifetime
//
// Armed and then leaked with `mem::forget`, such a timer would fire after the borrowed vector
// is freed. Deferred work owns `'static` data.
use kernel_ext::{
    context::BhDisabled,
    timer::TimerCallback,
};

struct Peek<'a>(&'a KVec<u64>);

impl<'a> TimerCallback for Peek<'a> {
    fn run(this: &Self, _bh: &BhDisabled) {
        pr_info!("{}\n", this.0.len());
    }
}
