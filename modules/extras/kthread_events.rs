// SPDX-License-Identifier: GPL-2.0

//! The kthread event-list pattern of the lab text: a kernel thread sleeps on a wait queue until
//! events arrive in a list under a spinlock, handles them in process context, and ends on a stop
//! event.
//!
//! The events come from a timer (softirq context) every 200 ms, `events` of them (a module
//! parameter, default 5). Unloading stops the timer, sends the stop event, and waits for the
//! thread (`kthread_stop`). With `stop_event=0` (or when the stop event cannot be allocated),
//! `kthread_stop` alone ends the thread: it makes the thread's wait fail, and the thread checks
//! `should_stop`.
//!
//! The wait's condition runs with the thread marked as sleeping, so it does not take the list's
//! lock (that needs the thread's `ProcessContext`, which the wait holds): it reads a count of
//! queued events, kept next to the list.

use kernel::{
    current,
    list::{impl_list_arc_safe, impl_list_item, List, ListArc, ListLinks},
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        Arc,
    },
};
use kernel_ext::{
    context::{BhDisabled, ProcessContext},
    deferred::impl_deferred_fields,
    kthread::{KThread, KThreadContext, ThreadFn},
    module::{InProcessContext, ProcessModule},
    sync::{new_spinlock_bh, SpinLockBh},
    task::TaskExt,
    timer::{new_timer, HasTimer, Timer, TimerCallback},
    wait::{new_wait_queue, WaitQueue},
};

#[path = "../kernel_ext/mod.rs"]
mod kernel_ext;

module! {
    type: InProcessContext<EventsModule>,
    name: "dw_kthread_events",
    authors: ["Deferred work lab in Rust"],
    description: "A kernel thread handling events queued by a timer",
    license: "GPL",
    params: {
        events: u32 {
            default: 5,
            description: "How many events the timer sends (one every 200 ms)",
        },
        stop_event: bool {
            default: true,
            description: "Send the stop event at unload (false: kthread_stop alone stops the thread)",
        },
    },
}

/// An event for the thread.
#[pin_data]
struct Event {
    /// The event number, or `None` for the stop event.
    number: Option<u32>,
    #[pin]
    links: ListLinks,
}

impl_list_arc_safe! {
    impl ListArcSafe<0> for Event { untracked; }
}
impl_list_item! {
    impl ListItem<0> for Event { using ListLinks { self.links }; }
}

/// The event list and the thread's wait queue.
#[pin_data]
struct Events {
    #[pin]
    list: SpinLockBh<List<Event>>,
    /// How many events the list holds, for the wait's condition.
    queued: Atomic<u32>,
    #[pin]
    queue: WaitQueue,
}

/// Where an event is sent from: the timer, or process context.
enum Sender<'a> {
    Timer(&'a BhDisabled),
    Process(&'a mut ProcessContext),
}

impl Events {
    /// Queues an event (with allocation `flags` that fit the sender's context) and wakes the
    /// thread.
    fn send(&self, number: Option<u32>, flags: kernel::alloc::Flags, from: Sender<'_>) -> Result {
        let event = ListArc::pin_init(
            try_pin_init!(Event { number, links <- ListLinks::new() }),
            flags,
        )?;
        // One guard type, whichever side took the lock.
        let mut list = match from {
            Sender::Timer(bh) => self.list.lock_with(bh),
            Sender::Process(ctx) => self.list.lock(ctx),
        };
        list.push_back(event);
        drop(list);
        self.queued.fetch_add(1, Release);
        self.queue.wake_up();
        Ok(())
    }
}

impl ThreadFn for Events {
    fn run(&self, ctx: &mut KThreadContext) {
        let task = current!();
        pr_info!(
            "[event_thread] started: pid {} ({})\n",
            task.pid(),
            task.comm()
        );
        loop {
            // The wait fails once `kthread_stop` was called (and at once, every time after).
            if self
                .queue
                .wait_interruptible(ctx, || self.queued.load(Acquire) > 0)
                .is_err()
                && ctx.should_stop()
            {
                pr_info!("[event_thread] stop requested: exiting\n");
                return;
            }
            let Some(event) = self.list.lock(ctx).pop_front() else {
                continue;
            };
            self.queued.fetch_sub(1, Relaxed);
            match event.number {
                Some(n) => pr_info!(
                    "[event_thread] handled event {n} in pid {} ({})\n",
                    task.pid(),
                    task.comm()
                ),
                None => break,
            }
        }
        pr_info!("[event_thread] stop event: exiting\n");
    }
}

/// The timer that sends the events, and what it sends them with.
#[pin_data(PinnedDrop)]
struct Producer {
    #[pin]
    timer: Timer<Self>,
    events: Arc<Events>,
    sent: Atomic<u32>,
    total: u32,
}

impl_deferred_fields! {
    impl DeferredFields for Producer {
        timer: Timer,
    }
}

impl TimerCallback for Producer {
    fn run(this: &Self, bh: &BhDisabled) {
        let n = this.sent.fetch_add(1, Relaxed) + 1;
        if this
            .events
            .send(Some(n), GFP_ATOMIC, Sender::Timer(bh))
            .is_err()
        {
            pr_warn!("[event_timer] out of memory for event {n}\n");
        }
        if n < this.total {
            this.arm_after(kernel::time::Delta::from_millis(200));
        }
    }
}

struct EventsModule {
    // The timer drops first: nothing sends events once the thread may be gone.
    producer: Pin<KBox<Producer>>,
    thread: KThread<Events>,
}

impl ProcessModule for EventsModule {
    fn init(_module: &'static ThisModule, ctx: &mut ProcessContext) -> Result<Self> {
        let total = module_parameters::events.value();
        pr_info!("[events_init] Init module: sending {total} events\n");
        let events = Arc::pin_init(
            pin_init!(Events {
                list <- new_spinlock_bh!(List::new()),
                queued: Atomic::new(0),
                queue <- new_wait_queue!(),
            }),
            GFP_KERNEL,
        )?;
        let thread = KThread::run(c"dw_events", events.clone(), ctx)?;
        let producer = KBox::pin_init(
            pin_init!(Producer {
                timer <- new_timer!(),
                events,
                sent: Atomic::new(0),
                total
            }),
            GFP_KERNEL,
        )?;
        if total > 0 {
            producer.arm_after(kernel::time::Delta::from_millis(200));
        }
        Ok(Self { producer, thread })
    }

    fn exit(&mut self, ctx: &mut ProcessContext) {
        self.producer.timer.cancel(ctx);
        if !module_parameters::stop_event.value() {
            pr_info!("[events_exit] no stop event: kthread_stop ends the thread\n");
        } else if self
            .thread
            .data()
            .send(None, GFP_KERNEL, Sender::Process(ctx))
            .is_err()
        {
            pr_warn!(
                "[events_exit] out of memory for the stop event: kthread_stop ends the thread\n"
            );
        }
        pr_info!("[events_exit] Exit module\n");
        // Then the thread drops: `kthread_stop` waits until it has exited.
    }
}
