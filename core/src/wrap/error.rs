//! The one error type of key wrap.

/// Why a wrap or unwrap did not happen.
///
/// Length errors concern public lengths only and are reported before any cryptographic
/// work. Every failure of an unwrap's integrity check (for KW the ICV; for KWP the prefix,
/// the length field and the padding) is the single variant [`WrapError::Integrity`]: the
/// error never says which check failed, and carries no data.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WrapError {
    /// The KEK is not an AES-128, -192 or -256 key (16, 24 or 32 bytes).
    KekLength,
    /// The KEK was not admitted for this use: a wrap under a KEK made from a
    /// [`crate::key::KeyUnwrap`] key, or an unwrap under one made from a
    /// [`crate::key::KeyWrap`] key (checked before anything else; nothing is written), or
    /// a key whose usage is not key encryption offered as a KEK.
    UsageDenied,
    /// The key to wrap, or the wrapped input, has a length the algorithm does not accept
    /// (see the length policy in [`crate::wrap`]), or an in-place length exceeds the buffer.
    InputLength,
    /// The output buffer is shorter than the result needs (see the `*_len` helpers).
    OutputTooSmall,
    /// The wrapped input is not authentic under this KEK. The output buffer has been
    /// zeroed.
    Integrity,
}

impl core::fmt::Display for WrapError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::KekLength => "KEK must be 16, 24 or 32 bytes",
            Self::UsageDenied => "KEK not admitted for this direction",
            Self::InputLength => "input length not accepted by the key wrap algorithm",
            Self::OutputTooSmall => "output buffer too small",
            Self::Integrity => "integrity check failed (not a key wrapped under this KEK)",
        })
    }
}

impl core::error::Error for WrapError {}

impl From<crate::key::KeyError> for WrapError {
    /// A KEK holder that could not be made ([`crate::key::TypedKey::new`]).
    fn from(e: crate::key::KeyError) -> Self {
        match e {
            crate::key::KeyError::UsageDenied => Self::UsageDenied,
            _ => Self::KekLength,
        }
    }
}
