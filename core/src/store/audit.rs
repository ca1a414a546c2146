//! The audit log: a bounded ring of lifecycle events, kept in flash. An event names the
//! key (id, version), what happened, the key's state before and after, and when (record
//! sequence, counter value); it never carries key material or labels.
//!
//! Each lifecycle record carries its event code, so the operation and its audit entry
//! commit together. Compaction keeps the newest [`AUDIT_CAP`] events in one sealed
//! ring record; older events are dropped (the ring is bounded).

use super::state::KeyState;

/// Events kept in the ring.
pub const AUDIT_CAP: usize = 16;
pub(crate) const EVENT_LEN: usize = 16;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AuditCode {
    /// The store was formatted (factory).
    Formatted,
    /// A key was generated.
    Generated,
    /// A plain key was imported.
    Imported,
    /// A wrapped (KW/KWP) key was imported.
    ImportedWrapped,
    /// A new key version was created by rotation.
    Rotated,
    /// A key version was revoked: deactivated, or compromised (see `after`).
    Revoked,
    /// A key version was destroyed (its metadata kept; `after` is destroyed or
    /// destroyed-compromised).
    Destroyed,
    /// A use of a key with a use-count limit was counted.
    UseCounted,
    /// A key was exported: as a backup, or wrapped under a stored KEK
    /// ([`KeyStore::export_wrapped_under`](super::KeyStore::export_wrapped_under)).
    Exported,
    /// A key was imported from a backup.
    BackupImported,
    /// A state record was written.
    StatePut,
    /// The store was crypto-erased after a tamper event (or `tamper_wipe`).
    TamperWipe,
    /// A key version changed state (activated, suspended, reactivated, deactivated,
    /// compromised; see the event's `before` and `after`).
    StateChanged,
    /// A compromised key version was used through the explicit opt-in.
    CompromisedUse,
    /// The store's cryptoperiod epoch was advanced by an authentic epoch message.
    EpochAdvanced,
    /// The metadata of a destroyed key version was removed.
    Purged,
    /// A code this build does not know (written by a newer build).
    Unknown,
}

/// A flag in a record's event byte (never in an audit event): this destroy record is
/// the first of a whole-key destroy ([`super::KeyStore::destroy`] of every version),
/// written for the highest version; the versions below it are destroyed by the records
/// after it. If a power cut stops the destroy before they are written, the next open
/// finds the flag and destroys the rest (`KeyStore::finish_destroy`), so a whole-key
/// destroy is all or nothing. Compaction writes event bytes as 0 except this flag while
/// a version below it is not destroyed yet (`Index::destroy_unfinished`: a compaction
/// can fall inside the destroy, or in the open that finishes it), and the open finds the
/// flag in the snapshot too; so the flag never outlives the destroy's own compaction.
pub(crate) const WHOLE_KEY_DESTROY: u8 = 0x80;

impl AuditCode {
    pub(crate) const fn code(self) -> u8 {
        match self {
            Self::Formatted => 1,
            Self::Generated => 2,
            Self::Imported => 3,
            Self::ImportedWrapped => 4,
            Self::Rotated => 5,
            Self::Revoked => 6,
            Self::Destroyed => 7,
            Self::UseCounted => 8,
            Self::Exported => 9,
            Self::BackupImported => 10,
            Self::StatePut => 11,
            Self::TamperWipe => 12,
            Self::StateChanged => 13,
            Self::CompromisedUse => 14,
            Self::EpochAdvanced => 15,
            Self::Purged => 16,
            Self::Unknown => 255,
        }
    }

    /// The code of a record's event byte, without [`WHOLE_KEY_DESTROY`].
    pub(crate) const fn of_record(event: u8) -> Self {
        Self::from_code(event & !WHOLE_KEY_DESTROY)
    }

    pub(crate) const fn from_code(c: u8) -> Self {
        match c {
            1 => Self::Formatted,
            2 => Self::Generated,
            3 => Self::Imported,
            4 => Self::ImportedWrapped,
            5 => Self::Rotated,
            6 => Self::Revoked,
            7 => Self::Destroyed,
            8 => Self::UseCounted,
            9 => Self::Exported,
            10 => Self::BackupImported,
            11 => Self::StatePut,
            12 => Self::TamperWipe,
            13 => Self::StateChanged,
            14 => Self::CompromisedUse,
            15 => Self::EpochAdvanced,
            16 => Self::Purged,
            _ => Self::Unknown,
        }
    }
}

/// One audit event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AuditEvent {
    /// What happened.
    pub code: AuditCode,
    /// The key id or state slot concerned (0 for store-wide events).
    pub id: u16,
    /// The key version concerned (0: all versions / not applicable).
    pub version: u16,
    /// The record sequence number (store-wide, increasing within one salt epoch).
    pub seq: u32,
    /// The monotonic counter value the event was recorded under (0 without a counter).
    pub gen: u32,
    /// The key version's state before the event (`None`: it did not exist, or the event
    /// is not about a key version).
    pub before: Option<KeyState>,
    /// The key version's state after the event (`None`: it no longer exists, or the
    /// event is not about a key version).
    pub after: Option<KeyState>,
}

impl AuditEvent {
    pub(crate) fn encode(&self) -> [u8; EVENT_LEN] {
        let mut b = [0u8; EVENT_LEN];
        b[0] = self.code.code();
        b[1] = self.before.map_or(0, KeyState::code);
        b[6] = self.after.map_or(0, KeyState::code);
        b[2..4].copy_from_slice(&self.id.to_le_bytes());
        b[4..6].copy_from_slice(&self.version.to_le_bytes());
        b[8..12].copy_from_slice(&self.seq.to_le_bytes());
        b[12..16].copy_from_slice(&self.gen.to_le_bytes());
        b
    }

    pub(crate) fn decode(b: &[u8; EVENT_LEN]) -> Self {
        Self {
            code: AuditCode::from_code(b[0]),
            id: u16::from_le_bytes([b[2], b[3]]),
            version: u16::from_le_bytes([b[4], b[5]]),
            seq: u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
            gen: u32::from_le_bytes([b[12], b[13], b[14], b[15]]),
            before: KeyState::from_code(b[1]),
            after: KeyState::from_code(b[6]),
        }
    }
}

/// The in-RAM ring of the newest events.
#[derive(Debug, Default)]
pub(crate) struct AuditRing {
    ev: heapless::Deque<AuditEvent, AUDIT_CAP>,
}

impl AuditRing {
    pub(crate) fn push(&mut self, e: AuditEvent) {
        if self.ev.is_full() {
            self.ev.pop_front();
        }
        // Cannot fail after the pop above.
        let _ = self.ev.push_back(e);
    }
    pub(crate) fn clear(&mut self) {
        self.ev.clear();
    }
    pub(crate) fn len(&self) -> usize {
        self.ev.len()
    }
    pub(crate) fn iter(&self) -> impl Iterator<Item = &AuditEvent> {
        self.ev.iter()
    }
}
