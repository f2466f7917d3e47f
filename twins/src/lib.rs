//! The lab's modules by language, for everything that runs the Rust modules next to their C
//! twins (`modules/c/`): the guest scenarios (`tests/`), `dw-bench` (`user/`) and its report
//! (`bench/`).

/// Every module of the project starts with this: some plain names, such as `workqueue`, are
/// taken by built-in kernel code under `/sys/module`.
pub const MODULE_PREFIX: &str = "dw_";

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

    #[test]
    fn every_module_has_the_prefix() {
        for language in LANGUAGES {
            for module in language.modules() {
                assert!(module.starts_with(MODULE_PREFIX), "{module}");
            }
        }
    }

    /// The modules Kbuild builds (its `NAME-y := ...` lines): every one has the prefix, and the
    /// table names only those.
    #[test]
    fn kbuild_modules_have_the_prefix_and_include_the_table() {
        let kbuild = concat!(env!("CARGO_MANIFEST_DIR"), "/../modules/Kbuild");
        let kbuild = std::fs::read_to_string(kbuild).expect("modules/Kbuild");
        let built: Vec<&str> = kbuild
            .lines()
            .filter_map(|l| l.split_once("-y :=").map(|(name, _)| name.trim()))
            .collect();
        assert!(built.len() >= 10, "{built:?}");
        for module in &built {
            assert!(
                module.starts_with(MODULE_PREFIX),
                "{module} lacks {MODULE_PREFIX}"
            );
        }
        for module in LANGUAGES.iter().flat_map(|l| l.modules()) {
            assert!(built.contains(&module), "{module} is not in modules/Kbuild");
        }
    }
}
