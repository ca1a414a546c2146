//! Inventory: every key version by metadata only (never key bytes), for audits: its
//! state, policy and what is left of its cryptoperiod.
use super::format::{RecHeader, MAX_LABEL_LEN};
use super::state::{Cryptoperiod, KeyState, PeriodLeft};
use super::usage_check::period_left;
use crate::attributes::{Algorithm, Usage};

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
    /// The state (SP 800-57 / KMIP).
    pub state: KeyState,
    /// The record sequence number at which this version was created.
    pub created: u32,
    /// Counted uses (only keys with a limit are counted).
    pub uses: u32,
    /// The use-count limit, if any.
    pub use_limit: Option<u32>,
    /// The cryptoperiod, if any.
    pub cryptoperiod: Option<Cryptoperiod>,
    /// What is left of the cryptoperiod now (`None` without one; for a pre-active
    /// version, the whole period).
    pub period_left: Option<PeriodLeft>,
}

impl KeyInfo {
    /// The label.
    pub fn label(&self) -> &[u8] {
        self.label.get(..usize::from(self.label_len)).unwrap_or(&[])
    }

    /// `epoch`: the store's current cryptoperiod epoch.
    pub(crate) fn from_header(h: &RecHeader, epoch: u32) -> Option<Self> {
        let state = KeyState::from_code(h.state)?;
        // A pre-active version's epoch count starts at activation.
        let now = if state == KeyState::PreActive {
            h.epoch
        } else {
            epoch
        };
        Some(Self {
            id: h.slot,
            version: h.kver,
            label: h.label,
            label_len: h.label_len,
            algorithm: Algorithm::from_code(h.alg)?,
            usage: Usage::from_bits(h.usage)?,
            state,
            created: h.created,
            uses: h.uses,
            use_limit: if h.limit == 0 { None } else { Some(h.limit) },
            cryptoperiod: Cryptoperiod::decode(h.period, h.protect, h.process),
            period_left: period_left(h, now),
        })
    }
}
