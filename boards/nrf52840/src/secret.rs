//! **TEST-ONLY** device secret stand-in: 32 bytes provisioned into the flash page at
//! [`crate::SECRET_ADDR`] at manufacturing.
//!
//! Honest note: this is plain flash. Anyone with a debugger reads it unless APPROTECT is
//! enabled, and anyone who runs code on the chip always can. A production hardware unique
//! key on this chip family would be the CryptoCell-310's device root key (KDR), loaded once
//! per boot and then not readable by software, or a key held in a secure element
//! (for example an ATECC608 or an SE050) that never leaves it; on the nRF5340 and nRF91,
//! the KMU's push-only key slots.

use keyfort::platform::DeviceSecret;

/// TEST-ONLY device secret read from flash (see the module docs).
pub struct FlashDeviceSecret(());

impl FlashDeviceSecret {
    pub(crate) fn new() -> Self {
        FlashDeviceSecret(())
    }
}

impl DeviceSecret for FlashDeviceSecret {
    fn with_secret<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> R {
        // SAFETY: SECRET_ADDR is a 4 KiB page inside the chip's flash that `memory.x` keeps
        // out of the program; flash is always readable, 32 bytes fit in the page, and
        // `[u8; 32]` has alignment 1. Nothing in this crate writes that page.
        let secret: &[u8; 32] = unsafe { &*(crate::SECRET_ADDR as *const [u8; 32]) };
        f(secret)
    }
}

impl core::fmt::Debug for FlashDeviceSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FlashDeviceSecret(..)")
    }
}
