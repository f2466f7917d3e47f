//! The command line: what `dw-tests` is asked to do, and with which options.

use std::path::PathBuf;

pub const USAGE: &str =
    "usage: dw-tests [--host] [--soak] [--jobs N] [--list] [--modules DIR] [--task N]...
                [--lab-proof | --no-lab-proof] [--results DIR] [--judge] [FILTER...]
       dw-tests judge DIR [--soak] [--modules DIR] [--task N]... [--results DIR] [FILTER...]
       dw-tests --reports CONSOLE_FILE
       dw-tests --grade-proof [--jobs N] [--results DIR] [TREE...]
Runs the guest scenarios whose name contains a FILTER (all without one), one QEMU boot per
group, and ends with `N passed, N failed, N skipped`.
  --host      first run the host checks (scripts/lint.sh, scripts/compile-tests.sh, cargo test)
              and count them too
  --soak      only the soak scenarios (the abuse boot), with their long loops at full count
  --jobs N    boots run side by side (default: one per host CPU on virtual time, else 1)
  --list      list the selected scenarios by boot, run nothing
  --modules   load the modules (.ko) of DIR, a student tree, instead of ours; a failed check
              of a lab task then points at that task's TODOs in DIR
  --task      only the checks of lab task N (1 to 7; repeatable)
  --lab-proof prove the checks can fail: the skeleton tree and the mutants of build/lab-proof
              (scripts/lab-proof.sh builds them) must fail their tasks' checks; part of the
              whole suite (no FILTER, --task, --modules or --soak) unless --no-lab-proof
  --results   also write the results as KTAP, JSON and JUnit XML (DIR/results.ktap,
              .json, .xml), and check that the kernel's kunit.py and a JUnit library read
              them with the closing line's counts (two more checks, not in the files)
  --judge     run nothing: judge the selected boots again from the files their last run left
              in build/tests/ (console, output, launcher status), with the run's options
  judge DIR   the same from the files in DIR (<boot>.console, .output, .status); with
              --results, the results of those boots are written too
  --reports   print the kernel reports in a console log; exit 1 if there is one
  --grade-proof  grade a class made from the solutions (the solutions, the skeleton, every
              mutant and forger, trees that do not build, hang or are hostile) with dw-grade,
              N trees side by side (1), and check each tree's grade and files (make grade-proof);
              with TREEs, only the trees whose id contains one (solution, mutant-07, ...)
Environment: DW_BOOT_SH replaces qemu/boot.sh (a stand-in that replays a console, say);
DW_ICOUNT is passed on to it: unset, the guests run on virtual time (`0`, qemu/boot.sh);
empty (`DW_ICOUNT=`), on the host's clock with multi-threaded TCG. DW_BOOTS_DIR replaces
build/tests, where each boot's files go. Each guest starts from one saved after its boot, but
the boots that must be fresh; DW_RESTORE=0 boots every guest (docs/running.md).";

/// What to do.
#[derive(Debug, PartialEq)]
pub enum Command {
    /// Boot the selected scenarios and check them.
    Run,
    /// List the selected scenarios by boot.
    List,
    /// Judge the selected boots again from their files in this directory (`None`: the run's).
    Judge(Option<PathBuf>),
    /// Print the kernel reports in a console log.
    Reports(PathBuf),
    /// Grade a class made from the solutions and check each tree's grade.
    GradeProof,
    Help,
}

/// The command line, parsed.
#[derive(Debug, PartialEq)]
pub struct Options {
    pub command: Command,
    pub host: bool,
    pub soak: bool,
    pub lab_proof: bool,
    pub no_lab_proof: bool,
    pub jobs: Option<usize>,
    /// `--task` values, as given.
    pub tasks: Vec<String>,
    /// `--modules` directories (the first is used).
    pub modules: Vec<String>,
    pub results: Option<PathBuf>,
    pub filters: Vec<String>,
}

