//! The one error type of DUKPT: a variant per cause, no payload.

/// Why a DUKPT derivation, transaction or state decode failed. Carries no key material.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DukptError {
    /// A BDK, initial key or IPEK has a length the scheme does not support (AES: 16, 24
    /// or 32 bytes; TDES: 16 bytes).
    BadKeyLength,
    /// A KSN is not 12 bytes (AES) or 10 bytes (TDES).
    BadKsnLength,
    /// An initial key ID is not 8 bytes.
    BadInitialKeyIdLength,
    /// The KSN's transaction counter is zero: no transaction ever uses it.
    CounterZero,
    /// The KSN's transaction counter has more one-bits than a device ever uses
    /// (16 for AES, 10 for TDES): the KSN was not produced by a genuine device.
    TooManyOneBits,
    /// The working key type is stronger than the derivation key (X9.24-3 6.2: an
    /// AES-128 BDK derives no AES-192/256 or HMAC-192/256 key; AES-192 no AES-256).
    KeyTypeNotAllowed,
    /// The terminal has used up its transaction counter (end of life): load a new key.
    Exhausted,
    /// The state could not be persisted; no key was released and the counter that was
    /// about to be used is burnt (never used), see [`crate::dukpt::persist`].
    PersistFailed,
    /// A persisted terminal state has the wrong length.
    StateLength,
    /// A persisted terminal state has an unknown magic, version or scheme.
    StateVersion,
    /// A persisted terminal state is internally inconsistent (register flags do not
    /// match the counter, erased registers not zero, reserved bytes set, ...).
    StateInconsistent,
    /// A batch's output is shorter than its list of KSNs.
    BatchLength,
    /// A batch output slot holds no key: it was not part of a batch yet.
    NotDerived,
    /// A TDES BDK or IPEK whose two halves are the same DES key (parity bits ignored):
    /// single DES under a TDES name. Refused (see
    /// [`crate::block::TdesKeyError::Degenerate`]).
    DegenerateKey,
    /// A legacy form (TDES DUKPT's XOR-only data keys) was asked for without the legacy
    /// opt-in ([`crate::dukpt::tdes::LegacyOptions::legacy`]).
    LegacyNotAllowed,
    /// A BDK or initial key of the other scheme's algorithm (a TDES key for AES DUKPT, an
    /// AES key for TDES DUKPT), or not a DUKPT key at all.
    WrongAlgorithm,
    /// A key whose usage is not the DUKPT base derivation key's (`B0`) or the initial
    /// key's (`B1`) (see [`crate::key::KeyError::UsageDenied`]).
    UsageDenied,
}

impl core::fmt::Display for DukptError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::BadKeyLength => "key length not supported by this DUKPT scheme",
            Self::BadKsnLength => "KSN length is wrong (AES: 12 bytes, TDES: 10 bytes)",
            Self::BadInitialKeyIdLength => "initial key ID must be 8 bytes",
            Self::CounterZero => "transaction counter is zero",
            Self::TooManyOneBits => "transaction counter has too many one-bits for a device",
            Self::KeyTypeNotAllowed => "working key type is stronger than the BDK",
            Self::Exhausted => "transaction counter exhausted (end of life)",
            Self::PersistFailed => "terminal state could not be persisted",
            Self::StateLength => "terminal state has the wrong length",
            Self::StateVersion => "terminal state has an unknown magic, version or scheme",
            Self::StateInconsistent => "terminal state is inconsistent",
            Self::BatchLength => "batch output is shorter than its list of KSNs",
            Self::NotDerived => "no key derived into this batch slot",
            Self::DegenerateKey => "TDES key has two equal DES keys",
            Self::LegacyNotAllowed => "legacy key form not enabled",
            Self::WrongAlgorithm => "key algorithm not accepted by this DUKPT scheme",
            Self::UsageDenied => "key usage is not a DUKPT derivation key's",
        })
    }
}

impl core::error::Error for DukptError {}

impl From<crate::block::TdesKeyError> for DukptError {
    fn from(e: crate::block::TdesKeyError) -> Self {
        match e {
            crate::block::TdesKeyError::Degenerate => Self::DegenerateKey,
            _ => Self::BadKeyLength,
        }
    }
}

impl From<crate::key::KeyError> for DukptError {
    /// A BDK or initial key holder that could not be made.
    fn from(e: crate::key::KeyError) -> Self {
        use crate::key::KeyError as K;
        match e {
            K::UsageDenied => Self::UsageDenied,
            K::WrongAlgorithm => Self::WrongAlgorithm,
            K::DegenerateKey => Self::DegenerateKey,
            K::BadKeyLength => Self::BadKeyLength,
        }
    }
}
