//! The device's flash image file as NOR flash (4 KiB sectors, 4-byte programming, as the
//! QEMU boards' semihosted flash), and the host-side seams the store needs.
use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use keyfort::platform::DeviceSecret;
use std::io::Read;
use std::path::Path;
use zeroize::Zeroize;

/// The QEMU boards' store flash: 16 sectors of 4 KiB (`keyfort_board_qemu::FLASH_SIZE`).
pub const FLASH_SIZE: usize = 64 * 1024;
/// Erase sector size of the QEMU boards' flash.
pub const SECTOR: usize = 4096;

/// A flash image in memory.
pub struct ImageFlash(pub Vec<u8>);

/// A flash operation left the image.
#[derive(Debug)]
pub struct OutOfBounds;
impl NorFlashError for OutOfBounds {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::OutOfBounds
    }
}
impl ErrorType for ImageFlash {
    type Error = OutOfBounds;
}
impl ImageFlash {
    fn range(&self, off: u32, len: usize) -> Result<std::ops::Range<usize>, OutOfBounds> {
        let start = off as usize;
        match start.checked_add(len) {
            Some(end) if end <= self.0.len() => Ok(start..end),
            _ => Err(OutOfBounds),
        }
    }
}
impl ReadNorFlash for ImageFlash {
    const READ_SIZE: usize = 1;
    fn read(&mut self, off: u32, bytes: &mut [u8]) -> Result<(), OutOfBounds> {
        let r = self.range(off, bytes.len())?;
        bytes.copy_from_slice(&self.0[r]);
        Ok(())
    }
    fn capacity(&self) -> usize {
        self.0.len()
    }
}
impl NorFlash for ImageFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = SECTOR;
    fn erase(&mut self, from: u32, to: u32) -> Result<(), OutOfBounds> {
        let r = self.range(from, to.saturating_sub(from) as usize)?;
        self.0[r].fill(0xFF);
        Ok(())
    }
    fn write(&mut self, off: u32, bytes: &[u8]) -> Result<(), OutOfBounds> {
        let r = self.range(off, bytes.len())?;
        for (m, b) in self.0[r].iter_mut().zip(bytes) {
            *m &= b;
        }
        Ok(())
    }
}

/// The device's TEST-ONLY secret (`device-secret.bin`), wiped on drop.
pub struct HostSecret([u8; 32]);
impl DeviceSecret for HostSecret {
    fn with_secret<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> R {
        f(&self.0)
    }
}
impl Drop for HostSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Loads `device-secret.bin` from the device directory.
pub fn device_secret(device: &Path) -> Result<HostSecret, String> {
    let p = device.join("device-secret.bin");
    let mut s = [0u8; 32];
    std::fs::File::open(&p)
        .and_then(|mut f| f.read_exact(&mut s))
        .map_err(|e| format!("{}: {e}", p.display()))?;
    Ok(HostSecret(s))
}

/// The operating system's generator (`/dev/urandom`).
pub struct OsRng(std::fs::File);
impl rand_core::TryRng for OsRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> {
        if self.0.read_exact(d).is_err() {
            eprintln!("keyfort: /dev/urandom failed");
            std::process::exit(1);
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for OsRng {}

/// Opens `/dev/urandom`.
pub fn os_rng() -> Result<OsRng, String> {
    std::fs::File::open("/dev/urandom")
        .map(OsRng)
        .map_err(|_| "cannot open /dev/urandom".to_string())
}
