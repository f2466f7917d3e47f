// SPDX-License-Identifier: GPL-2.0

//! The tick counter and the tick rate.
//!
//! C header: [`include/linux/jiffies.h`](srctree/include/linux/jiffies.h).
//!
//! The `kernel` crate has [`Jiffies`] and [`msecs_to_jiffies`](kernel::time::msecs_to_jiffies),
//! but neither the current tick count, `HZ`, nor the tick's length.
//!
//! # Examples
//!
//! ```
//! use kernel_ext::time::{jiffies, HZ};
//!
//! let two_seconds_from_now = jiffies().wrapping_add(2 * HZ);
//! ```

use kernel::{
    bindings,
    time::{Jiffies, NSEC_PER_SEC},
};

/// The kernel's tick rate in ticks per second: `HZ` in C.
///
/// Note that `bindings::HZ` is the *userspace* tick rate (`USER_HZ`, 100); the kernel's is
/// `CONFIG_HZ`.
pub const HZ: Jiffies = bindings::CONFIG_HZ as Jiffies;

/// The length of a tick in nanoseconds, rounded to the nearest: `TICK_NSEC` in C.
pub const TICK_NSEC: i64 = (NSEC_PER_SEC + HZ as i64 / 2) / HZ as i64;

/// Returns the number of ticks since boot: `jiffies` in C.
///
/// The counter wraps around; compare values with [`time_after`] rather than `>`.
#[inline]
pub fn jiffies() -> Jiffies {
    // SAFETY: `jiffies` is a kernel variable that exists for the kernel's whole lifetime and is
    // only ever written by the tick with a single word-sized store. C declares it `volatile`, so a
    // volatile read is exactly what a C access does.
    unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) }
}

/// The longest delay a timer accepts, in ticks: `MAX_JIFFY_OFFSET` in C.
pub const MAX_JIFFY_OFFSET: Jiffies = (Jiffies::MAX >> 2) - 1;

/// Converts seconds to ticks, or `None` if that is more than a timer accepts
/// ([`MAX_JIFFY_OFFSET`]: about 585 million years at `HZ` = 250).
#[inline]
pub fn secs_to_jiffies(secs: u64) -> Option<Jiffies> {
    Jiffies::try_from(secs)
        .ok()?
        .checked_mul(HZ)
        .filter(|&j| j <= MAX_JIFFY_OFFSET)
}

/// Returns whether tick count `a` is after `b`, correctly across wraparound: `time_after` in C.
#[inline]
pub fn time_after(a: Jiffies, b: Jiffies) -> bool {
    (b.wrapping_sub(a) as isize) < 0
}

#[cfg(dw_kunit)]
#[kernel::macros::kunit_tests(kernel_ext_time)]
mod tests {
    use super::*;

    #[test]
    fn time_conversions() {
        assert_eq!(secs_to_jiffies(1), Some(HZ));
        assert_eq!(secs_to_jiffies(0), Some(0));
        assert_eq!(secs_to_jiffies(u64::MAX), None);
        assert_eq!(
            secs_to_jiffies(MAX_JIFFY_OFFSET as u64 / HZ as u64 + 1),
            None
        );
        // Across the wraparound.
        assert!(time_after(5, usize::MAX));
        assert!(!time_after(jiffies(), jiffies() + 1));
    }
}
