//! The lab's modules by language, for everything that runs the Rust modules next to their C
//! twins (`bench/modules/c/`): the guest scenarios (`tests/`), `dw-bench` (`user/`) and its report
//! (`bench/`). Each name is one of [`MODULES`](crate::MODULES) (a test checks it).

/// One language's modules. The twins behave alike and print the same log lines after their
/// own module name.
#[derive(Debug)]
pub struct Language {
    /// Short name, as `dw-bench` writes it in its CSV rows.
    pub name: &'static str,
    /// Goes between a scenario's topic and its colon (`periodic timer (C): ...`), so that a
    /// filter such as `(C)` selects one language.
    pub tag: &'static str,
    /// The `/dev/deferred` module for SET and CANCEL.
    pub set: &'static str,
    /// The `/dev/deferred` module whose ALLOC goes through a work item.
    pub work: &'static str,
    /// The `/dev/deferred` module with MON, the process monitor (the lab's final solution).
    pub monitor: &'static str,
    pub periodic_timer: &'static str,
    pub kthread: &'static str,
    /// The benchmark module (`make bench`).
    pub bench: &'static str,
}

pub const RUST: Language = Language {
    name: "rust",
    tag: "",
    set: "dw_deferred",
    work: "dw_workqueue",
    monitor: "dw_procmon",
    periodic_timer: "dw_periodic_timer",
    kthread: "dw_kthread",
    bench: "dw_bench",
};

/// `dw_c_procmon` serves every `/dev/deferred` feature, as `dw_procmon` does.
pub const C: Language = Language {
    name: "c",
    tag: " (C)",
    set: "dw_c_procmon",
    work: "dw_c_procmon",
    monitor: "dw_c_procmon",
    periodic_timer: "dw_c_periodic_timer",
    kthread: "dw_c_kthread",
    bench: "dw_c_bench",
};

pub const LANGUAGES: [&Language; 2] = [&RUST, &C];

impl Language {
    /// Its modules by role, in a fixed order (so that two languages' lists pair up).
    pub const fn modules(&self) -> [&'static str; 6] {
        [
            self.set,
            self.work,
            self.monitor,
            self.periodic_timer,
            self.kthread,
            self.bench,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{module, Kind};

    /// Each role's modules exist, in the language of their table, and each Rust module's twin is
    /// the C module of the same role.
    #[test]
    fn twins_are_modules_of_the_description() {
        for (rust, c) in RUST.modules().iter().zip(C.modules()) {
            let (rust, c) = (module(rust).expect(rust), module(c).expect(c));
            assert_ne!(rust.kind, Kind::CTwin, "{}", rust.name);
            assert_eq!(c.kind, Kind::CTwin, "{}", c.name);
            assert_eq!(rust.twin, Some(c.name), "{}", rust.name);
        }
    }
}
