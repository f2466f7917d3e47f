// SPDX-License-Identifier: GPL-2.0

//! A misc device whose state every open file shares.
//!
//! C header: [`include/linux/miscdevice.h`](srctree/include/linux/miscdevice.h).
//!
//! The `kernel` crate's [`MiscDevice`] gives each open file its own state, created in `open`,
//! and no way to reach state that outlives the files, such as a driver's timer that must still
//! fire after the program that armed it has exited. [`SharedMiscDevice`] registers a device
//! whose every file operation gets `&D`, one `D` for all files. Each open file holds an
//! [`Arc`] of it, so `D` lives as long as the registration or the last open file, whichever is
//! later. (While a file is open, its module cannot be unloaded: the file operations name it as
//! their owner.)
//!
//! The device takes a fixed minor, so that a second registration fails cleanly with `EBUSY`
//! instead of clashing in sysfs. (Minor 255 is C's `MISC_DYNAMIC_MINOR`, "any free one": it is
//! refused with `EINVAL`.)
//!
//! File operations run in process context and receive a [`ProcessContext`]. One that returns
//! with an atomic section still open (a guard passed to `mem::forget`) is reported at its return,
//! by name (`ioctl 0x6b01 returned with bottom halves disabled`), where `might_sleep()` checks.
//! Registering and deregistering take the misc devices' mutex, so they happen in process context
//! too (`might_sleep()` reports it otherwise).
//!
//! The files' operations are those of the `kernel` crate's [`MiscDevice`] vtable, on a
//! `miscdevice` this type registers itself (for the fixed minor, which
//! [`MiscDeviceRegistration::register`] does not offer). That vtable's `open` casts the
//! `miscdevice` pointer it gets from `misc_open` to `&MiscDeviceRegistration<T>`, and only
//! reads the `miscdevice` through it (`as_raw`). That is sound for ours because Linux 7.3's
//! `MiscDeviceRegistration<T>` is `#[repr(transparent)]` over `Opaque<miscdevice>` (plus a
//! `PhantomData`). A field added to it upstream would break that: a build-time assertion on its
//! size and alignment (below) then stops the build.
//!
//! # Examples
//!
//! ```
//! use kernel::{prelude::*, sync::Arc};
//! use kernel_ext::{context::ProcessContext, miscdev::{SharedDevice, SharedMiscDevice}};
//!
//! struct Hello;
//!
//! impl SharedDevice for Hello {
//!     fn ioctl(&self, cmd: u32, _arg: usize, _ctx: &mut ProcessContext) -> Result<isize> {
//!         pr_info!("ioctl {cmd:#x}\n");
//!         Ok(0)
//!     }
//! }
//!
//! let device = KBox::pin_init(
//!     SharedMiscDevice::register(c"hello", 250, Arc::new(Hello, GFP_KERNEL)?),
//!     GFP_KERNEL,
//! )?; // /dev/hello exists until `device` is dropped.
//! # Ok::<(), Error>(())
//! ```

use super::context::{might_sleep, returns_balanced, ProcessContext};
use core::marker::PhantomData;
use kernel::{
    bindings,
    error::to_result,
    fs::File,
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    prelude::*,
    str::CStr,
    sync::{Arc, ArcBorrow},
    types::Opaque,
};

/// The file operations of a [`SharedMiscDevice`], on the state `D` all its files share.
pub trait SharedDevice: Send + Sync + Sized + 'static {
    /// Called when a file is opened; an error fails the `open`.
    #[inline]
    fn open(&self, _ctx: &mut ProcessContext) -> Result {
        Ok(())
    }

    /// Called when a file is closed for the last time.
    #[inline]
    fn release(&self, _ctx: &mut ProcessContext) {}

    /// Handles an ioctl. `arg` is the raw argument: a number or a user pointer, by command.
    fn ioctl(&self, cmd: u32, arg: usize, ctx: &mut ProcessContext) -> Result<isize>;
}

/// A registered misc device (`/dev/NAME`) whose files share one `D`.
///
/// # Invariants
///
/// `raw` holds a `miscdevice` registered with `misc_register`, whose file operations are those of
/// [`Files<D>`]; it is deregistered in [`Drop`].
#[pin_data(PinnedDrop)]
pub struct SharedMiscDevice<D: SharedDevice> {
    data: Arc<D>,
    #[pin]
    raw: Opaque<bindings::miscdevice>,
}

// SAFETY: `misc_deregister` may be called from any thread; `D` is `Send + Sync`.
unsafe impl<D: SharedDevice> Send for SharedMiscDevice<D> {}
// SAFETY: No `&self` method changes anything; `D` is `Sync`.
unsafe impl<D: SharedDevice> Sync for SharedMiscDevice<D> {}

