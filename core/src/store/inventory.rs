//! Inventory: every key version by metadata only (never key bytes), for audits.
use super::format::{RecHeader, MAX_LABEL_LEN, STATE_ACTIVE};
use crate::attributes::{Algorithm, Usage};

/// A key version's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum KeyState {
    /// Usable within its policy.
    Active,
    /// Revoked: kept (metadata) until destroyed, never usable.
    Revoked,
}

/// One key version, by metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct KeyInfo {
    /// The key id.
    pub id: u16,
    /// The version (1 for a new key, +1 per rotation).
    pub version: u16,
    label: [u8; MAX_LABEL_LEN],
    label_len: u8,
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The usage policy.
    pub usage: Usage,
    /// Active or revoked.
    pub state: KeyState,
    /// The record sequence number at which this version was created.
    pub created: u32,
    /// Counted uses (only keys with a limit are counted).
    pub uses: u32,
    /// The use-count limit, if any.
    pub use_limit: Option<u32>,
}

impl KeyInfo {
    /// The label.
    pub fn label(&self) -> &[u8] {
        self.label.get(..usize::from(self.label_len)).unwrap_or(&[])
    }

    pub(crate) fn from_header(h: &RecHeader) -> Option<Self> {
        Some(Self {
            id: h.slot,
            version: h.kver,
            label: h.label,
            label_len: h.label_len,
            algorithm: Algorithm::from_code(h.alg)?,
            usage: Usage::from_bits(h.usage)?,
            state: if h.state == STATE_ACTIVE {
                KeyState::Active
            } else {
                KeyState::Revoked
            },
            created: h.created,
            uses: h.uses,
            use_limit: if h.limit == 0 { None } else { Some(h.limit) },
        })
    }
}
