//! The on-flash layout (format version 1): the root sector, data-sector headers and
//! records. Every field is little-endian; every separately programmed unit is a
//! multiple of [`UNIT`] bytes at a [`UNIT`]-aligned offset. See the store's manual
//! section for the picture and the compatibility policy.

/// The on-flash format version this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Programming unit: every field group written on its own is a multiple of it.
pub const UNIT: usize = 16;
/// Longest key (every [`crate::attributes::Algorithm`] fits).
pub const MAX_KEY_LEN: usize = 32;
/// Longest label, in bytes.
pub const MAX_LABEL_LEN: usize = 20;
/// Longest state blob ([`super::KeyStore::put_state`]): room for an AES-256 DUKPT
/// terminal's state (24 + 32 x 32 = 1048 bytes), rounded up to the programming unit.
pub const MAX_STATE_LEN: usize = 1056;

pub(crate) const ROOT_MAGIC: [u8; 4] = *b"KFRT";
pub(crate) const SECTOR_MAGIC: [u8; 4] = *b"KFLG";
/// Root header: magic, version, geometry, tag.
pub(crate) const ROOT_HDR_LEN: usize = 32;
/// One salt slot: salt (32) + gen (4) + origin (1) + reserved (11) + check (16) + live
/// block (16).
pub(crate) const SLOT_LEN: usize = 80;
pub(crate) const SLOT_BODY_LEN: usize = 64;
pub(crate) const LIVE_PATTERN: [u8; UNIT] = *b"KFLIVE-SALT-SLOT";
/// Data-sector header: fields (32) + tag (16) + reserved (16).
pub(crate) const SECTOR_HDR_LEN: usize = 64;
pub(crate) const REC_HDR_LEN: usize = 64;
pub(crate) const TAG_LEN: usize = 16;
pub(crate) const COMMIT_PATTERN: [u8; UNIT] = *b"KFCOMMIT-RECORD.";
/// Record overhead: header + tag + commit block.
pub(crate) const REC_OVERHEAD: usize = REC_HDR_LEN + TAG_LEN + UNIT;

/// `n` as a flash offset or length. Every value passed is a layout constant or bounded by
/// the sector size (at most 64 KiB), so the conversion is exact; it saturates rather than
/// wraps if that ever failed to hold (the saturated offset is then out of bounds).
pub(crate) fn u32f(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Rounds `n` up to a multiple of [`UNIT`].
pub(crate) const fn pad(n: usize) -> usize {
    (n + UNIT - 1) & !(UNIT - 1)
}

/// Record kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Key = 1,
    State = 2,
    Tombstone = 3,
    Event = 4,
    AuditRing = 5,
    SnapEnd = 6,
}

impl Kind {
    pub(crate) fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            1 => Self::Key,
            2 => Self::State,
            3 => Self::Tombstone,
            4 => Self::Event,
            5 => Self::AuditRing,
            6 => Self::SnapEnd,
            _ => return None,
        })
    }
}

/// Key version states on flash.
pub(crate) const STATE_ACTIVE: u8 = 1;
pub(crate) const STATE_REVOKED: u8 = 2;

/// A record header, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecHeader {
    pub len: u16,
    pub kind: u8,
    pub version: u8,
    pub event: u8,
    pub alg: u8,
    pub slot: u16,
    pub kver: u16,
    pub usage: u16,
    pub state: u8,
    pub label_len: u8,
    pub nonce: u32,
    pub gen: u32,
    pub created: u32,
    pub uses: u32,
    pub limit: u32,
    pub body_len: u16,
    pub seq: u32,
    pub label: [u8; MAX_LABEL_LEN],
}

impl RecHeader {
    pub(crate) fn new(kind: Kind) -> Self {
        Self {
            len: 0,
            kind: kind as u8,
            version: FORMAT_VERSION,
            event: 0,
            alg: 0,
            slot: 0,
            kver: 0,
            usage: 0,
            state: 0,
            label_len: 0,
            nonce: 0,
            gen: 0,
            created: 0,
            uses: 0,
            limit: 0,
            body_len: 0,
            seq: 0,
            label: [0; MAX_LABEL_LEN],
        }
    }

    /// Sets `body_len` and the total record length.
    pub(crate) fn set_body_len(&mut self, n: usize) -> Option<()> {
        let total = REC_OVERHEAD + pad(n);
        self.body_len = u16::try_from(n).ok()?;
        self.len = u16::try_from(total).ok()?;
        Some(())
    }

    pub(crate) fn encode(&self) -> [u8; REC_HDR_LEN] {
        let mut b = [0u8; REC_HDR_LEN];
        b[0..2].copy_from_slice(&self.len.to_le_bytes());
        b[2..4].copy_from_slice(&(!self.len).to_le_bytes());
        b[4] = self.kind;
        b[5] = self.version;
        b[6] = self.event;
        b[7] = self.alg;
        b[8..10].copy_from_slice(&self.slot.to_le_bytes());
        b[10..12].copy_from_slice(&self.kver.to_le_bytes());
        b[12..14].copy_from_slice(&self.usage.to_le_bytes());
        b[14] = self.state;
        b[15] = self.label_len;
        b[16..20].copy_from_slice(&self.nonce.to_le_bytes());
        b[20..24].copy_from_slice(&self.gen.to_le_bytes());
        b[24..28].copy_from_slice(&self.created.to_le_bytes());
        b[28..32].copy_from_slice(&self.uses.to_le_bytes());
        b[32..36].copy_from_slice(&self.limit.to_le_bytes());
        b[36..38].copy_from_slice(&self.body_len.to_le_bytes());
        b[40..44].copy_from_slice(&self.seq.to_le_bytes());
        b[44..64].copy_from_slice(&self.label);
        b
    }

