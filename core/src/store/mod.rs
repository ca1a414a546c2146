//! The sealed key store: the whole key lifecycle on NOR flash, power-fail safe.
//!
//! [`KeyStore`] keeps keys and small secret state blobs sealed (encrypted and
//! authenticated) on any `embedded_storage` [`MultiwriteNorFlash`](embedded_storage::nor_flash::MultiwriteNorFlash), under keys derived from the
//! board's [`DeviceSecret`](crate::platform::DeviceSecret) and a random per-store salt, with a [`TryCryptoRng`](rand_core::TryCryptoRng) for key
//! generation and masking (it may refuse: see "Sealing"), and a [`MonotonicCounter`](crate::platform::MonotonicCounter) (or
//! [`crate::platform::NoCounter`]) against rollback.
//!
//! ```
//! use keyfort::platform::{DeviceSecret, NoCounter};
//! use keyfort::attributes::{Algorithm, Usage};
//! use keyfort::store::KeyStore;
//! use keyfort_testkit::MockFlash;
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
//! // A RAM NOR flash of 4 sectors of 1 KiB (the test double of keyfort's repository,
//! // crate `keyfort-testkit`, not published); on a board, its `NorFlash` driver.
//! let flash = MockFlash::<{ 4 * 1024 }, 1024>::new();
//! let mut store = KeyStore::format((flash, TestDeviceSecret, TestRng(1), NoCounter))?;
//! let h = store.generate(1, b"pin-key", Algorithm::Aes128, Usage::ENCRYPT, None)?;
//! let len = store.with_key(h, Usage::ENCRYPT, |key| key.len())?;
//! assert_eq!(len, 16);
//! // Not allowed by the policy:
//! assert!(store.with_key(h, Usage::EXPORT, |_| ()).is_err());
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
//! A **record** is an 80-byte header (length and its complement, kind, format version,
//! audit event, algorithm, key id, key version, usage, state, label length, nonce,
//! counter value, creation sequence, use count, use limit, body length, state before,
//! cryptoperiod unit, sequence, label, protect and process period, period count, epoch),
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
//! Every record carries a counter value `gen`; so does every sector header. The counter
//! has a budget (`rollback::steps_counter`): a record that **steps** it carries
//! `counter + 1` and the counter is incremented after the record commits; the others
//! are **chained** under the current value (each record's tag covers the previous tag,
//! so they can only be dropped from the end, never from the middle). Steps: every
//! compaction (format, destroy and a full sector included), the first record written
//! after each open, and security events: revoke, destroy, rotate, a counted use of a
//! use-limited key, tamper wipe. Chained: generate, import, backup import and export,
//! state writes (one per DUKPT transaction). On open the largest `gen` on flash must
//! equal the counter (or counter + 1: the step was cut off, and is finished); smaller
//! is [`Error::RolledBack`].
//!
//! **The rollback window**: an attacker who restores an older image of the flash can
//! roll back exactly the records written since the last counter step, and nothing
//! before it. Those are chained records written in one session (between an open and
//! the next step), all in one sector: at most a sector's worth. So they can undo state
//! writes (a DUKPT terminal's state goes back by at most the transactions since the
//! session's first write or the last compaction: it re-derives keys it already used;
//! the host sees a KSN again), make a generated or imported key disappear, or hide an
//! export from the audit ring. They cannot bring back a revoked or destroyed key, give
//! back counted uses, undo a rotation or a tamper wipe, or restore an image from before
//! the last compaction or from an earlier session once the current one has written
//! (`tests/tests/store_counter_budget.rs`: `restoring_an_image_from_before_a_security_event_is_detected`,
//! `state_writes_since_the_last_step_are_the_window`, `a_compaction_closes_the_window`;
//! `tests/tests/store_security.rs`: `truncated_records_give_typed_errors`). After an
//! open, record sequences (the CTR nonces) skip a sector's worth, so a rolled-back store
//! never encrypts a new record under a nonce one of the lost records used
//! (`a_rolled_back_store_never_reuses_a_lost_records_nonce`); the exception, as before
//! the budget, is a stepping record whose step a power cut stopped (the next open
//! finishes the step unless the image was restored first).
//!
//! Counter steps per operation are printed by the store benchmark and checked by
//! `counter_steps_per_operation_are_as_budgeted` (8 sectors of 4 KiB): 0 for a state
//! write except through the compactions it causes (0.05 per 64-byte write, 0.34 per
//! AES-128 DUKPT state at its largest, 536 bytes; about 1 per AES-256 state at its
//! largest, 1048 bytes: a 4 KiB sector holds one such write besides the snapshot, so
//! an AES-256 terminal wants larger sectors), 1 per open that writes, 1 per security
//! event (2 per destroy and tamper wipe: the record and its compaction). With [`crate::platform::NoCounter`] rollback of the whole
//! image **cannot be detected** (a restored older image is accepted).
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
//! data (112 + padded body bytes per record, 64-byte sector header, the audit ring)
//! must fit into one sector: a key record is 144 bytes (a destroyed version's 112), so a
//! 4 KiB sector holds about 22 key versions next to a full audit ring. A full-size state
//! record takes 1168 bytes: with
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
//! ## Key states and cryptoperiods
//!
//! Each key version has a [`KeyState`] (NIST SP 800-57 Pt1 Rev5 §7, KMIP 2.1 §3.29),
//! in its record header; [`state::TRANSITIONS`] is the one table of allowed
//! transitions (with its sources) and [`KeyStore::set_state`] the one operation that
//! moves a version along it (one record, audited with the state before and after).
//! Revocation maps onto the states (see [`state`]). A destroyed version keeps a record
//! without body (its metadata, for the inventory and the audit) and the sealed key is
//! compacted away and verified gone; [`KeyStore::purge`] removes the metadata (as does
//! reusing the id, or a new version that needs the room). Every use checks the state,
//! then the usage policy, then the cryptoperiod ([`Cryptoperiod`], counted in uses,
//! derivations or host epochs: [`epoch`]). Shown by `tests/tests/store_states.rs` and
//! the campaign.
//!
//! ## Format compatibility policy
//!
//! The format version byte is in the root header, every sector header and every record.
//! This build reads and writes version 2 only and reports [`Error::FormatVersion`] for
//! anything else; it never rewrites a store of another version. Version 2 (key states
//! and cryptoperiods: the 80-byte record header) does **not** migrate version 1 images:
//! they are refused with [`Error::FormatVersion`] at the root header
//! (`tests/tests/store_states.rs`, `version_1_images_are_refused`); re-provision, or
//! move keys over with backups exported by the old build's store and imported here
//! after the old build's blob format is converted (not provided). The on-flash format
//! is versioned separately from the crate's semver.
//!
//! ## How it is shown
//!
//! * `tests/tests/store_campaign.rs`: a 75-operation workload (generate, import, use,
//!   use-counted use, rotate, revoke, destroy, backup export and restore, state records,
//!   compaction of a full sector, tamper wipe, every key state transition of
//!   [`state::TRANSITIONS`], a compromised use, an epoch advance that rotates and
//!   deactivates) with power cut at each of its 32,180 programmed bytes and erases, with
//!   and without a monotonic counter; after each cut the store is re-opened and compared
//!   with the state before and after the operation, or between the records of an
//!   operation that writes several (384 cuts land there); committed keys lost and
//!   corrupted reads must be 0 (and are).
//! * `tests/tests/store_security.rs`: raw dump scan, moved / re-labelled / re-policied /
//!   copied / foreign records, rollback, every single-bit flip of an image, truncation.
//! * `tests/tests/store_states.rs`: every operation in every key state, every state
//!   transition, epoch messages (forged, replayed, old), cryptoperiods, backups carrying
//!   states, version 1 images refused.
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
pub mod epoch;
mod error;
mod first_boot;
pub mod format;
pub(crate) mod hmac_sha256;
mod index;
pub mod inventory;
mod journal;
mod kek_export;
mod kek_import;
mod lifecycle;
mod records;
mod rollback;
mod root;
pub(crate) mod seal;
mod sectors;
pub mod state;
mod tamper;
mod transition;
mod usage_check;

