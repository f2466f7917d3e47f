//! The lab's skeletons, made from the solutions as the C lab makes them.
//!
//! A solution line `// TODO n/L: text` marks the `L` lines after its comment as the solution of
//! lab task `n` (one line without `/L`); `// TODO/L: text` and `// TODO: text` are the unnumbered
//! forms, whose task is the file's (the kthread task, as in the C lab). The comment is the marker
//! line and the `//` lines right after it. A skeleton keeps the comment and drops the marked
//! lines; a mutant drops the lines of one region only.

use std::fmt;

/// One `TODO` region of a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The lab task, or `None` for the unnumbered form.
    pub task: Option<u32>,
    /// The marker's line, 1-based.
    pub line: usize,
    /// The first marked line, 0-based, and how many.
    pub start: usize,
    pub len: usize,
    /// The marker's text after `TODO n/L:`, with its continuation lines.
    pub text: String,
}

/// A marker that does not mark what it says.
#[derive(Debug, PartialEq, Eq)]
pub struct MarkerError {
    pub line: usize,
    pub what: String,
}

impl fmt::Display for MarkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

/// A marker's task (if numbered), line count and text.
type Marker = (Option<u32>, usize, String);

/// Parses `TODO[ n][/L]: text` after `//`; `None` for any other line.
fn parse_marker(line: &str) -> Option<Result<Marker, String>> {
    let rest = line.trim_start().strip_prefix("//")?.trim_start();
    let rest = rest.strip_prefix("TODO")?;
    let (head, text) = rest.split_once(':')?;
    if !head.is_empty() && !head.starts_with([' ', '/']) {
        return None; // `TODOS:`, say
    }
    let (task, len) = match head.trim().split_once('/') {
        Some((t, l)) => (t.trim(), Some(l.trim())),
        None => (head.trim(), None),
    };
    let task = match task {
        "" => None,
        t => match t.parse() {
            Ok(n) => Some(n),
            Err(_) => return Some(Err(format!("bad task number {t:?}"))),
        },
    };
    let len = match len.map(str::parse::<usize>) {
        None => 1,
        Some(Ok(l)) if l > 0 => l,
        Some(_) => return Some(Err("bad line count after `/`".into())),
    };
    Some(Ok((task, len, text.trim().to_string())))
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with("//")
}

