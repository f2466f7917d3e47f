// compile-fail: disabling a tasklet from its own callback (`tasklet_disable` waits for the callback)
// error: E0277
// says: this may sleep, but `BhDisabled` means atomic context: a timer or tasklet callback (softirq) must not sleep
// says: required by a bound in `Tasklet::<T>::disable`
use kernel_ext::{
    context::BhDisabled,
    tasklet::{Tasklet, TaskletCallback},
};

struct Pause;

impl TaskletCallback for Pause {
    fn run(tasklet: &Tasklet<Self>, bh: &BhDisabled) {
        let _disabled = tasklet.disable(bh);
    }
}
