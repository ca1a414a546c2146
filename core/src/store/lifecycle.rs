//! The key lifecycle: generate, import, use by handle, rotate, revoke, destroy, state
//! records, inventory and audit listing.
use embedded_storage::nor_flash::NorFlash;
use rand_core::TryCryptoRng;

use super::audit::{AuditCode, AuditEvent};
use super::error::Error;
use super::format::*;
use super::inventory::KeyInfo;
use super::journal::{Body, Sink};
use super::{usage_check, Entry, KeyHandle, KeyStore, MAX_ENTRIES, MAX_VERSIONS};
use crate::attributes::{Algorithm, Usage};
use crate::platform::{DeviceSecret, MonotonicCounter};
use crate::secret::SecretBuf;
use zeroize::Zeroize;

impl<F, D, R, C> KeyStore<F, D, R, C>
where
    F: NorFlash,
    D: DeviceSecret,
    R: TryCryptoRng,
    C: MonotonicCounter,
{
    pub(crate) fn check_ok(&self) -> Result<(), Error> {
        if self.broken {
            Err(Error::NeedsReopen)
        } else {
            Ok(())
        }
    }

    pub(crate) fn key_entry(&self, id: u16, version: u16) -> Option<&Entry> {
        self.index
            .iter()
            .find(|e| e.hdr.kind == Kind::Key as u8 && e.hdr.slot == id && e.hdr.kver == version)
    }

    pub(crate) fn versions(&self, id: u16) -> impl Iterator<Item = &Entry> {
        self.index
            .iter()
            .filter(move |e| e.hdr.kind == Kind::Key as u8 && e.hdr.slot == id)
    }

    pub(crate) fn newest_active(&self, id: u16) -> Option<u16> {
        self.versions(id)
            .filter(|e| e.hdr.state == STATE_ACTIVE)
            .map(|e| e.hdr.kver)
            .max()
    }

    pub(crate) fn resolve(&self, h: KeyHandle) -> Result<Entry, Error> {
        let v = match h.version {
            Some(v) => v,
            None => self.newest_active(h.id).ok_or_else(|| {
                if self.versions(h.id).next().is_some() {
                    Error::Revoked
                } else {
                    Error::NotFound
                }
            })?,
        };
        self.key_entry(h.id, v).copied().ok_or(Error::NotFound)
    }

    pub(crate) fn free_entries(&self) -> usize {
        MAX_ENTRIES - self.index.len()
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
        limit: Option<u32>,
        event: AuditCode,
        uses: u32,
    ) -> Result<KeyHandle, Error> {
        self.check_ok()?;
        if key.len() != alg.key_len() || label.len() > MAX_LABEL_LEN || limit == Some(0) {
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
        if self.free_entries() == 0 || self.versions(id).count() >= MAX_VERSIONS {
            return Err(Error::Capacity);
        }
        let mut h = RecHeader::new(Kind::Key);
        h.event = event.code();
        h.alg = alg.code();
        h.slot = id;
        h.kver = kver;
        h.usage = usage.bits();
        h.state = STATE_ACTIVE;
        h.label_len = u8::try_from(label.len()).map_err(|_| Error::BadLength)?;
        if let Some(d) = h.label.get_mut(..label.len()) {
            d.copy_from_slice(label);
        }
        h.limit = limit.unwrap_or(0);
        h.uses = uses;
        h.created = self.next_nonce;
        self.append(h, Body::Plain(key))?;
        Ok(KeyHandle::version(id, kver))
    }

    /// Generates a new key `id` (version 1) from the RNG.
    pub fn generate(
        &mut self,
        id: u16,
        label: &[u8],
        algorithm: Algorithm,
        usage: Usage,
        use_limit: Option<u32>,
    ) -> Result<KeyHandle, Error> {
        if self.versions(id).next().is_some() {
            return Err(Error::AlreadyExists);
        }
        let mut k = SecretBuf::<MAX_KEY_LEN>::new();
        k.set_len(algorithm.key_len()).ok_or(Error::BadLength)?;
        // Fail closed: no key from an RNG that refuses (health test or reseed failed).
        self.rng
            .try_fill_bytes(k.expose_mut())
            .map_err(|_| Error::Rng)?;
        self.store_new(
            id,
            1,
            label,
            algorithm,
            usage,
            k.expose(),
            use_limit,
            AuditCode::Generated,
            0,
        )
    }

    /// Imports a plain key as key `id` (version 1). Also the entry point for TR-31
    /// import: map the key block's header onto `algorithm` and `usage` first.
    pub fn import(
        &mut self,
        id: u16,
        label: &[u8],
        algorithm: Algorithm,
        usage: Usage,
        key: &[u8],
        use_limit: Option<u32>,
    ) -> Result<KeyHandle, Error> {
        if self.versions(id).next().is_some() {
            return Err(Error::AlreadyExists);
        }
        self.store_new(
            id,
            1,
            label,
            algorithm,
            usage,
            key,
            use_limit,
            AuditCode::Imported,
            0,
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn import_event(
        &mut self,
        id: u16,
        label: &[u8],
        algorithm: Algorithm,
        usage: Usage,
        key: &[u8],
        use_limit: Option<u32>,
        event: AuditCode,
    ) -> Result<KeyHandle, Error> {
        if self.versions(id).next().is_some() {
            return Err(Error::AlreadyExists);
        }
        self.store_new(id, 1, label, algorithm, usage, key, use_limit, event, 0)
    }

    /// Rotates key `id`: a new version with a fresh random key and the newest version's
    /// algorithm, label, policy and use limit. Older versions stay usable for decrypt,
    /// unwrap and MAC verification until revoked or destroyed.
    pub fn rotate(&mut self, id: u16) -> Result<KeyHandle, Error> {
        let newest = self
            .versions(id)
            .max_by_key(|e| e.hdr.kver)
            .map(|e| e.hdr)
            .ok_or(Error::NotFound)?;
        let alg = Algorithm::from_code(newest.alg).ok_or(Error::Corrupt)?;
        let usage = Usage::from_bits(newest.usage).ok_or(Error::Corrupt)?;
        let kver = newest.kver.checked_add(1).ok_or(Error::Exhausted)?;
        let mut k = SecretBuf::<MAX_KEY_LEN>::new();
        k.set_len(alg.key_len()).ok_or(Error::BadLength)?;
        // Fail closed: no key from an RNG that refuses (health test or reseed failed).
        self.rng
            .try_fill_bytes(k.expose_mut())
            .map_err(|_| Error::Rng)?;
        let limit = if newest.limit == 0 {
            None
        } else {
            Some(newest.limit)
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
            limit,
            AuditCode::Rotated,
            0,
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
        f(&mut h);
        let src = self.source(e.hdr.kind, e.hdr.slot, e.hdr.kver)?;
        self.append(h, Body::Copy(src))
    }

    /// Revokes one version of key `id`: it can no longer be used for anything (its
    /// metadata stays for the inventory until destroyed).
    pub fn revoke(&mut self, id: u16, version: u16) -> Result<(), Error> {
        self.check_ok()?;
        let e = *self.key_entry(id, version).ok_or(Error::NotFound)?;
        if e.hdr.state == STATE_REVOKED {
            return Ok(());
        }
        self.rewrite(&e, |h| {
            h.state = STATE_REVOKED;
            h.event = AuditCode::Revoked.code();
        })?;
        Ok(())
    }

    /// Destroys key `id` (every version, or one): writes a tombstone, compacts so the
    /// sealed key leaves the flash, then verifies that no record of it remains anywhere on
    /// the flash ([`Error::DestroyVerify`] otherwise).
    pub fn destroy(&mut self, id: u16, version: Option<u16>) -> Result<(), Error> {
        self.check_ok()?;
        let exists = self
            .versions(id)
            .any(|e| version.is_none_or(|v| e.hdr.kver == v));
        if !exists {
            return Err(Error::NotFound);
        }
        let mut h = RecHeader::new(Kind::Tombstone);
        h.event = AuditCode::Destroyed.code();
        h.slot = id;
        h.kver = version.unwrap_or(0);
        self.append(h, Body::None)?;
        self.compact(0)?;
        self.verify_destroyed(id, version)
    }

    /// Checks that no data sector but the current one holds anything and that the current
    /// one holds no authentic record of key `id` (`version`).
    pub(crate) fn verify_destroyed(&mut self, id: u16, version: Option<u16>) -> Result<(), Error> {
        for s in 1..self.sectors {
            if s == self.cur {
                continue;
            }
            let b = self.base(s);
            if !self.region_blank(b, b + self.sector_size)? {
                return Err(Error::DestroyVerify);
            }
        }
        let base = self.base(self.cur);
        let mut off = base + u32f(SECTOR_HDR_LEN);
        while off < self.write_pos {
            let Some(v) = self.read_record(off, self.cur_seq, None, Sink::Discard)? else {
                break;
            };
            let h = v.hdr;
            if h.kind == Kind::Key as u8 && h.slot == id && version.is_none_or(|v| h.kver == v) {
                return Err(Error::DestroyVerify);
            }
            off += u32::from(h.len);
        }
        Ok(())
    }

    /// Runs `f` with the plaintext of the key `handle` if its policy allows `need`.
    ///
    /// Encrypt, wrap, MAC generation and derivation need the newest active version;
    /// decrypt, unwrap and MAC verification accept any active version. A key with a
    /// use-count limit has the use counted durably *before* `f` runs (if the use cannot be
    /// recorded, e.g. [`Error::Full`], the key is not released). The plaintext lives
    /// only in a buffer that is wiped when `f` returns.
    pub fn with_key<T>(
        &mut self,
        handle: KeyHandle,
        need: Usage,
        f: impl FnOnce(&[u8]) -> T,
    ) -> Result<T, Error> {
        self.check_ok()?;
        let e = self.resolve(handle)?;
        let newest = self.newest_active(handle.id) == Some(e.hdr.kver);
        usage_check::check_use(&e.hdr, need, newest)?;
        let e = if e.hdr.limit != 0 {
            self.rewrite(&e, |h| {
                h.uses = h.uses.saturating_add(1);
                h.event = AuditCode::UseCounted.code();
            })?;
            *self
                .key_entry(e.hdr.slot, e.hdr.kver)
                .ok_or(Error::LogicBug)?
        } else {
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
    /// a stored key to [`crate::ops`] or [`crate::tr31`].
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
    pub fn try_with_typed_key<K: crate::key::Role, T, E: From<Error>>(
        &mut self,
        handle: KeyHandle,
        f: impl FnOnce(&crate::key::TypedKey<'_, K>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.with_typed_key(handle, f)?
    }

    /// [`KeyStore::with_key`] for a closure that can fail: `f`'s error and the store's
    /// come back as one error type `E` (any `E: From<Error>`), so the caller writes one
    /// `?` instead of two.
    ///
    /// ```
    /// # #[cfg(feature = "_mock-flash")] {
    /// use keyfort::store::{Error, KeyHandle, KeyStore};
    /// use keyfort::attributes::Usage;
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
    /// fn wrap_under<F, D, R, C>(
    ///     store: &mut KeyStore<F, D, R, C>,
    ///     kek: KeyHandle,
    ///     key: &[u8; 16],
    ///     out: &mut [u8; 24],
    /// ) -> Result<usize, AppError>
    /// where
    ///     F: embedded_storage::nor_flash::NorFlash,
    ///     D: keyfort::platform::DeviceSecret,
    ///     R: rand_core::TryCryptoRng,
    ///     C: keyfort::platform::MonotonicCounter,
    /// {
    ///     store.try_with_key(kek, Usage::WRAP, |kek| {
    ///         let kek = Kek::new(kek).map_err(AppError::Wrap)?;
    ///         kw_wrap(&kek, key, out).map_err(AppError::Wrap)
    ///     })
    /// }
    /// # }
    /// ```
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
            .read_record(
                e.offset,
                self.cur_seq,
                Some(&e.hdr),
                Sink::Ram(k.expose_mut()),
            )?
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
        let exists = self
            .index
            .iter()
            .any(|e| e.hdr.kind == Kind::State as u8 && e.hdr.slot == slot);
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
        let e = *self
            .index
            .iter()
            .find(|e| e.hdr.kind == Kind::State as u8 && e.hdr.slot == slot)
            .ok_or(Error::NotFound)?;
        let n = usize::from(e.hdr.body_len);
        if out.len() < n {
            return Err(Error::BufferTooSmall);
        }
        let dst = out.get_mut(..n).ok_or(Error::BufferTooSmall)?;
        // One read into `out`, verified there, decrypted in place.
        let r = match self.read_record(e.offset, self.cur_seq, Some(&e.hdr), Sink::Ram(dst)) {
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
            .filter_map(|e| KeyInfo::from_header(&e.hdr))
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
        self.sectors
    }
}
