//! The AES DUKPT key serial number: initial key ID (8 bytes) || counter (4 bytes).
use crate::dukpt::DukptError;

/// A 12-byte AES DUKPT KSN. Public data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AesKsn([u8; 12]);

impl AesKsn {
    /// Length in bytes.
    pub const LEN: usize = 12;

    /// Parses a 12-byte KSN.
    pub fn from_bytes(ksn: &[u8]) -> Result<Self, DukptError> {
        let b: [u8; 12] = ksn.try_into().map_err(|_| DukptError::BadKsnLength)?;
        Ok(Self(b))
    }

    /// Builds a KSN from an initial key ID and a counter.
    pub fn new(initial_key_id: &[u8; 8], counter: u32) -> Self {
        let mut b = [0u8; 12];
        b[..8].copy_from_slice(initial_key_id);
        b[8..].copy_from_slice(&counter.to_be_bytes());
        Self(b)
    }

    /// The 12 bytes.
    pub fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }

    /// The initial key ID (BDK ID || derivation ID).
    pub fn initial_key_id(&self) -> [u8; 8] {
        let mut id = [0u8; 8];
        id.copy_from_slice(&self.0[..8]);
        id
    }

    /// The transaction counter.
    pub fn counter(&self) -> u32 {
        u32::from_be_bytes([self.0[8], self.0[9], self.0[10], self.0[11]])
    }

    /// Whether a device may have produced this KSN: counter non-zero, at most 16 one-bits.
    pub fn check_device_counter(&self) -> Result<(), DukptError> {
        let c = self.counter();
        if c == 0 {
            Err(DukptError::CounterZero)
        } else if c.count_ones() > 16 {
            Err(DukptError::TooManyOneBits)
        } else {
            Ok(())
        }
    }
}
