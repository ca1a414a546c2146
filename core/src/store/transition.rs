//! Key state transitions as store operations: each one record (the new state, with the
//! state before it for the audit event), committed atomically like every record, so a
//! power cut leaves the version in its old or its new state and nothing else. Destroying
//! also compacts the sealed key away and verifies it is gone; ending protect periods
//! deactivates (and rotates) versions.
use super::audit::{AuditCode, WHOLE_KEY_DESTROY};
use super::error::Error;
use super::format::{Kind, RecHeader};
use super::journal::Body;
use super::state::{KeyState, RevocationReason};
use super::{usage_check, KeyStore, MAX_ENTRIES, MAX_VERSIONS};
use crate::platform::Platform;

impl<P: Platform> KeyStore<P> {
    /// Moves version `version` of key `id` to state `to`, if
    /// [`super::state::TRANSITIONS`] allows it from its current state
    /// ([`Error::TransitionRefused`] otherwise, also for `to` equal to the current
    /// state). To a destroyed state it is [`KeyStore::destroy`] of that version. Each
    /// transition is recorded in the audit log with the states before and after.
    pub fn set_state(&mut self, id: u16, version: u16, to: KeyState) -> Result<(), Error> {
        self.check_ok()?;
        let e = *self.key_entry(id, version).ok_or(Error::NotFound)?;
        let from = usage_check::state_of(&e.hdr)?;
        if !from.may_become(to) {
            return Err(Error::TransitionRefused);
        }
        if to.is_destroyed() {
            self.destroy_record(&e.hdr, to, false)?;
            if from.is_destroyed() {
                // Destroyed to destroyed-compromised: nothing left to erase.
                return Ok(());
            }
            self.compact(0)?;
            return self.verify_destroyed(id, Some(version));
        }
        let epoch = self.epoch();
        self.rewrite(&e, |h| {
            h.state = to.code();
            h.event = match to {
                KeyState::Deactivated | KeyState::Compromised => AuditCode::Revoked.code(),
                _ => AuditCode::StateChanged.code(),
            };
            if from == KeyState::PreActive {
                // Epoch-counted cryptoperiods run from activation.
                h.epoch = epoch;
            }
        })?;
        Ok(())
    }

    /// Activates a pre-active version (KMIP Activate; SP 800-57 transition 4).
    pub fn activate(&mut self, id: u16, version: u16) -> Result<(), Error> {
        self.set_state(id, version, KeyState::Active)
    }

    /// Revokes one version of key `id` for a reason other than compromise: it becomes
    /// [`KeyState::Deactivated`] (decrypt, unwrap and MAC verification only). Revoking a
    /// deactivated version again does nothing.
    pub fn revoke(&mut self, id: u16, version: u16) -> Result<(), Error> {
        self.revoke_with(id, version, RevocationReason::NoLongerNeeded)
    }

    /// Revokes one version of key `id` as KMIP's Revoke does: for
    /// [`RevocationReason::Compromise`] to [`KeyState::Compromised`] (a destroyed version
    /// to [`KeyState::DestroyedCompromised`]), otherwise to [`KeyState::Deactivated`].
    /// A version already in that state is left as it is.
    pub fn revoke_with(
        &mut self,
        id: u16,
        version: u16,
        reason: RevocationReason,
    ) -> Result<(), Error> {
        self.check_ok()?;
        let e = self.key_entry(id, version).ok_or(Error::NotFound)?;
        let from = usage_check::state_of(&e.hdr)?;
        let to = match reason {
            RevocationReason::Compromise if from.is_destroyed() => KeyState::DestroyedCompromised,
            RevocationReason::Compromise => KeyState::Compromised,
            RevocationReason::NoLongerNeeded => KeyState::Deactivated,
        };
        if from == to {
            return Ok(());
        }
        self.set_state(id, version, to)
    }