/// The brackets `()[]{}` a line opens minus those it closes, outside strings, chars and `//`
/// comments (close enough for rustfmt'd code: a region must not cut a block in two).
fn bracket_depth(line: &str) -> i64 {
    let (mut depth, mut in_str, mut chars) = (0, false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_str => {
                chars.next();
            }
            '"' => in_str = !in_str,
            '/' if !in_str && chars.peek() == Some(&'/') => break,
            '\'' if !in_str => {
                // A char literal such as '{' (a lifetime has no closing quote soon after).
                let ahead: String = chars.clone().take(3).collect();
                if ahead.chars().nth(1) == Some('\'') {
                    chars.nth(1);
                }
            }
            '(' | '[' | '{' if !in_str => depth += 1,
            ')' | ']' | '}' if !in_str => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// The markers of `source`, unchecked (a skeleton's, whose marked lines are gone): each one's
/// task (`None` if unnumbered) and line, 1-based.
pub fn marker_lines(source: &str) -> Vec<(Option<u32>, usize)> {
    let markers = source.lines().enumerate();
    markers
        .filter_map(|(i, l)| Some((parse_marker(l)?.ok()?.0, i + 1)))
        .collect()
}

/// The `TODO` regions of `source`, checked: each marks lines that exist, that are code (not
/// blank, not another marker) and that close every bracket they open.
pub fn regions(source: &str) -> Result<Vec<Region>, MarkerError> {
    let lines: Vec<&str> = source.lines().collect();
    let mut regions = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(marker) = parse_marker(lines[i]) else {
            i += 1;
            continue;
        };
        let line = i + 1;
        let err = |what: String| MarkerError { line, what };
        let (task, len, mut text) = marker.map_err(err)?;
        let mut start = i + 1;
        while start < lines.len()
            && is_comment(lines[start])
            && parse_marker(lines[start]).is_none()
        {
            text.push(' ');
            text.push_str(lines[start].trim_start()[2..].trim());
            start += 1;
        }
        let marked = lines
            .get(start..start + len)
            .ok_or_else(|| err(format!("marks {len} lines, past the end of the file")))?;
        if let Some(bad) = marked
            .iter()
            .find(|l| l.trim().is_empty() || parse_marker(l).is_some())
        {
            return Err(err(format!(
                "marks a blank line or another marker: {bad:?}"
            )));
        }
        let depth: i64 = marked.iter().map(|l| bracket_depth(l)).sum();
        if depth != 0 {
            return Err(err(format!("its {len} lines leave {depth} brackets open")));
        }
        regions.push(Region {
            task,
            line,
            start,
            len,
            text,
        });
        i = start + len;
    }
    Ok(regions)
}

/// `source` without the marked lines of the regions `remove` picks.
pub fn strip(source: &str, regions: &[Region], remove: impl Fn(&Region) -> bool) -> String {
    let removed: Vec<std::ops::Range<usize>> = regions
        .iter()
        .filter(|r| remove(r))
        .map(|r| r.start..r.start + r.len)
        .collect();
    let mut out = String::with_capacity(source.len());
    for (i, line) in source.lines().enumerate() {
        if !removed.iter().any(|r| r.contains(&i)) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

pub use dw_lab::{lab_modules, student_file, Module as LabModule, Todo, TASKS};

/// The task of the unnumbered markers in `file` (a source path or a student tree's name): the
/// kthread task.
pub fn unnumbered_task(file: &str) -> Option<u32> {
    let name = student_file(file);
    TASKS
        .iter()
        .find(|t| t.todo == Todo::Unnumbered && t.files.contains(&name))
        .map(|t| t.number)
}

/// The task a region of `file` belongs to.
pub fn task_of(file: &str, region: &Region) -> Option<u32> {
    region.task.or_else(|| unnumbered_task(file))
}

/// The module whose checks a region of task `task` answers to.
pub fn module_of_task(task: u32) -> Option<&'static LabModule> {
    lab_modules().find(|m| m.tasks.contains(&task))
}

/// The lab files of the modules of `tasks` (source paths), in order, without repeats.
pub fn files_of_tasks(tasks: &[u32]) -> Vec<&'static str> {
    let mut files = Vec::new();
    for m in lab_modules().filter(|m| m.tasks.iter().any(|t| tasks.contains(t))) {
        for f in m.files {
            if !files.contains(f) {
                files.push(*f);
            }
        }
    }
    files
}

/// The `#[path]` by which a crate root of the repository's layout finds the layer; the student
/// tree is flat, with the layer beside the skeletons as `kernel_ext.rs`.
const LAYER_PATH: &str = "#[path = \"../kernel_ext/mod.rs\"]";

/// A source file as the student tree has it: without the `#[path]` of [`LAYER_PATH`].
pub fn for_student_tree(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for line in source.lines().filter(|l| l.trim() != LAYER_PATH) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Applies a unified diff of one file (`diff -u`, its path with the `b/` prefix) to that file
/// among `files` (path in the tree, contents).
pub fn apply(files: &mut [(std::path::PathBuf, Vec<u8>)], patch: &str) -> Result<(), String> {
    let patch = diffy::Patch::from_str(patch).map_err(|e| e.to_string())?;
    let name = patch.modified().ok_or("a patch without a file name")?;
    let name = name.strip_prefix("b/").unwrap_or(name);
    let (_, data) = files
        .iter_mut()
        .find(|(path, _)| path.as_os_str() == name)
        .ok_or_else(|| format!("no file {name} to patch"))?;
    let base = String::from_utf8_lossy(data).into_owned();
    *data = diffy::apply(&base, &patch)
        .map_err(|e| format!("{name}: {e}"))?
        .into_bytes();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOLUTION: &str = "fn f() {
    // TODO 1: print
    pr_info!(\"x\\n\");
    // TODO 2/3: count and
    // re-arm
    let n = 1;
    if n > 0 {
    }
    // TODO: unnumbered
    g();
    h();
}
";

    #[test]
    fn markers_mark_the_lines_after_their_comment() {
        let r = regions(SOLUTION).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(
            (r[0].task, r[0].line, r[0].start, r[0].len),
            (Some(1), 2, 2, 1)
        );
        assert_eq!((r[1].task, r[1].start, r[1].len), (Some(2), 5, 3));
        assert_eq!(r[1].text, "count and re-arm");
        assert_eq!((r[2].task, r[2].start, r[2].len), (None, 9, 1));
    }

    #[test]
    fn skeleton_keeps_the_comments_and_drops_the_lines() {
        let r = regions(SOLUTION).unwrap();
        let skel = strip(SOLUTION, &r, |_| true);
        assert_eq!(
            skel,
            "fn f() {\n    // TODO 1: print\n    // TODO 2/3: count and\n    // re-arm\n    \
             // TODO: unnumbered\n    h();\n}\n"
        );
        assert_eq!(marker_lines(&skel), [(Some(1), 2), (Some(2), 3), (None, 5)]);
        let mutant = strip(SOLUTION, &r, |x| x.line == 2);
        assert!(!mutant.contains("pr_info") && mutant.contains("let n = 1;"));
        assert_eq!(strip(SOLUTION, &r, |_| false), SOLUTION);
    }

    #[test]
    fn bad_markers_are_errors() {
        let past_end = "// TODO 1/3: x\nf();\n";
        assert_eq!(regions(past_end).unwrap_err().line, 1);
        let open_block = "// TODO 1/1: x\nif a {\n}\n";
        assert!(regions(open_block).unwrap_err().what.contains("brackets"));
        assert!(regions("// TODO x/2: y\nf();\n").is_err());
        assert!(regions("// TODO 1: x\n\nf();\n").is_err());
        // Not markers: other words, doc comments' prose.
        assert!(regions("// TODOS: x\n/// the TODO list\n")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn brackets_in_strings_and_chars_do_not_count() {
        assert_eq!(
            bracket_depth(r#"pr_info!("{} (\"{\" ({}\n", '{', x); // {"#),
            0
        );
        assert_eq!(bracket_depth("fn f<'a>(x: &'a u8) {"), 1);
    }

    /// The real solutions: every marker is well-formed and numbered as its task says, and each
    /// task has its regions in exactly the files the lab's description gives it.
    #[test]
    fn the_solutions_markers_are_sound() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut files_of: Vec<(u32, &str)> = Vec::new();
        let mut seen = Vec::new();
        for file in lab_modules().flat_map(|m| m.files.iter().copied()) {
            if seen.contains(&file) {
                continue;
            }
            seen.push(file);
            let source = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
            let r = regions(&source).unwrap_or_else(|e| panic!("{file}: {e}"));
            for region in &r {
                let task = task_of(file, region).unwrap_or_else(|| panic!("{file}: {region:?}"));
                let t = dw_lab::lab_task(task).unwrap_or_else(|| panic!("{file}: {region:?}"));
                let todo = region.task.map_or(Todo::Unnumbered, Todo::Numbered);
                assert_eq!(t.todo, todo, "{file}: {region:?}");
                if !files_of.contains(&(task, student_file(file))) {
                    files_of.push((task, student_file(file)));
                }
            }
        }
        for task in TASKS {
            let files: Vec<&str> = files_of
                .iter()
                .filter(|(t, _)| *t == task.number)
                .map(|(_, f)| *f)
                .collect();
            assert_eq!(files, task.files, "task {}'s files", task.number);
        }
    }

    #[test]
    fn the_student_tree_finds_the_layer_beside_it() {
        let root =
            "use kernel::prelude::*;\n\n#[path = \"../kernel_ext/mod.rs\"]\nmod kernel_ext;\n";
        assert_eq!(
            for_student_tree(root),
            "use kernel::prelude::*;\n\nmod kernel_ext;\n"
        );
    }
}