impl<D: SharedDevice> SharedMiscDevice<D> {
    /// Registers `/dev/name` with the fixed misc `minor`, serving `data` to every open file.
    /// Fails with `EBUSY` if that minor is taken, `EINVAL` for 255 (`MISC_DYNAMIC_MINOR`).
    #[inline]
    pub fn register(name: &'static CStr, minor: u8, data: Arc<D>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            // `data` is initialised first: files may be opened as soon as `raw` is registered.
            data,
            raw <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                if u32::from(minor) == bindings::MISC_DYNAMIC_MINOR {
                    return Err(EINVAL);
                }
                might_sleep();
                let mut misc = MiscDeviceOptions { name }.into_raw::<Files<D>>();
                misc.minor = minor.into();
                // INVARIANT: on success `slot` holds a registered device with `Files<D>`'s
                // operations.
                // SAFETY: `slot` is valid for writes and pinned; it stays registered until `Drop`
                // deregisters it, before the memory goes away.
                unsafe {
                    slot.write(misc);
                    to_result(bindings::misc_register(slot))
                }
            }),
        })
    }

    /// The state the files share.
    #[inline]
    pub fn data(&self) -> &Arc<D> {
        &self.data
    }
}

#[pinned_drop]
impl<D: SharedDevice> PinnedDrop for SharedMiscDevice<D> {
    #[inline]
    fn drop(self: Pin<&mut Self>) {
        might_sleep();
        // SAFETY: `raw` is registered by the type invariants. Files opened before this keep their
        // own `Arc<D>`. `misc_deregister` takes a mutex: dropped in an atomic context,
        // `might_sleep` above reports it.
        unsafe { bindings::misc_deregister(self.raw.get()) };
    }
}

/// The `kernel` crate's [`MiscDevice`] view of a [`SharedMiscDevice<D>`]: each open file holds an
/// `Arc<D>`.
///
/// Private to this module, so that it is registered only by [`SharedMiscDevice::register`], which
/// `open` relies on.
struct Files<D>(PhantomData<D>);

impl<D: SharedDevice> Files<D> {
    /// `MiscDeviceRegistration<Files<D>>` is a `miscdevice` and nothing else, so the `kernel`
    /// crate's `open` may see ours as one (see the module's documentation).
    const REGISTRATION_IS_A_MISCDEVICE: () = assert!(
        size_of::<MiscDeviceRegistration<Self>>() == size_of::<bindings::miscdevice>()
            && align_of::<MiscDeviceRegistration<Self>>() == align_of::<bindings::miscdevice>()
    );
}

#[vtable]
impl<D: SharedDevice> MiscDevice for Files<D> {
    type Ptr = Arc<D>;

    #[inline]
    fn open(_file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Arc<D>> {
        #[allow(clippy::let_unit_value)] // Evaluated for its assertion.
        let () = Self::REGISTRATION_IS_A_MISCDEVICE;
        // SAFETY: Only `SharedMiscDevice::<D>::register` registers `Files<D>`, on its `raw`, which
        // `misc` points to (`as_raw`). `misc_open` calls us under the lock `misc_deregister`
        // takes, so the `SharedMiscDevice` is alive during this call.
        let device = unsafe {
            &*kernel::container_of!(Opaque::cast_from(misc.as_raw()), SharedMiscDevice<D>, raw)
        };
        // SAFETY: `open` runs in process context; `ctx` is used only by this call.
        let mut ctx = unsafe { ProcessContext::new() };
        returns_balanced(format_args!("open"), || device.data.open(&mut ctx))?;
        Ok(device.data.clone())
    }

    #[inline]
    fn release(data: Arc<D>, _file: &File) {
        // SAFETY: `release` runs in process context; `ctx` is used only by this call.
        let mut ctx = unsafe { ProcessContext::new() };
        returns_balanced(format_args!("release"), || data.release(&mut ctx));
    }

    #[inline]
    fn ioctl(data: ArcBorrow<'_, D>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        // SAFETY: `ioctl` runs in process context; `ctx` is used only by this call.
        let mut ctx = unsafe { ProcessContext::new() };
        returns_balanced(format_args!("ioctl {cmd:#x}"), || {
            data.ioctl(cmd, arg, &mut ctx)
        })
    }
}

#[cfg(dw_kunit)]
#[kunit_tests(kernel_ext_miscdev)]
mod tests {
    use super::*;

    struct Device;

    impl SharedDevice for Device {
        fn ioctl(&self, _cmd: u32, _arg: usize, _ctx: &mut ProcessContext) -> Result<isize> {
            Ok(0)
        }
    }

    #[test]
    fn misc_minor_255_is_refused() -> Result {
        let device = KBox::pin_init(
            SharedMiscDevice::register(c"dw_kunit", 255, Arc::new(Device, GFP_KERNEL)?),
            GFP_KERNEL,
        );
        assert!(matches!(device, Err(e) if e == EINVAL));
        Ok(())
    }
}