    /// Destroys key `id` (every version, or one): each version not yet destroyed becomes
    /// [`KeyState::Destroyed`] (a compromised one [`KeyState::DestroyedCompromised`]),
    /// one record each keeping the metadata without the key material; then the store
    /// compacts so the sealed key leaves the flash and verifies that no record with its
    /// material remains anywhere on the flash ([`Error::DestroyVerify`] otherwise).
    /// Versions already destroyed are left as they are. The metadata stays for the
    /// inventory and audit until [`KeyStore::purge`] (or a new key or version needs its
    /// room).
    pub fn destroy(&mut self, id: u16, version: Option<u16>) -> Result<(), Error> {
        self.check_ok()?;
        let mut todo: heapless::Vec<(u16, KeyState), MAX_VERSIONS> = heapless::Vec::new();
        let mut found = false;
        for e in self.versions(id) {
            if version.is_some_and(|v| v != e.hdr.kver) {
                continue;
            }
            found = true;
            let from = usage_check::state_of(&e.hdr)?;
            if from.is_destroyed() {
                continue;
            }
            let to = if from == KeyState::Compromised {
                KeyState::DestroyedCompromised
            } else {
                KeyState::Destroyed
            };
            if !from.may_become(to) {
                return Err(Error::TransitionRefused);
            }
            todo.push((e.hdr.kver, to)).map_err(|_| Error::LogicBug)?;
        }
        if !found {
            return Err(Error::NotFound);
        }
        if todo.is_empty() && !self.pending_destroy {
            return Ok(());
        }
        // A whole-key destroy goes from the highest version down, its first record
        // flagged: a power cut before the last one is finished by the next open.
        todo.sort_unstable_by_key(|x| core::cmp::Reverse(x.0));
        let mut whole = version.is_none();
        for (v, to) in todo {
            let h = self.key_entry(id, v).ok_or(Error::LogicBug)?.hdr;
            self.destroy_record(&h, to, whole)?;
            whole = false;
        }
        self.compact(0)?;
        self.verify_destroyed(id, version)
    }

    /// At open, after a power cut stopped a whole-key destroy of key `id` whose flagged
    /// first record (version `top`) committed: destroys the versions below `top` not
    /// yet destroyed (the rest of that destroy; the open then compacts their sealed
    /// keys away).
    pub(super) fn finish_destroy(&mut self, id: u16, top: u16) -> Result<(), Error> {
        let mut todo: heapless::Vec<(u16, KeyState), MAX_VERSIONS> = heapless::Vec::new();
        for e in self.versions(id) {
            let from = usage_check::state_of(&e.hdr)?;
            if e.hdr.kver >= top || from.is_destroyed() {
                continue;
            }
            let to = if from == KeyState::Compromised {
                KeyState::DestroyedCompromised
            } else {
                KeyState::Destroyed
            };
            todo.push((e.hdr.kver, to)).map_err(|_| Error::LogicBug)?;
        }
        todo.sort_unstable_by_key(|x| core::cmp::Reverse(x.0));
        for (v, to) in todo {
            let h = self.key_entry(id, v).ok_or(Error::LogicBug)?.hdr;
            self.destroy_record(&h, to, false)?;
            self.pending_destroy = true;
        }
        Ok(())
    }

    /// Writes the record of version `h` in destroyed state `to`: its metadata, no body;
    /// `whole` flags the first record of a whole-key destroy
    /// ([`super::audit::WHOLE_KEY_DESTROY`]).
    fn destroy_record(&mut self, h: &RecHeader, to: KeyState, whole: bool) -> Result<(), Error> {
        let mut n = *h;
        n.prev_state = h.state;
        n.state = to.code();
        n.event = if KeyState::from_code(h.state).is_some_and(KeyState::is_destroyed) {
            // Destroyed to destroyed-compromised: a revocation for compromise.
            AuditCode::Revoked.code()
        } else {
            AuditCode::Destroyed.code()
        };
        if whole {
            n.event |= WHOLE_KEY_DESTROY;
        }
        self.append(n, Body::None)?;
        Ok(())
    }

    /// Removes the metadata of destroyed key `id` (every version, or one). A version not
    /// destroyed is refused ([`Error::TransitionRefused`]: destroy it first).
    pub fn purge(&mut self, id: u16, version: Option<u16>) -> Result<(), Error> {
        self.check_ok()?;
        let mut todo: heapless::Vec<u16, MAX_VERSIONS> = heapless::Vec::new();
        for e in self.versions(id) {
            if version.is_some_and(|v| v != e.hdr.kver) {
                continue;
            }
            if !usage_check::state_of(&e.hdr)?.is_destroyed() {
                return Err(Error::TransitionRefused);
            }
            todo.push(e.hdr.kver).map_err(|_| Error::LogicBug)?;
        }
        if todo.is_empty() {
            return Err(Error::NotFound);
        }
        for v in todo {
            self.tombstone(id, v)?;
        }
        Ok(())
    }

