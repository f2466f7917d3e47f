// SPDX-License-Identifier: GPL-2.0

//! `/dev/deferred`: lab tasks 3, 4, 5 and 7 in one device, as in the lab's `deferred.c`.
//!
//! User programs ask for deferred work with ioctls. SET arms a one-shot timer N seconds ahead,
//! CANCEL disarms it, ALLOC makes the timer call [`alloc_io`] (which sleeps), MON adds a process
//! to the list the timer checks every second. The modules `dw_deferred`, `dw_workqueue` and
//! `dw_procmon` are each a [`DeviceModule`] for their [`LabTask`], which chooses the device's
//! [`Features`].
//!
//! Each of those modules includes this file privately (`mod deferred_device;`) and uses part of
//! it (one [`Alloc`] variant, say): like `kernel_ext`, the rest is left out of its `.ko`.
#![allow(dead_code, unreachable_pub)]

use crate::kernel_ext::{
    context::{BhDisabled, MaySleep, ProcessContext},
    deferred::impl_deferred_fields,
    miscdev::{SharedDevice, SharedMiscDevice},
    sync::{new_spinlock_bh, SpinLockBh},
    task::{find_task, TaskExt},
    time::{jiffies, secs_to_jiffies, HZ},
    timer::{new_timer, HasTimer, Timer, TimerCallback},
    workqueue::{new_work, HasOwnedWork, OwnedWork, WorkCallback},
};
use core::marker::PhantomData;
use kernel::{
    current,
    ffi::c_ulong,
    ioctl::{_IO, _IOW},
    list::{impl_list_arc_safe, impl_list_item, List, ListArc, ListLinks},
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{Atomic, Relaxed},
        Arc,
    },
    task::{Pid, Task},
};

/// Arms the timer to fire after `arg` seconds.
pub const MY_IOCTL_TIMER_SET: u32 = _IOW::<c_ulong>('k' as u32, 1);
/// Disarms the timer.
pub const MY_IOCTL_TIMER_CANCEL: u32 = _IO('k' as u32, 2);
/// Calls `alloc_io()` after `arg` seconds.
pub const MY_IOCTL_TIMER_ALLOC: u32 = _IOW::<c_ulong>('k' as u32, 3);
/// Monitors process `arg`.
pub const MY_IOCTL_TIMER_MON: u32 = _IO('k' as u32, 4);

/// A misc minor from the range reserved for local use. Being fixed, it makes a second
/// `/dev/deferred` fail cleanly, so only one of the modules can be loaded at a time.
const DEVICE_MINOR: u8 = 243;

/// How the timer gets `alloc_io()` called: where lab tasks 4 and 5 differ.
#[derive(Clone, Copy)]
pub enum Alloc {
    /// Task 4, the bug: the timer handler calls it itself, sleeping in atomic context.
    FromTimer,
    /// Task 5, the fix: the timer handler queues a work item, which calls it in process context.
    FromWork,
}

/// What a module's `/dev/deferred` can do.
#[derive(Clone, Copy)]
pub struct Features {
    /// Where ALLOC sleeps.
    pub alloc: Alloc,
    /// Task 7: MON, the process monitor.
    pub monitor: bool,
}

/// A lab task served by `/dev/deferred`: what its module chooses.
pub trait LabTask: Send + Sync + 'static {
    /// What the device does for this task.
    const FEATURES: Features;
}

/// The module that registers `/dev/deferred` for lab task `T`: the `type` of its `module!`.
pub struct DeviceModule<T: LabTask> {
    _device: Pin<KBox<SharedMiscDevice<DeviceData>>>,
    _task: PhantomData<T>,
}

impl<T: LabTask> kernel::Module for DeviceModule<T> {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("[deferred_init] Init module\n");
        Ok(Self {
            _device: DeviceData::register(T::FEATURES)?,
            _task: PhantomData,
        })
    }
}

impl<T: LabTask> Drop for DeviceModule<T> {
    fn drop(&mut self) {
        pr_info!("[deferred_exit] Exit module\n");
        // Then the device drops: deregistered, its timer shut down, its work cancelled.
    }
}

/// What the timer does when it fires: the lab's `TIMER_TYPE_*`, kept in the device's `flag`.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
enum TimerType {
    None = -1,
    Set = 0,
    Alloc = 1,
    Mon = 2,
}

impl TimerType {
    fn from_flag(flag: i32) -> Self {
        match flag {
            0 => Self::Set,
            1 => Self::Alloc,
            2 => Self::Mon,
            _ => Self::None,
        }
    }
}

