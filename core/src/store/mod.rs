//! The sealed key store: the whole key lifecycle on NOR flash, power-fail safe.
//!
//! [`KeyStore`] keeps keys and small secret state blobs sealed (encrypted and
//! authenticated) on any `embedded_storage` [`NorFlash`], under keys derived from the
//! board's [`DeviceSecret`] and a random per-store salt, with a [`TryCryptoRng`] for key
//! generation and masking (it may refuse: see "Sealing"), and a [`MonotonicCounter`] (or
//! [`crate::platform::NoCounter`]) against rollback.
//!
//! ```
//! # #[cfg(feature = "_mock-flash")] {
//! use keyfort::platform::{DeviceSecret, NoCounter};
//! use keyfort::attributes::{Algorithm, Usage};
//! use keyfort::store::{mock_flash::MockFlash, KeyStore};
//!
//! // Test stand-ins for what a board provides (never use them in a product): a fixed
//! // device secret, and a predictable generator (an LCG) where the board has its
//! // hardware entropy behind keyfort's `rng::Csprng`.
//! struct TestDeviceSecret;
//! impl DeviceSecret for TestDeviceSecret {
//!     fn with_secret<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> R {
//!         f(&[7; 32])
//!     }
//! }
//! struct TestRng(u64);
//! impl rand_core::TryRng for TestRng {
//!     type Error = core::convert::Infallible;
//!     fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
//!         Ok((self.try_next_u64()? >> 32) as u32)
//!     }
//!     fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
//!         self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
//!         Ok(self.0)
//!     }
//!     fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
//!         for b in dst {
//!             *b = (self.try_next_u64()? >> 56) as u8;
//!         }
//!         Ok(())
//!     }
//! }
//! impl rand_core::TryCryptoRng for TestRng {}
//!
//! // A RAM NOR flash of 4 sectors of 1 KiB (the test double of feature `_mock-flash`);
//! // on a board, its `NorFlash` driver.
//! let flash = MockFlash::<{ 4 * 1024 }, 1024>::new();
//! let mut store = KeyStore::format(flash, TestDeviceSecret, TestRng(1), NoCounter)?;
//! let h = store.generate(1, b"pin-key", Algorithm::Aes128, Usage::ENCRYPT, None)?;
//! let len = store.with_key(h, Usage::ENCRYPT, |key| key.len())?;
//! assert_eq!(len, 16);
//! // Not allowed by the policy:
//! assert!(store.with_key(h, Usage::EXPORT, |_| ()).is_err());
//! # }
//! # Ok::<(), keyfort::store::Error>(())
//! ```
//!
//! # Manual: design, on-flash format and claims
//!
//! ## Layout
//!
//! The flash is `3 <= n <= 65` erase sectors of equal size (`ERASE_SIZE`, 192 bytes to
//! 64 KiB, a multiple of 16; `WRITE_SIZE` and `READ_SIZE` dividing 16). Sector 0 is the **root**: a header
//! (magic `KFRT`, format version, geometry, tag under the device-only root key) and an
//! array of 80-byte **salt slots** (32-byte random salt, counter value, origin, tag, and a
//! separately programmed *live* block). Sectors `1..n` are **data sectors**; exactly
//! one is *current*. A data sector starts with a 64-byte header (magic `KFLG`, version,
//! sector sequence, counter value, next nonce, salt slot; tag) followed by records.
//!
//! A **record** is a 64-byte header (length and its complement, kind, format version,
//! audit event, algorithm, key id, key version, usage, state, label length, nonce,
//! counter value, creation sequence, use count, use limit, body length, sequence, label),
//! the AES-256-CTR encrypted body padded to 16 bytes, a 16-byte tag
//! `HMAC-SHA256(mac, previous tag || sector sequence || header || ciphertext)` and a
//! 16-byte commit block written last.
//!
//! ## Sealing
//!
//! `PRK = HMAC(salt, device secret)`; `enc = HMAC(PRK, "keyfort/store/v1/enc" || 1)`,
//! `mac = HMAC(PRK, "keyfort/store/v1/mac" || 1)`. Encrypt-then-MAC; the MAC covers the
//! whole header, so a record cannot be moved to another key id or version, re-labelled,
//! re-policied or revived (the state is in the header); the chain through the previous
//! tag and the sector sequence means a record cannot be copied to another place, replayed
//! or dropped from the middle of the log without the scan reporting [`Error::Corrupt`].
//! A record from another device's image does not verify (different device secret and
//! salt; the root sector itself fails with [`Error::RootAuth`]). Flash dumped raw holds
//! ciphertext, tags and metadata (ids, labels, algorithms, policies), never key bytes.
//! `enc` and `mac` are held in RAM as [`crate::secret::Masked`] shares re-randomised on
//! every use.
//!
//! Flash is untrusted until verified, also while the store runs: each record is read
//! once; what is decrypted, or carried into a new record by compaction, revoke or use
//! counting, is the copy that verified (carried unit by unit into the new record and
//! its MAC as it is read, the new tag written only after the old tag verified). A copy
//! whose source fails leaves an untagged, uncommitted record and [`Error::Corrupt`]
//! (`tests/tests/store_runtime_writes.rs`).
//!
//! The generator is a `rand_core::TryCryptoRng`: if it refuses (e.g.
//! [`crate::rng::FailClosed`] after a failed reseed or health test) no key, salt or
//! mask is made and the operation returns [`Error::Rng`]
//! (`tests/tests/store_rng_fail_closed.rs`).
//!
//! ## Rollback
//!
//! Every committed lifecycle record carries `gen = counter + 1` and the counter is
//! incremented after the record commits. On open, the largest `gen` on flash must equal
//! the counter (or counter + 1: the increment was cut off, and is finished). Smaller:
//! [`Error::RolledBack`]. So every lifecycle operation costs one counter increment;
//! choose a counter with enough range. With [`crate::platform::NoCounter`] rollback of
//! the whole image **cannot be detected** (a restored older image is accepted).
//!
//! ## Power-fail safety
//!
//! An operation commits when its record's commit block is programmed. A record with an
//! erased commit block is ignored only if nothing follows it in the sector (a torn write;
//! the sector then takes no more appends), anything else is [`Error::Corrupt`]. A
//! compaction commits with its `SnapEnd` record; the old sector is erased only after.
//! On open the current sector is the one with the highest sequence whose snapshot is
//! complete; an interrupted destroy, counter increment or tamper wipe is finished.
//! The campaign test cuts power at every programmed byte and every erase of a scripted
//! workload and checks this.
//!
//! ## Wear
//!
//! Records are appended; when the current sector is full (or after a torn write or a
//! destroy) the live data is compacted into the next data sector in round-robin order,
//! so erases are spread over all data sectors. The root sector is written only by
//! `format` and tamper wipes.
//!
//! ## Capacities
//!
//! [`MAX_ENTRIES`] key versions plus state records; [`MAX_VERSIONS`] versions per key;
//! keys of at most [`format::MAX_KEY_LEN`] (32) bytes; labels of at most
//! [`format::MAX_LABEL_LEN`] (20) bytes; state blobs of at most
//! [`format::MAX_STATE_LEN`] (1056) bytes; [`audit::AUDIT_CAP`] audit events. All live
//! data (96 + padded body bytes per record, 64-byte sector header, the audit ring)
//! must fit into one sector: a key record is 128 bytes, so a 4 KiB sector holds about
//! 25 key versions next to a full audit ring. A full-size state record takes 1152 bytes: with
//! it, use sectors of 4 KiB (2 KiB sectors leave too little room for the rest).
//!
//! ## Tamper response
//!
//! [`KeyStore::tamper_wipe`]: (1) kill the live salt slot (durable "wipe in progress"),
//! (2) program its salt to zero (from now nothing on flash decrypts), (3) drop the RAM
//! sealing keys and index, (4) erase every data sector, (5) increment the counter, (6)
//! create a new salt slot and an empty store whose audit ring holds a `TamperWipe`
//! event. A cut anywhere after step (1) is finished by the next [`KeyStore::open`],
//! which then returns [`Error::TamperWiped`] (the wipe is reported, never a silent `Ok`
//! with an empty store; open again to use the empty store).
//!
//! Which root-sector states trigger a wipe: each salt slot's 16-byte live block is
//! decoded to the nearest of the three patterns the store programs there (erased,
//! `KFLIVE-SALT-SLOT`, zero; at least 55 bits apart). The newest slot that decodes as live
//! or killed decides: *killed* (at least as near to zero as to the live pattern: a kill
//! that got at least half-way) means a wipe in progress, and only that triggers one.
//! A live block with a few flipped bits still decodes as live; a slot that decodes as
//! erased (a never-used slot with flipped bits, a torn creation) is skipped and never
//! reused. A flipped bit in the root header or a slot's salt, counter value or tag is
//! [`Error::RootAuth`]. A kill cut before it got half-way leaves the store as it was
//! (the wipe had not started). Shown by `tests/tests/store_root_flips.rs` (every bit of
//! the header and the first three slots, before and after a wipe). Time bound:
//! `n - 1` sector erases plus about 300 programmed bytes (plus one root-sector erase when
//! all salt slots are used: that last step is not resumable and leaves the flash
//! unformatted).
//!
//! ## Format compatibility policy
//!
//! The format version byte is in the root header, every sector header and every record.
//! This build reads and writes version 1 only and reports [`Error::FormatVersion`] for
//! anything else; it never rewrites a store of another version. A future version will
//! either read version 1 and migrate it by compaction, or say in its release notes that
//! it does not. The on-flash format is versioned separately from the crate's semver.
//!
//! ## How it is shown
//!
//! * `tests/tests/store_campaign.rs`: a 43-operation workload (generate, import, use,
//!   use-counted use, rotate, revoke, destroy, backup export and restore, state records,
//!   compaction of a full sector, tamper wipe) with power cut at each of its 12,892
//!   programmed bytes and erases, with and without a monotonic counter; after each cut
//!   the store is re-opened and compared with the state before and after the operation
//!   (committed keys lost and corrupted reads must be 0).
//! * `tests/tests/store_security.rs`: raw dump scan, moved / re-labelled / re-policied /
//!   copied / foreign records, rollback, every single-bit flip of an image, truncation.
//! * `tests/tests/store_lifecycle.rs`: policy, rotation, use limits, destroy, backup,
//!   wrapped import, state records, audit ring, tamper wipe cut at every step.
//! * `tests/tests/store_runtime_writes.rs`: flash changed while the store runs (after
//!   open, between verify and use): never resealed, never decrypted.
//! * `tests/tests/store_root_flips.rs`: every bit of the root header and three salt
//!   slots; tamper wipe cut at every step and reported.
//! * `tests/tests/store_rng_fail_closed.rs`: a failing generator makes no key.
//! * `fuzz/fuzz_targets/store.rs`: random operations, power cuts and bit flips.
//! * `tests/benches/store_bench.rs`: operations per second, bytes programmed and sectors
//!   erased per operation.
//!
//! ## Not protected against
//!
//! Rollback without a counter; an attacker who reads RAM while a key is in use (the key
//! is plain inside [`KeyStore::with_key`]'s closure); power/EM side channels; fault
//! injection; a compromised device secret. Metadata (ids, labels, policies, counts) is
//! authenticated but not encrypted.

