//! `dw-ioctl [--device PATH] CMD [ARG]`: sends ioctl command CMD (decimal or 0x-hex) with ARG
//! (default 0) by value to `/dev/deferred` (or PATH), for checking what a driver does with
//! commands `test` never sends. Prints `ok N` and exits 0, or `error: <errno text> (errno)` and
//! exits 1.

use deferred_test::DEVICE_PATH;
use rustix::{
    fs::{open, Mode, OFlags},
    io::Errno,
    ioctl::{ioctl, Ioctl, IoctlOutput, Opcode},
};
use std::{ffi::c_void, process::exit};

/// An ioctl with a command chosen at run time and an integer argument passed by value.
struct RawIoctl {
    cmd: Opcode,
    arg: usize,
}

// SAFETY: The argument is an integer passed by value, not a pointer to memory the kernel could
// write; the output is the ioctl's return value.
unsafe impl Ioctl for RawIoctl {
    type Output = IoctlOutput;
    const IS_MUTATING: bool = false;

    fn opcode(&self) -> Opcode {
        self.cmd
    }

    fn as_ptr(&mut self) -> *mut c_void {
        self.arg as *mut c_void
    }

    unsafe fn output_from_ptr(out: IoctlOutput, _: *mut c_void) -> rustix::io::Result<IoctlOutput> {
        Ok(out)
    }
}

/// Parses a decimal or 0x-prefixed hexadecimal number; a leading `-` wraps around like C.
fn parse(s: &str) -> Option<usize> {
    let (negative, s) = s.strip_prefix('-').map_or((false, s), |rest| (true, rest));
    let n = match s.strip_prefix("0x") {
        Some(hex) => usize::from_str_radix(hex, 16).ok()?,
        None => s.parse().ok()?,
    };
    Some(if negative { n.wrapping_neg() } else { n })
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let device = match args.first().map(String::as_str) {
        Some("--device") if args.len() > 1 => args.drain(..2).nth(1).unwrap_or_default(),
        _ => DEVICE_PATH.to_string(),
    };
    let (Some(cmd), arg) = (
        args.first().and_then(|c| parse(c)),
        args.get(1).map(|a| parse(a)),
    ) else {
        eprintln!("usage: dw-ioctl [--device PATH] CMD [ARG]   (numbers in decimal or 0x-hex)");
        exit(2)
    };
    let Some(arg) = arg.unwrap_or(Some(0)) else {
        eprintln!("dw-ioctl: ARG is not a number");
        exit(2)
    };
    let fd = open(&device, OFlags::RDONLY, Mode::empty()).unwrap_or_else(|e| {
        eprintln!("{device}: {}", errno::Errno(e.raw_os_error()));
        exit(1)
    });
    // SAFETY: `RawIoctl` passes a plain integer; whatever the command, the kernel gets no pointer
    // into this program's memory from us (a driver that took ARG as one would fault or fail).
    match unsafe {
        ioctl(
            &fd,
            RawIoctl {
                cmd: cmd as Opcode,
                arg,
            },
        )
    } {
        Ok(n) => println!("ok {n}"),
        Err(e) => {
            let e: Errno = e;
            println!(
                "error: {} ({})",
                errno::Errno(e.raw_os_error()),
                e.raw_os_error()
            );
            exit(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_decimal_hex_and_negative() {
        assert_eq!(parse("42"), Some(42));
        assert_eq!(parse("0x6b02"), Some(0x6b02));
        assert_eq!(parse("-1"), Some(usize::MAX));
        assert_eq!(parse("x"), None);
    }
}
