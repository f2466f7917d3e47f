//! What the kernel's own trace events say about how a scenario's log lines came about, so that
//! a check observes the mechanism a lab task teaches and not only the line a module printed
//! (a module can print anything, from anywhere). `tests/guest/trace.sh` records, during a traced
//! scenario, the timers and work items whose function is module code, the kernel log lines
//! (`printk:console`) and the tasks renamed and exiting, and copies them to the kernel log as
//! `dw-trace: <line of /sys/kernel/tracing/trace>`.
//!
//! The debug kernel has tracefs through lockdep (`PROVE_LOCKING` selects `TRACE_IRQFLAGS`, whose
//! `PREEMPTIRQ_TRACEPOINTS` select `TRACING`); on a kernel without it the traced checks fail with
//! "the kernel's trace has no ...".
//!
//! The guest kernel's own format of `/sys/kernel/tracing/trace` is read here, not a library's:
//! no crate reads ftrace's text output (the kernel's `libtraceevent` reads its binary buffers).
//!
//! A trace line names the task that was running, its CPU and context (`s`: in a softirq), the
//! time, the event and its fields: the timer's function and, in jiffies, when it was armed for
//! (`[timeout=N]`) and when it ran (`now=N`).

use crate::check::matches;

/// The first address of the modules' area on x86_64: a timer or work function at or above it
/// is a module's (only our modules, or a student's, are loaded in these guests).
pub const MODULES_VADDR: u64 = 0xffff_ffff_a000_0000;

/// How a traced kernel log line begins in the log.
pub const PREFIX: &str = "dw-trace: ";

/// The line the guest script prints before its scenarios with the kernel's tick rate.
pub const HZ_PREFIX: &str = "dw-kernel: HZ=";

/// One trace event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The task that was running (`<idle>` for the idle task) and its pid.
    pub comm: String,
    pub pid: u32,
    pub cpu: u32,
    /// Whether it happened in a softirq (the context flags' `s`).
    pub in_softirq: bool,
    pub name: String,
    /// What follows the event's name.
    pub details: String,
}

impl Event {
    /// The value of `key=` in the details (up to the next space).
    pub fn field(&self, key: &str) -> Option<&str> {
        self.details
            .split(' ')
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
    }

    /// The work item of a workqueue event (`work struct=ADDR` or `work struct ADDR:`).
    pub fn work(&self) -> Option<&str> {
        let rest = self.details.strip_prefix("work struct")?;
        rest.trim_start_matches(['=', ' ']).split([' ', ':']).next()
    }

    fn number(&self, key: &str) -> Option<i64> {
        self.field(key)?.trim_end_matches(']').parse().ok()
    }

    /// Whether its function (`function=`, or `function NAME` of the workqueue events) is
    /// module code: an address in the modules' area, or a symbol with its module (`[dw_...]`).
    pub fn of_module(&self) -> bool {
        let function = self
            .details
            .split_once("function")
            .map(|(_, rest)| rest.trim_start_matches(['=', ' ']));
        function.is_some_and(|f| {
            let address = f.split(' ').next().unwrap_or_default();
            let in_area = address
                .strip_prefix("0x")
                .and_then(|hex| u64::from_str_radix(hex, 16).ok())
                .is_some_and(|a| a >= MODULES_VADDR);
            in_area || f.split(' ').nth(1).is_some_and(|m| m.starts_with('['))
        })
    }

    /// The text of a `console` event: the kernel log line.
    pub fn message(&self) -> Option<&str> {
        (self.name == "console").then_some(self.details.as_str())
    }
}

/// Parses a line of `/sys/kernel/tracing/trace`:
/// `<comm>-<pid> [<cpu>] <flags> <seconds>: <event>: <details>`.
pub fn parse(line: &str) -> Option<Event> {
    let (head, rest) = line.split_once(": ")?;
    let (name, details) = rest
        .split_once(": ")
        .unwrap_or((rest.trim_end_matches(':'), ""));
    let mut words = head.split_whitespace().rev();
    let _seconds = words.next()?;
    let flags = words.next()?;
    let cpu = words.next()?.trim_start_matches('[').trim_end_matches(']');
    let task: Vec<&str> = words.collect();
    let task = task.into_iter().rev().collect::<Vec<_>>().join(" ");
    let (comm, pid) = task.rsplit_once('-')?;
    Some(Event {
        comm: comm.to_string(),
        pid: pid.parse().ok()?,
        cpu: cpu.parse().ok()?,
        in_softirq: flags.contains('s'),
        name: name.to_string(),
        details: details.to_string(),
    })
}

