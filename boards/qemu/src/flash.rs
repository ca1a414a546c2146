//! A NOR flash region persisted to a host file through semihosting.
//!
//! Real NOR rules, enforced:
//! - erase works on whole sectors of [`ERASE_SIZE`] bytes and sets every bit to 1 (0xFF);
//! - program works on aligned words of [`WRITE_SIZE`] bytes and can only clear bits: the
//!   stored value becomes `old & new`, as on the chip (writing a 1 over a 0 leaves the 0);
//! - unaligned or out-of-range operations are rejected with `NotAligned`/`OutOfBounds`.
//!
//! Nothing is cached in RAM (a Cortex-M0 has 16 KiB): each read, erase and program goes to
//! the host file at once, in chunks of [`CHUNK`] bytes, so a QEMU killed mid-operation
//! leaves a realistic torn state (some chunks done, the rest not).

use core::ffi::CStr;
use embedded_storage::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use semihosting::{
    fs::File,
    io::{Read, Seek, SeekFrom, Write},
};

/// Program granularity in bytes.
pub const WRITE_SIZE: usize = 4;
/// Erase granularity (one sector) in bytes.
pub const ERASE_SIZE: usize = 4096;
/// Bytes moved per semihosting call.
pub const CHUNK: usize = 256;

/// A flash operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
#[non_exhaustive]
pub enum FlashError {
    /// Offset or length not a multiple of the operation's granularity.
    NotAligned,
    /// The range leaves the region.
    OutOfBounds,
    /// The host file could not be read or written.
    Host,
}

impl NorFlashError for FlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            FlashError::NotAligned => NorFlashErrorKind::NotAligned,
            FlashError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            FlashError::Host => NorFlashErrorKind::Other,
        }
    }
}

/// The flash region (see the module docs for its rules).
pub struct SemihostFlash {
    file: File,
    size: u32,
}

impl SemihostFlash {
    /// Opens the image `path` of `size` bytes (a multiple of [`ERASE_SIZE`]), creating it
    /// erased (all 0xFF) if it does not exist or is shorter than `size`.
    pub fn open(path: &CStr, size: u32) -> Result<Self, FlashError> {
        if !(size as usize).is_multiple_of(ERASE_SIZE) {
            return Err(FlashError::NotAligned);
        }
        let existing = File::options().read(true).write(true).open(path).ok();
        let (file, have) = match existing {
            Some(f) => {
                let len = f.metadata().map_err(|_| FlashError::Host)?.len();
                (f, u32::try_from(len).unwrap_or(u32::MAX).min(size))
            }
            None => {
                // "w+b": creates the file (truncating), readable and writable.
                let f = File::options()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(path)
                    .map_err(|_| FlashError::Host)?;
                (f, 0)
            }
        };
        let mut flash = SemihostFlash { file, size };
        // Extend a new or short image with erased bytes.
        let ff = [0xFFu8; CHUNK];
        let mut at = have;
        while at < size {
            let n = (size - at).min(CHUNK as u32);
            flash.write_at(at, &ff[..n as usize])?;
            at += n;
        }
        Ok(flash)
    }

    fn check(&self, offset: u32, len: usize, align: usize) -> Result<(), FlashError> {
        if !(offset as usize).is_multiple_of(align) || !len.is_multiple_of(align) {
            return Err(FlashError::NotAligned);
        }
        match (offset as usize).checked_add(len) {
            Some(end) if end <= self.size as usize => Ok(()),
            _ => Err(FlashError::OutOfBounds),
        }
    }

    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        self.file
            .seek(SeekFrom::Start(u64::from(offset)))
            .map_err(|_| FlashError::Host)?;
        self.file.read_exact(buf).map_err(|_| FlashError::Host)
    }

    fn write_at(&mut self, offset: u32, buf: &[u8]) -> Result<(), FlashError> {
        self.file
            .seek(SeekFrom::Start(u64::from(offset)))
            .map_err(|_| FlashError::Host)?;
        self.file.write_all(buf).map_err(|_| FlashError::Host)
    }
}

impl ErrorType for SemihostFlash {
    type Error = FlashError;
}

impl ReadNorFlash for SemihostFlash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        self.check(offset, bytes.len(), Self::READ_SIZE)?;
        let mut at = offset;
        for chunk in bytes.chunks_mut(CHUNK) {
            self.read_at(at, chunk)?;
            at += chunk.len() as u32;
        }
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.size as usize
    }
}

impl NorFlash for SemihostFlash {
    const WRITE_SIZE: usize = WRITE_SIZE;
    const ERASE_SIZE: usize = ERASE_SIZE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        if to < from {
            return Err(FlashError::OutOfBounds);
        }
        self.check(from, (to - from) as usize, ERASE_SIZE)?;
        let ff = [0xFFu8; CHUNK];
        let mut at = from;
        while at < to {
            self.write_at(at, &ff)?;
            at += CHUNK as u32;
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        self.check(offset, bytes.len(), WRITE_SIZE)?;
        let mut buf = [0u8; CHUNK];
        let mut at = offset;
        for chunk in bytes.chunks(CHUNK) {
            let old = &mut buf[..chunk.len()];
            self.read_at(at, old)?;
            // Programming can only clear bits.
            for (o, n) in old.iter_mut().zip(chunk) {
                *o &= *n;
            }
            self.write_at(at, old)?;
            at += chunk.len() as u32;
        }
        Ok(())
    }
}

/// Programming the same word again between erases only clears more bits, as on real NOR.
impl MultiwriteNorFlash for SemihostFlash {}
