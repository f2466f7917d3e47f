//! `dw-skels`: writes the student tree (the skeletons of the lab's modules) or the mutants.
//! `dw-skels --help` says how to call it.

use dw_skels::{
    files_of_tasks, for_student_tree, module_of_task, regions, strip, student_file, task_of,
    Region, TASKS,
};
use std::{
    fs,
    path::{Path, PathBuf},
    process::exit,
};

const USAGE: &str = "usage: dw-skels [--force] [--test-bin FILE] OUT [TASK...]
       dw-skels --mutants OUT
Writes into OUT the student tree of the lab TASKs (1 to 7, all without one): the skeletons of
their modules (the solutions in modules/ without the lines their TODO markers mark), side by
side, the abstraction layer whole (modules/kernel_ext/, its mod.rs as kernel_ext.rs), a Kbuild
and a Makefile at its root, and the `test` program (--test-bin). A file that is there and differs is never replaced without --force.
--mutants writes OUT/NN/, one tree per TODO region: its module's solution with only that region
removed; then one per forger (tests/forgers/T-NAME.patch: task T's module, patched); and
OUT/mutants.tsv (NN, task, file:line or `forger NAME`, module; for a region, its marker's
file:line in the student's tree and its text).";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["--help" | "-h"] => {
            println!("{USAGE}");
            return;
        }
        ["--mutants", out] => mutants(&root, Path::new(out)),
        rest => student_tree(&root, rest),
    };
    if let Err(e) = result {
        eprintln!("dw-skels: {e}");
        exit(1);
    }
}

/// A file to write: where (relative to the tree) and what.
type Files = Vec<(PathBuf, Vec<u8>)>;

/// The Kbuild of a student or mutant tree: the lab modules whose crate root is there, each with
/// every helper topic of the layer. Our own modules link only the topics they call (helpers.mk),
/// but a student's solution may call what ours does not (a `BhGuard`, a `CondVar` on a
/// `SpinLockBh`), and modpost would then stop at an undefined `dw_*` symbol that tells a student
/// nothing. The rest costs about 500 bytes of text a module (2 to 4 KB on the lab's kernel,
/// where KASAN and lockdep instrument the helpers).
fn kbuild() -> String {
    let modules: Vec<&str> = dw_skels::lab_modules().map(|m| m.name).collect();
    format!(
        "# SPDX-License-Identifier: GPL-2.0
#
# The lab's modules, from their skeletons: `make` here, or make -C $KDIR M=$PWD. A module is built
# when its crate root is here (timer.rs gives dw_timer). Each compiles in kernel_ext/ privately.
# Until its TODOs are done a skeleton leaves imports, fields and variables unused: those warnings
# are off (-Aunused), and every other warning shows.
rustflags-y += -Aunused
lab-modules := {}
obj-m := $(foreach m,$(lab-modules),$(if $(wildcard $(src)/$(m:dw_%=%).rs),$(m).o))
$(foreach m,$(lab-modules),$(eval $(m)-y := $(m:dw_%=%).o))
# Every C helper of kernel_ext in every module, whatever part of the layer the module uses.
include $(src)/kernel_ext/helpers.mk
$(foreach m,$(lab-modules),$(call link-helpers,$(m),$(helper-topics)))
",
        modules.join(" ")
    )
}

fn makefile(kdir: &str) -> String {
    format!(
        "# Builds the modules of this tree against the lab's kernel (KDIR=... for another one).\n\
         KDIR ?= {kdir}\n\
         LLVM ?= -22\n\
         RUSTC ?= /usr/bin/rustc\n\
         export LIBCLANG_PATH ?= /usr/lib/llvm$(LLVM)/lib\n\n\
         all:\n\t$(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) RUSTC=$(RUSTC) modules\n\
         clean:\n\t$(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) RUSTC=$(RUSTC) clean\n\
         .PHONY: all clean\n"
    )
}

/// The layer, modules/kernel_ext/, whole: its mod.rs as kernel_ext.rs, the rest in kernel_ext/.
fn layer(root: &Path) -> Result<Files, String> {
    let modules = root.join("modules");
    let mut files = Vec::new();
    let mut dirs = vec![PathBuf::from("kernel_ext")];
    while let Some(dir) = dirs.pop() {
        let entries =
            fs::read_dir(modules.join(&dir)).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let rel = dir.join(entry.file_name());
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() {
                dirs.push(rel);
            } else if rel == Path::new("kernel_ext/mod.rs") {
                files.push(("kernel_ext.rs".into(), read(&entry.path())?));
            } else if [".rs", ".c", ".h", ".mk"].iter().any(|e| name.ends_with(e)) {
                files.push((rel, read(&entry.path())?));
            }
        }
    }
    Ok(files)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn text(path: &Path) -> Result<(String, Vec<Region>), String> {
    let source = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let r = regions(&source).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((source, r))
}

