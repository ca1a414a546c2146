//! What a terminal and a host do with DUKPT keys so that they can talk:
//!
//! - [`pin`]: ISO 9564 PIN blocks, format 0 (TDES) and format 4 (AES): encrypt on the
//!   terminal, decrypt and parse on the host.
//! - [`mac`]: ANSI X9.19 retail MAC (ISO 9797-1 MAC algorithm 3), AES-CMAC, TDES-CMAC
//!   and HMAC-SHA256, each with a constant-time verify.
//! - [`data`]: CBC encryption and decryption of data (TDES and AES), in place.
//!
//! Keys are passed as byte slices (a DUKPT working key's `expose()`); lengths are
//! checked and a wrong one is an [`OpsError`], never a panic. Every block cipher call
//! goes through [`crate::block`] (CMAC included); HMAC uses the `hmac` crate.
pub mod data;
pub mod mac;
pub mod pin;

/// Why an operation failed. Carries no key, PIN or data bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum OpsError {
    /// The key length does not fit the algorithm.
    BadKeyLength,
    /// A PIN must be 4 to 12 ASCII digits.
    BadPin,
    /// A PAN must be 1 to 19 ASCII digits (format 0 uses its rightmost 12 digits before
    /// the check digit).
    BadPan,
    /// A decrypted PIN block is not a well-formed block of the expected format (wrong
    /// key, wrong PAN or a tampered block). The caller's output holds nothing.
    BadPinBlock,
    /// Data length is not a multiple of the cipher's block length.
    BadDataLength,
    /// A MAC to verify has a length the algorithm does not allow (4 bytes up to the full
    /// MAC).
    BadMacLength,
    /// The MAC does not match.
    MacMismatch,
}

impl core::fmt::Display for OpsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::BadKeyLength => "key length does not fit the algorithm",
            Self::BadPin => "PIN must be 4 to 12 digits",
            Self::BadPan => "PAN must be 1 to 19 digits",
            Self::BadPinBlock => "PIN block is malformed after decryption",
            Self::BadDataLength => "data length is not a multiple of the block length",
            Self::BadMacLength => "MAC length not allowed",
            Self::MacMismatch => "MAC does not match",
        })
    }
}

impl core::error::Error for OpsError {}

#[cfg(feature = "_selftest")]
pub(crate) mod selftest;
