//! What a check is and how it came out: the results that the closing line counts and the
//! report writers (`report.rs`) write.

use dw_lab::Language;
use std::fmt;

/// How one check came out.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pass,
    /// What went wrong.
    Fail(Vec<String>),
    /// Not run, and why.
    Skip(String),
}

impl Outcome {
    /// Passes if there are no problems.
    pub fn from_problems(problems: Vec<String>) -> Self {
        if problems.is_empty() {
            Self::Pass
        } else {
            Self::Fail(problems)
        }
    }
}

/// Whose modules a check loads: the solutions, or a tree the lab proof makes of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Tree {
    #[default]
    Solution,
    /// The student tree of every task, untouched.
    Skeleton,
    /// The solutions with one TODO region removed, named by its label.
    Mutant(String),
}

/// What a check is about, kept as fields so that nothing has to be read back from its name.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// The lab task whose work it checks (`make check TASK=n`): a Rust check of a module a
    /// student writes; `None` for the C twins, the extras, the layer's own checks, the abuse.
    pub task: Option<u32>,
    /// The language of the modules it loads, for a check that loads some.
    pub language: Option<&'static Language>,
    pub tree: Tree,
    /// The boot it ran in, for a check of the guest.
    pub boot: Option<String>,
}

impl PartialEq for Identity {
    fn eq(&self, other: &Self) -> bool {
        let language = |i: &Self| i.language.map(|l| l.name);
        self.task == other.task
            && language(self) == language(other)
            && self.tree == other.tree
            && self.boot == other.boot
    }
}

impl Identity {
    pub fn mutant(&self) -> bool {
        matches!(self.tree, Tree::Mutant(_))
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub name: String,
    pub identity: Identity,
    pub outcome: Outcome,
    /// What the check saw, shown after a failure's problems (a scenario's log and output).
    pub evidence: Option<String>,
}

impl CheckResult {
    pub fn new(name: impl Into<String>, outcome: Outcome) -> Self {
        Self {
            name: name.into(),
            identity: Identity::default(),
            outcome,
            evidence: None,
        }
    }

    pub fn with_identity(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Fail(_))
    }

    /// A failure's problems then its evidence; a skip's reason; nothing for a pass.
    pub fn details(&self) -> Vec<&str> {
        match &self.outcome {
            Outcome::Pass => Vec::new(),
            Outcome::Skip(why) => vec![why.as_str()],
            Outcome::Fail(problems) => problems
                .iter()
                .map(String::as_str)
                .chain(self.evidence.as_deref())
                .collect(),
        }
    }

    /// Its line (`PASS name`, `SKIP name (why)`, `FAIL name` and its details), for the checks
    /// printed outside a boot's report.
    pub fn print(&self) {
        let name = &self.name;
        match &self.outcome {
            Outcome::Pass => println!("    PASS {name}"),
            Outcome::Skip(why) => println!("    SKIP {name} ({why})"),
            Outcome::Fail(_) => {
                println!("    FAIL {name}");
                self.details()
                    .iter()
                    .for_each(|p| println!("{}", indent(p)));
            }
        }
    }
}

/// `text` indented by four spaces, its trailing blank lines dropped.
pub fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}\n"))
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// Passed, failed and skipped checks.
#[derive(Debug, Default, PartialEq)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Tally {
    pub fn add_all(&mut self, results: &[CheckResult]) {
        for result in results {
            match result.outcome {
                Outcome::Pass => self.passed += 1,
                Outcome::Fail(_) => self.failed += 1,
                Outcome::Skip(_) => self.skipped += 1,
            }
        }
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let Self {
            passed,
            failed,
            skipped,
        } = self;
        write!(f, "{passed} passed, {failed} failed, {skipped} skipped")
    }
}