    fn tombstone(&mut self, id: u16, version: u16) -> Result<(), Error> {
        let mut h = RecHeader::new(Kind::Tombstone);
        h.event = AuditCode::Purged.code();
        h.slot = id;
        h.kver = version;
        self.append(h, Body::None)?;
        Ok(())
    }

    /// Before a new key id is used: refused if the id has a version that is not
    /// destroyed; the metadata of destroyed versions is purged (the id is reused).
    pub(crate) fn claim_id(&mut self, id: u16) -> Result<(), Error> {
        let mut any = false;
        for e in self.versions(id) {
            if !usage_check::state_of(&e.hdr)?.is_destroyed() {
                return Err(Error::AlreadyExists);
            }
            any = true;
        }
        if any {
            self.tombstone(id, 0)?;
        }
        Ok(())
    }

    /// Before a new record of key `id`: if the key's versions or the index are full,
    /// purges destroyed metadata (of this key, then of any key).
    pub(crate) fn make_room(&mut self, id: u16) -> Result<(), Error> {
        let destroyed = |s: &Self, e: &super::Entry| s.is_destroyed_key(e) && (e.hdr.slot == id);
        while self.versions(id).count() >= MAX_VERSIONS {
            let Some(v) = self
                .index
                .iter()
                .filter(|e| destroyed(self, e))
                .map(|e| e.hdr.kver)
                .min()
            else {
                break;
            };
            self.tombstone(id, v)?;
        }
        while self.index.len() >= MAX_ENTRIES {
            let Some((i, v)) = self
                .index
                .iter()
                .find(|e| self.is_destroyed_key(e))
                .map(|e| (e.hdr.slot, e.hdr.kver))
            else {
                break;
            };
            self.tombstone(i, v)?;
        }
        Ok(())
    }

    fn is_destroyed_key(&self, e: &super::Entry) -> bool {
        e.hdr.kind == Kind::Key as u8
            && KeyState::from_code(e.hdr.state).is_some_and(KeyState::is_destroyed)
    }

    /// Deactivates every active version of key `id` whose protect period has ended,
    /// rotating first where its cryptoperiod asks for it (so a new version is active
    /// before the old one stops protecting). A cut in between leaves the old version
    /// active but past its protect period (its producing uses are refused by the period
    /// check) and the next call finishes the job.
    pub(crate) fn enforce_key_periods(&mut self, id: u16) -> Result<(), Error> {
        let epoch = self.epoch();
        loop {
            let due = self
                .versions(id)
                .find(|e| {
                    e.hdr.state == KeyState::Active.code()
                        && usage_check::protect_ended(&e.hdr, epoch)
                })
                .map(|e| e.hdr);
            let Some(h) = due else { return Ok(()) };
            let rotate = super::state::Cryptoperiod::decode(h.period, h.protect, h.process)
                .is_some_and(|p| p.auto_rotate);
            if rotate && self.newest_active(id) == Some(h.kver) {
                self.rotate(id)?;
            }
            self.set_state(id, h.kver, KeyState::Deactivated)?;
        }
    }

    /// [`KeyStore::with_key`] and [`KeyStore::advance_epoch`] apply ended protect periods
    /// as they go; this applies them to every key now (e.g. before reading the
    /// inventory).
    pub fn enforce_cryptoperiods(&mut self) -> Result<(), Error> {
        self.check_ok()?;
        let mut ids: heapless::Vec<u16, MAX_ENTRIES> = heapless::Vec::new();
        for e in self.index.iter() {
            if e.hdr.kind == Kind::Key as u8 && !ids.contains(&e.hdr.slot) {
                ids.push(e.hdr.slot).map_err(|_| Error::LogicBug)?;
            }
        }
        for id in ids {
            self.enforce_key_periods(id)?;
        }
        Ok(())
    }
}
