//! Backup export and import under a backup KEK (AES-KWP, RFC 5649), and import of
//! KW/KWP-wrapped keys.
//!
//! A backup blob is `KWP(backup KEK, metadata || key)`: the metadata (magic `KFB3`,
//! algorithm, usage, id, version, use limit, use count, state, cryptoperiod and how much
//! of it is used, the export's record sequence and counter value, the exporting store's
//! id, label) is inside the wrap, so it is authenticated with the key and cannot be
//! re-policied, re-stated, given back its uses or period, or re-dated. Only pre-active,
//! active and deactivated keys whose policy contains [`Usage::EXPORT`] leave the device
//! (the state is checked first: suspended, compromised and destroyed versions are
//! refused with their state's error), and only under a KEK at least as strong as the
//! key ([`Error::KekTooWeak`]). Each export is recorded in the audit log. An import
//! restores the exported state; an epoch-counted cryptoperiod keeps the epochs it had
//! used, counted on from the importing store's epoch.
//!
//! Anti-replay on import into the store that exported the blob (same store id): a blob
//! older than the newest destroy (the store's restore floor, kept in every sector header)
//! or older than the key's current record (used, changed state, destroyed since: a destroyed
//! version's metadata stays, see [`KeyStore::destroy`]) is refused with
//! [`Error::BackupReplayed`]; a key still present and unchanged is
//! [`Error::AlreadyExists`]. The floor is store-wide (one value, no per-key history
//! that could overflow): a blob exported before *any* destroy in this store is refused,
//! also for another key; export again after destroys. The use count comes back as
//! exported, never reset. A blob
//! from another store (another device, or before a tamper wipe: a new salt is a new
//! store) is a migration and is accepted. Without a monotonic counter a rolled-back
//! image also rolls the floor back (see "Rollback").

use super::audit::AuditCode;
use super::error::Error;
use super::format::{Kind, RecHeader, MAX_KEY_LEN, MAX_LABEL_LEN};
use super::journal::Body;
use super::lifecycle::NewMeta;
use super::state::{Cryptoperiod, KeyOptions, KeyState};
use super::{usage_check, KeyHandle, KeyStore};
use crate::attributes::{Algorithm, Usage};
use crate::platform::Platform;
use crate::secret::SecretBuf;
use crate::wrap::{kw_unwrap, kwp_unwrap, kwp_wrap, Kek};

/// Metadata inside the wrap: magic, algorithm, label length, usage, id, version, use
/// limit, uses, state, cryptoperiod byte, export stamp (record sequence and counter
/// value), store id, protect and process periods, period count, epochs used, label.
const META_LEN: usize = 64 + MAX_LABEL_LEN;
const MAGIC: [u8; 4] = *b"KFB3";
/// The largest backup blob: KWP of metadata and a 32-byte key.
pub const MAX_BACKUP_LEN: usize = (META_LEN + MAX_KEY_LEN).div_ceil(8) * 8 + 8;

/// Which key-wrap scheme a wrapped key uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WrapScheme {
    /// AES-KW (RFC 3394, SP 800-38F KW).
    Kw,
    /// AES-KWP (RFC 5649, SP 800-38F KWP).
    Kwp,
}

