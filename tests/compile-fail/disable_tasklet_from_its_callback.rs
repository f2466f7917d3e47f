// compile-fail: disabling a tasklet from its own callback (`tasklet_disable` waits for the callback)
// error: E0277
// says: this may sleep, but `BhDisabled` means atomic context: a timer or tasklet callback (softirq) must not sleep
// says: required by a bound in `tasklet::<impl deferred::Field<TaskletStruct, T, ID>>::disable`
use kernel_ext::{
    context::BhDisabled,
    deferred::impl_deferred_fields,
    tasklet::{Tasklet, TaskletCallback},
};

#[pin_data(PinnedDrop)]
struct Pause {
    #[pin]
    tasklet: Tasklet<Self>,
}

impl_deferred_fields! {
    impl DeferredFields for Pause {
        tasklet: Tasklet,
    }
}

impl TaskletCallback for Pause {
    fn run(this: &Self, bh: &BhDisabled) {
        let _disabled = this.tasklet.disable(bh);
    }
}
