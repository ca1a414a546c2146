//! Errors of TR-31 key block import and export.

/// Why a key block was refused. Header errors are specific (the header is public);
/// every failure once decryption has started (wrong MAC, bad key length field, padding)
/// is the single variant [`Tr31Error::Unauthentic`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Tr31Error {
    /// The version id is not one keyfort handles (or is not a TR-31 version at all, such
    /// as a lower-case letter or a vendor prefix). Versions A and C are refused unless
    /// [`UnwrapOptions::allow_variant_binding`](super::UnwrapOptions) is set.
    UnsupportedVersion,
    /// The block is shorter than a header, or the length field is not four digits.
    Truncated,
    /// The header's length field differs from the block's actual length.
    LengthMismatch,
    /// A fixed header field holds a character it may not hold.
    BadHeader(HeaderField),
    /// An optional block is malformed (id, length, or it runs past the block).
    BadOptionalBlock,
    /// The header is longer than a key block may be, or too many optional blocks.
    HeaderTooLong,
    /// The encrypted key data or MAC is not hexadecimal.
    BadHex,
    /// The encrypted part is not a positive multiple of the cipher block, or the MAC is
    /// missing or truncated.
    BadLength,
    /// The KBPK's length does not fit the block's version (D: 16/24/32 bytes of AES;
    /// B, A, C: 16/24 bytes of TDES; E: AES).
    BadKbpk,
    /// Authentication failed, or the authenticated content is malformed (key length
    /// field). One variant on purpose: nothing about the decrypted content leaks.
    Unauthentic,
    /// The key is larger than the caller's buffer (export), or than the unwrap buffer.
    KeyTooLarge,
    /// The output buffer for an exported block is too small.
    OutputTooSmall,
    /// The header's key usage is not one keyfort maps onto its policy.
    UnsupportedUsage,
    /// The header's algorithm (or the key's length for it) is not one keyfort supports.
    UnsupportedAlgorithm,
    /// The mode of use is not allowed for the key usage.
    ModeNotAllowed,
    /// The KBPK is weaker than the key it protects (SP 800-57 strengths).
    WeakKbpk,
    /// The key version field says the block holds a key component, not a key.
    KeyComponent,
    /// A TDES key that collapses to single DES (parity bits ignored): a TDES KBPK
    /// (versions A, B, C; refused before anything is derived from it) or, in
    /// [`super::import`], the TDES key the block carries (refused after
    /// authentication), which is also refused when it is 2-key TDES labelled 3-key
    /// (K1 = K3). See [`crate::block::TdesKeyError::Degenerate`].
    DegenerateKey,
    /// The KBPK's algorithm does not fit the block's version: versions D and E need an
    /// AES KBPK, A, B and C a TDES one (a stored 2-key TDES key is not a version D KBPK,
    /// whatever its length).
    KbpkAlgorithm,
    /// The key offered as KBPK is not one: its usage is not a TR-31 key block protection
    /// key's (`K1`) in the needed mode (see [`crate::key::KeyError::UsageDenied`]).
    KbpkUsage,
}

impl From<crate::key::KeyError> for Tr31Error {
    /// A KBPK holder that could not be made.
    fn from(e: crate::key::KeyError) -> Self {
        use crate::key::KeyError as K;
        match e {
            K::UsageDenied => Self::KbpkUsage,
            K::WrongAlgorithm => Self::KbpkAlgorithm,
            K::DegenerateKey => Self::DegenerateKey,
            _ => Self::BadKbpk,
        }
    }
}

/// The fixed header field at fault in [`Tr31Error::BadHeader`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum HeaderField {
    /// Bytes 5-6.
    KeyUsage,
    /// Byte 7.
    Algorithm,
    /// Byte 8.
    ModeOfUse,
    /// Bytes 9-10.
    KeyVersion,
    /// Byte 11.
    Exportability,
    /// Bytes 12-13.
    NumOptionalBlocks,
    /// Bytes 14-15.
    Reserved,
}

impl core::fmt::Display for Tr31Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::UnsupportedVersion => f.write_str("unsupported key block version"),
            Self::Truncated => f.write_str("key block truncated"),
            Self::LengthMismatch => f.write_str("length field does not match the block"),
            Self::BadHeader(h) => write!(f, "bad header field {h:?}"),
            Self::BadOptionalBlock => f.write_str("bad optional block"),
            Self::HeaderTooLong => f.write_str("header too long"),
            Self::BadHex => f.write_str("key data or MAC not hexadecimal"),
            Self::BadLength => f.write_str("bad key data or MAC length"),
            Self::BadKbpk => f.write_str("KBPK length not valid for this version"),
            Self::Unauthentic => f.write_str("key block authentication failed"),
            Self::KeyTooLarge => f.write_str("key too large"),
            Self::OutputTooSmall => f.write_str("output buffer too small"),
            Self::UnsupportedUsage => f.write_str("unsupported key usage"),
            Self::UnsupportedAlgorithm => f.write_str("unsupported algorithm"),
            Self::ModeNotAllowed => f.write_str("mode of use not allowed for key usage"),
            Self::WeakKbpk => f.write_str("KBPK weaker than the wrapped key"),
            Self::KeyComponent => f.write_str("block holds a key component"),
            Self::DegenerateKey => f.write_str("TDES key has two equal DES keys"),
            Self::KbpkAlgorithm => f.write_str("KBPK algorithm does not fit the version"),
            Self::KbpkUsage => f.write_str("key is not a key block protection key"),
        }
    }
}

impl core::error::Error for Tr31Error {}