/// The trace events of a scenario's log, in order.
pub fn events(log: &[String]) -> Vec<Event> {
    log.iter()
        .filter_map(|l| parse(l.strip_prefix(PREFIX)?))
        .collect()
}

/// The kernel's tick rate, from the line the guest script prints before its scenarios.
pub fn hz(log: &[String]) -> Option<u32> {
    log.iter()
        .find_map(|l| l.strip_prefix(HZ_PREFIX)?.trim().parse().ok())
}

/// The timer (its `timer=` address) whose callback was running on `event`'s CPU when
/// `event` happened: a module timer's `timer_expire_entry` before it on that CPU, with no
/// `timer_expire_exit` of that timer in between.
fn running_timer(events: &[Event], index: usize) -> Option<usize> {
    let cpu = events[index].cpu;
    for (i, e) in events[..index].iter().enumerate().rev() {
        match e.name.as_str() {
            _ if e.cpu != cpu => {}
            "timer_expire_exit" => return None,
            "timer_expire_entry" if e.of_module() => return Some(i),
            _ => {}
        }
    }
    None
}

/// The work item whose function was running on `event`'s CPU when `event` happened.
fn running_work(events: &[Event], index: usize) -> Option<usize> {
    let (cpu, pid) = (events[index].cpu, events[index].pid);
    for (i, e) in events[..index].iter().enumerate().rev() {
        match e.name.as_str() {
            _ if e.cpu != cpu || e.pid != pid => {}
            "workqueue_execute_end" => return None,
            "workqueue_execute_start" if e.of_module() => return Some(i),
            _ => {}
        }
    }
    None
}

/// The last event before `index` that `found` accepts.
fn last_before(events: &[Event], index: usize, found: impl Fn(&Event) -> bool) -> Option<usize> {
    events[..index].iter().rposition(found)
}

/// How a lab line must have come about.
#[derive(Debug, Clone, PartialEq)]
pub enum Mechanism {
    /// Printed in the callback of a module's `timer_list`, in softirq context, that was armed
    /// `seconds` ahead (exactly, in jiffies) and ran when it was due (within the timer wheel's
    /// granularity, and a tick). `rearmed`: each run after the first was armed by the
    /// callback before it (a periodic timer).
    Timer { seconds: u32, rearmed: bool },
    /// Printed by a work item of the module, in a kworker, that a module timer's callback
    /// queued.
    WorkFromTimer,
    /// Printed by a kernel thread named `comm` (a task kthreadd made).
    KThread { comm: String },
    /// Printed while a module timer's callback, on the same CPU, was going to sleep: after it
    /// armed the timeout of `schedule_timeout()` (a timer of `process_timeout`). The kernel's
    /// `BUG: scheduling while atomic` of lab task 4.
    SleepInTimer,
}

/// What is wrong with how each kernel log line matching `line` came about (nothing if every
/// one, and at least one, came about by `mechanism`). `hz`: the kernel's tick rate.
pub fn verify(events: &[Event], line: &str, mechanism: &Mechanism, hz: Option<u32>) -> Vec<String> {
    let printed: Vec<usize> = (0..events.len())
        .filter(|&i| events[i].message().is_some_and(|m| matches(line, m)))
        .collect();
    if printed.is_empty() {
        return vec![format!(
            "the kernel's trace has no {line:?} (traced: kernel log lines while the scenario ran)"
        )];
    }
    let mut problems = Vec::new();
    for &i in &printed {
        let problem = match mechanism {
            Mechanism::Timer { seconds, rearmed } => {
                timer_problem(events, i, *seconds, *rearmed, hz)
            }
            Mechanism::WorkFromTimer => work_problem(events, i),
            Mechanism::KThread { comm } => thread_problem(events, i, comm),
            Mechanism::SleepInTimer => sleep_problem(events, i),
        };
        if let Some(p) = problem {
            problems.push(format!("{:?}: {p}", events[i].details));
            break;
        }
    }
    problems
}

