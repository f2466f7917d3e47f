//! The description agrees with the files that restate it for their own tools: the `Kbuild`s
//! and `modules/kernel_ext/helpers.mk` (for Kbuild), the C twin's `#define`s and the Rust
//! device's constants (for the compilers). A new module, a changed file or number fails here
//! until all agree.

use super::*;
use std::{fs, path::PathBuf};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn read(rel: &str) -> String {
    fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
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
            assert!(root().join(file).is_file(), "{}: {file}", m.name);
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
fn each_kbuild_builds_exactly_its_modules_from_their_roots() {
    let top = read("Kbuild");
    for dir in KBUILD_DIRS {
        assert!(
            make_list(&top.replace("+=", ":="), "obj-m").contains(&format!("{dir}/")),
            "the top Kbuild's obj-m has {dir}/"
        );
        let path = format!("{dir}/Kbuild");
        let kbuild = read(&path);
        let mine = |c_twins: bool| -> Vec<String> {
            MODULES
                .iter()
                .filter(|m| m.kbuild_dir() == dir && (m.kind == Kind::CTwin) == c_twins)
                .map(|m| m.name.to_string())
                .collect()
        };
        assert_eq!(
            make_list(&kbuild, "rust-modules"),
            mine(false),
            "{path}'s rust-modules"
        );
        if kbuild.contains("c-modules :=") {
            assert_eq!(
                make_list(&kbuild, "c-modules"),
                mine(true),
                "{path}'s c-modules"
            );
        } else {
            assert!(mine(true).is_empty(), "{path} lists no C module");
        }
        for m in MODULES.iter().filter(|m| m.kbuild_dir() == dir) {
            let objects = make_list(&kbuild, &format!("{}-y", m.name));
            assert_eq!(objects, [m.object()], "{path}'s {}-y", m.name);
        }
    }
}

#[test]
fn tasks_are_the_lab_modules_tasks_and_files() {
    for task in TASKS {
        let module = lab_modules()
            .find(|m| m.tasks.contains(&task.number))
            .expect("a module");
        let files: Vec<&str> = module.files.iter().map(|f| student_file(f)).collect();
        for file in task.files {
            assert!(files.contains(file), "task {}: {file}", task.number);
        }
    }
}

#[test]
fn helpers_mk_links_the_helpers_of_each_rust_module() {
    let helpers = read("modules/kernel_ext/helpers.mk");
    for m in MODULES.iter().filter(|m| m.kind != Kind::CTwin) {
        assert_eq!(
            make_list(&helpers, &format!("{}-helpers", m.name)),
            m.helpers,
            "helpers.mk's {}-helpers",
            m.name
        );
    }
    // Every file of helpers/ is a topic: the student trees link them all (skels/src/main.rs).
    let mut files: Vec<String> = fs::read_dir(root().join("modules/kernel_ext/helpers"))
        .expect("modules/kernel_ext/helpers")
        .filter_map(|e| {
            let name = e
                .expect("an entry")
                .file_name()
                .into_string()
                .expect("UTF-8");
            name.strip_suffix(".c").map(String::from)
        })
        .collect();
    files.sort();
    let topics = make_list(&helpers, "helper-topics");
    assert_eq!(
        topics, files,
        "helpers.mk's helper-topics, the files of helpers/"
    );
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
    let c = read(module("dw_c_procmon").expect("the C twin").root());
    let rust = read(DEVICE);
    for ioctl in abi::IOCTLS {
        assert_eq!(
            defined(&c, ioctl.name),
            Some(ioctl.c_definition()),
            "the C twin"
        );
        assert_eq!(
            defined(&rust, ioctl.name),
            Some(ioctl.rust_definition()),
            "the device"
        );
    }
    let minor = abi::DEVICE_MINOR.to_string();
    assert_eq!(
        defined(&c, "DEVICE_MINOR"),
        Some(minor.clone()),
        "the C twin"
    );
    assert_eq!(defined(&rust, "DEVICE_MINOR"), Some(minor), "the device");
    let name = format!("c\"{}\"", abi::DEVICE_NAME);
    assert!(rust.contains(&format!("SharedMiscDevice::register({name}, DEVICE_MINOR")));
    assert!(c.contains(&format!(".name = \"{}\"", abi::DEVICE_NAME)));
}