/// The device: the lab's `struct my_device_data`. Its timer and work item are fields whose
/// callbacks get the device; the device's drop stops both (waiting for a running handler, and
/// for good) before any field goes.
#[pin_data(PinnedDrop)]
pub struct DeviceData {
    #[pin]
    timer: Timer<Self>,
    // TODO 5/2: a pinned work item (`OwnedWork`) whose callback gets the device (`Self`)
    #[pin]
    work: OwnedWork<Self>,
    // TODO 7/2: the monitored processes (a `List` of `MonProc`), shared by the ioctl (process
    // context) and the timer (softirq): under a `SpinLockBh`, which holds the list it locks
    #[pin]
    list: SpinLockBh<List<MonProc>>,
    /// What the timer does next (a [`TimerType`]).
    flag: Atomic<i32>,
    features: Features,
}

// The device's deferred fields: their callbacks find the device, and its drop stops them first.
impl_deferred_fields! {
    impl DeferredFields for DeviceData {
        timer: Timer,
        // TODO 5: name the work field here (`work: OwnedWork`)
        work: OwnedWork,
    }
}

/// A monitored process: the lab's `struct mon_proc`. The `ARef` holds a task reference until the
/// entry is dropped.
#[pin_data]
struct MonProc {
    task: ARef<Task>,
    #[pin]
    links: ListLinks,
}

impl_list_arc_safe! {
    impl ListArcSafe<0> for MonProc { untracked; }
}
impl_list_item! {
    impl ListItem<0> for MonProc { using ListLinks { self.links }; }
}

impl DeviceData {
    /// Registers `/dev/deferred` with `features`.
    pub fn register(features: Features) -> Result<Pin<KBox<SharedMiscDevice<Self>>>> {
        let device = Arc::pin_init(
            try_pin_init!(Self {
                timer <- new_timer!(),
                // TODO 5: set the work item up (`new_work!()`)
                work <- new_work!(),
                // TODO 7: an empty list under a new lock (`new_spinlock_bh!`)
                list <- new_spinlock_bh!(List::new()),
                flag: Atomic::new(TimerType::None as i32),
                features,
            }? Error),
            GFP_KERNEL,
        )?;
        KBox::pin_init(SharedMiscDevice::register(c"deferred", DEVICE_MINOR, device), GFP_KERNEL)
            .inspect_err(|e| {
                if *e == EBUSY {
                    pr_err!("/dev/deferred is taken: load only one of dw_deferred, dw_workqueue, dw_procmon\n");
                }
            })
    }

    /// What the timer does next.
    fn timer_type(&self) -> TimerType {
        TimerType::from_flag(self.flag.load(Relaxed))
    }

    /// Arms the timer to fire `secs` seconds from now, for `timer_type`.
    fn arm(&self, timer_type: TimerType, secs: usize) -> Result {
        let delay = secs_to_jiffies(secs as u64).ok_or(EINVAL)?;
        self.flag.store(timer_type as i32, Relaxed);
        // TODO 3: arm the timer `delay` ticks from now (`arm_at`; jiffies wrap: `wrapping_add`)
        self.arm_at(jiffies().wrapping_add(delay));
        Ok(())
    }

    /// Task 7: adds process `pid` to the monitored list and has the timer check it every second.
    fn monitor(&self, pid: usize, ctx: &mut ProcessContext) -> Result {
        // TODO 7/12: find the task (`find_task`, which needs `ctx`: a pid means something only
        // in a process's namespace; `ESRCH` for a pid that does not fit or is
        // missing), put a new `MonProc` for it in a `ListArc`, push it on the list under the
        // lock (`lock(ctx)`), then make the timer a monitor (`TimerType::Mon`) armed 1 s ahead
        let pid = Pid::try_from(pid).map_err(|_| ESRCH)?;
        let task = find_task(pid, ctx).ok_or(ESRCH)?;
        let entry = ListArc::pin_init(
            try_pin_init!(MonProc {
                task,
                links <- ListLinks::new(),
            }),
            GFP_KERNEL,
        )?;
        self.list.lock(ctx).push_back(entry);
        self.flag.store(TimerType::Mon as i32, Relaxed);
        self.arm_at(jiffies().wrapping_add(HZ));
        Ok(())
    }

    /// Task 7: reports each monitored process that has died, and drops it from the list (with its
    /// task reference).
    fn report_dead_tasks(&self, bh: &BhDisabled) {
        // TODO 7/10: walk the list under the lock (`lock_with(bh)`, `cursor_front`): print
        // `task COMM (PID) is dead` for each task that `is_dead()` and remove it (dropping the
        // entry drops its task reference)
        let mut list = self.list.lock_with(bh);
        let mut cursor = list.cursor_front();
        while let Some(next) = cursor.peek_next() {
            if next.task.is_dead() {
                let dead = next.remove();
                pr_info!("task {} ({}) is dead\n", dead.task.comm(), dead.task.pid());
            } else {
                cursor.move_next();
            }
        }
    }
}