fn timer_problem(
    events: &[Event],
    i: usize,
    seconds: u32,
    rearmed: bool,
    hz: Option<u32>,
) -> Option<String> {
    let context = if events[i].in_softirq {
        "softirq"
    } else {
        "process context"
    };
    let Some(entry) = running_timer(events, i) else {
        return Some(format!(
            "not printed by a timer callback of the module (printed by {}-{} in {context})",
            events[i].comm, events[i].pid
        ));
    };
    let timer = events[entry].field("timer");
    let same_timer =
        |name: &'static str| move |e: &Event| e.name == name && e.field("timer") == timer;
    // The arming of this run: the last `timer_start` of the same timer before it.
    let Some(start) = last_before(events, entry, same_timer("timer_start")) else {
        return Some("its timer was not armed while the scenario was traced".into());
    };
    let Some(hz) = hz else {
        return Some("the kernel's HZ is unknown (no `dw-kernel: HZ=` line)".into());
    };
    let wanted = i64::from(seconds) * i64::from(hz);
    let timeout = events[start].number("[timeout");
    if timeout != Some(wanted) {
        return Some(format!(
            "its timer was armed {} jiffies ahead, expected {wanted} ({seconds} s at HZ={hz})",
            timeout.map_or("?".into(), |t| t.to_string())
        ));
    }
    let (expires, due, now) = (
        events[start].number("expires"),
        events[start].number("bucket_expiry"),
        events[entry].number("now"),
    );
    if let (Some(expires), Some(due), Some(now)) = (expires, due, now) {
        if now < expires || now > due + 1 {
            return Some(format!(
                "its timer ran at jiffy {now}, armed for {expires} (due by {due})"
            ));
        }
    }
    if rearmed {
        let first = last_before(events, start, same_timer("timer_expire_entry")).is_none();
        let from_callback =
            running_timer(events, start).is_some_and(|e| events[e].field("timer") == timer);
        if !first && !from_callback {
            return Some("its timer was not re-armed by its own callback".into());
        }
    }
    None
}

fn work_problem(events: &[Event], i: usize) -> Option<String> {
    let e = &events[i];
    let Some(start) = running_work(events, i) else {
        return Some(format!(
            "not printed by a work item of the module (printed by {}-{})",
            e.comm, e.pid
        ));
    };
    if !e.comm.starts_with("kworker/") {
        return Some(format!("its work ran in {}, not in a kworker", e.comm));
    }
    let work = events[start].work();
    let queued = last_before(events, start, |x| {
        x.name == "workqueue_queue_work" && x.work() == work
    });
    match queued {
        None => Some("its work item was not queued while the scenario was traced".into()),
        Some(q) if running_timer(events, q).is_none() => {
            Some("its work item was not queued by a timer callback of the module".into())
        }
        Some(_) => None,
    }
}

fn sleep_problem(events: &[Event], i: usize) -> Option<String> {
    let e = &events[i];
    let Some(entry) = running_timer(events, i) else {
        return Some(format!(
            "not printed while a timer callback of the module ran (printed by {}-{})",
            e.comm, e.pid
        ));
    };
    let slept = events[entry..i].iter().any(|x| {
        x.cpu == e.cpu && x.name == "timer_start" && x.field("function") == Some("process_timeout")
    });
    (!slept).then(|| {
        "its timer callback did not go to sleep (it armed no `schedule_timeout()` timer before)"
            .into()
    })
}