impl<P: Platform> KeyStore<P> {
    /// Exports key `handle` wrapped under `kek` into `out` (at least
    /// [`MAX_BACKUP_LEN`] bytes); returns the blob length.
    pub fn export_backup(
        &mut self,
        handle: KeyHandle,
        kek: &Kek,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        self.check_ok()?;
        let e = self.resolve(handle)?;
        // The state first, then the policy.
        match usage_check::state_of(&e.hdr)? {
            KeyState::PreActive | KeyState::Active | KeyState::Deactivated => {}
            KeyState::Suspended => return Err(Error::Suspended),
            KeyState::Compromised => return Err(Error::Compromised),
            KeyState::Destroyed | KeyState::DestroyedCompromised => return Err(Error::Destroyed),
        }
        let usage = Usage::from_bits(e.hdr.usage).ok_or(Error::Corrupt)?;
        if !usage.exportable() {
            return Err(Error::NotExportable);
        }
        // The KEK must be at least as strong as the key it protects (SP 800-57).
        let alg = Algorithm::from_code(e.hdr.alg).ok_or(Error::Corrupt)?;
        let kek_bits = u16::try_from(kek.key_len() * 8).unwrap_or(0);
        if kek_bits < alg.strength_bits() {
            return Err(Error::KekTooWeak);
        }
        if out.len() < MAX_BACKUP_LEN {
            return Err(Error::BufferTooSmall);
        }
        // Record the export first: an export that happened is always in the log.
        let mut h = RecHeader::new(Kind::Event);
        h.event = AuditCode::Exported.code();
        h.slot = e.hdr.slot;
        h.kver = e.hdr.kver;
        self.append(h, Body::None)?;
        // The stamp: this export's record sequence (the append allocated it last).
        let stamp = self.journal.next_nonce().wrapping_sub(1);
        let store_id = self.store_id()?;
        // The append may have compacted: look the record up again.
        let e = *self
            .key_entry(e.hdr.slot, e.hdr.kver)
            .ok_or(Error::LogicBug)?;
        let epochs_used = if e.hdr.state == KeyState::PreActive.code() {
            0
        } else {
            self.epoch().saturating_sub(e.hdr.epoch)
        };
        let mut k = SecretBuf::<MAX_KEY_LEN>::new();
        self.read_key(&e, &mut k)?;
        let mut pt = SecretBuf::<{ META_LEN + MAX_KEY_LEN }>::new();
        let n = META_LEN + k.len();
        pt.set_len(n).ok_or(Error::LogicBug)?;
        {
            let p = pt.expose_mut();
            p[0..4].copy_from_slice(&MAGIC);
            p[4] = e.hdr.alg;
            p[5] = e.hdr.label_len;
            p[6..8].copy_from_slice(&e.hdr.usage.to_le_bytes());
            p[8..10].copy_from_slice(&e.hdr.slot.to_le_bytes());
            p[10..12].copy_from_slice(&e.hdr.kver.to_le_bytes());
            p[12..16].copy_from_slice(&e.hdr.limit.to_le_bytes());
            p[16..20].copy_from_slice(&e.hdr.uses.to_le_bytes());
            p[20] = e.hdr.state;
            p[21] = e.hdr.period;
            p[24..28].copy_from_slice(&stamp.to_le_bytes());
            p[28..32].copy_from_slice(&self.rollback.hw().to_le_bytes());
            p[32..40].copy_from_slice(&store_id);
            p[40..44].copy_from_slice(&e.hdr.protect.to_le_bytes());
            p[44..48].copy_from_slice(&e.hdr.process.to_le_bytes());
            p[48..52].copy_from_slice(&e.hdr.period_count.to_le_bytes());
            p[52..56].copy_from_slice(&epochs_used.to_le_bytes());
            p[64..META_LEN].copy_from_slice(&e.hdr.label);
            p[META_LEN..n].copy_from_slice(k.expose());
        }
        kwp_wrap(kek, pt.expose(), out).map_err(|_| Error::Wrap)
    }

