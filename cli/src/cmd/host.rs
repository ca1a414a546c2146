//! Host-side stand-ins for the store's seams, shared by the `store` and `demo` commands:
//! a flash image file as NOR flash, a test device's secret, and `/dev/urandom`.
use embedded_storage::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use keyfort::platform::DeviceSecret;
use std::io::Read;
use zeroize::Zeroize;

/// A flash image in memory with NOR rules (erase to 0xFF, programming only clears bits,
/// 4-byte writes) and `S`-byte erase sectors.
pub struct ImageFlash<const S: usize>(pub Vec<u8>);

/// A flash operation left the image.
#[derive(Debug)]
pub struct OutOfBounds;
impl NorFlashError for OutOfBounds {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::OutOfBounds
    }
}
impl<const S: usize> ErrorType for ImageFlash<S> {
    type Error = OutOfBounds;
}
impl<const S: usize> ImageFlash<S> {
    /// Takes an image's bytes.
    pub fn new(image: Vec<u8>) -> Self {
        Self(image)
    }

    fn range(&self, off: u32, len: usize) -> Result<std::ops::Range<usize>, OutOfBounds> {
        let start = off as usize;
        match start.checked_add(len) {
            Some(end) if end <= self.0.len() => Ok(start..end),
            _ => Err(OutOfBounds),
        }
    }
}
impl<const S: usize> ReadNorFlash for ImageFlash<S> {
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
impl<const S: usize> NorFlash for ImageFlash<S> {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = S;
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

/// Programming ANDs into the image: a word written again only loses more bits.
impl<const S: usize> MultiwriteNorFlash for ImageFlash<S> {}

/// A test device's secret, wiped on drop.
pub struct HostSecret([u8; 32]);
impl HostSecret {
    /// Takes the 32 secret bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}
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
        // A failing /dev/urandom is not survivable for key generation.
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