pub mod audit;
pub mod backup;
mod error;
mod first_boot;
pub mod format;
pub mod inventory;
mod journal;
mod kek_export;
mod kek_import;
mod lifecycle;
#[cfg(any(test, feature = "_mock-flash", feature = "_selftest"))]
#[cfg_attr(docsrs, doc(cfg(feature = "_mock-flash")))]
pub mod mock_flash;
mod root;
pub(crate) mod seal;
mod tamper;
mod usage_check;

#[cfg(feature = "_selftest")]
pub(crate) mod selftest;

pub use audit::{AuditCode, AuditEvent};
pub use error::Error;
pub use inventory::{KeyInfo, KeyState};

use embedded_storage::nor_flash::NorFlash;
use format::*;
use rand_core::TryCryptoRng;
use zeroize::Zeroize;

use crate::platform::{DeviceSecret, MonotonicCounter};

/// Key versions plus state records the store holds.
pub const MAX_ENTRIES: usize = 32;
/// Versions one key id may have at a time (rotate, then destroy old versions).
pub const MAX_VERSIONS: usize = 4;

/// A reference to a stored key: its id, and a version or "the newest active one".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct KeyHandle {
    /// The key id.
    pub id: u16,
    /// A version, or `None` for the newest active version.
    pub version: Option<u16>,
}

