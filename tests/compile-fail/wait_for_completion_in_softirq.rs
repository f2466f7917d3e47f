// compile-fail: waiting for a completion where bottom halves are off (a timer or tasklet callback)
// error: E0277
// says: this may sleep, but `BhDisabled` means atomic context: a timer or tasklet callback (softirq) must not sleep
// says: hand the sleeping part to a work item (`OwnedWork`, lab task 5): it runs in process context, where it may sleep
use kernel_ext::{completion::CountingCompletion, context::BhDisabled};

fn wait(done: &CountingCompletion, bh: &BhDisabled) {
    done.wait_for_completion(bh);
}