fn thread_problem(events: &[Event], i: usize, comm: &str) -> Option<String> {
    let e = &events[i];
    if e.comm != comm {
        return Some(format!("printed by {}-{}, not by {comm}", e.comm, e.pid));
    }
    let pid = e.pid.to_string();
    let made = events[..i].iter().any(|x| {
        x.name == "task_newtask"
            && x.comm == "kthreadd"
            && x.field("pid") == Some(pid.as_str())
            && x.field("comm") == Some(comm)
    });
    (!made).then(|| format!("{comm} (pid {pid}) was not started as a kernel thread"))
}

/// What is wrong if a module timer's callback ran: each run, or an empty trace (nothing was
/// recorded, so nothing is shown).
pub fn timer_ran(events: &[Event]) -> Vec<String> {
    if events.is_empty() {
        return vec!["the kernel's trace is empty (traced: the scenario's timers)".into()];
    }
    events
        .iter()
        .filter(|e| e.name == "timer_expire_entry" && e.of_module())
        .map(|e| {
            format!(
                "a timer of the module ran on {}-{}: {}",
                e.comm, e.pid, e.details
            )
        })
        .collect()
}

/// The pid and comm of the task that was running when the line matching `line` was printed,
/// as the kernel names them (`swapper/N` for the idle task of CPU N).
pub fn running_task(events: &[Event], line: &str) -> Option<(u32, String)> {
    let e = events
        .iter()
        .find(|e| e.message().is_some_and(|m| matches(line, m)))?;
    let comm = match e.comm.as_str() {
        "<idle>" => format!("swapper/{}", e.cpu),
        c => c.to_string(),
    };
    Some((e.pid, comm))
}