/// The kernel tree the project builds against, for the tree's Makefile: the project's
/// `build/kdir`, the link `scripts/build.sh` makes to it. The link, not where it points: it may
/// not be there yet in a fresh clone, and the Makefile stays the same from one run to the next
/// (so `make skels` does not take it for the student's work).
fn kdir(root: &Path) -> String {
    let root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    root.join("build/kdir").display().to_string()
}

fn student_tree(root: &Path, args: &[&str]) -> Result<(), String> {
    let (mut force, mut test_bin, mut out, mut tasks) = (false, None, None, Vec::new());
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match *arg {
            "--force" => force = true,
            "--test-bin" => test_bin = Some(*args.next().ok_or(USAGE)?),
            a if a.starts_with('-') => return Err(format!("unknown option {a}\n{USAGE}")),
            a if out.is_none() => out = Some(PathBuf::from(a)),
            a => tasks.extend(a.split([',', ' ']).filter(|t| !t.is_empty()).map(|t| {
                t.parse::<u32>()
                    .ok()
                    .filter(|n| TASKS.iter().any(|t| t.number == *n))
                    .ok_or_else(|| format!("no lab task {t:?}: the tasks are 1 to 7"))
            })),
        }
    }
    let out = out.ok_or(USAGE)?;
    let mut tasks: Vec<u32> = tasks.into_iter().collect::<Result<_, _>>()?;
    if tasks.is_empty() {
        tasks = TASKS.iter().map(|t| t.number).collect();
    }
    let mut files: Files = Vec::new();
    for file in files_of_tasks(&tasks) {
        let (source, r) = text(&root.join(file))?;
        let skeleton = for_student_tree(&strip(&source, &r, |_| true));
        files.push((student_file(file).into(), skeleton.into_bytes()));
    }
    files.extend(layer(root)?);
    files.push(("Kbuild".into(), kbuild().into_bytes()));
    files.push(("Makefile".into(), makefile(&kdir(root)).into_bytes()));
    if let Some(bin) = test_bin {
        files.push(("test".into(), read(Path::new(bin))?));
    }
    let clashes: Vec<String> = files
        .iter()
        .filter(|(rel, data)| fs::read(out.join(rel)).is_ok_and(|old| old != *data))
        .map(|(rel, _)| rel.display().to_string())
        .collect();
    if !clashes.is_empty() && !force {
        return Err(format!(
            "{} has work of yours that differs from the skeleton: {}. Nothing written; \
             FORCE=1 (--force) replaces those files.",
            out.display(),
            clashes.join(", ")
        ));
    }
    write_all(&out, &files)?;
    let chosen: Vec<String> = tasks.iter().map(u32::to_string).collect();
    println!(
        "wrote the skeletons of tasks {} in {}",
        chosen.join(" "),
        out.display()
    );
    Ok(())
}

