// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the abstraction layer, built into `dw_kunit` only; `insmod dw_kunit.ko` runs
//! them and prints KTAP to the kernel log.

use kernel::prelude::*;

#[kunit_tests(dw_kernel_ext)]
mod tests {
    use crate::kernel_ext::{
        bh::local_bh_disable,
        completion::CountingCompletion,
        context::{BhDisabled, ProcessContext},
        deferred::impl_deferred_fields,
        kthread::{KThread, KThreadContext, ThreadFn},
        miscdev::{SharedDevice, SharedMiscDevice},
        module::{InProcessContext, ProcessModule},
        sync::{new_spinlock_bh, SpinLockBh, SpinLockBhGuard},
        task::{find_task, TaskExt},
        tasklet::{HasTasklet, Tasklet, TaskletCallback},
        time::{jiffies, secs_to_jiffies, time_after, HZ, MAX_JIFFY_OFFSET},
        timer::{new_timer, HasTimer, Timer, TimerCallback},
        wait::{new_wait_queue, WaitQueue},
        workqueue::{new_work, HasOwnedWork, OwnedQueue, OwnedWork, WorkCallback},
    };
    use kernel::{
        bindings, current,
        prelude::*,
        sync::{
            atomic::{Acquire, Atomic, Relaxed, Release},
            new_condvar, Arc, CondVar, CondVarTimeoutResult,
        },
        task::Task,
    };

    /// KUnit runs each test case in a kernel thread, in process context.
    fn process_context() -> ProcessContext {
        // SAFETY: See above: test cases may sleep; the context is used only by the test case.
        unsafe { ProcessContext::new() }
    }

    fn sleep_ms(ms: usize) {
        process_context().schedule_timeout_interruptible(ms * HZ / 1000 + 1);
    }

    /// Counts the runs of its timer, tasklet and work item, shared with the test through an
    /// `Arc`.
    #[pin_data(PinnedDrop)]
    struct Count {
        #[pin]
        timer: Timer<Self>,
        #[pin]
        tasklet: Tasklet<Self>,
        #[pin]
        work: OwnedWork<Self>,
        runs: Arc<Atomic<u32>>,
    }

    impl_deferred_fields! {
        impl DeferredFields for Count {
            timer: Timer,
            tasklet: Tasklet,
            work: OwnedWork,
        }
    }

    impl Count {
        fn new() -> Result<(impl PinInit<Self>, Arc<Atomic<u32>>)> {
            let runs = Arc::new(Atomic::new(0), GFP_KERNEL)?;
            let shared = runs.clone();
            let init = pin_init!(Self {
                timer <- new_timer!(),
                tasklet <- Tasklet::new(),
                work <- new_work!(),
                runs: shared,
            });
            Ok((init, runs))
        }

        fn bump(&self) {
            self.runs.fetch_add(1, Relaxed);
        }
    }

    impl TimerCallback for Count {
        fn run(this: &Self, _bh: &BhDisabled) {
            this.bump();
        }
    }

    impl TaskletCallback for Count {
        fn run(this: &Self, _bh: &BhDisabled) {
            this.bump();
        }
    }

    impl WorkCallback for Count {
        fn run(this: &Self, _ctx: &mut ProcessContext) {
            this.bump();
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
        let ctx = process_context();
        let (count, runs) = Count::new()?;
        let count = KBox::pin_init(count, GFP_KERNEL)?;
        assert!(!count.timer.is_armed());
        count.arm_after(kernel::time::Delta::from_millis(10));
        assert!(count.timer.is_armed());
        sleep_ms(100);
        assert_eq!(runs.load(Relaxed), 1);
        // Nothing left to cancel.
        assert!(!count.timer.cancel(&ctx));
        count.arm_at(jiffies().wrapping_add(10 * HZ));
        assert!(count.timer.cancel(&ctx));
        assert_eq!(runs.load(Relaxed), 1);
        Ok(())
    }