/// What is wrong with the `pid = P, comm = C` of the line matching `line`, next to the task
/// the trace shows running when it was printed.
pub fn running_task_problem(events: &[Event], line: &str) -> Option<String> {
    let Some((pid, comm)) = running_task(events, line) else {
        return Some(format!("the kernel's trace has no {line:?}"));
    };
    let printed = events
        .iter()
        .filter_map(Event::message)
        .find(|m| matches(line, m))?;
    let named = printed
        .split_once("pid = ")
        .and_then(|(_, rest)| rest.split_once(", comm = "));
    match named {
        Some((p, c)) if p == pid.to_string() && c == comm => None,
        _ => Some(format!(
            "{printed:?} was printed while {comm} (pid {pid}) was running"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines of a real trace of `insmod dw_timer.ko; sleep 2; rmmod dw_timer`.
    const TIMER: &str = "\
          insmod-55      [001] d....    10.862882: console: dw_timer: [timer_init] Init module
          insmod-55      [001] d..1.    10.867467: timer_start: timer=ffffffffa0208040 function=0xffffffffa0000000 expires=4294894735 [timeout=250] bucket_expiry=4294894736 cpu=1 idx=82 flags=
          <idle>-0       [000] ..s1.    11.855656: timer_start: timer=ffffffff83e43320 function=clocksource_watchdog expires=4294894853 [timeout=125] bucket_expiry=4294894856 cpu=0 idx=97 flags=P
          <idle>-0       [001] ..s1.    11.891550: timer_expire_entry: timer=ffffffffa0208040 function=0xffffffffa0000000 now=4294894736 baseclk=4294894736
          <idle>-0       [001] d.s1.    11.892181: console: dw_timer: [timer_handler] nseconds = 1
          <idle>-0       [001] ..s1.    11.892262: timer_expire_exit: timer=ffffffffa0208040
           rmmod-57      [000] d....    13.066936: console: dw_timer: [timer_exit] Exit module";

    fn trace(text: &str) -> Vec<Event> {
        let log: Vec<String> = text.lines().map(|l| format!("{PREFIX}{l}")).collect();
        events(&log)
    }

    const FIRED: &str = "dw_timer: [timer_handler] nseconds = 1";
    const ONCE: Mechanism = Mechanism::Timer {
        seconds: 1,
        rearmed: false,
    };

    #[test]
    fn trace_lines_parse() {
        let e = trace(TIMER);
        assert_eq!(e.len(), 7);
        assert_eq!((e[3].comm.as_str(), e[3].pid, e[3].cpu), ("<idle>", 0, 1));
        assert!(e[3].in_softirq && !e[1].in_softirq);
        assert_eq!(e[1].field("[timeout"), Some("250]"));
        assert_eq!(e[3].field("timer"), Some("ffffffffa0208040"));
        assert_eq!(e[1].number("[timeout"), Some(250));
        assert!(e[1].of_module() && !e[2].of_module());
        assert_eq!(e[4].message(), Some(FIRED));
        assert_eq!(running_task(&e, FIRED), Some((0, "swapper/1".to_string())));
    }

    #[test]
    fn a_line_from_the_timer_armed_as_asked_passes() {
        assert_eq!(
            verify(&trace(TIMER), FIRED, &ONCE, Some(250)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn another_delay_or_another_context_fails() {
        let two = Mechanism::Timer {
            seconds: 2,
            rearmed: false,
        };
        let p = verify(&trace(TIMER), FIRED, &two, Some(250));
        assert!(
            p[0].contains("armed 250 jiffies ahead, expected 500"),
            "{p:?}"
        );
        // The line printed by insmod itself, after sleeping: no timer ran it.
        let forged = "          insmod-55      [001] d....    11.9: console: dw_timer: [timer_handler] nseconds = 1";
        let p = verify(&trace(forged), FIRED, &ONCE, Some(250));
        assert!(p[0].contains("not printed by a timer callback"), "{p:?}");
        assert!(verify(&trace(TIMER), "x", &ONCE, Some(250))[0].contains("has no"));
        assert!(verify(&trace(TIMER), FIRED, &ONCE, None)[0].contains("HZ"));
    }

    /// Lab task 4: the timer callback arms the timeout of its sleep, then the scheduler reports.
    const ATOMIC_SLEEP: &str = "\
          <idle>-0       [001] ..s1.    28.970000: timer_expire_entry: timer=ffff88801ad08e00 function=0xffffffffa0001000 now=4294900000 baseclk=4294900000
          <idle>-0       [001] d.s1.    28.980589: console: dw_deferred: [timer_handler] pid = 0, comm = swapper/1
          <idle>-0       [001] d.s1.    28.982000: timer_start: timer=ffff888000877c00 function=process_timeout expires=4294901250 [timeout=1250] bucket_expiry=4294901256 cpu=1 idx=100 flags=
          <idle>-0       [001] d.s2.    28.982859: console: BUG: scheduling while atomic: swapper/1/0/0x00000102";

    const BUG: &str = "BUG: scheduling while atomic: *";

    #[test]
    fn the_report_of_a_timer_callback_that_sleeps_passes() {
        let sleep = Mechanism::SleepInTimer;
        assert_eq!(
            verify(&trace(ATOMIC_SLEEP), BUG, &sleep, Some(250)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_report_printed_by_the_module_fails() {
        let sleep = Mechanism::SleepInTimer;
        // The callback prints the report itself and never sleeps.
        let no_sleep: Vec<&str> = ATOMIC_SLEEP
            .lines()
            .filter(|l| !l.contains("timer_start"))
            .collect();
        let p = verify(&trace(&no_sleep.join("\n")), BUG, &sleep, Some(250));
        assert!(p[0].contains("did not go to sleep"), "{p:?}");
        // The ioctl prints it, after its own (allowed) sleep.
        let ioctl = "\
            test-60      [000] d....    33.000000: console: BUG: scheduling while atomic: swapper/0/0/0x00000102";
        let p = verify(
            &trace(&format!("{ATOMIC_SLEEP}\n{ioctl}")),
            BUG,
            &sleep,
            Some(250),
        );
        assert!(p[0].contains("not printed while a timer callback"), "{p:?}");
    }

    #[test]
    fn a_cancelled_timer_that_runs_anyway_is_seen() {
        let set = TIMER.lines().take(2).collect::<Vec<_>>().join("\n");
        assert_eq!(timer_ran(&trace(&set)), Vec::<String>::new());
        let p = timer_ran(&trace(TIMER));
        assert_eq!(p.len(), 1);
        assert!(
            p[0].contains("a timer of the module ran on <idle>-0"),
            "{p:?}"
        );
        assert!(timer_ran(&[])[0].contains("empty"));
    }
}
