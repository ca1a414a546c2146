//! The key lifecycle: generate, import, use by handle, rotate, revoke, destroy, state
//! records, inventory and audit listing.
use rand_core::TryRng;

use super::audit::{AuditCode, AuditEvent};
use super::error::Error;
use super::format::*;
use super::inventory::KeyInfo;
use super::journal::{Body, Sink};
use super::state::{Cryptoperiod, KeyOptions, KeyState};
use super::{usage_check, Entry, KeyHandle, KeyStore, MAX_VERSIONS};
use crate::attributes::{Algorithm, Usage};
use crate::platform::Platform;
use crate::secret::SecretBuf;
use zeroize::Zeroize;

/// The lifecycle metadata of a new key record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NewMeta {
    pub state: KeyState,
    pub limit: Option<u32>,
    pub uses: u32,
    pub period: Option<Cryptoperiod>,
    pub period_count: u32,
    pub epoch: u32,
}

impl<P: Platform> KeyStore<P> {
    pub(crate) fn check_ok(&self) -> Result<(), Error> {
        if self.journal.io.broken {
            Err(Error::NeedsReopen)
        } else {
            Ok(())
        }
    }

    pub(crate) fn key_entry(&self, id: u16, version: u16) -> Option<&Entry> {
        self.index.key(id, version)
    }

    pub(crate) fn versions(&self, id: u16) -> impl Iterator<Item = &Entry> {
        self.index.versions(id)
    }

    pub(crate) fn newest_active(&self, id: u16) -> Option<u16> {
        self.index.newest_active(id)
    }

    /// The version a handle names: its version, or the newest active one (if none is
    /// active, the newest version not destroyed, else the newest version: its state
    /// gives the typed refusal or allows what it still allows).
    pub(crate) fn resolve(&self, h: KeyHandle) -> Result<Entry, Error> {
        let destroyed =
            |e: &&Entry| KeyState::from_code(e.hdr.state).is_none_or(KeyState::is_destroyed);
        let v = match h.version {
            Some(v) => v,
            None => self
                .newest_active(h.id)
                .or_else(|| {
                    self.versions(h.id)
                        .filter(|e| !destroyed(e))
                        .map(|e| e.hdr.kver)
                        .max()
                })
                .or_else(|| self.versions(h.id).map(|e| e.hdr.kver).max())
                .ok_or(Error::NotFound)?,
        };
        self.key_entry(h.id, v).copied().ok_or(Error::NotFound)
    }

    pub(crate) fn free_entries(&self) -> usize {
        self.index.free()
    }

    /// The store's cryptoperiod epoch (0 until the first epoch message).
    pub fn epoch(&self) -> u32 {
        self.index
            .iter()
            .find(|e| e.hdr.kind == Kind::Epoch as u8)
            .map_or(0, |e| e.hdr.epoch)
    }

