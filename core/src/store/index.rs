//! The RAM index: where each live record (key version or state record) is in the current
//! sector, with the header that verified when it was read. Metadata only, never key bytes.
use super::audit::WHOLE_KEY_DESTROY;
use super::error::Error;
use super::format::{Kind, RecHeader};
use super::state::KeyState;
use super::MAX_ENTRIES;

/// One live record in the RAM index (metadata only).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    pub hdr: RecHeader,
    pub offset: u32,
}

/// The live records, at most [`MAX_ENTRIES`].
#[derive(Default)]
pub(crate) struct Index {
    entries: heapless::Vec<Entry, MAX_ENTRIES>,
}

impl Index {
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entries left.
    pub(crate) fn free(&self) -> usize {
        MAX_ENTRIES - self.entries.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    pub(crate) fn get(&self, i: usize) -> Option<&Entry> {
        self.entries.get(i)
    }

    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut Entry> {
        self.entries.get_mut(i)
    }

    /// The live record `(kind, slot, kver)`.
    pub(crate) fn find(&self, kind: u8, slot: u16, kver: u16) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.hdr.kind == kind && e.hdr.slot == slot && e.hdr.kver == kver)
    }

    /// Version `version` of key `id`.
    pub(crate) fn key(&self, id: u16, version: u16) -> Option<&Entry> {
        self.find(Kind::Key as u8, id, version)
    }

    /// Every version of key `id`.
    pub(crate) fn versions(&self, id: u16) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(move |e| e.hdr.kind == Kind::Key as u8 && e.hdr.slot == id)
    }

    /// The newest version of key `id` that is active.
    pub(crate) fn newest_active(&self, id: u16) -> Option<u16> {
        self.versions(id)
            .filter(|e| e.hdr.state == KeyState::Active.code())
            .map(|e| e.hdr.kver)
            .max()
    }

    /// State record `slot`.
    pub(crate) fn state(&self, slot: u16) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.hdr.kind == Kind::State as u8 && e.hdr.slot == slot)
    }

    /// Records `e` (a key version or state record), replacing the same record's older
    /// copy. [`Error::Corrupt`] if the index is full (the flash holds more than a store
    /// ever writes).
    pub(crate) fn upsert(&mut self, e: Entry) -> Result<(), Error> {
        let h = e.hdr;
        if let Some(x) = self
            .entries
            .iter_mut()
            .find(|x| x.hdr.kind == h.kind && x.hdr.slot == h.slot && x.hdr.kver == h.kver)
        {
            *x = e;
            Ok(())
        } else {
            self.entries.push(e).map_err(|_| Error::Corrupt)
        }
    }

    /// Whether `h` is the flagged first record of a whole-key destroy not finished yet
    /// ([`WHOLE_KEY_DESTROY`]): a version of its key below it is not destroyed. A
    /// compaction keeps that flag, so the open still finishes the destroy if a power cut
    /// stops it after the compaction (test
    /// `whole_key_destroy_survives_a_compaction_and_a_double_fault`).
    pub(crate) fn destroy_unfinished(&self, h: &RecHeader) -> bool {
        let destroyed =
            |h: &RecHeader| KeyState::from_code(h.state).is_some_and(KeyState::is_destroyed);
        h.kind == Kind::Key as u8
            && h.event & WHOLE_KEY_DESTROY != 0
            && destroyed(h)
            && self
                .versions(h.slot)
                .any(|e| e.hdr.kver < h.kver && !destroyed(&e.hdr))
    }

    /// Drops key `id`: version `kver`, or every version for `kver == 0`.
    pub(crate) fn remove_key(&mut self, id: u16, kver: u16) {
        self.entries.retain(|x| {
            !(x.hdr.kind == Kind::Key as u8
                && x.hdr.slot == id
                && (kver == 0 || x.hdr.kver == kver))
        });
    }

    /// Bytes the live records take on flash.
    pub(crate) fn record_bytes(&self) -> usize {
        self.entries.iter().map(|e| usize::from(e.hdr.len)).sum()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const STATE_ACTIVE: u8 = KeyState::Active.code();
    const STATE_REVOKED: u8 = KeyState::Deactivated.code();

    fn entry(kind: Kind, slot: u16, kver: u16, state: u8, offset: u32) -> Entry {
        let mut hdr = RecHeader::new(kind);
        hdr.slot = slot;
        hdr.kver = kver;
        hdr.state = state;
        hdr.set_body_len(16).unwrap();
        Entry { hdr, offset }
    }

    #[test]
    fn upsert_replaces_the_same_record_only() {
        let mut ix = Index::default();
        ix.upsert(entry(Kind::Key, 1, 1, STATE_ACTIVE, 100))
            .unwrap();
        ix.upsert(entry(Kind::Key, 1, 2, STATE_ACTIVE, 200))
            .unwrap();
        ix.upsert(entry(Kind::State, 1, 0, 0, 300)).unwrap();
        assert_eq!(ix.len(), 3);
        // Revoking version 1 rewrites it: one entry, at the new offset.
        ix.upsert(entry(Kind::Key, 1, 1, STATE_REVOKED, 400))
            .unwrap();
        assert_eq!(ix.len(), 3);
        assert_eq!(ix.key(1, 1).unwrap().offset, 400);
        assert_eq!(ix.state(1).unwrap().offset, 300);
        assert_eq!(ix.record_bytes(), 3 * 128);
    }

    #[test]
    fn newest_active_skips_revoked_versions() {
        let mut ix = Index::default();
        ix.upsert(entry(Kind::Key, 7, 1, STATE_ACTIVE, 0)).unwrap();
        ix.upsert(entry(Kind::Key, 7, 2, STATE_REVOKED, 0)).unwrap();
        ix.upsert(entry(Kind::Key, 8, 3, STATE_ACTIVE, 0)).unwrap();
        assert_eq!(ix.newest_active(7), Some(1));
        assert_eq!(ix.versions(7).count(), 2);
        assert_eq!(ix.newest_active(9), None);
    }

    #[test]
    fn remove_key_drops_one_version_or_all_and_never_states() {
        let mut ix = Index::default();
        for v in 1..=3 {
            ix.upsert(entry(Kind::Key, 5, v, STATE_ACTIVE, 0)).unwrap();
        }
        ix.upsert(entry(Kind::State, 5, 0, 0, 0)).unwrap();
        ix.remove_key(5, 2);
        assert!(ix.key(5, 2).is_none() && ix.key(5, 1).is_some());
        ix.remove_key(5, 0);
        assert_eq!(ix.versions(5).count(), 0);
        assert!(ix.state(5).is_some());
    }

    #[test]
    fn a_full_index_refuses_more() {
        let mut ix = Index::default();
        for i in 0..MAX_ENTRIES {
            ix.upsert(entry(Kind::State, u16::try_from(i).unwrap(), 0, 0, 0))
                .unwrap();
        }
        assert_eq!(ix.free(), 0);
        assert_eq!(
            ix.upsert(entry(Kind::State, 999, 0, 0, 0)),
            Err(Error::Corrupt)
        );
        // Replacing an existing one still works.
        ix.upsert(entry(Kind::State, 3, 0, 0, 9)).unwrap();
        assert_eq!(ix.state(3).unwrap().offset, 9);
    }
}