/// A command line that does not parse: print the usage and fail.
#[derive(Debug, PartialEq)]
pub struct Usage;

/// The options that take a value.
const TAKE_VALUES: [&str; 4] = ["--task", "--modules", "--jobs", "--results"];

/// Parses the arguments (without the program's name).
pub fn parse(args: &[String]) -> Result<Options, Usage> {
    let flag = |name: &str| args.iter().any(|a| a == name);
    let values = |name: &str| -> Vec<String> {
        args.windows(2)
            .filter(|w| w[0] == name)
            .map(|w| w[1].clone())
            .collect()
    };
    let takes_value = |i: usize| i > 0 && TAKE_VALUES.contains(&args[i - 1].as_str());
    let mut positional = args
        .iter()
        .enumerate()
        .filter(|&(i, a)| !(a.starts_with("--") || takes_value(i)))
        .map(|(_, a)| a.clone());
    let command = if flag("--help") || flag("-h") {
        Command::Help
    } else if let Some(i) = args.iter().position(|a| a == "--reports") {
        Command::Reports(args.get(i + 1).ok_or(Usage)?.into())
    } else if args.first().is_some_and(|a| a == "judge") {
        positional.next();
        Command::Judge(Some(positional.next().ok_or(Usage)?.into()))
    } else if flag("--grade-proof") {
        Command::GradeProof
    } else if flag("--list") {
        Command::List
    } else if flag("--judge") {
        Command::Judge(None)
    } else {
        Command::Run
    };
    let jobs = match args.iter().position(|a| a == "--jobs") {
        None => None,
        Some(i) => {
            let n = args.get(i + 1).and_then(|n| n.parse::<usize>().ok());
            Some(n.filter(|&n| n > 0).ok_or(Usage)?)
        }
    };
    Ok(Options {
        command,
        host: flag("--host"),
        soak: flag("--soak"),
        lab_proof: flag("--lab-proof"),
        no_lab_proof: flag("--no-lab-proof"),
        jobs,
        tasks: values("--task"),
        modules: values("--modules"),
        results: values("--results").first().map(PathBuf::from),
        filters: positional.collect(),
    })
}

impl Options {
    /// Whether the whole suite runs: no filter, no task, no student's tree, no soak.
    pub fn whole_suite(&self) -> bool {
        self.filters.is_empty() && self.tasks.is_empty() && self.modules.is_empty() && !self.soak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(line: &str) -> Result<Options, Usage> {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse(&args)
    }

    #[test]
    fn options_values_and_filters() {
        let o = parsed("--host --task 1 --jobs 2 procmon --results out (C)").unwrap();
        assert_eq!(o.command, Command::Run);
        assert!(o.host && !o.soak);
        assert_eq!((o.tasks, o.jobs), (vec!["1".to_string()], Some(2)));
        assert_eq!(o.results, Some(PathBuf::from("out")));
        assert_eq!(o.filters, ["procmon", "(C)"]);
        assert!(parsed("--jobs 0").is_err() && parsed("--jobs").is_err());
        assert!(parsed("--reports").is_err());
        assert_eq!(parsed("x --help").unwrap().command, Command::Help);
        assert_eq!(
            parsed("--grade-proof").unwrap().command,
            Command::GradeProof
        );
    }

    /// `judge DIR` is `--judge` with the files of DIR; its other words are filters.
    #[test]
    fn judge_takes_a_directory_then_filters() {
        let o = parsed("judge /tmp/boots --task 3 device").unwrap();
        assert_eq!(o.command, Command::Judge(Some("/tmp/boots".into())));
        assert_eq!(
            (o.tasks, o.filters),
            (vec!["3".into()], vec!["device".into()])
        );
        assert_eq!(
            parsed("--judge timer").unwrap().command,
            Command::Judge(None)
        );
        assert!(parsed("judge").is_err());
        assert!(!parsed("device").unwrap().whole_suite() && parsed("").unwrap().whole_suite());
    }
}