impl KeyHandle {
    /// The newest active version of key `id`.
    pub const fn newest(id: u16) -> Self {
        Self { id, version: None }
    }
    /// Version `version` of key `id`.
    pub const fn version(id: u16, version: u16) -> Self {
        Self {
            id,
            version: Some(version),
        }
    }
}

/// One live record in the RAM index (metadata only).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    pub hdr: RecHeader,
    pub offset: u32,
}

/// The sealed key store. See the [module docs](self) for the design and claims.
pub struct KeyStore<F, D, R, C> {
    flash: F,
    dev: D,
    rng: R,
    counter: C,
    keys: Option<seal::SealKeys>,
    sector_size: u32,
    sectors: u32,
    salt_slot: u32,
    cur: u32,
    cur_seq: u32,
    max_seq: u32,
    write_pos: u32,
    closed: bool,
    last_tag: [u8; TAG_LEN],
    next_nonce: u32,
    /// The monotonic counter's value as last read or set (the newest generation).
    counter_high_water: u32,
    max_gen: u32,
    index: heapless::Vec<Entry, MAX_ENTRIES>,
    audit: audit::AuditRing,
    pending_destroy: bool,
    broken: bool,
    /// Backup restore floor (see [`format::SectorHeader::floor`]).
    floor: u32,
}

