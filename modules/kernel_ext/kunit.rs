// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the abstraction layer, built into `dw_kunit` only; `insmod dw_kunit.ko` runs
//! them and prints KTAP to the kernel log.

use kernel::prelude::*;

#[kunit_tests(dw_kernel_ext)]
mod tests {
    use crate::kernel_ext::{
        bh::local_bh_disable,
        completion::Completion,
        context::{BhDisabled, ProcessContext},
        kthread::{KThread, KThreadContext, ThreadFn},
        sync::{new_spinlock_bh, SpinLockBh, SpinLockBhExt},
        task::{find_task, TaskExt},
        tasklet::{Tasklet, TaskletCallback},
        time::{jiffies, secs_to_jiffies, time_after, HZ, MAX_JIFFY_OFFSET},
        timer::{new_timer, Timer, TimerCallback},
        wait::{new_wait_queue, WaitQueue},
        workqueue::{new_work, OwnedQueue, OwnedWork, WorkCallback},
    };
    use kernel::{
        current,
        prelude::*,
        sync::{
            atomic::{Acquire, Atomic, Relaxed, Release},
            Arc,
        },
        task::Task,
    };

    /// KUnit runs each test case in a kernel thread, in process context.
    fn process_context() -> ProcessContext {
        // SAFETY: See above: test cases may sleep.
        unsafe { ProcessContext::new() }
    }

    fn sleep_ms(ms: usize) {
        process_context().schedule_timeout_interruptible(ms * HZ / 1000 + 1);
    }

    /// Counts its runs, shared with the test through an `Arc`.
    struct Count(Arc<Atomic<u32>>);

    impl Count {
        fn new() -> Result<(Self, Arc<Atomic<u32>>)> {
            let runs = Arc::new(Atomic::new(0), GFP_KERNEL)?;
            Ok((Self(runs.clone()), runs))
        }

        fn bump(&self) {
            self.0.fetch_add(1, Relaxed);
        }
    }

    impl TimerCallback for Count {
        fn run(timer: &Timer<Self>, _bh: &BhDisabled) {
            timer.bump();
        }
    }

    impl TaskletCallback for Count {
        fn run(tasklet: &Tasklet<Self>, _bh: &BhDisabled) {
            tasklet.bump();
        }
    }

    impl WorkCallback for Count {
        fn run(work: &OwnedWork<Self>, _ctx: &ProcessContext) {
            work.bump();
        }
    }

    #[test]
    fn time_conversions() {
        assert_eq!(secs_to_jiffies(1), Some(HZ));
        assert_eq!(secs_to_jiffies(0), Some(0));
        assert_eq!(secs_to_jiffies(u64::MAX), None);
        assert_eq!(
            secs_to_jiffies(MAX_JIFFY_OFFSET as u64 / HZ as u64 + 1),
            None
        );
        // Across the wraparound.
        assert!(time_after(5, usize::MAX));
        assert!(!time_after(jiffies(), jiffies() + 1));
    }

    #[test]
    fn timer_fires_once_and_cancels() -> Result {
        let (count, runs) = Count::new()?;
        let timer = KBox::pin_init(new_timer!(count), GFP_KERNEL)?;
        assert!(!timer.is_armed());
        timer.arm_after(kernel::time::Delta::from_millis(10));
        assert!(timer.is_armed());
        sleep_ms(100);
        assert_eq!(runs.load(Relaxed), 1);
        // Nothing left to cancel.
        assert!(!timer.cancel());
        timer.arm_at(jiffies() + 10 * HZ);
        assert!(timer.cancel());
        assert_eq!(runs.load(Relaxed), 1);
        Ok(())
    }

    #[test]
    fn dropping_an_armed_timer_stops_it() -> Result {
        let (count, runs) = Count::new()?;
        let timer = KBox::pin_init(new_timer!(count), GFP_KERNEL)?;
        timer.arm_after(kernel::time::Delta::from_millis(20));
        drop(timer);
        sleep_ms(100);
        assert_eq!(runs.load(Relaxed), 0);
        Ok(())
    }

    #[test]
    fn bh_spinlock_from_both_sides() -> Result {
        let lock: Pin<KBox<SpinLockBh<u32>>> = KBox::pin_init(new_spinlock_bh!(0), GFP_KERNEL)?;
        *lock.lock() += 1;
        {
            let bh = local_bh_disable();
            let nested = local_bh_disable();
            *lock.lock_with(&nested) += 1;
            drop(nested);
            *lock.lock_with(&bh) += 1;
        }
        let guard = lock.try_lock();
        assert_eq!(guard.as_deref(), Some(&3));
        Ok(())
    }

