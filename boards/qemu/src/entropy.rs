//! Raw entropy from the host's `/dev/urandom`, read through semihosting.
//!
//! This is a *raw source*: like a hardware TRNG, feed it through keyfort's health tests
//! (`keyfort::rng`) before using it for keys.

use rand_core::{TryCryptoRng, TryRng};
use semihosting::{fs::File, io::Read};

/// The host entropy could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub struct EntropyError;

impl core::fmt::Display for EntropyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("host entropy source failed")
    }
}

impl core::error::Error for EntropyError {}

/// The host's `/dev/urandom`.
pub struct HostEntropy {
    file: File,
}

impl HostEntropy {
    /// Opens `/dev/urandom` on the host.
    pub fn open() -> Result<Self, EntropyError> {
        File::open(c"/dev/urandom")
            .map(|file| HostEntropy { file })
            .map_err(|_| EntropyError)
    }
}

impl TryRng for HostEntropy {
    type Error = EntropyError;

    fn try_next_u32(&mut self) -> Result<u32, EntropyError> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, EntropyError> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), EntropyError> {
        self.file.read_exact(dst).map_err(|_| EntropyError)
    }
}

impl TryCryptoRng for HostEntropy {}