impl<F, D, R, C> core::fmt::Debug for KeyStore<F, D, R, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyStore")
            .field("sectors", &self.sectors)
            .field("entries", &self.index.len())
            .finish_non_exhaustive()
    }
}

#[allow(clippy::integer_division_remainder_used)] // compile-time layout constants
const _: () = assert!(SLOT_LEN % UNIT == 0 && ROOT_HDR_LEN % UNIT == 0);

impl<F, D, R, C> KeyStore<F, D, R, C>
where
    F: NorFlash,
    D: DeviceSecret,
    R: TryCryptoRng,
    C: MonotonicCounter,
{
    #[allow(clippy::integer_division_remainder_used)] // the flash geometry, public
    fn new(flash: F, dev: D, rng: R, mut counter: C) -> Result<Self, Error> {
        let sector = F::ERASE_SIZE;
        if sector == 0
            || sector > 65536
            || sector % UNIT != 0
            || F::WRITE_SIZE == 0
            || UNIT % F::WRITE_SIZE != 0
            || F::READ_SIZE == 0
            || UNIT % F::READ_SIZE != 0
            || sector < ROOT_HDR_LEN + 2 * SLOT_LEN
        {
            return Err(Error::Geometry);
        }
        let sectors = flash.capacity() / sector;
        if !(3..=65).contains(&sectors) {
            return Err(Error::Geometry);
        }
        let counter_high_water = counter.read().map_err(|_| Error::Counter)?;
        Ok(Self {
            flash,
            dev,
            rng,
            counter,
            keys: None,
            sector_size: u32f(sector),
            sectors: u32::try_from(sectors).map_err(|_| Error::Geometry)?,
            salt_slot: 0,
            cur: 0,
            cur_seq: 0,
            max_seq: 0,
            write_pos: 0,
            closed: true,
            last_tag: [0; TAG_LEN],
            next_nonce: 0,
            counter_high_water,
            max_gen: counter_high_water,
            index: heapless::Vec::new(),
            audit: audit::AuditRing::default(),
            pending_destroy: false,
            broken: false,
            floor: 0,
        })
    }

    /// Factory provisioning: erases the whole flash and creates an empty store with a
    /// fresh salt. Not power-fail safe (a cut leaves the flash unformatted). A firmware
    /// that creates its store on first boot calls [`KeyStore::open_or_format`] instead.
    pub fn format(flash: F, dev: D, rng: R, counter: C) -> Result<Self, Error> {
        let mut s = Self::new(flash, dev, rng, counter)?;
        s.format_in_place()?;
        Ok(s)
    }

    /// Opens the store on `flash`, finishing whatever a power cut interrupted (a torn
    /// record, a compaction, a destroy, a counter increment, a tamper wipe).
    pub fn open(flash: F, dev: D, rng: R, counter: C) -> Result<Self, Error> {
        let mut s = Self::new(flash, dev, rng, counter)?;
        s.open_existing()?;
        Ok(s)
    }

    /// [`KeyStore::open`], opening the store in `slot` (set on success, `None` on any
    /// error). For small stacks: the store (a few KiB) is built in place, not returned
    /// by value through results (each a copy on the caller's stack).
    pub fn open_in(
        slot: &mut Option<Self>,
        flash: F,
        dev: D,
        rng: R,
        counter: C,
    ) -> Result<(), Error> {
        *slot = None;
        let s = slot.insert(Self::new(flash, dev, rng, counter)?);
        let r = s.open_existing();
        if r.is_err() {
            *slot = None;
        }
        r
    }

    /// The second half of [`KeyStore::open`]: reads the root sector and loads (or
    /// finishes wiping) the store.
    fn open_existing(&mut self) -> Result<(), Error> {
        match self.read_root()? {
            root::RootState::Unformatted => Err(Error::NotFormatted),
            root::RootState::Wiping { killed, next } => {
                self.finish_wipe(killed, next)?;
                Err(Error::TamperWiped)
            }
            root::RootState::Live {
                slot,
                mut salt,
                gen,
                origin,
            } => {
                let keys = seal::SealKeys::derive(&self.dev, &salt, &mut self.rng);
                salt.zeroize();
                self.keys = Some(keys?);
                self.salt_slot = slot;
                self.load(gen, origin)
            }
        }
    }

    /// Finds the current data sector and loads it.
    fn load(&mut self, slot_gen: u32, origin: u8) -> Result<(), Error> {
        // Authentic sector headers, highest sequence first.
        let mut hdrs: heapless::Vec<(u32, SectorHeader, [u8; TAG_LEN]), 64> = heapless::Vec::new();
        for i in 1..self.sectors {
            if let Some((h, t)) = self.read_sector_header(i)? {
                if h.version != FORMAT_VERSION {
                    return Err(Error::FormatVersion);
                }
                if h.salt_slot != self.salt_slot {
                    continue;
                }
                self.max_seq = self.max_seq.max(h.seq);
                hdrs.push((i, h, t)).map_err(|_| Error::Geometry)?;
            }
        }
        hdrs.sort_unstable_by_key(|h| core::cmp::Reverse(h.1.seq));
        let mut found = false;
        for (i, h, t) in hdrs.iter() {
            self.index.clear();
            self.audit.clear();
            let sc = self.scan_sector(*i, h, *t)?;
            if !sc.complete {
                continue;
            }
            self.cur = *i;
            self.cur_seq = h.seq;
            self.write_pos = sc.end;
            self.closed = sc.closed;
            self.last_tag = sc.last_tag;
            self.next_nonce = sc.max_nonce;
            self.max_gen = sc.max_gen;
            self.pending_destroy = sc.pending_destroy;
            found = true;
            break;
        }
        if !found {
            self.index.clear();
            self.audit.clear();
            if slot_gen != self.counter_high_water {
                return Err(Error::MissingData);
            }
            self.init_empty(origin)?;
            // A slot made by a wipe with no data yet: this open did the wipe's last step.
            return if origin == ORIGIN_TAMPER {
                Err(Error::TamperWiped)
            } else {
                Ok(())
            };
        }
        if self.max_gen < self.counter_high_water {
            return Err(Error::RolledBack);
        }
        if self.max_gen > self.counter_high_water.saturating_add(1) {
            return Err(Error::CounterAhead);
        }
        if self.max_gen == self.counter_high_water.saturating_add(1) {
            self.counter_high_water = self.counter.increment().map_err(|_| Error::Counter)?;
        }
        if self.pending_destroy {
            self.compact(0)?;
        }
        Ok(())
    }

    /// Writes the first snapshot of an empty store (after format or wipe).
    pub(crate) fn init_empty(&mut self, origin: u8) -> Result<(), Error> {
        self.index.clear();
        self.audit.clear();
        self.audit.push(AuditEvent {
            code: if origin == ORIGIN_TAMPER {
                AuditCode::TamperWipe
            } else {
                AuditCode::Formatted
            },
            id: 0,
            version: 0,
            seq: 0,
            gen: self.counter_high_water,
        });
        self.cur = 0;
        self.max_gen = self.counter_high_water;
        self.next_nonce = 1;
        self.floor = 0;
        self.compact(0)
    }

    /// Gives the flash back (e.g. to power-cycle it in tests).
    pub fn into_flash(self) -> F {
        self.flash
    }

    /// The flash, read-only.
    pub fn flash(&self) -> &F {
        &self.flash
    }

    /// The flash, writable behind the store's back: for test doubles (planning a power
    /// cut) and diagnostics. Writing through it voids every guarantee until re-open.
    pub fn flash_mut(&mut self) -> &mut F {
        &mut self.flash
    }
}