pub use audit::{AuditCode, AuditEvent};
pub use error::Error;
pub use inventory::KeyInfo;
pub use state::{Cryptoperiod, KeyOptions, KeyState, PeriodLeft, PeriodUnit, RevocationReason};

pub(crate) use index::Entry;

use format::*;
use zeroize::Zeroize;

use crate::platform::Platform;

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
    /// A version, or `None` for the newest active version (if none is active: the
    /// newest version not destroyed, else the newest; its state then decides).
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

/// The sealed key store on a [`Platform`] (`(flash, device secret, rng, counter)`). See
/// the [module docs](self) for the design and claims.
///
/// Layers (crate-private): `journal::Journal` (sectors, records, append, scan,
/// compaction) over the flash, `root::Root` (salt slots), `seal::Seal` (the sealing
/// keys), `index::Index` (where each live record is) and `rollback::Rollback` (the
/// counter and its budget); the store on top keeps the lifecycle, policy, backup and
/// tamper response.
pub struct KeyStore<P: Platform> {
    journal: journal::Journal<P::Flash>,
    root: root::Root,
    seal: Option<seal::Seal>,
    index: index::Index,
    audit: audit::AuditRing,
    rollback: rollback::Rollback<P::Counter>,
    dev: P::Secret,
    rng: P::Rng,
    /// A tombstone whose compaction has not run yet (finished on open).
    pending_destroy: bool,
}

