//! The TDES DUKPT key serial number: 59-bit initial KSN || 21-bit counter (10 bytes).
use crate::dukpt::counter::TDES as RULES;
use crate::dukpt::DukptError;

/// Mask of the counter's bits in the last three bytes.
const COUNTER_MASK: u32 = 0x1F_FFFF;

/// A 10-byte TDES DUKPT KSN. Public data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TdesKsn([u8; 10]);

impl TdesKsn {
    /// Length in bytes.
    pub const LEN: usize = 10;

    /// Parses a 10-byte KSN.
    pub fn from_bytes(ksn: &[u8]) -> Result<Self, DukptError> {
        let b: [u8; 10] = ksn.try_into().map_err(|_| DukptError::BadKsnLength)?;
        Ok(Self(b))
    }

    /// A KSN from its 10 bytes.
    pub const fn from_array(b: [u8; 10]) -> Self {
        Self(b)
    }

    /// The 10 bytes.
    pub fn as_bytes(&self) -> &[u8; 10] {
        &self.0
    }

    /// The 21-bit transaction counter.
    pub fn counter(&self) -> u32 {
        u32::from_be_bytes([0, self.0[7], self.0[8], self.0[9]]) & COUNTER_MASK
    }

    /// The same KSN with counter `c` (only its low 21 bits are used).
    pub fn with_counter(&self, c: u32) -> Self {
        let mut b = self.0;
        let old = u32::from_be_bytes([0, b[7], b[8], b[9]]);
        let new = (old & !COUNTER_MASK) | (c & COUNTER_MASK);
        let nb = new.to_be_bytes();
        b[7..10].copy_from_slice(&nb[1..4]);
        Self(b)
    }

    /// The initial KSN: this KSN with the counter cleared.
    pub fn initial(&self) -> Self {
        self.with_counter(0)
    }

    /// The rightmost 8 bytes (the key serial number register of the derivation).
    pub(crate) fn right8(&self) -> [u8; 8] {
        let mut r = [0u8; 8];
        r.copy_from_slice(&self.0[2..]);
        r
    }

    /// The leftmost 8 bytes.
    pub(crate) fn left8(&self) -> [u8; 8] {
        let mut r = [0u8; 8];
        r.copy_from_slice(&self.0[..8]);
        r
    }

    /// Whether a device may have produced this KSN: counter non-zero, at most 10 one-bits.
    pub fn check_device_counter(&self) -> Result<(), DukptError> {
        let c = self.counter();
        if c == 0 {
            Err(DukptError::CounterZero)
        } else if !RULES.usable(u64::from(c)) {
            Err(DukptError::TooManyOneBits)
        } else {
            Ok(())
        }
    }
}
