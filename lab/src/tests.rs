//! The description agrees with the files that restate it for their own tools: `modules/Kbuild`
//! and `modules/kernel_ext/helpers.mk` (for Kbuild), the C twin's `#define`s and the Rust
//! device's constants (for the compilers). A new module, a changed file or number fails here
//! until all agree.

use super::*;
use std::{fs, path::PathBuf};

fn modules_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../modules"))
}

fn read(rel: &str) -> String {
    fs::read_to_string(modules_dir().join(rel)).unwrap_or_else(|e| panic!("modules/{rel}: {e}"))
}

/// The words of Kbuild's `name := a b \ c` assignment (continuation lines joined).
fn make_list(text: &str, name: &str) -> Vec<String> {
    let joined = text.replace("\\\n", " ");
    let line = joined
        .lines()
        .find(|l| l.split_once(":=").is_some_and(|(n, _)| n.trim() == name))
        .unwrap_or_else(|| panic!("no `{name} :=`"));
    let (_, value) = line.split_once(":=").expect("an assignment");
    value.split_whitespace().map(String::from).collect()
}

#[test]
fn every_module_has_the_prefix_a_known_task_and_existing_files() {
    for m in MODULES {
        assert!(m.name.starts_with(MODULE_PREFIX), "{}", m.name);
        for task in m.tasks {
            assert!(
                TASKS.iter().any(|t| t.number == *task),
                "{}: task {task}",
                m.name
            );
        }
        for file in m.files {
            assert!(modules_dir().join(file).is_file(), "{}: {file}", m.name);
        }
        if let Some(twin) = m.twin {
            assert_eq!(
                module(twin).map(|t| t.kind),
                Some(Kind::CTwin),
                "{}",
                m.name
            );
        }
    }
    // Each task is served by exactly one lab module.
    for task in TASKS {
        let serving: Vec<_> = lab_modules()
            .filter(|m| m.tasks.contains(&task.number))
            .collect();
        assert_eq!(serving.len(), 1, "task {}", task.number);
    }
}

#[test]
fn kbuild_builds_exactly_the_modules_from_their_roots() {
    let kbuild = read("Kbuild");
    let rust = make_list(&kbuild, "rust-modules");
    let c = make_list(&kbuild, "c-modules");
    let is_c = |m: &&Module| m.kind == Kind::CTwin;
    let names = |c_twins: bool| -> Vec<String> {
        MODULES
            .iter()
            .filter(|m| is_c(m) == c_twins)
            .map(|m| m.name.to_string())
            .collect()
    };
    assert_eq!(rust, names(false), "modules/Kbuild's rust-modules");
    assert_eq!(c, names(true), "modules/Kbuild's c-modules");
    for m in MODULES {
        let object = m.root().replace(".rs", ".o").replace(".c", ".o");
        assert_eq!(
            make_list(&kbuild, &format!("{}-y", m.name)),
            [object],
            "modules/Kbuild's {}-y",
            m.name
        );
    }
}

#[test]
fn helpers_mk_links_the_helpers_of_each_rust_module() {
    let helpers = read("kernel_ext/helpers.mk");
    for m in MODULES.iter().filter(|m| m.kind != Kind::CTwin) {
        assert_eq!(
            make_list(&helpers, &format!("{}-helpers", m.name)),
            m.helpers,
            "helpers.mk's {}-helpers",
            m.name
        );
    }
    let topics = make_list(&helpers, "helper-topics");
    for m in MODULES {
        for h in m.helpers {
            assert!(topics.iter().any(|t| t == h), "{}: topic {h}", m.name);
        }
    }
}

#[test]
fn ioctl_numbers_are_the_labs_on_x86_64() {
    assert_eq!(abi::MY_IOCTL_TIMER_SET, 0x4008_6b01);
    assert_eq!(abi::MY_IOCTL_TIMER_CANCEL, 0x6b02);
    assert_eq!(abi::MY_IOCTL_TIMER_ALLOC, 0x4008_6b03);
    assert_eq!(abi::MY_IOCTL_TIMER_MON, 0x6b04);
}

/// The value of `#define NAME VALUE` in C, or of `const NAME: T = VALUE;` in Rust.
fn defined(source: &str, name: &str) -> Option<String> {
    source.lines().find_map(|l| {
        let l = l.trim();
        if let Some(rest) = l.strip_prefix("#define ") {
            let (n, value) = rest.split_once(char::is_whitespace)?;
            (n == name).then(|| value.trim().to_string())
        } else {
            let rest = l.strip_prefix("pub ").unwrap_or(l).strip_prefix("const ")?;
            let (n, rest) = rest.split_once(':')?;
            let (_, value) = rest.split_once('=')?;
            (n.trim() == name).then(|| value.trim().trim_end_matches(';').to_string())
        }
    })
}

#[test]
fn the_c_twin_and_the_rust_device_define_the_abi_alike() {
    let c = read("c/procmon.c");
    let rust = read("deferred_device.rs");
    for ioctl in abi::IOCTLS {
        assert_eq!(
            defined(&c, ioctl.name),
            Some(ioctl.c_definition()),
            "c/procmon.c"
        );
        assert_eq!(
            defined(&rust, ioctl.name),
            Some(ioctl.rust_definition()),
            "deferred_device.rs"
        );
    }
    let minor = abi::DEVICE_MINOR.to_string();
    assert_eq!(
        defined(&c, "DEVICE_MINOR"),
        Some(minor.clone()),
        "c/procmon.c"
    );
    assert_eq!(
        defined(&rust, "DEVICE_MINOR"),
        Some(minor),
        "deferred_device.rs"
    );
    let name = format!("c\"{}\"", abi::DEVICE_NAME);
    assert!(rust.contains(&format!("SharedMiscDevice::register({name}, DEVICE_MINOR")));
    assert!(c.contains(&format!(".name = \"{}\"", abi::DEVICE_NAME)));
}