    #[test]
    fn tasklet_twice_scheduled_runs_once_and_waits_while_disabled() -> Result {
        let (count, runs) = Count::new()?;
        let tasklet = KBox::pin_init(Tasklet::new(count), GFP_KERNEL)?;
        let bh = local_bh_disable();
        tasklet.schedule();
        tasklet.schedule();
        drop(bh);
        assert_eq!(runs.load(Relaxed), 1);
        let ctx = process_context();
        let disabled = tasklet.disable(&ctx);
        tasklet.hi_schedule();
        sleep_ms(30);
        assert_eq!(runs.load(Relaxed), 1);
        drop(disabled);
        sleep_ms(30);
        assert_eq!(runs.load(Relaxed), 2);
        Ok(())
    }

    #[test]
    fn work_runs_flushes_and_cancels() -> Result {
        let ctx = process_context();
        let (count, runs) = Count::new()?;
        let work = KBox::pin_init(new_work!(count), GFP_KERNEL)?;
        assert!(work.queue());
        work.flush(&ctx);
        assert_eq!(runs.load(Relaxed), 1);
        assert!(work.queue_after(10 * HZ));
        assert!(work.cancel(&ctx));
        let queue = OwnedQueue::new_ordered(c"dw_kunit")?;
        assert!(work.queue_on(&queue));
        drop(queue); // Destroying runs what is queued.
        assert_eq!(runs.load(Relaxed), 2);
        Ok(())
    }

    #[pin_data]
    struct Ping {
        #[pin]
        done: Completion,
    }

    impl TimerCallback for Ping {
        fn run(timer: &Timer<Self>, _bh: &BhDisabled) {
            timer.done.complete();
        }
    }

    #[test]
    fn completion_lets_one_wait_through_per_signal() -> Result {
        let ctx = process_context();
        let ping = KBox::pin_init(
            new_timer!(try_pin_init!(Ping { done <- Completion::new() }? Error)),
            GFP_KERNEL,
        )?;
        assert!(!ping.done.is_done());
        ping.done.complete();
        ping.done.complete();
        ping.done.wait_for_completion(&ctx);
        assert!(ping.done.is_done());
        ping.done.wait_for_completion(&ctx);
        assert!(!ping.done.is_done());
        // A wait that comes first sleeps until the timer signals.
        for _ in 0..3 {
            ping.arm_at(jiffies() + 1);
            ping.done.wait_for_completion(&ctx);
        }
        assert!(!ping.done.is_done());
        Ok(())
    }

    #[pin_data]
    struct Flag {
        set: Atomic<bool>,
        #[pin]
        queue: WaitQueue,
        ran: Atomic<u32>,
    }

    impl ThreadFn for Flag {
        fn run(&self, ctx: &KThreadContext) -> i32 {
            self.ran.store(1, Release);
            let _ = self
                .queue
                .wait_interruptible(ctx, || self.set.load(Acquire) || ctx.should_stop());
            7
        }
    }

    #[test]
    fn kthread_wakes_on_its_wait_queue_and_stops_on_drop() -> Result {
        let flag = Arc::pin_init(
            pin_init!(Flag { set: Atomic::new(false), queue <- new_wait_queue!(), ran: Atomic::new(0) }),
            GFP_KERNEL,
        )?;
        let thread = KThread::run(c"dw_kunit_thread", flag.clone())?;
        assert_eq!(thread.task().comm().as_bytes(), b"dw_kunit_thread");
        sleep_ms(50);
        assert_eq!(flag.ran.load(Acquire), 1);
        flag.set.store(true, Release);
        flag.queue.wake_up_interruptible();
        drop(thread); // Waits for the exit.
        Ok(())
    }

    /// The task's reference count (`usage`).
    fn usage(task: &Task) -> i32 {
        // SAFETY: `task` is live; `usage` is its `refcount_t`, read once.
        unsafe { core::ptr::read_volatile(&raw const (*task.as_ptr()).usage.refs.counter) }
    }

    #[test]
    fn find_task_takes_and_drops_one_reference() {
        let me = current!();
        let before = usage(me);
        let found = find_task(me.pid());
        assert!(found.as_deref().is_some_and(|t| t.as_ptr() == me.as_ptr()));
        assert_eq!(usage(me), before + 1);
        drop(found);
        assert_eq!(usage(me), before);
        assert!(find_task(-1).is_none());
        // The idle task has no pid entry.
        assert!(find_task(0).is_none());
        assert!(!me.is_dead());
        assert!(!me.comm().as_bytes().is_empty());
    }
}