    /// Stores a new key record (version `kver`) from plaintext `key`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn store_new(
        &mut self,
        id: u16,
        kver: u16,
        label: &[u8],
        alg: Algorithm,
        usage: Usage,
        key: &[u8],
        meta: &NewMeta,
        event: AuditCode,
    ) -> Result<KeyHandle, Error> {
        self.check_ok()?;
        if key.len() != alg.key_len() || label.len() > MAX_LABEL_LEN || meta.limit == Some(0) {
            return Err(Error::BadLength);
        }
        if usage.purpose().is_none() {
            return Err(Error::InvalidUsage);
        }
        // TDES keys are rated by what they are (as TR-31 import rates them): none that
        // collapses to single DES, none 2-key under a 3-key label.
        if matches!(alg, Algorithm::Tdes2 | Algorithm::Tdes3) {
            let bits = crate::block::tdes_strength_bits(key).map_err(|_| Error::DegenerateKey)?;
            if bits != alg.strength_bits() {
                return Err(Error::DegenerateKey);
            }
        }
        if meta.period.is_some_and(|p| !p.valid()) {
            return Err(Error::BadCryptoperiod);
        }
        self.make_room(id)?;
        if self.free_entries() == 0 || self.versions(id).count() >= MAX_VERSIONS {
            return Err(Error::Capacity);
        }
        let mut h = RecHeader::new(Kind::Key);
        h.event = event.code();
        h.alg = alg.code();
        h.slot = id;
        h.kver = kver;
        h.usage = usage.bits();
        h.state = meta.state.code();
        h.label_len = u8::try_from(label.len()).map_err(|_| Error::BadLength)?;
        if let Some(d) = h.label.get_mut(..label.len()) {
            d.copy_from_slice(label);
        }
        h.limit = meta.limit.unwrap_or(0);
        h.uses = meta.uses;
        if let Some(p) = meta.period {
            h.period = p.encode();
            h.protect = p.protect;
            h.process = p.process;
        }
        h.period_count = meta.period_count;
        h.epoch = meta.epoch;
        h.created = self.journal.next_nonce();
        self.append(h, Body::Plain(key))?;
        Ok(KeyHandle::version(id, kver))
    }

    /// The metadata of a new key from `opts` (active now, or pre-active).
    fn new_meta(&self, opts: &KeyOptions) -> NewMeta {
        NewMeta {
            state: if opts.pre_active {
                KeyState::PreActive
            } else {
                KeyState::Active
            },
            limit: opts.use_limit,
            uses: 0,
            period: opts.cryptoperiod,
            period_count: 0,
            epoch: if opts.pre_active { 0 } else { self.epoch() },
        }
    }

    /// Generates a new active key `id` (version 1) from the RNG.
    pub fn generate(
        &mut self,
        id: u16,
        label: &[u8],
        algorithm: Algorithm,
        usage: Usage,
        use_limit: Option<u32>,
    ) -> Result<KeyHandle, Error> {
        let opts = KeyOptions {
            use_limit,
            ..KeyOptions::default()
        };
        self.generate_with(id, label, algorithm, usage, &opts)
    }

    /// Generates a new key `id` (version 1) from the RNG, with a cryptoperiod and/or
    /// pre-active (see [`KeyOptions`]).
    pub fn generate_with(
        &mut self,
        id: u16,
        label: &[u8],
        algorithm: Algorithm,
        usage: Usage,
        opts: &KeyOptions,
    ) -> Result<KeyHandle, Error> {
        self.check_ok()?;
        self.claim_id(id)?;
        let mut k = SecretBuf::<MAX_KEY_LEN>::new();
        k.set_len(algorithm.key_len()).ok_or(Error::BadLength)?;
        // Fail closed: no key from an RNG that refuses (health test or reseed failed).
        self.rng
            .try_fill_bytes(k.expose_mut())
            .map_err(|_| Error::Rng)?;
        let meta = self.new_meta(opts);
        self.store_new(
            id,
            1,
            label,
            algorithm,
            usage,
            k.expose(),
            &meta,
            AuditCode::Generated,
        )
    }

    /// Imports a plain key as active key `id` (version 1). Also the entry point for
    /// TR-31 import: map the key block's header onto `algorithm` and `usage` first.
    pub fn import(
        &mut self,
        id: u16,
        label: &[u8],
        algorithm: Algorithm,
        usage: Usage,
        key: &[u8],
        use_limit: Option<u32>,
    ) -> Result<KeyHandle, Error> {
        let opts = KeyOptions {
            use_limit,
            ..KeyOptions::default()
        };
        self.import_event(id, label, algorithm, usage, key, &opts, AuditCode::Imported)
    }

    /// Imports a plain key as key `id` (version 1), with a cryptoperiod and/or
    /// pre-active (see [`KeyOptions`]).
    pub fn import_with(
        &mut self,
        id: u16,
        label: &[u8],
        algorithm: Algorithm,
        usage: Usage,
        key: &[u8],
        opts: &KeyOptions,
    ) -> Result<KeyHandle, Error> {
        self.import_event(id, label, algorithm, usage, key, opts, AuditCode::Imported)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn import_event(
        &mut self,
        id: u16,
        label: &[u8],
        algorithm: Algorithm,
        usage: Usage,
        key: &[u8],
        opts: &KeyOptions,
        event: AuditCode,
    ) -> Result<KeyHandle, Error> {
        self.check_ok()?;
        self.claim_id(id)?;
        let meta = self.new_meta(opts);
        self.store_new(id, 1, label, algorithm, usage, key, &meta, event)
    }

    /// Rotates key `id`: a new active version with a fresh random key and the newest
    /// version's algorithm, label, policy, use limit and cryptoperiod (counted afresh
    /// from now). Older versions keep their states: an active older version is usable
    /// for decrypt, unwrap and MAC verification only (not the newest).
    pub fn rotate(&mut self, id: u16) -> Result<KeyHandle, Error> {
        self.check_ok()?;
        let newest = self
            .versions(id)
            .max_by_key(|e| e.hdr.kver)
            .map(|e| e.hdr)
            .ok_or(Error::NotFound)?;
        if self
            .versions(id)
            .all(|e| KeyState::from_code(e.hdr.state).is_some_and(KeyState::is_destroyed))
        {
            return Err(Error::Destroyed);
        }
        let alg = Algorithm::from_code(newest.alg).ok_or(Error::Corrupt)?;
        let usage = Usage::from_bits(newest.usage).ok_or(Error::Corrupt)?;
        let kver = newest.kver.checked_add(1).ok_or(Error::Exhausted)?;
        let mut k = SecretBuf::<MAX_KEY_LEN>::new();
        k.set_len(alg.key_len()).ok_or(Error::BadLength)?;
        // Fail closed: no key from an RNG that refuses (health test or reseed failed).
        self.rng
            .try_fill_bytes(k.expose_mut())
            .map_err(|_| Error::Rng)?;
        let meta = NewMeta {
            state: KeyState::Active,
            limit: if newest.limit == 0 {
                None
            } else {
                Some(newest.limit)
            },
            uses: 0,
            period: Cryptoperiod::decode(newest.period, newest.protect, newest.process),
            period_count: 0,
            epoch: self.epoch(),
        };
        let label = newest.label;
        let ll = usize::from(newest.label_len);
        self.store_new(
            id,
            kver,
            label.get(..ll).unwrap_or(&[]),
            alg,
            usage,
            k.expose(),
            &meta,
            AuditCode::Rotated,
        )
    }

    /// Rewrites a key record with a changed header, keeping its ciphertext (carried over
    /// only from a read that verified, see [`Body::Copy`]).
    pub(crate) fn rewrite(
        &mut self,
        e: &Entry,
        f: impl FnOnce(&mut RecHeader),
    ) -> Result<u32, Error> {
        let mut h = e.hdr;
        h.prev_state = e.hdr.state;
        f(&mut h);
        let src = self.source(e.hdr.kind, e.hdr.slot, e.hdr.kver)?;
        self.append(h, Body::Copy(src))
    }

    /// Checks that no data sector but the current one holds anything and that the current
    /// one holds no authentic record of key `id` (`version`) with key material.
    pub(crate) fn verify_destroyed(&mut self, id: u16, version: Option<u16>) -> Result<(), Error> {
        let cur = self.journal.cur();
        for s in 1..self.journal.io.count() {
            if s == cur {
                continue;
            }
            if !self.journal.io.sector_blank(s)? {
                return Err(Error::DestroyVerify);
            }
        }
        let mut off = self.journal.io.base(cur) + u32f(SECTOR_HDR_LEN);
        while off < self.journal.write_pos() {
            let Some(v) = self.read_record(off, None, Sink::Discard)? else {
                break;
            };
            let h = v.hdr;
            if h.kind == Kind::Key as u8
                && h.body_len != 0
                && h.slot == id
                && version.is_none_or(|v| h.kver == v)
            {
                return Err(Error::DestroyVerify);
            }
            off += u32::from(h.len);
        }
        Ok(())
    }

    /// Runs `f` with the plaintext of the key `handle` if its state, policy and
    /// cryptoperiod allow `need` (checked in that order, a typed error per refusal).
    ///
    /// Encrypt, wrap, MAC generation and derivation need the newest active version;
    /// decrypt, unwrap and MAC verification accept any active or deactivated version
    /// (see [`KeyState`]). A compromised version is refused ([`Error::Compromised`]:
    /// use [`KeyStore::with_compromised_key`]). A version whose protect period has ended
    /// is deactivated first (and its key rotated, if its cryptoperiod asks for it). A
    /// key with a use-count limit or a use-counted cryptoperiod has the use counted
    /// durably *before* `f` runs (if the use cannot be recorded, e.g. [`Error::Full`],
    /// the key is not released). The plaintext lives only in a buffer that is wiped
    /// when `f` returns.
    pub fn with_key<T>(
        &mut self,
        handle: KeyHandle,
        need: Usage,
        f: impl FnOnce(&[u8]) -> T,
    ) -> Result<T, Error> {
        self.use_key(handle, need, false, f)
    }

    /// [`KeyStore::with_key`] with the explicit opt-in to use a compromised version, for
    /// decrypt and MAC verification only (SP 800-57 Pt1 Rev5 §7.5); every such use is
    /// recorded in the audit log ([`AuditCode::CompromisedUse`]) before the key is
    /// released. Other states behave as in [`KeyStore::with_key`].
    pub fn with_compromised_key<T>(
        &mut self,
        handle: KeyHandle,
        need: Usage,
        f: impl FnOnce(&[u8]) -> T,
    ) -> Result<T, Error> {
        self.use_key(handle, need, true, f)
    }

    fn use_key<T>(
        &mut self,
        handle: KeyHandle,
        need: Usage,
        opt_in: bool,
        f: impl FnOnce(&[u8]) -> T,
    ) -> Result<T, Error> {
        self.check_ok()?;
        self.enforce_key_periods(handle.id)?;
        let e = self.resolve(handle)?;
        // State first, then the usage policy, then the cryptoperiod.
        usage_check::check_state(&e.hdr, need, opt_in)?;
        let newest = self.newest_active(handle.id) == Some(e.hdr.kver);
        usage_check::check_use(&e.hdr, need, newest)?;
        usage_check::check_period(&e.hdr, need, self.epoch())?;
        let compromised = usage_check::state_of(&e.hdr)? == KeyState::Compromised;
        let count_use = e.hdr.limit != 0;
        let count_period = usage_check::counts_for_period(&e.hdr, need);
        let e = if count_use || count_period {
            self.rewrite(&e, |h| {
                if count_use {
                    h.uses = h.uses.saturating_add(1);
                }
                if count_period {
                    h.period_count = h.period_count.saturating_add(1);
                }
                h.event = if compromised {
                    AuditCode::CompromisedUse.code()
                } else {
                    AuditCode::UseCounted.code()
                };
            })?;
            *self
                .key_entry(e.hdr.slot, e.hdr.kver)
                .ok_or(Error::LogicBug)?
        } else if compromised {
            let mut h = RecHeader::new(Kind::Event);
            h.event = AuditCode::CompromisedUse.code();
            h.slot = e.hdr.slot;
            h.kver = e.hdr.kver;
            h.prev_state = e.hdr.state;
            h.state = e.hdr.state;
            self.append(h, Body::None)?;
            // The append may have compacted: look the record up again.
            *self
                .key_entry(e.hdr.slot, e.hdr.kver)
                .ok_or(Error::LogicBug)?
        } else {
            // Nothing written since `resolve`: its entry is current.
            e
        };
        let mut k = SecretBuf::<MAX_KEY_LEN>::new();
        self.read_key(&e, &mut k)?;
        Ok(f(k.expose()))
    }

    /// Runs `f` with the key `handle` admitted for the role `K`
    /// ([`crate::key::TypedKey`]): the store's use check with `K`'s usage (purpose and
    /// mode, newest version, use limit: as [`KeyStore::with_key`]), then the holder's
    /// checks with the stored algorithm ([`Error::KeyAlgorithm`] if the role does not
    /// take it, [`Error::DegenerateKey`] for a TDES key that collapses). The way to hand
    /// a stored key to [`crate::transaction`] or [`crate::tr31`].
    pub fn with_typed_key<K: crate::key::Role, T>(
        &mut self,
        handle: KeyHandle,
        f: impl FnOnce(&crate::key::TypedKey<'_, K>) -> T,
    ) -> Result<T, Error> {
        let hdr = self.resolve(handle)?.hdr;
        let alg = Algorithm::from_code(hdr.alg).ok_or(Error::Corrupt)?;
        // Before the use is counted: a key of another purpose or mode, or of an
        // algorithm the role cannot take, is not used.
        let usage = Usage::from_bits(hdr.usage).ok_or(Error::Corrupt)?;
        if !usage.permits(K::NEED) {
            return Err(Error::UsageDenied);
        }
        if !K::algorithm_ok(alg) {
            return Err(Error::KeyAlgorithm);
        }
        self.with_key(handle, K::NEED, |key| {
            crate::key::TypedKey::<K>::new(key, alg, K::NEED)
                .map(|k| f(&k))
                .map_err(Error::from)
        })?
    }

    /// [`KeyStore::with_typed_key`] for a closure that can fail, as
    /// [`KeyStore::try_with_key`].
    ///
    /// ```
    /// use keyfort::store::{Error, KeyHandle, KeyStore};
    /// use keyfort::key::KeyWrap;
    /// use keyfort::wrap::{kw_wrap, Kek, WrapError};
    ///
    /// #[derive(Debug)]
    /// enum AppError {
    ///     Store(Error),
    ///     Wrap(WrapError),
    /// }
    /// impl From<Error> for AppError {
    ///     fn from(e: Error) -> Self {
    ///         Self::Store(e)
    ///     }
    /// }
    ///
    /// fn wrap_under<P: keyfort::platform::Platform>(
    ///     store: &mut KeyStore<P>,
    ///     kek: KeyHandle,
    ///     key: &[u8; 16],
    ///     out: &mut [u8; 24],
    /// ) -> Result<usize, AppError> {
    ///     store.try_with_typed_key::<KeyWrap, _, _>(kek, |kek| {
    ///         let kek = Kek::new(kek).map_err(AppError::Wrap)?;
    ///         kw_wrap(&kek, key, out).map_err(AppError::Wrap)
    ///     })
    /// }
    /// ```
    pub fn try_with_typed_key<K: crate::key::Role, T, E: From<Error>>(
        &mut self,
        handle: KeyHandle,
        f: impl FnOnce(&crate::key::TypedKey<'_, K>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.with_typed_key(handle, f)?
    }

    /// [`KeyStore::with_key`] for a closure that can fail: `f`'s error and the store's
    /// come back as one error type `E` (any `E: From<Error>`), so the caller writes one
    /// `?` instead of two (an example: [`KeyStore::try_with_typed_key`]).
    pub fn try_with_key<T, E: From<Error>>(
        &mut self,
        handle: KeyHandle,
        need: Usage,
        f: impl FnOnce(&[u8]) -> Result<T, E>,
    ) -> Result<T, E> {
        self.with_key(handle, need, f)?
    }

    /// Reads the record of `e` from flash once, verifies that copy and decrypts it into
    /// `k` (nothing is read from flash after the check).
    pub(crate) fn read_key(
        &mut self,
        e: &Entry,
        k: &mut SecretBuf<MAX_KEY_LEN>,
    ) -> Result<(), Error> {
        let alg = Algorithm::from_code(e.hdr.alg).ok_or(Error::Corrupt)?;
        if usize::from(e.hdr.body_len) != alg.key_len() {
            return Err(Error::Corrupt);
        }
        k.set_len(alg.key_len()).ok_or(Error::Corrupt)?;
        let v = self
            .read_record(e.offset, Some(&e.hdr), Sink::Ram(k.expose_mut()))?
            .ok_or(Error::Corrupt)?;
        self.decrypt_in_place(&v.hdr, k.expose_mut())
    }

    /// Seals `data` (1 to [`super::format::MAX_STATE_LEN`] bytes) as state record `slot`,
    /// replacing the previous one atomically. When this returns `Ok` the state is durable.
    pub fn put_state(&mut self, slot: u16, data: &[u8]) -> Result<(), Error> {
        self.check_ok()?;
        if data.is_empty() || data.len() > MAX_STATE_LEN {
            return Err(Error::BadLength);
        }
        let exists = self.index.state(slot).is_some();
        if !exists && self.free_entries() == 0 {
            return Err(Error::Capacity);
        }
        let mut h = RecHeader::new(Kind::State);
        h.event = AuditCode::StatePut.code();
        h.slot = slot;
        self.append(h, Body::Plain(data))?;
        Ok(())
    }

    /// Reads state record `slot` into `out`; returns its length. On any error `out` holds
    /// nothing of the state.
    pub fn get_state(&mut self, slot: u16, out: &mut [u8]) -> Result<usize, Error> {
        self.check_ok()?;
        let e = *self.index.state(slot).ok_or(Error::NotFound)?;
        let n = usize::from(e.hdr.body_len);
        if out.len() < n {
            return Err(Error::BufferTooSmall);
        }
        let dst = out.get_mut(..n).ok_or(Error::BufferTooSmall)?;
        // One read into `out`, verified there, decrypted in place.
        let r = match self.read_record(e.offset, Some(&e.hdr), Sink::Ram(dst)) {
            Ok(Some(v)) => match out.get_mut(..n) {
                Some(d) => self.decrypt_in_place(&v.hdr, d),
                None => Err(Error::LogicBug),
            },
            Ok(None) => Err(Error::Corrupt),
            Err(e) => Err(e),
        };
        if r.is_err() {
            if let Some(d) = out.get_mut(..n) {
                d.zeroize();
            }
        }
        r.map(|()| n)
    }

    /// Every key version, by metadata only.
    pub fn inventory(&self) -> impl Iterator<Item = KeyInfo> + '_ {
        self.index
            .iter()
            .filter(|e| e.hdr.kind == Kind::Key as u8)
            .filter_map(move |e| KeyInfo::from_header(&e.hdr, self.epoch()))
    }

    /// The state records: `(slot, length)` of each.
    pub fn states(&self) -> impl Iterator<Item = (u16, usize)> + '_ {
        self.index
            .iter()
            .filter(|e| e.hdr.kind == Kind::State as u8)
            .map(|e| (e.hdr.slot, usize::from(e.hdr.body_len)))
    }

    /// The audit ring, oldest event first.
    pub fn audit(&self) -> impl Iterator<Item = AuditEvent> + '_ {
        self.audit.iter().copied()
    }

    /// Sectors of the flash (root included).
    pub fn sector_count(&self) -> u32 {
        self.journal.io.count()
    }
}