    /// Decodes the fields (no authenticity: call only after the MAC verified).
    pub(crate) fn decode(b: &[u8; REC_HDR_LEN]) -> Self {
        let u16at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let u32at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut label = [0u8; MAX_LABEL_LEN];
        label.copy_from_slice(&b[44..64]);
        Self {
            len: u16at(0),
            kind: b[4],
            version: b[5],
            event: b[6],
            alg: b[7],
            slot: u16at(8),
            kver: u16at(10),
            usage: u16at(12),
            state: b[14],
            label_len: b[15],
            nonce: u32at(16),
            gen: u32at(20),
            created: u32at(24),
            uses: u32at(28),
            limit: u32at(32),
            body_len: u16at(36),
            seq: u32at(40),
            label,
        }
    }

    /// The length word and its complement, checked; `None` if torn or garbage.
    pub(crate) fn checked_len(b: &[u8]) -> Option<usize> {
        let len = u16::from_le_bytes([*b.first()?, *b.get(1)?]);
        let inv = u16::from_le_bytes([*b.get(2)?, *b.get(3)?]);
        if len != !inv {
            return None;
        }
        let len = usize::from(len);
        if len < REC_OVERHEAD || len & (UNIT - 1) != 0 {
            return None;
        }
        Some(len)
    }

    /// Structural checks of an authentic header.
    pub(crate) fn well_formed(&self) -> bool {
        usize::from(self.len) == REC_OVERHEAD + pad(usize::from(self.body_len))
            && usize::from(self.label_len) <= MAX_LABEL_LEN
            && Kind::from_u8(self.kind).is_some()
    }
}

/// A data-sector header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SectorHeader {
    pub version: u8,
    pub seq: u32,
    pub gen: u32,
    pub next_nonce: u32,
    pub salt_slot: u32,
    /// The backup restore floor: the record sequence of the newest destroy (a backup
    /// of this store exported before it is refused). Zero in stores written before it.
    pub floor: u32,
}

impl SectorHeader {
    /// The first 32 bytes (the MAC input).
    pub(crate) fn encode(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        b[0..4].copy_from_slice(&SECTOR_MAGIC);
        b[4] = self.version;
        b[8..12].copy_from_slice(&self.seq.to_le_bytes());
        b[12..16].copy_from_slice(&self.gen.to_le_bytes());
        b[16..20].copy_from_slice(&self.next_nonce.to_le_bytes());
        b[20..24].copy_from_slice(&self.salt_slot.to_le_bytes());
        b[24..28].copy_from_slice(&self.floor.to_le_bytes());
        b
    }

    pub(crate) fn decode(b: &[u8; 32]) -> Option<Self> {
        if b[0..4] != SECTOR_MAGIC {
            return None;
        }
        let u32at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Some(Self {
            version: b[4],
            seq: u32at(8),
            gen: u32at(12),
            next_nonce: u32at(16),
            salt_slot: u32at(20),
            floor: u32at(24),
        })
    }
}

/// The root header's authenticated fields.
pub(crate) fn root_header(sector_size: u32, sectors: u32) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[0..4].copy_from_slice(&ROOT_MAGIC);
    b[4] = FORMAT_VERSION;
    b[8..12].copy_from_slice(&sector_size.to_le_bytes());
    b[12..16].copy_from_slice(&sectors.to_le_bytes());
    b
}

/// Where salt slot `i` starts in the root sector.
pub(crate) const fn slot_offset(i: usize) -> usize {
    ROOT_HDR_LEN + i * SLOT_LEN
}

/// Origin of a salt slot (why the store was (re)created).
pub(crate) const ORIGIN_FORMAT: u8 = 0;
pub(crate) const ORIGIN_TAMPER: u8 = 1;

/// Whether every byte is 0xFF (erased).
pub(crate) fn blank(b: &[u8]) -> bool {
    b.iter().all(|&x| x == 0xFF)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn header_roundtrip_and_len_check() {
        let mut h = RecHeader::new(Kind::Key);
        h.slot = 7;
        h.kver = 2;
        h.label[..3].copy_from_slice(b"abc");
        h.label_len = 3;
        h.set_body_len(32).unwrap();
        let b = h.encode();
        assert_eq!(RecHeader::decode(&b), h);
        assert_eq!(RecHeader::checked_len(&b), Some(usize::from(h.len)));
        let mut torn = b;
        torn[2] = 0xFF;
        assert_eq!(RecHeader::checked_len(&torn), None);
        assert!(h.well_formed());
    }
}
