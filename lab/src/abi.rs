//! The device's ABI, as the C lab defines it (x86_64): `/dev/deferred` with its fixed misc minor,
//! and four ioctl commands whose argument is passed by value.

/// The misc device's name: `/dev/deferred`.
pub const DEVICE_NAME: &str = "deferred";
pub const DEVICE_PATH: &str = "/dev/deferred";
/// A misc minor from the range reserved for local use. Being fixed, it makes a second
/// `/dev/deferred` fail cleanly (`EBUSY`), so only one of the modules can be loaded at a time.
pub const DEVICE_MINOR: u8 = 243;

/// The ioctl type of the lab's commands.
pub const IOCTL_TYPE: char = 'k';

/// An ioctl command of the lab's header.
#[derive(Debug)]
pub struct Ioctl {
    /// As the lab's header names it.
    pub name: &'static str,
    /// Its sequence number (`nr`).
    pub nr: u32,
    /// Whether it is `_IOW(..., unsigned long)` (an argument the driver reads) or `_IO(...)`.
    pub writes_ulong: bool,
}

impl Ioctl {
    /// Its number, as `_IO`/`_IOW` encode it on x86_64 (`include/uapi/asm-generic/ioctl.h`):
    /// direction in bits 30-31 (write: 1), argument size in bits 16-29, type in bits 8-15.
    pub const fn number(&self) -> u32 {
        let (dir, size) = if self.writes_ulong { (1, 8) } else { (0, 0) };
        (dir << 30) | (size << 16) | ((IOCTL_TYPE as u32) << 8) | self.nr
    }

    /// Its definition in C: `_IOW('k', 1, unsigned long)`.
    pub fn c_definition(&self) -> String {
        match self.writes_ulong {
            true => format!("_IOW('{IOCTL_TYPE}', {}, unsigned long)", self.nr),
            false => format!("_IO('{IOCTL_TYPE}', {})", self.nr),
        }
    }

    /// Its definition with the `kernel` crate's macros: `_IOW::<c_ulong>('k' as u32, 1)`.
    pub fn rust_definition(&self) -> String {
        match self.writes_ulong {
            true => format!("_IOW::<c_ulong>('{IOCTL_TYPE}' as u32, {})", self.nr),
            false => format!("_IO('{IOCTL_TYPE}' as u32, {})", self.nr),
        }
    }
}

const fn ioctl(name: &'static str, nr: u32, writes_ulong: bool) -> Ioctl {
    Ioctl {
        name,
        nr,
        writes_ulong,
    }
}

/// Arms a one-shot timer N seconds ahead.
pub const SET: Ioctl = ioctl("MY_IOCTL_TIMER_SET", 1, true);
/// Disarms the timer.
pub const CANCEL: Ioctl = ioctl("MY_IOCTL_TIMER_CANCEL", 2, false);
/// Calls `alloc_io()` N seconds ahead.
pub const ALLOC: Ioctl = ioctl("MY_IOCTL_TIMER_ALLOC", 3, true);
/// Monitors a process by pid.
pub const MON: Ioctl = ioctl("MY_IOCTL_TIMER_MON", 4, false);

pub const IOCTLS: [&Ioctl; 4] = [&SET, &CANCEL, &ALLOC, &MON];

/// The numbers, for `match` and formatting.
pub const MY_IOCTL_TIMER_SET: u32 = SET.number();
pub const MY_IOCTL_TIMER_CANCEL: u32 = CANCEL.number();
pub const MY_IOCTL_TIMER_ALLOC: u32 = ALLOC.number();
pub const MY_IOCTL_TIMER_MON: u32 = MON.number();
