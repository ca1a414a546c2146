//! The error of the terminal glue: which layer refused, and why.
use crate::dukpt::DukptError;
use crate::store;
use crate::tr31::Tr31Error;

/// Why a key injection or a DUKPT state operation did not happen. Every payload is a
/// `Copy` error code of the layer that refused; none carries key material.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TerminalError {
    /// The sealed store refused or failed (no such KBPK, usage denied, flash error...).
    Store(store::Error),
    /// The key block was refused (not authentic, header not allowed, KBPK too weak...).
    KeyBlock(Tr31Error),
    /// DUKPT refused (bad initial key, inconsistent state, persist failed...).
    Dukpt(DukptError),
    /// An initial key (`B1`) came without a usable initial key ID: no `IK` optional block
    /// of 16 hex digits in the key block, or no such label on the stored key.
    NoInitialKeyId,
    /// The stored initial key is not an AES key (AES DUKPT needs AES-128/192/256).
    NotAesKey,
    /// The DUKPT state does not fit into a store state record (see
    /// [`super::PACKED_STATE_MAX`]).
    StateTooLarge,
}

impl From<store::Error> for TerminalError {
    fn from(e: store::Error) -> Self {
        Self::Store(e)
    }
}

impl From<Tr31Error> for TerminalError {
    fn from(e: Tr31Error) -> Self {
        Self::KeyBlock(e)
    }
}

impl From<DukptError> for TerminalError {
    fn from(e: DukptError) -> Self {
        Self::Dukpt(e)
    }
}

impl core::fmt::Display for TerminalError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Store(e) => write!(f, "key store: {e}"),
            Self::KeyBlock(e) => write!(f, "key block: {e}"),
            Self::Dukpt(e) => write!(f, "DUKPT: {e}"),
            Self::NoInitialKeyId => f.write_str("initial key without an initial key ID"),
            Self::NotAesKey => f.write_str("initial key is not an AES key"),
            Self::StateTooLarge => f.write_str("DUKPT state too large for a state record"),
        }
    }
}

impl core::error::Error for TerminalError {}
