//! Monotonic counter stand-in: a 4-byte little-endian value in a host file, written
//! through on every increment.
//!
//! It is only as monotonic as that file: whoever can write the host file can roll it back,
//! so under QEMU it demonstrates the store's anti-rollback logic, it does not enforce it.
//! Real boards use a counter the attacker cannot rewind together with the flash: OTP
//! fuses, a secure element's monotonic counter, or an RPMB partition.

use core::ffi::CStr;
use keyfort::platform::{CounterError, MonotonicCounter};
use semihosting::{
    fs::File,
    io::{Read, Seek, SeekFrom, Write},
};

/// The counter (see the module docs).
pub struct FileCounter {
    file: File,
}

impl FileCounter {
    /// Opens the counter file `path`, creating it at 0 if it does not exist.
    pub fn open(path: &CStr) -> Result<Self, CounterError> {
        if let Ok(file) = File::options().read(true).write(true).open(path) {
            return Ok(FileCounter { file });
        }
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|_| CounterError::Hardware)?;
        let mut c = FileCounter { file };
        c.store(0)?;
        Ok(c)
    }

    fn store(&mut self, v: u32) -> Result<(), CounterError> {
        self.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.file.write_all(&v.to_le_bytes()))
            .map_err(|_| CounterError::Hardware)
    }
}

impl MonotonicCounter for FileCounter {
    fn read(&mut self) -> Result<u32, CounterError> {
        let mut b = [0u8; 4];
        self.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.file.read_exact(&mut b))
            .map_err(|_| CounterError::Hardware)?;
        Ok(u32::from_le_bytes(b))
    }

    fn increment(&mut self) -> Result<u32, CounterError> {
        let next = self.read()?.checked_add(1).ok_or(CounterError::Exhausted)?;
        self.store(next)?;
        Ok(next)
    }
}
