//! Where a `.ko`'s text comes from: the bytes of its read-only sections (what `size` counts as
//! text), and its code split by the origin of each function, from its symbols' sizes
//! (`llvm-nm --print-size`) and demangled names.

use std::{collections::BTreeMap, path::Path, process::Command};

/// The origins of code, in table order, with how a demangled name is recognised. The first
/// match wins; a function that matches none is "ours".
pub const ORIGINS: [&str; 9] = [
    "`module!` glue (`init_module`, `cleanup_module`, parameters)",
    "pin-init (initialisers not inlined into their caller)",
    "panic and overflow paths (functions of their own)",
    "drop glue (`drop_in_place`, `Drop`/`PinnedDrop` of `Arc`, `KBox`, lists, ours)",
    "formatting (`Display`/`Debug` impls for `pr_*!`)",
    "`kernel` crate generics (file-operation trampolines, `Arc`/`KBox` constructors, lists, locks)",
    "C helpers of `kernel_ext` (`dw_*`)",
    "ours (the module and `kernel_ext`, with what was inlined into them)",
    "unnamed (alignment between functions)",
];

const OURS: usize = 7;
const UNNAMED: usize = 8;

/// Name fragments of each origin, in the order they are tried (drop glue first: `PinnedDrop`
/// is drop, not initialisation).
const PATTERNS: [(usize, &[&str]); 5] = [
    (
        0,
        &[
            "__module_init",
            "module_param",
            "ModuleParam",
            "InPlaceModule",
        ],
    ),
    (
        3,
        &[
            "drop_in_place",
            "Drop>::drop",
            "drop_slow",
            "_drop",
            "::drop",
        ],
    ),
    (
        1,
        &["pin_init", "PinInit", "__pinned_init", "__init<", "Init<"],
    ),
    (
        2,
        &[
            "panic",
            "unwrap_failed",
            "expect_failed",
            "overflow",
            "build_error",
        ],
    ),
    (
        4,
        &["core::fmt", "fmt::Display", "fmt::Debug", "kernel::fmt"],
    ),
];

/// The origin of a function, by its demangled name, for a Rust module.
fn origin(name: &str) -> usize {
    if name == "init_module" || name == "cleanup_module" {
        return 0;
    }
    if let Some((o, _)) = PATTERNS
        .iter()
        .find(|(_, words)| words.iter().any(|w| name.contains(w)))
    {
        return *o;
    }
    if name.starts_with("<kernel::") || name.starts_with("kernel::") {
        5
    } else if name.starts_with("dw_") && !name.contains("::") {
        6
    } else {
        OURS
    }
}

/// The sizes of a `.ko`: (read-only data sections by name, code bytes by origin, code total).
pub struct Breakdown {
    /// Calls to `core`'s panic functions (overflow, bounds, `unwrap`): each site is inside the
    /// code counted above, about 12 bytes (the location's address, and the call).
    pub panic_sites: usize,
    pub read_only: Vec<(String, u64)>,
    pub code: [u64; ORIGINS.len()],
    /// Each origin's largest functions: (name, bytes), largest first.
    pub functions: [Vec<(String, u64)>; ORIGINS.len()],
}

impl Breakdown {
    /// `size`'s text: the read-only data and the code.
    pub fn total(&self) -> u64 {
        self.read_only.iter().map(|(_, b)| b).sum::<u64>() + self.code.iter().sum::<u64>()
    }
}

fn tool(name: &str) -> String {
    format!(
        "{name}{}",
        std::env::var("DW_LLVM").unwrap_or_else(|_| "-22".into())
    )
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        output.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `size`'s text of `ko`, split: `rust` says whether to classify its code by origin.
pub fn breakdown(ko: &Path, rust: bool) -> Breakdown {
    let file = ko.display().to_string();
    // Sections: `[Nr] Name Type Address Off Size ES Flg Lk Inf Al`.
    let sections = run(&tool("llvm-readelf"), &["-S", "--wide", &file]);
    let mut read_only = Vec::new();
    let mut code_sections = BTreeMap::new();
    for line in sections.lines() {
        let Some(rest) = line.trim_start().strip_prefix('[') else {
            continue;
        };
        let Some((_, rest)) = rest.split_once(']') else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let [name, kind, _addr, _off, size, _es, flags, ..] = f.as_slice() else {
            continue;
        };
        let Ok(size) = u64::from_str_radix(size, 16) else {
            continue;
        };
        // `size` counts as text the allocated sections that are not writable (NOBITS aside).
        if !flags.contains('A') || flags.contains('W') || *kind == "NOBITS" || size == 0 {
            continue;
        }
        if flags.contains('X') {
            code_sections.insert(name.to_string(), size);
        } else {
            read_only.push((name.to_string(), size));
        }
    }
    let code_total: u64 = code_sections.values().sum();

    // Functions: `Num: Value Size Type Bind Vis Ndx Name`, one name per place (section, address):
    // aliases such as C's `init_module` for its init function count once, under the other name.
    let symbols = run(
        &tool("llvm-readelf"),
        &["-s", "--wide", "--demangle", &file],
    );
    let mut by_place: BTreeMap<(String, u64), (String, u64)> = BTreeMap::new();
    for line in symbols.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 8 || f[3] != "FUNC" {
            continue;
        }
        let (Ok(address), Ok(size)) = (u64::from_str_radix(f[1], 16), f[2].parse::<u64>()) else {
            continue;
        };
        if size == 0 || f[6] == "UND" {
            continue;
        }
        let name = f[7..].join(" ");
        let place = (f[6].to_string(), address);
        let keep = by_place
            .get(&place)
            .is_none_or(|(old, _)| old == "init_module" || old == "cleanup_module");
        if keep {
            by_place.insert(place, (name, size));
        }
    }
    let mut code = [0u64; ORIGINS.len()];
    let mut functions: [Vec<(String, u64)>; ORIGINS.len()] = Default::default();
    for (name, size) in by_place.into_values() {
        let o = if rust { origin(&name) } else { OURS };
        code[o] += size;
        functions[o].push((name, size));
    }
    let named: u64 = code.iter().sum();
    code[UNNAMED] = code_total.saturating_sub(named);
    for f in &mut functions {
        f.sort_by_key(|b| std::cmp::Reverse(b.1));
    }
    let disassembly = run(&tool("llvm-objdump"), &["-dr", "--demangle", &file]);
    let panic_sites = disassembly
        .lines()
        .filter(|l| l.contains("R_X86_64_PLT32") && l.contains("panic"))
        .count();
    Breakdown {
        panic_sites,
        read_only,
        code,
        functions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_by_name() {
        assert_eq!(origin("init_module"), 0);
        assert_eq!(origin("<m::Module as pin_init::PinnedDrop>::drop"), 3);
        assert_eq!(
            origin("core::ptr::drop_in_place<kernel::sync::arc::Arc<dw_bench::Waker>>"),
            3
        );
        assert_eq!(origin("dw_timer_init_key"), 6);
        assert_eq!(origin("<kernel::list::List<m::MonProc>>::push_back"), 5);
        assert_eq!(origin("dw_bench::kthread_wakeup"), OURS);
    }
}