    /// Imports a backup blob made by [`KeyStore::export_backup`] (on this or another
    /// device) under `kek`. The key keeps its id, version 1 numbering restarts, and the
    /// policy comes from the authenticated metadata.
    pub fn import_backup(&mut self, kek: &Kek, blob: &[u8]) -> Result<KeyHandle, Error> {
        self.check_ok()?;
        let mut pt = SecretBuf::<{ MAX_BACKUP_LEN }>::new();
        if blob.len() > MAX_BACKUP_LEN {
            return Err(Error::BackupFormat);
        }
        let n = kwp_unwrap(kek, blob, pt.backing_mut()).map_err(|_| Error::Wrap)?;
        pt.set_len(n).ok_or(Error::BackupFormat)?;
        let p = pt.expose();
        if p.len() < META_LEN || p[0..4] != MAGIC {
            return Err(Error::BackupFormat);
        }
        let alg = Algorithm::from_code(p[4]).ok_or(Error::BackupFormat)?;
        let ll = usize::from(p[5]);
        let usage =
            Usage::from_bits(u16::from_le_bytes([p[6], p[7]])).ok_or(Error::BackupFormat)?;
        let id = u16::from_le_bytes([p[8], p[9]]);
        let u32at = |i: usize| u32::from_le_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]]);
        let (limit, uses, stamp) = (u32at(12), u32at(16), u32at(24));
        let state = KeyState::from_code(p[20]).ok_or(Error::BackupFormat)?;
        let period = Cryptoperiod::decode(p[21], u32at(40), u32at(44));
        if ll > MAX_LABEL_LEN
            || p.len() != META_LEN + alg.key_len()
            || !usage.exportable()
            || !matches!(
                state,
                KeyState::PreActive | KeyState::Active | KeyState::Deactivated
            )
            || (p[21] != 0 && !period.is_some_and(|p| p.valid()))
        {
            return Err(Error::BackupFormat);
        }
        let epoch = if state == KeyState::PreActive {
            0
        } else {
            self.epoch().saturating_sub(u32at(52))
        };
        let meta = NewMeta {
            state,
            limit: if limit == 0 { None } else { Some(limit) },
            uses,
            period,
            period_count: u32at(48),
            epoch,
        };
        if p[32..40] == self.store_id()? {
            // Exported by this store: never older than what the store knows.
            let newer_record = self
                .versions(id)
                .any(|e| e.hdr.seq > stamp || e.hdr.created > stamp);
            if stamp < self.journal.floor() || newer_record {
                return Err(Error::BackupReplayed);
            }
        }
        let label = p.get(64..64 + ll).ok_or(Error::BackupFormat)?;
        let key = p.get(META_LEN..).ok_or(Error::BackupFormat)?;
        self.claim_id(id)?;
        self.store_new(
            id,
            1,
            label,
            alg,
            usage,
            key,
            &meta,
            AuditCode::BackupImported,
        )
    }

    /// An 8-byte id of this store (device secret and salt), to tell its own backups
    /// from other stores' and to address epoch messages. Not secret; derived under the
    /// record MAC key.
    pub fn store_id(&mut self) -> Result<[u8; 8], Error> {
        let keys = self.seal.as_mut().ok_or(Error::LogicBug)?;
        let mut m = keys.mac(&mut self.rng)?;
        m.update(b"keyfort/store/v1/backup-store-id");
        let full = m.finalize();
        let mut id = [0u8; 8];
        id.copy_from_slice(&full[..8]);
        Ok(id)
    }

    /// Imports a key wrapped with AES-KW or AES-KWP under `kek` as key `id`.
    #[allow(clippy::too_many_arguments)]
    pub fn import_wrapped(
        &mut self,
        id: u16,
        label: &[u8],
        algorithm: Algorithm,
        usage: Usage,
        kek: &Kek,
        scheme: WrapScheme,
        wrapped: &[u8],
        use_limit: Option<u32>,
    ) -> Result<KeyHandle, Error> {
        let mut k = SecretBuf::<40>::new();
        if wrapped.len() > 48 {
            return Err(Error::BadLength);
        }
        let n = match scheme {
            WrapScheme::Kw => kw_unwrap(kek, wrapped, k.backing_mut()),
            WrapScheme::Kwp => kwp_unwrap(kek, wrapped, k.backing_mut()),
        }
        .map_err(|_| Error::Wrap)?;
        k.set_len(n).ok_or(Error::BadLength)?;
        let opts = KeyOptions {
            use_limit,
            ..KeyOptions::default()
        };
        self.import_event(
            id,
            label,
            algorithm,
            usage,
            k.expose(),
            &opts,
            AuditCode::ImportedWrapped,
        )
    }
}
