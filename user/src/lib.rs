//! What the user programs share: `/dev/deferred` and its ioctl numbers, the lab's (x86_64), from
//! the lab's description (`dw-lab`).

use rustix::ioctl::Opcode;

/// The lab's usage text, byte for byte, as `test` prints it (then exits 1). The guest
/// scenarios check the program's output against it.
pub const USAGE: &str = "Usage: test <options>\n options:\n\
    \ts <seconds> - set timer to run after <seconds> seconds\n\
    \tc           - cancel timer\n\
    \ta <seconds> - allocate memory after <seconds> seconds\n\
    \tp <pid>     - monitor pid\n\
    \n";

pub use dw_lab::abi::DEVICE_PATH;

/// `_IOW('k', 1, unsigned long)`: arm a one-shot timer N seconds ahead.
pub const MY_IOCTL_TIMER_SET: Opcode = dw_lab::abi::MY_IOCTL_TIMER_SET as Opcode;
/// `_IO('k', 2)`: disarm the timer.
pub const MY_IOCTL_TIMER_CANCEL: Opcode = dw_lab::abi::MY_IOCTL_TIMER_CANCEL as Opcode;
/// `_IOW('k', 3, unsigned long)`: call `alloc_io()` N seconds ahead.
pub const MY_IOCTL_TIMER_ALLOC: Opcode = dw_lab::abi::MY_IOCTL_TIMER_ALLOC as Opcode;
/// `_IO('k', 4)`: monitor a pid.
pub const MY_IOCTL_TIMER_MON: Opcode = dw_lab::abi::MY_IOCTL_TIMER_MON as Opcode;

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::ioctl::opcode;
    use std::ffi::c_ulong;

    /// The lab's numbers are what rustix computes from the lab header's definitions.
    #[test]
    fn ioctl_numbers_are_rustix_encodings_of_the_labs() {
        assert_eq!(MY_IOCTL_TIMER_SET, opcode::write::<c_ulong>(b'k', 1));
        assert_eq!(MY_IOCTL_TIMER_CANCEL, opcode::none(b'k', 2));
        assert_eq!(MY_IOCTL_TIMER_ALLOC, opcode::write::<c_ulong>(b'k', 3));
        assert_eq!(MY_IOCTL_TIMER_MON, opcode::none(b'k', 4));
    }
}