    #[test]
    fn dropping_an_armed_timer_stops_it() -> Result {
        let (count, runs) = Count::new()?;
        let count = KBox::pin_init(count, GFP_KERNEL)?;
        count.arm_after(kernel::time::Delta::from_millis(20));
        drop(count);
        sleep_ms(100);
        assert_eq!(runs.load(Relaxed), 0);
        Ok(())
    }

    /// Sets its flag when dropped.
    struct SetOnDrop(Arc<Atomic<u32>>);

    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(1, Release);
        }
    }

    /// Two timers (`ID`s 0 and 1) and a tasklet that re-arm one another, and a field declared
    /// before them, so dropped first: a callback that sees it gone counts in `late`.
    #[pin_data(PinnedDrop)]
    struct Busy {
        first: SetOnDrop,
        gone: Arc<Atomic<u32>>,
        late: Arc<Atomic<u32>>,
        runs: [Atomic<u32>; 3],
        #[pin]
        tick: Timer<Self>,
        #[pin]
        tock: Timer<Self, 1>,
        #[pin]
        tasklet: Tasklet<Self>,
    }

    impl_deferred_fields! {
        impl DeferredFields for Busy {
            tick: Timer,
            tock: Timer<1>,
            tasklet: Tasklet,
        }
    }

    impl Busy {
        fn check(&self, which: usize) {
            if self.gone.load(Acquire) != 0 {
                self.late.fetch_add(1, Relaxed);
            }
            self.runs[which].fetch_add(1, Relaxed);
        }
    }

    impl TimerCallback for Busy {
        fn run(this: &Self, _bh: &BhDisabled) {
            this.check(0);
            this.schedule();
            HasTimer::<1>::arm_at(this, jiffies().wrapping_add(1));
        }
    }

    impl TimerCallback<1> for Busy {
        fn run(this: &Self, _bh: &BhDisabled) {
            this.check(1);
            HasTimer::<0>::arm_at(this, jiffies().wrapping_add(1));
        }
    }

    impl TaskletCallback for Busy {
        fn run(this: &Self, _bh: &BhDisabled) {
            this.check(2);
            HasTimer::<1>::arm_at(this, jiffies());
        }
    }

    #[test]
    fn a_container_stops_its_fields_before_any_field_drops() -> Result {
        let gone = Arc::new(Atomic::new(0), GFP_KERNEL)?;
        let late = Arc::new(Atomic::new(0), GFP_KERNEL)?;
        for _ in 0..5 {
            let (first, gone_too, late_too) = (gone.clone(), gone.clone(), late.clone());
            let busy = KBox::pin_init(
                pin_init!(Busy {
                    first: SetOnDrop(first),
                    gone: gone_too,
                    late: late_too,
                    runs: [Atomic::new(0), Atomic::new(0), Atomic::new(0)],
                    tick <- new_timer!(),
                    tock <- new_timer!(),
                    tasklet <- Tasklet::new(),
                }),
                GFP_KERNEL,
            )?;
            HasTimer::<0>::arm_at(&*busy, jiffies());
            sleep_ms(20);
            // Each callback ran: the timers and the tasklet reach their own container.
            for runs in &busy.runs {
                assert!(runs.load(Relaxed) > 0);
            }
            drop(busy);
            assert_eq!(gone.load(Relaxed), 1);
            gone.store(0, Relaxed);
        }
        sleep_ms(20);
        assert_eq!(late.load(Relaxed), 0);
        Ok(())
    }

    #[test]
    fn timer_and_work_on_the_stack_are_announced_to_debugobjects() -> Result {
        let ctx = process_context();
        // A failed assertion ends the test's thread without running drops: the objects on its
        // stack are dropped before anything is asserted, so none is left armed on a dead stack.
        let (count, timer_runs) = Count::new()?;
        {
            pin_init::stack_pin_init!(let count = count);
            count.arm_after(kernel::time::Delta::from_millis(1));
            sleep_ms(50);
        }
        let (count, work_runs) = Count::new()?;
        {
            pin_init::stack_pin_init!(let count = count);
            count.queue();
            count.work.flush(&ctx);
        }
        // Both were forgotten by debugobjects as they dropped (ODEBUG would report them otherwise).
        assert_eq!(timer_runs.load(Relaxed), 1);
        assert_eq!(work_runs.load(Relaxed), 1);
        Ok(())
    }

    #[test]
    fn timer_with_a_negative_delay_fires_now() -> Result {
        let (count, runs) = Count::new()?;
        let count = KBox::pin_init(count, GFP_KERNEL)?;
        count.arm_after(kernel::time::Delta::from_millis(-5));
        sleep_ms(100);
        assert_eq!(runs.load(Relaxed), 1);
        Ok(())
    }

    /// Takes a guard of either side: `lock` and `lock_with` return the same type.
    fn bump(count: &mut SpinLockBhGuard<'_, u32>) {
        **count += 1;
    }

    #[test]
    fn bh_spinlock_from_both_sides() -> Result {
        let mut ctx = process_context();
        let lock: Pin<KBox<SpinLockBh<u32>>> = KBox::pin_init(new_spinlock_bh!(0), GFP_KERNEL)?;
        bump(&mut lock.lock(&mut ctx));
        {
            let bh = local_bh_disable(&mut ctx);
            let nested = bh.nest();
            bump(&mut lock.lock_with(&nested));
            drop(nested);
            bump(&mut lock.lock_with(&bh));
        }
        assert_eq!(*lock.lock(&mut ctx), 3);
        Ok(())
    }

    /// A value a timer posts under a `SpinLockBh`, and the condition variable its reader waits on.
    #[pin_data]
    struct Mailbox {
        #[pin]
        letter: SpinLockBh<Option<u32>>,
        #[pin]
        arrived: CondVar,
    }

    #[pin_data(PinnedDrop)]
    struct Postman {
        #[pin]
        timer: Timer<Self>,
        mailbox: Arc<Mailbox>,
    }

    impl_deferred_fields! {
        impl DeferredFields for Postman {
            timer: Timer,
        }
    }

    impl TimerCallback for Postman {
        fn run(this: &Self, bh: &BhDisabled) {
            *this.mailbox.letter.lock_with(bh) = Some(7);
            this.mailbox.arrived.notify_all();
        }
    }

    #[test]
    fn condvar_waits_on_a_bh_spinlock_for_a_timer() -> Result {
        let mut ctx = process_context();
        let mailbox = Arc::pin_init(
            pin_init!(Mailbox { letter <- new_spinlock_bh!(None), arrived <- new_condvar!() }),
            GFP_KERNEL,
        )?;
        let posted = mailbox.clone();
        let timer = KBox::pin_init(
            pin_init!(Postman { timer <- new_timer!(), mailbox: posted }),
            GFP_KERNEL,
        )?;
        let mut letter = mailbox.letter.lock(&mut ctx);
        // Armed with the lock held: the callback can take it only while a wait has released it
        // (and, on this CPU, enabled bottom halves again).
        timer.arm_after(kernel::time::Delta::from_millis(20));
        let mut waits = 0;
        while letter.is_none() && waits < 10 {
            waits += 1;
            match mailbox.arrived.wait_interruptible_timeout(&mut letter, HZ) {
                CondVarTimeoutResult::Signal { .. } => return Err(EINTR),
                CondVarTimeoutResult::Timeout | CondVarTimeoutResult::Woken { .. } => {}
            }
        }
        // Held again on return, with bottom halves off: the timer's value is there to take.
        assert_eq!(letter.take(), Some(7));
        assert!(waits >= 1);
        drop(letter);
        assert_eq!(*mailbox.letter.lock(&mut ctx), None);
        Ok(())
    }

    #[test]
    fn tasklet_twice_scheduled_runs_once_and_waits_while_disabled() -> Result {
        let mut ctx = process_context();
        let (count, runs) = Count::new()?;
        let count = KBox::pin_init(count, GFP_KERNEL)?;
        let bh = local_bh_disable(&mut ctx);
        count.schedule();
        count.schedule();
        drop(bh);
        assert_eq!(runs.load(Relaxed), 1);
        let disabled = count.tasklet.disable(&ctx);
        count.hi_schedule();
        sleep_ms(30);
        assert_eq!(runs.load(Relaxed), 1);
        drop(disabled);
        sleep_ms(30);
        assert_eq!(runs.load(Relaxed), 2);
        Ok(())
    }

    #[test]
    fn tasklet_with_a_forgotten_disable_is_dropped_without_hanging() -> Result {
        let ctx = process_context();
        let (count, runs) = Count::new()?;
        let count = KBox::pin_init(count, GFP_KERNEL)?;
        core::mem::forget(count.tasklet.disable(&ctx));
        core::mem::forget(count.tasklet.disable(&ctx));
        count.schedule();
        sleep_ms(30);
        assert_eq!(runs.load(Relaxed), 0);
        // `tasklet_kill` would wait for ever for a disabled, scheduled tasklet.
        drop(count);
        assert_eq!(runs.load(Relaxed), 1);
        Ok(())
    }

    #[test]
    fn work_runs_flushes_and_cancels() -> Result {
        let ctx = process_context();
        let (count, runs) = Count::new()?;
        let count = KBox::pin_init(count, GFP_KERNEL)?;
        assert!(count.queue());
        count.work.flush(&ctx);
        assert_eq!(runs.load(Relaxed), 1);
        assert!(count.queue_after(10 * HZ));
        assert!(count.work.cancel(&ctx));
        let queue = OwnedQueue::new_ordered(c"dw_kunit", &ctx)?;
        assert!(count.queue_on(&queue));
        drop(queue); // Destroying runs what is queued.
        assert_eq!(runs.load(Relaxed), 2);
        Ok(())
    }

    #[pin_data(PinnedDrop)]
    struct Ping {
        #[pin]
        timer: Timer<Self>,
        #[pin]
        done: CountingCompletion,
    }

    impl_deferred_fields! {
        impl DeferredFields for Ping {
            timer: Timer,
        }
    }

    impl TimerCallback for Ping {
        fn run(this: &Self, _bh: &BhDisabled) {
            this.done.complete();
        }
    }

    #[test]
    fn completion_lets_one_wait_through_per_signal() -> Result {
        let ctx = process_context();
        let ping = KBox::pin_init(
            try_pin_init!(Ping { timer <- new_timer!(), done <- CountingCompletion::new() }? Error),
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
            ping.arm_at(jiffies().wrapping_add(1));
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
        fn run(&self, ctx: &mut KThreadContext) {
            self.ran.store(1, Release);
            while self
                .queue
                .wait_interruptible(ctx, || self.set.load(Acquire))
                .is_err()
            {
                // `kthread_stop` makes every interruptible wait fail from then on.
                if ctx.should_stop() {
                    self.ran.store(2, Release);
                    return;
                }
            }
        }
    }

    /// Counts its drops.
    struct Dropped;

    static DROPPED: Atomic<u32> = Atomic::new(0);

    impl Drop for Dropped {
        fn drop(&mut self) {
            DROPPED.fetch_add(1, Relaxed);
        }
    }

    impl ThreadFn for Dropped {
        fn run(&self, _ctx: &mut KThreadContext) {}
    }

    #[test]
    fn kthread_data_is_dropped_whether_or_not_the_thread_ran() -> Result {
        let ctx = process_context();
        // Stopped at once, a thread may not have run its function yet (`kthread()` then exits
        // without calling it): the data goes all the same, with the `KThread`'s control block.
        for _ in 0..10 {
            drop(KThread::run(
                c"dw_kunit_quick",
                Arc::new(Dropped, GFP_KERNEL)?,
                &ctx,
            )?);
        }
        assert_eq!(DROPPED.load(Relaxed), 10);
        Ok(())
    }

    /// A flag and its wait queue, opened by a timer.
    #[pin_data(PinnedDrop)]
    struct Opener {
        #[pin]
        timer: Timer<Self>,
        flag: Arc<Flag>,
    }

    impl_deferred_fields! {
        impl DeferredFields for Opener {
            timer: Timer,
        }
    }

    impl TimerCallback for Opener {
        fn run(this: &Self, _bh: &BhDisabled) {
            this.flag.set.store(true, Release);
            this.flag.queue.wake_up_interruptible();
        }
    }

    /// The current task's state (`TASK_RUNNING` is 0).
    fn current_state() -> u32 {
        // SAFETY: The current task is live; its state is read once.
        unsafe { core::ptr::read_volatile(&raw const (*current!().as_ptr()).__state) }
    }

    #[test]
    fn wait_condition_runs_with_the_task_running() -> Result {
        let mut ctx = process_context();
        let flag = Arc::pin_init(
            pin_init!(Flag { set: Atomic::new(false), queue <- new_wait_queue!(), ran: Atomic::new(0) }),
            GFP_KERNEL,
        )?;
        let opened = flag.clone();
        let timer = KBox::pin_init(
            pin_init!(Opener { timer <- new_timer!(), flag: opened }),
            GFP_KERNEL,
        )?;
        timer.arm_after(kernel::time::Delta::from_millis(20));
        let (checks, running) = (core::cell::Cell::new(0), core::cell::Cell::new(0));
        flag.queue.wait_interruptible(&mut ctx, || {
            checks.set(checks.get() + 1);
            if current_state() == bindings::TASK_RUNNING {
                running.set(running.get() + 1);
            }
            flag.set.load(Acquire)
        })?;
        // Once before sleeping, once woken: never with the task marked as sleeping (and its
        // wait entry queued), where a panic would leave the entry behind.
        assert!(checks.get() >= 2);
        assert_eq!(running.get(), checks.get());
        Ok(())
    }

    #[test]
    fn kthread_wakes_on_its_wait_queue_and_stops_on_drop() -> Result {
        let flag = Arc::pin_init(
            pin_init!(Flag { set: Atomic::new(false), queue <- new_wait_queue!(), ran: Atomic::new(0) }),
            GFP_KERNEL,
        )?;
        let thread = KThread::run(c"dw_kunit_thread", flag.clone(), &process_context())?;
        assert_eq!(thread.task().comm().as_bytes(), b"dw_kunit_thread");
        sleep_ms(50);
        assert_eq!(flag.ran.load(Acquire), 1);
        flag.set.store(true, Release);
        flag.queue.wake_up_interruptible();
        drop(thread); // Waits for the exit.
        assert_eq!(flag.ran.load(Acquire), 1);
        Ok(())
    }

    #[test]
    fn kthread_stop_ends_an_interruptible_wait() -> Result {
        let flag = Arc::pin_init(
            pin_init!(Flag { set: Atomic::new(false), queue <- new_wait_queue!(), ran: Atomic::new(0) }),
            GFP_KERNEL,
        )?;
        let thread = KThread::run(c"dw_kunit_stop", flag.clone(), &process_context())?;
        sleep_ms(50);
        // Nobody sets `set`: only `kthread_stop` can end the wait.
        drop(thread);
        assert_eq!(flag.ran.load(Acquire), 2);
        Ok(())
    }

    struct Device;

    impl SharedDevice for Device {
        fn ioctl(&self, _cmd: u32, _arg: usize, _ctx: &mut ProcessContext) -> Result<isize> {
            Ok(0)
        }
    }

    #[test]
    fn misc_minor_255_is_refused() -> Result {
        let device = KBox::pin_init(
            SharedMiscDevice::register(c"dw_kunit", 255, Arc::new(Device, GFP_KERNEL)?),
            GFP_KERNEL,
        );
        assert!(matches!(device, Err(e) if e == EINVAL));
        Ok(())
    }

    /// Counts its inits and exits.
    struct Probe;

    static PROBE_INITS: Atomic<u32> = Atomic::new(0);
    static PROBE_EXITS: Atomic<u32> = Atomic::new(0);

    impl ProcessModule for Probe {
        fn init(_module: &'static ThisModule, _ctx: &mut ProcessContext) -> Result<Self> {
            PROBE_INITS.fetch_add(1, Relaxed);
            Ok(Probe)
        }

        fn exit(&mut self, _ctx: &mut ProcessContext) {
            PROBE_EXITS.fetch_add(1, Relaxed);
        }
    }

    /// `__set_current_state(state)` in C.
    fn set_current_state(state: u32) {
        // SAFETY: The current task is live, and only it sets its own state. It does not sleep
        // before setting it back to `TASK_RUNNING`, and is on no wait queue, so no wake-up is
        // lost (a preemption meanwhile keeps it runnable).
        unsafe {
            core::ptr::write_volatile(&raw mut (*current!().as_ptr()).__state, state);
        }
    }

    #[test]
    fn process_module_refuses_atomic_context() -> Result {
        use kernel::Module;
        let mut ctx = process_context();
        let module: &'static ThisModule =
            &<crate::LocalModule as kernel::ModuleMetadata>::THIS_MODULE;
        // With bottom halves off, as in a timer callback: no context is handed out.
        let refused = {
            let _bh = local_bh_disable(&mut ctx);
            InProcessContext::<Probe>::init(module).err()
        };
        assert_eq!(refused, Some(EPERM));
        // With the task marked as going to sleep, as between a wait's preparation and its
        // `schedule()`, where a sleep would lose the wake-up: refused too.
        let refused = {
            set_current_state(bindings::TASK_UNINTERRUPTIBLE);
            let refused = InProcessContext::<Probe>::init(module).err();
            set_current_state(bindings::TASK_RUNNING);
            refused
        };
        assert_eq!(refused, Some(EPERM));
        assert_eq!(PROBE_INITS.load(Relaxed), 0);
        // In process context it runs; dropped with bottom halves off, its exit is skipped.
        let probe = InProcessContext::<Probe>::init(module)?;
        assert_eq!(PROBE_INITS.load(Relaxed), 1);
        {
            let _bh = local_bh_disable(&mut ctx);
            drop(probe);
        }
        assert_eq!(PROBE_EXITS.load(Relaxed), 0);
        drop(InProcessContext::<Probe>::init(module)?);
        assert_eq!(PROBE_EXITS.load(Relaxed), 1);
        Ok(())
    }

    /// The task's reference count (`usage`).
    fn usage(task: &Task) -> i32 {
        // SAFETY: `task` is live; `usage` is its `refcount_t`, read once.
        unsafe { core::ptr::read_volatile(&raw const (*task.as_ptr()).usage.refs.counter) }
    }

    #[test]
    fn find_task_takes_and_drops_one_reference() {
        let ctx = process_context();
        let me = current!();
        let before = usage(me);
        let found = find_task(me.pid(), &ctx);
        assert!(found.as_deref().is_some_and(|t| t.as_ptr() == me.as_ptr()));
        assert_eq!(usage(me), before + 1);
        drop(found);
        assert_eq!(usage(me), before);
        assert!(find_task(-1, &ctx).is_none());
        // The idle task has no pid entry.
        assert!(find_task(0, &ctx).is_none());
        assert!(!me.is_dead());
        assert!(!me.comm().as_bytes().is_empty());
    }
}
