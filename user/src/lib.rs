//! What the user programs share: `/dev/deferred` and its ioctl numbers, the lab's (x86_64).

use rustix::ioctl::{opcode, Opcode};
use std::ffi::c_ulong;

/// The lab's usage text, byte for byte, as `test` prints it (then exits 1). The guest
/// scenarios check the program's output against it.
pub const USAGE: &str = "Usage: test <options>\n options:\n\
    \ts <seconds> - set timer to run after <seconds> seconds\n\
    \tc           - cancel timer\n\
    \ta <seconds> - allocate memory after <seconds> seconds\n\
    \tp <pid>     - monitor pid\n\
    \n";

/// The device the lab's modules register.
pub const DEVICE_PATH: &str = "/dev/deferred";

/// `_IOW('k', 1, unsigned long)`: arm a one-shot timer N seconds ahead.
pub const MY_IOCTL_TIMER_SET: Opcode = opcode::write::<c_ulong>(b'k', 1);
/// `_IO('k', 2)`: disarm the timer.
pub const MY_IOCTL_TIMER_CANCEL: Opcode = opcode::none(b'k', 2);
/// `_IOW('k', 3, unsigned long)`: call `alloc_io()` N seconds ahead.
pub const MY_IOCTL_TIMER_ALLOC: Opcode = opcode::write::<c_ulong>(b'k', 3);
/// `_IO('k', 4)`: monitor a pid.
pub const MY_IOCTL_TIMER_MON: Opcode = opcode::none(b'k', 4);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_match_the_lab_on_x86_64() {
        assert_eq!(MY_IOCTL_TIMER_SET, 0x4008_6b01);
        assert_eq!(MY_IOCTL_TIMER_CANCEL, 0x6b02);
        assert_eq!(MY_IOCTL_TIMER_ALLOC, 0x4008_6b03);
        assert_eq!(MY_IOCTL_TIMER_MON, 0x6b04);
    }
}
