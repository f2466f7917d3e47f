//! `test`: drives `/dev/deferred` like the lab's C test program, byte for byte.
//!
//! Same options (`s N`, `c`, `a N`, `p PID`; only the first letter is looked at), same usage
//! text and messages, perror-style errors, exit codes, and ioctl numbers (x86_64) with the
//! argument passed by value.

use deferred_test::{
    DEVICE_PATH, MY_IOCTL_TIMER_ALLOC, MY_IOCTL_TIMER_CANCEL, MY_IOCTL_TIMER_MON,
    MY_IOCTL_TIMER_SET, USAGE,
};
use rustix::{
    fs::{open, Mode, OFlags},
    io::Errno,
    ioctl::{ioctl, IntegerSetter, NoArg},
};
use std::{
    ffi::c_ulong,
    os::fd::{AsFd, BorrowedFd},
    process::exit,
};

/// One request to the device, as parsed from the command line.
#[derive(Debug, PartialEq, Eq)]
enum Request {
    Set(c_ulong),
    Cancel,
    Alloc(c_ulong),
    Monitor(c_ulong),
    /// An option letter the program does not know.
    Wrong,
}

impl Request {
    /// Parses the arguments after the program name; `None` means "print the usage".
    fn parse(args: &[String]) -> Option<Self> {
        let number = || args.get(1).map(|n| atoi(n));
        Some(match args.first()?.bytes().next() {
            Some(b's') => Self::Set(number()?),
            Some(b'c') => Self::Cancel,
            Some(b'a') => Self::Alloc(number()?),
            Some(b'p') => Self::Monitor(number()?),
            _ => Self::Wrong,
        })
    }

    /// What the program prints before sending the request, like the C program's `printf`.
    fn message(&self) -> String {
        match self {
            // C prints the seconds with %ld and the pid with %lu.
            Self::Set(s) => format!("Set timer to {} seconds", *s as i64),
            Self::Cancel => "Cancel timer".into(),
            Self::Alloc(s) => format!("Allocate memory after {} seconds", *s as i64),
            Self::Monitor(pid) => format!("Monitor PID {pid}."),
            Self::Wrong => String::new(),
        }
    }

    /// Sends the request; on failure returns the perror prefix and the error.
    /// [`Request::Wrong`] sends nothing and fails like the C program: with errno 0.
    fn send(&self, fd: BorrowedFd<'_>) -> Result<(), (&'static str, i32)> {
        // SAFETY: Each opcode is used with the argument kind the driver expects: an integer
        // passed by value, or none. The driver reads no user memory.
        let result = unsafe {
            match *self {
                Self::Set(s) => ioctl(
                    fd,
                    IntegerSetter::<MY_IOCTL_TIMER_SET>::new_usize(s as usize),
                ),
                Self::Cancel => ioctl(fd, NoArg::<MY_IOCTL_TIMER_CANCEL>::new()),
                Self::Alloc(s) => ioctl(
                    fd,
                    IntegerSetter::<MY_IOCTL_TIMER_ALLOC>::new_usize(s as usize),
                ),
                Self::Monitor(p) => ioctl(
                    fd,
                    IntegerSetter::<MY_IOCTL_TIMER_MON>::new_usize(p as usize),
                ),
                Self::Wrong => return Err((self.error_prefix(), 0)),
            }
        };
        result.map_err(|e: Errno| (self.error_prefix(), e.raw_os_error()))
    }

    fn error_prefix(&self) -> &'static str {
        match self {
            Self::Set(_) => "ioctl set timer error",
            Self::Cancel => "ioctl cancel timer error",
            Self::Alloc(_) => "ioctl allocate memory error",
            Self::Monitor(_) => "ioctl monitor pid error",
            Self::Wrong => "Wrong parameter",
        }
    }
}

/// C's `atoi` into an `unsigned long`: optional blanks and sign, then digits up to the first
/// non-digit; the `int` result is sign-extended, as in the C program.
fn atoi(s: &str) -> c_ulong {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let value = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i32, |n, d| {
            n.wrapping_mul(10).wrapping_add(i32::from(d - b'0'))
        });
    let value = if negative {
        value.wrapping_neg()
    } else {
        value
    };
    value as i64 as c_ulong
}

/// Prints `prefix: <errno text>` to stderr like C's `perror`, and exits with `EXIT_FAILURE`.
fn perror_exit(prefix: &str, errno: i32) -> ! {
    eprintln!("{prefix}: {}", errno::Errno(errno));
    exit(1)
}

fn usage_exit() -> ! {
    print!("{USAGE}");
    exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        usage_exit();
    }
    let fd = open(DEVICE_PATH, OFlags::RDONLY, Mode::empty())
        .unwrap_or_else(|e| perror_exit(DEVICE_PATH, e.raw_os_error()));
    let request = Request::parse(&args).unwrap_or_else(|| usage_exit());
    if request != Request::Wrong {
        println!("{}", request.message());
    }
    if let Err((prefix, errno)) = request.send(fd.as_fd()) {
        perror_exit(prefix, errno);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_the_first_letter_counts() {
        assert_eq!(Request::parse(&args(&["set", "3"])), Some(Request::Set(3)));
        assert_eq!(Request::parse(&args(&["cancel"])), Some(Request::Cancel));
        assert_eq!(Request::parse(&args(&["a", "2"])), Some(Request::Alloc(2)));
        assert_eq!(
            Request::parse(&args(&["p", "42"])),
            Some(Request::Monitor(42))
        );
        assert_eq!(Request::parse(&args(&["x"])), Some(Request::Wrong));
        assert_eq!(Request::parse(&args(&[""])), Some(Request::Wrong));
    }

    #[test]
    fn missing_numbers_mean_usage() {
        for option in ["s", "a", "p"] {
            assert_eq!(Request::parse(&args(&[option])), None, "{option}");
        }
        assert_eq!(Request::parse(&[]), None);
    }

    #[test]
    fn numbers_parse_like_atoi() {
        assert_eq!(atoi("3"), 3);
        assert_eq!(atoi("  42abc"), 42);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi("-1"), c_ulong::MAX);
        assert_eq!(
            atoi("4294967297"),
            1,
            "int overflow wraps like glibc's atoi"
        );
    }

    #[test]
    fn messages_match_the_lab() {
        assert_eq!(Request::Set(3).message(), "Set timer to 3 seconds");
        assert_eq!(Request::Cancel.message(), "Cancel timer");
        assert_eq!(
            Request::Alloc(c_ulong::MAX).message(),
            "Allocate memory after -1 seconds"
        );
        assert_eq!(Request::Monitor(12).message(), "Monitor PID 12.");
    }
}