impl<P: Platform> core::fmt::Debug for KeyStore<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyStore")
            .field("sectors", &self.journal.io.count())
            .field("entries", &self.index.len())
            .finish_non_exhaustive()
    }
}

#[allow(clippy::integer_division_remainder_used)] // compile-time layout constants
const _: () = assert!(SLOT_LEN % UNIT == 0 && ROOT_HDR_LEN % UNIT == 0);

impl<P: Platform> KeyStore<P> {
    fn new(platform: P) -> Result<Self, Error> {
        let (flash, dev, rng, counter) = platform.into_parts();
        let io = sectors::Sectors::new(flash)?;
        let rollback = rollback::Rollback::new(counter)?;
        let mut journal = journal::Journal::new(io);
        journal.reset(rollback.hw());
        Ok(Self {
            journal,
            root: root::Root::default(),
            seal: None,
            index: index::Index::default(),
            audit: audit::AuditRing::default(),
            rollback,
            dev,
            rng,
            pending_destroy: false,
        })
    }

    /// Factory provisioning: erases the whole flash and creates an empty store with a
    /// fresh salt. Not power-fail safe (a cut leaves the flash unformatted). A firmware
    /// that creates its store on first boot calls [`KeyStore::open_or_format`] instead.
    pub fn format(platform: P) -> Result<Self, Error> {
        let mut s = Self::new(platform)?;
        s.format_in_place()?;
        Ok(s)
    }

    /// Builds a new store into `slot` in a frame of its own (never inlined): the
    /// store-sized temporary is gone from the stack before the caller goes on to open or
    /// format, which goes deep (a micro:bit's whole RAM is 16 KiB).
    #[inline(never)]
    pub(super) fn place(slot: &mut Option<Self>, platform: P) -> Result<&mut Self, Error> {
        *slot = None;
        Ok(slot.insert(Self::new(platform)?))
    }

    /// [`KeyStore::format`], formatting into `slot` (set on success, `None` on any
    /// error): built in place, as [`KeyStore::open_in`] does, for small stacks.
    pub fn format_in(slot: &mut Option<Self>, platform: P) -> Result<(), Error> {
        let s = Self::place(slot, platform)?;
        let r = s.format_in_place();
        if r.is_err() {
            *slot = None;
        }
        r
    }

    /// Opens the store on the platform's flash, finishing whatever a power cut
    /// interrupted (a torn record, a compaction, a destroy, a counter increment, a
    /// tamper wipe).
    pub fn open(platform: P) -> Result<Self, Error> {
        let mut s = Self::new(platform)?;
        s.open_existing()?;
        Ok(s)
    }

    /// [`KeyStore::open`], opening the store in `slot` (set on success, `None` on any
    /// error). For small stacks: the store (a few KiB) is built in place, not returned
    /// by value through results (each a copy on the caller's stack).
    pub fn open_in(slot: &mut Option<Self>, platform: P) -> Result<(), Error> {
        let s = Self::place(slot, platform)?;
        let r = s.open_existing();
        if r.is_err() {
            *slot = None;
        }
        r
    }

    /// The second half of [`KeyStore::open`]: reads the root sector and loads (or
    /// finishes wiping) the store.
    fn open_existing(&mut self) -> Result<(), Error> {
        match root::Root::read(&mut self.journal.io, &self.dev)? {
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
                let keys = seal::Seal::derive(&self.dev, &salt, &mut self.rng);
                salt.zeroize();
                self.seal = Some(keys?);
                self.root.slot = slot;
                self.load(gen, origin)
            }
        }
    }

    /// Gives the flash back (e.g. to power-cycle it in tests).
    pub fn into_flash(self) -> P::Flash {
        self.journal.io.into_flash()
    }

    /// The flash, read-only.
    pub fn flash(&self) -> &P::Flash {
        self.journal.io.flash()
    }
}