/// Writes the tree `files` into `out`, as [`write_all`], and removes the sources there that are
/// not among them (an earlier run's: Kbuild would build a crate root that is left over).
fn write_tree(out: &Path, files: &Files) -> Result<(), String> {
    write_all(out, files)?;
    let mut dirs = vec![out.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let source = name == "Kbuild"
                || ([".rs", ".c", ".h", ".mk"].iter().any(|e| name.ends_with(e))
                    && !name.ends_with(".mod.c"));
            if path.is_dir() {
                dirs.push(path);
            } else if source && !files.iter().any(|(rel, _)| out.join(rel) == path) {
                fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    Ok(())
}

/// Writes `files` into `out`, but those already there as they are: their times stay, so a build
/// of a tree written again redoes only what changed.
fn write_all(out: &Path, files: &Files) -> Result<(), String> {
    for (rel, data) in files {
        let path = out.join(rel);
        if fs::read(&path).is_ok_and(|old| old == *data) {
            continue;
        }
        fs::create_dir_all(path.parent().expect("a file in the tree"))
            .and_then(|()| fs::write(&path, data))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if rel == Path::new("test") {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// One tree per region, `OUT/NN/`, holding the region's module with only that region removed.
/// The trees of an earlier run are written over (a file that is the same is left as it is), so
/// their builds redo only what changed.
fn mutants(root: &Path, out: &Path) -> Result<(), String> {
    let layer = layer(root)?;
    let (mut table, mut n) = (String::new(), 0);
    let mut seen = Vec::new();
    for m in dw_skels::lab_modules() {
        for file in m.files {
            if seen.contains(file) {
                continue;
            }
            seen.push(*file);
            let (source, r) = text(&root.join(file))?;
            // Where each region's marker stands in the student's tree (all regions removed).
            let skeleton = for_student_tree(&strip(&source, &r, |_| true));
            let skeleton_lines: Vec<usize> = dw_skels::marker_lines(&skeleton)
                .into_iter()
                .map(|(_, line)| line)
                .collect();
            for (region, skeleton_line) in r.iter().zip(skeleton_lines) {
                let task = task_of(file, region).ok_or_else(|| format!("{file}: no task"))?;
                let module =
                    module_of_task(task).ok_or_else(|| format!("task {task}: no module"))?;
                n += 1;
                let dir = format!("{n:02}");
                let mut files = layer.clone();
                files.push(("Kbuild".into(), kbuild().into_bytes()));
                for f in module.files {
                    let (s, r) = text(&root.join(f))?;
                    let mutated = if f == file {
                        strip(&s, &r, |x| x == region)
                    } else {
                        s
                    };
                    let mutated = for_student_tree(&mutated);
                    files.push((student_file(f).into(), mutated.into_bytes()));
                }
                write_tree(&out.join(&dir), &files)?;
                let name = student_file(file);
                let todo = region.text.replace('\t', " ");
                table += &format!(
                    "{dir}\t{task}\t{name}:{}\t{}\t{name}:{skeleton_line}\t{todo}\n",
                    region.line, module.name
                );
            }
        }
    }
    let forgers = forgers(root)?;
    for (name, task, patch) in &forgers {
        let module = module_of_task(*task).ok_or_else(|| format!("{name}: no task {task}"))?;
        let mut files = layer.clone();
        files.push(("Kbuild".into(), kbuild().into_bytes()));
        for f in module.files {
            let (s, _) = text(&root.join(f))?;
            files.push((student_file(f).into(), for_student_tree(&s).into_bytes()));
        }
        dw_skels::apply(&mut files, patch).map_err(|e| format!("forger {name}: {e}"))?;
        n += 1;
        let dir = format!("{n:02}");
        write_tree(&out.join(&dir), &files)?;
        table += &format!("{dir}\t{task}\tforger {name}\t{}\n", module.name);
    }
    // The trees of an earlier run that this one has not written.
    for stale in fs::read_dir(out).into_iter().flatten().flatten() {
        let name = stale.file_name().to_string_lossy().into_owned();
        if name.parse::<usize>().is_ok_and(|k| k > n) {
            fs::remove_dir_all(stale.path()).map_err(|e| format!("{name}: {e}"))?;
        }
    }
    write_all(out, &vec![("mutants.tsv".into(), table.into_bytes())])?;
    println!(
        "wrote {} mutants and {} forgers in {}",
        n - forgers.len(),
        forgers.len(),
        out.display()
    );
    Ok(())
}

/// The forgers of tests/forgers/: each one's name, task (its name's first number) and patch.
fn forgers(root: &Path) -> Result<Vec<(String, u32, String)>, String> {
    let dir = root.join("tests/forgers");
    let mut forgers = Vec::new();
    let entries = fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for path in entries.flatten().map(|e| e.path()) {
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str()?.strip_suffix(".patch"))
        else {
            continue;
        };
        let task = name
            .split_once('-')
            .and_then(|(t, _)| t.parse().ok())
            .ok_or_else(|| format!("{}: the name starts with no task", path.display()))?;
        let patch = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        forgers.push((name.to_string(), task, patch));
    }
    forgers.sort();
    Ok(forgers)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree written again keeps the files that did not change as they were (their times: a
    /// build redoes only what changed) and writes the others.
    #[test]
    fn a_tree_written_again_keeps_its_unchanged_files() {
        let dir = std::env::temp_dir().join(format!("dw-skels-{}-write", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let files = |b: &str| -> Files {
            vec![
                ("same.rs".into(), b"same".to_vec()),
                ("changed.rs".into(), b.into()),
            ]
        };
        write_all(&dir, &files("one")).unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH;
        for f in ["same.rs", "changed.rs"] {
            fs::File::options()
                .write(true)
                .open(dir.join(f))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        write_all(&dir, &files("two")).unwrap();
        let modified = |f: &str| fs::metadata(dir.join(f)).unwrap().modified().unwrap();
        assert_eq!(modified("same.rs"), old);
        assert_ne!(modified("changed.rs"), old);
        assert_eq!(fs::read(dir.join("changed.rs")).unwrap(), b"two");
        // A tree written again loses the sources it no longer has.
        write_tree(&dir, &files("two")[..1].to_vec()).unwrap();
        assert!(dir.join("same.rs").exists() && !dir.join("changed.rs").exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