impl SharedDevice for DeviceData {
    fn open(&self, _ctx: &mut ProcessContext) -> Result {
        pr_info!("[deferred_open] Device opened\n");
        Ok(())
    }

    fn release(&self, _ctx: &mut ProcessContext) {
        pr_info!("[deferred_release] Device released\n");
    }

    fn ioctl(&self, cmd: u32, arg: usize, ctx: &mut ProcessContext) -> Result<isize> {
        pr_info!("[deferred_ioctl] Command: {}\n", command_name(cmd));
        match cmd {
            // TODO 3: SET: arm the timer `arg` seconds ahead, for `TimerType::Set` (`self.arm`)
            MY_IOCTL_TIMER_SET => self.arm(TimerType::Set, arg)?,
            MY_IOCTL_TIMER_CANCEL => {
                // TODO 3: CANCEL: disarm the timer, waiting for a running handler (`cancel`)
                self.timer.cancel(ctx);
            }
            // TODO 4: ALLOC: arm the timer `arg` seconds ahead, for `TimerType::Alloc`
            MY_IOCTL_TIMER_ALLOC => self.arm(TimerType::Alloc, arg)?,
            // TODO 7: MON, on the modules whose `features.monitor` is set: `self.monitor`
            MY_IOCTL_TIMER_MON if self.features.monitor => self.monitor(arg, ctx)?,
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }
}

impl TimerCallback for DeviceData {
    fn run(this: &Self, bh: &BhDisabled) {
        // TODO 3/6: print the context the handler runs in: `[timer_handler] pid = P, comm = C`
        // of the current task (`current!()`, `pid()`, `TaskExt::comm`)
        let task = current!();
        pr_info!(
            "[timer_handler] pid = {}, comm = {}\n",
            task.pid(),
            task.comm()
        );
        match this.timer_type() {
            TimerType::Alloc => match this.features.alloc {
                Alloc::FromTimer => {
                    // TODO 4/2: call `alloc_io()` here. Try `alloc_io(bh)` first and read the
                    // compiler's error: a timer handler runs in softirq context, where nothing may
                    // sleep; its `BhDisabled` is no `MaySleep` context, which `alloc_io` needs.
                    // Then forge one, the lab's bug, with one marked `unsafe` line that calls
                    // `ProcessContext::assume_unchecked()`, call
                    // `alloc_io(&ctx)`, and run `./test a 1`: expect `BUG: sleeping function
                    // called from invalid context`, then `BUG: scheduling while atomic`, and a
                    // stuck timer wheel on this CPU. Task 5 fixes it with a work item.
                    // SAFETY: None: this breaks `assume_unchecked`'s contract on purpose, to show
                    // what the kernel reports. Never do this outside this demonstration.
                    let ctx = unsafe { ProcessContext::assume_unchecked() };
                    alloc_io(&ctx);
                }
                Alloc::FromWork => {
                    // TODO 5: queue the work item, which calls `alloc_io()` in process context
                    this.queue();
                }
            },
            TimerType::Mon => {
                // TODO 7: report the monitored processes that died (`report_dead_tasks`)
                this.report_dead_tasks(bh);
                // TODO 7: and check again in a second (`HZ` ticks)
                this.arm_at(jiffies().wrapping_add(HZ));
            }
            _ => {}
        }
    }
}

/// Task 5's work item: calls `alloc_io()` from a kernel worker thread.
impl WorkCallback for DeviceData {
    fn run(_this: &Self, ctx: &mut ProcessContext) {
        // TODO 5/7: print `[work_handler] pid = P, comm = C` of the current task, then call
        // `alloc_io()`: here it may sleep
        let task = current!();
        pr_info!(
            "[work_handler] pid = {}, comm = {}\n",
            task.pid(),
            task.comm()
        );
        alloc_io(ctx);
    }
}

/// The lab's slow allocation: sleeps 5 seconds. Only a context that may sleep can call it: in a
/// timer handler, `alloc_io(bh)` is a compile error that says so.
fn alloc_io(ctx: &impl MaySleep) {
    ctx.schedule_timeout_interruptible(5 * HZ);
    pr_info!("Yawn! I've been sleeping for 5 seconds.\n");
}

fn command_name(cmd: u32) -> &'static str {
    match cmd {
        MY_IOCTL_TIMER_SET => "Set timer",
        MY_IOCTL_TIMER_CANCEL => "Cancel timer",
        MY_IOCTL_TIMER_ALLOC => "Allocate memory",
        MY_IOCTL_TIMER_MON => "Monitor pid",
        _ => "Unknown command",
    }
}
