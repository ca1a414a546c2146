//! Host batch derivation: the working keys of many KSNs at once, for a payment host that
//! verifies a stream of transactions from many terminals ([`AesBdk::batch`]).
//!
//! ```
//! use keyfort::dukpt::aes::{AesBatchKey, AesBdk, AesKeyCacheSlot, AesKsn, KeyUsage, WorkingKeyType};
//! use keyfort::key::TypedKey;
//! # fn main() -> Result<(), keyfort::dukpt::DukptError> {
//! let bdk = AesBdk::new(&TypedKey::raw_aes(&[0x11; 16])?)?;
//! let ksns = [
//!     AesKsn::new(&[1, 2, 3, 4, 5, 6, 7, 8], 1),
//!     AesKsn::new(&[1, 2, 3, 4, 5, 6, 7, 9], 0x00FF),
//!     AesKsn::new(&[1, 2, 3, 4, 5, 6, 7, 8], 2),
//! ];
//! // Caller-supplied storage: no heap. The cache holds initial keys by initial key ID.
//! let mut cache: [AesKeyCacheSlot; 16] = core::array::from_fn(|_| AesKeyCacheSlot::new());
//! let mut out: [AesBatchKey; 3] = core::array::from_fn(|_| AesBatchKey::new());
//! let mut batch = bdk.batch(&mut cache);
//! let n = batch.working_keys(&ksns, KeyUsage::PinEncryption, WorkingKeyType::Aes128, &mut out)?;
//! assert_eq!(n, 3);
//! let one = bdk.working_key(&ksns[1], KeyUsage::PinEncryption, WorkingKeyType::Aes128)?;
//! assert_eq!(out[1].key()?, one.expose());
//! assert_eq!(batch.cache_hits(), 1); // the third KSN's terminal was seen before
//! # Ok(()) }
//! ```
//!
//! How: up to [`LANES`] derivations run in lockstep, each in its own lane with its own
//! encryption-only key schedule. One pass encrypts one block in every lane (the next step
//! of its chain, or its working key), then expands every lane's new key: the lanes'
//! AES instructions are independent, so the core overlaps them instead of waiting on one
//! chain's latency. A lane that finishes takes the next KSN at once. The same AES calls as
//! one derivation at a time (X9.24-3's, minus the initial key's block on a cache hit).
//!
//! Initial keys are cached by initial key ID in caller-supplied slots
//! ([`AesKeyCacheSlot`]): 4-way set-associative, least recently used evicted, the evicted
//! key overwritten in place; every slot is wiped when the batch is created and when it is
//! dropped, so a cache never serves keys of another BDK. The initial key ID, the counter
//! and so the lane schedule are public (they travel in the KSN); nothing branches on,
//! or indexes by, a key.
use super::derive::{derivation_step_data, derive, initial_key_data, working_key_data, ChainSteps};
use super::host::AesBdk;
use super::ksn::AesKsn;
use super::types::{BdkType, KeyUsage, WorkingKeyType};
use crate::block::{AesEnc, AesLanes128};
use crate::dukpt::DukptError;
use crate::secret::scrubbed_to;
use crate::secret::WipedBuf;
use zeroize::Zeroize;

/// Derivations in flight at once.
pub const LANES: usize = 8;
/// How deep the one scrub after a batch reaches: the lanes' frame (1.5 KiB on x86-64,
/// `objdump` of the release build) with a margin of 1 KiB, plus a key expansion and block
/// call below it, as deep as a schedule's drop scrubs ([`crate::secret::CIPHER_SCRUB_BYTES`]:
/// 8 KiB on hosts, for the `aes` crate's VAES-512 backend's frames; 1.5 KiB on bare metal).
const BATCH_SCRUB_WORDS: usize = (2560 + crate::secret::CIPHER_SCRUB_BYTES) >> 4;
/// Ways per cache set.
const WAYS: usize = 4;

/// One initial key cache entry: an initial key ID and its initial key. Wiped on drop.
pub struct AesKeyCacheSlot {
    ikid: [u8; 8],
    key: [u8; 32],
    /// 0: empty; otherwise the batch's use count at the last use (for LRU).
    stamp: u64,
}

impl AesKeyCacheSlot {
    /// An empty slot.
    pub const fn new() -> Self {
        Self {
            ikid: [0; 8],
            key: [0; 32],
            stamp: 0,
        }
    }

    fn wipe(&mut self) {
        self.key.zeroize();
        self.ikid = [0; 8];
        self.stamp = 0;
    }
}

impl Default for AesKeyCacheSlot {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for AesKeyCacheSlot {
    fn drop(&mut self) {
        #[cfg(not(keyfort_no_wipe))]
        self.key.zeroize();
    }
}

impl core::fmt::Debug for AesKeyCacheSlot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AesKeyCacheSlot(..)")
    }
}

/// One output of a batch: a working key with its type and usage, or why the KSN has
/// none. Wiped on drop (and when overwritten by the next batch).
pub struct AesBatchKey {
    key: [u8; 32],
    len: usize,
    status: Result<(WorkingKeyType, KeyUsage), DukptError>,
}

impl AesBatchKey {
    /// An empty output slot ([`AesBatchKey::key`] says [`DukptError::NotDerived`]).
    pub const fn new() -> Self {
        Self {
            key: [0; 32],
            len: 0,
            status: Err(DukptError::NotDerived),
        }
    }

    /// The key bytes, or why this KSN has no key. Keep the borrow short.
    pub fn key(&self) -> Result<&[u8], DukptError> {
        self.status?;
        Ok(self.key.get(..self.len).unwrap_or(&[]))
    }

    /// The key's type and usage, or why this KSN has no key.
    pub fn kind(&self) -> Result<(WorkingKeyType, KeyUsage), DukptError> {
        self.status
    }

    pub(super) fn fail(&mut self, e: DukptError) {
        self.key.zeroize();
        self.len = 0;
        self.status = Err(e);
    }

    /// Writes `block`'s first bytes to key bytes `at` (a working key block).
    pub(super) fn put(&mut self, at: core::ops::Range<usize>, block: &[u8; 16]) {
        if let Some(dst) = self.key.get_mut(at) {
            for (d, b) in dst.iter_mut().zip(block) {
                *d = *b;
            }
        }
    }

    /// Marks the key complete: `key_type`'s length, for `usage`.
    pub(super) fn finish(&mut self, key_type: WorkingKeyType, usage: KeyUsage) {
        self.len = key_type.key_len();
        self.status = Ok((key_type, usage));
    }
}

impl Default for AesBatchKey {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for AesBatchKey {
    fn drop(&mut self) {
        #[cfg(not(keyfort_no_wipe))]
        self.key.zeroize();
    }
}

impl core::fmt::Debug for AesBatchKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "AesBatchKey({:?}, ..)", self.status)
    }
}

/// A batch deriver bound to one BDK, with its initial key cache ([`AesBdk::batch`]).
pub struct AesBatch<'a> {
    bdk: &'a AesBdk,
    slots: &'a mut [AesKeyCacheSlot],
    tick: u64,
    hits: u64,
    misses: u64,
}

impl AesBdk {
    /// A batch deriver under this BDK whose initial key cache is `slots` (any number;
    /// none: no cache). The slots are wiped now and when the batch is dropped.
    pub fn batch<'a>(&'a self, slots: &'a mut [AesKeyCacheSlot]) -> AesBatch<'a> {
        slots.iter_mut().for_each(AesKeyCacheSlot::wipe);
        AesBatch {
            bdk: self,
            slots,
            tick: 0,
            hits: 0,
            misses: 0,
        }
    }
}

/// The public bookkeeping of one derivation in flight (all of it travels in the KSN).
#[derive(Clone, Copy, Default)]
pub(super) struct LaneJob {
    /// Index of its KSN, or `None` when idle.
    pub(super) job: Option<usize>,
    pub(super) ikid: [u8; 8],
    pub(super) counter: u32,
    /// The chain steps not walked yet.
    pub(super) steps: ChainSteps,
}

impl LaneJob {
    /// Takes the next KSN of `ksns` from `*next` that a device may have produced (each
    /// one skipped gets why in `out`); `false` at the end of `ksns`.
    pub(super) fn take(
        &mut self,
        ksns: &[AesKsn],
        next: &mut usize,
        out: &mut [AesBatchKey],
    ) -> bool {
        while let Some(ksn) = ksns.get(*next) {
            let j = *next;
            *next += 1;
            if let Err(e) = ksn.check_device_counter() {
                if let Some(o) = out.get_mut(j) {
                    o.fail(e);
                }
                continue;
            }
            *self = Self {
                job: Some(j),
                ikid: ksn.initial_key_id(),
                counter: ksn.counter(),
                steps: ChainSteps::to(ksn.counter()),
            };
            return true;
        }
        false
    }
}

/// One derivation in flight on the generic loop: its bookkeeping and the chain's current
/// key (the initial key, then each derivation key).
struct Lane {
    at: LaneJob,
    key: WipedBuf<32>,
}

impl AesBatch<'_> {
    /// Initial keys found in the cache so far.
    pub fn cache_hits(&self) -> u64 {
        self.hits
    }

    /// Initial keys derived from the BDK so far.
    pub fn cache_misses(&self) -> u64 {
        self.misses
    }

    /// The working key of `usage` / `key_type` for each of `ksns`, into `out` (at least
    /// as long; `out[i]` is `ksns[i]`'s key, or why it has none: [`DukptError::CounterZero`]
    /// / [`DukptError::TooManyOneBits`] for a KSN no device produces). Returns how many
    /// keys were derived. Errors for the whole batch: [`DukptError::KeyTypeNotAllowed`],
    /// [`DukptError::BatchLength`]. The stack is scrubbed once, at the end.
    pub fn working_keys(
        &mut self,
        ksns: &[AesKsn],
        usage: KeyUsage,
        key_type: WorkingKeyType,
        out: &mut [AesBatchKey],
    ) -> Result<usize, DukptError> {
        let kind = self.bdk.kind();
        if !key_type.allowed_under(kind) {
            return Err(DukptError::KeyTypeNotAllowed);
        }
        let out = out.get_mut(..ksns.len()).ok_or(DukptError::BatchLength)?;
        scrubbed_to::<BATCH_SCRUB_WORDS, _>(|| match AesLanes128::detect() {
            Some(engine) if kind == BdkType::Aes128 => {
                self.run_lanes(&engine, ksns, usage, key_type, out)
            }
            _ => self.run(ksns, usage, key_type, out),
        })
    }

    /// The BDK's size.
    pub(super) fn bdk_kind(&self) -> BdkType {
        self.bdk.kind()
    }

    /// The lockstep loop (see the module docs).
    fn run(
        &mut self,
        ksns: &[AesKsn],
        usage: KeyUsage,
        key_type: WorkingKeyType,
        out: &mut [AesBatchKey],
    ) -> Result<usize, DukptError> {
        let kind = self.bdk.kind();
        let klen = kind.key_len();
        let mut lanes: [Lane; LANES] = core::array::from_fn(|_| Lane {
            at: LaneJob::default(),
            key: WipedBuf::new(),
        });
        for lane in &mut lanes {
            lane.key.set_len(klen).ok_or(DukptError::BadKeyLength)?;
        }
        let mut next = 0usize;
        let mut done = 0usize;
        loop {
            // Idle lanes take the next valid KSN; their initial key comes from the cache
            // or the BDK.
            for lane in lanes.iter_mut().filter(|l| l.at.job.is_none()) {
                if lane.at.take(ksns, &mut next, out) {
                    self.initial_key(&lane.at.ikid, lane.key.expose_mut());
                }
            }
            // One key expansion and one block in every busy lane (the next chain step, or
            // the working key), lane after lane: independent work the core overlaps. Each
            // schedule is a fresh local, expanded in place and wiped at the end of its
            // lane's turn ([`AesEnc::with_key`]).
            let mut busy = false;
            for lane in &mut lanes {
                let Some(j) = lane.at.job else { continue };
                busy = true;
                if let Some(step) = lane.at.steps.next() {
                    let data = derivation_step_data(kind, &lane.at.ikid, step);
                    AesEnc::with_key(lane.key.expose_mut(), |s, key| derive(s, &data, key))
                        .map_err(|_| DukptError::BadKeyLength)?;
                } else {
                    let data = working_key_data(usage, key_type, &lane.at.ikid, lane.at.counter);
                    let len = key_type.key_len();
                    if let Some(o) = out.get_mut(j) {
                        if let Some(dst) = o.key.get_mut(..len) {
                            AesEnc::with_key(lane.key.expose_mut(), |s, _| derive(s, &data, dst))
                                .map_err(|_| DukptError::BadKeyLength)?;
                            o.finish(key_type, usage);
                            done += 1;
                        }
                    }
                    lane.at.job = None;
                }
            }
            if !busy && next >= ksns.len() {
                break;
            }
        }
        Ok(done)
    }

    /// Writes the initial key of `ikid` into `dst` (the BDK's key length): from the cache,
    /// or derived under the BDK and cached (evicting the set's least recently used entry,
    /// whose key is overwritten).
    pub(super) fn initial_key(&mut self, ikid: &[u8; 8], dst: &mut [u8]) {
        self.tick += 1;
        let kind = self.bdk.kind();
        let tick = self.tick;
        let Some(set) = set_of(ikid, self.slots.len()).and_then(|r| self.slots.get_mut(r)) else {
            self.misses += 1;
            derive(self.bdk.blocks(), &initial_key_data(kind, ikid), dst);
            return;
        };
        if let Some(slot) = set.iter_mut().find(|s| s.stamp != 0 && s.ikid == *ikid) {
            slot.stamp = tick;
            dst.copy_from_slice(slot.key.get(..dst.len()).unwrap_or(&[]));
            self.hits += 1;
            return;
        }
        self.misses += 1;
        // Empty slots have stamp 0: the least recently used of all.
        let Some(victim) = set.iter_mut().min_by_key(|s| s.stamp) else {
            return;
        };
        victim.wipe();
        let len = dst.len();
        if let Some(k) = victim.key.get_mut(..len) {
            derive(self.bdk.blocks(), &initial_key_data(kind, ikid), k);
            dst.copy_from_slice(k);
        }
        victim.ikid = *ikid;
        victim.stamp = tick;
    }
}

/// The slots of `ikid`'s cache set among `len` (`None` without a cache). The ID is
/// public: a multiplicative hash, and a multiply-high instead of a division to pick the
/// set.
#[allow(clippy::integer_division_remainder_used)] // the public slot count over the ways
fn set_of(ikid: &[u8; 8], len: usize) -> Option<core::ops::Range<usize>> {
    let ways = WAYS.min(len);
    if ways == 0 {
        return None;
    }
    let sets = len / ways;
    let h = u64::from_be_bytes(*ikid).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let h = h ^ (h >> 29);
    let set = usize::try_from((u128::from(h) * sets as u128) >> 64).unwrap_or(0);
    Some(set * ways..(set + 1) * ways)
}

impl Drop for AesBatch<'_> {
    fn drop(&mut self) {
        self.slots.iter_mut().for_each(AesKeyCacheSlot::wipe);
    }
}

impl core::fmt::Debug for AesBatch<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "AesBatch({} cache slots, ..)", self.slots.len())
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::integer_division_remainder_used // a test's own stream generator
)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// A mixed stream: repeated terminals, counters of 1 to 16 one-bits, and KSNs no
    /// device produces (counter 0, 17 one-bits) in between.
    fn stream() -> Vec<AesKsn> {
        let mut v = Vec::new();
        let mut x = 0x1234_5678u32;
        for i in 0..200u32 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let t = (x % 23) as u8;
            let ikid = [0xAB, 0xCD, 0xEF, 0x01, 0, 0, t, t.wrapping_mul(7)];
            let mut c = x & 0x0F0F_F0F0;
            while c.count_ones() > 16 {
                c &= c - 1;
            }
            let c = match i % 50 {
                7 => 0,
                8 => 0x0001_FFFF,
                _ if c == 0 => 1,
                _ => c,
            };
            v.push(AesKsn::new(&ikid, c));
        }
        v
    }

    #[test]
    fn batch_matches_one_at_a_time_every_bdk_size_and_cache_size() {
        let ksns = stream();
        for (len, kt) in [
            (16, WorkingKeyType::Aes128),
            // AES-128 BDKs run on the lane engine where there is one: a one-block and a
            // two-block working key.
            (16, WorkingKeyType::Hmac128),
            (16, WorkingKeyType::Tdes3),
            (24, WorkingKeyType::Aes192),
            (32, WorkingKeyType::Aes256),
            (32, WorkingKeyType::Hmac128),
        ] {
            let bdk =
                AesBdk::new(&crate::key::TypedKey::raw_aes(&[0x5Cu8; 32][..len]).unwrap()).unwrap();
            for cache in [0usize, 1, 3, 4, 16, 256] {
                let mut slots: Vec<AesKeyCacheSlot> =
                    (0..cache).map(|_| AesKeyCacheSlot::new()).collect();
                let mut out: Vec<AesBatchKey> =
                    (0..ksns.len()).map(|_| AesBatchKey::new()).collect();
                let mut b = bdk.batch(&mut slots);
                let n = b
                    .working_keys(&ksns, KeyUsage::MacGeneration, kt, &mut out)
                    .unwrap();
                let mut want_n = 0;
                for (ksn, o) in ksns.iter().zip(&out) {
                    match bdk.working_key(ksn, KeyUsage::MacGeneration, kt) {
                        Ok(k) => {
                            want_n += 1;
                            assert_eq!(o.key().unwrap(), k.expose(), "{ksn:?} cache {cache}");
                            assert_eq!(o.kind().unwrap(), (kt, KeyUsage::MacGeneration));
                        }
                        Err(e) => assert_eq!(o.key(), Err(e), "{ksn:?}"),
                    }
                }
                assert_eq!(n, want_n);
                // 23 terminals: with room for them all, every later use is a hit.
                if cache >= 64 {
                    assert_eq!(b.cache_misses(), 23);
                }
                assert_eq!(b.cache_hits() + b.cache_misses(), want_n as u64);
            }
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn aes128_batches_run_on_the_lane_engine_where_the_cpu_has_aes_ni() {
        // Without this, the lane engine could be dead code and the comparison above
        // would only check the generic loop.
        assert_eq!(
            crate::block::AesLanes128::detect().is_some(),
            std::is_x86_feature_detected!("aes") && std::is_x86_feature_detected!("ssse3")
        );
    }

    #[test]
    fn cache_is_wiped_on_drop_and_never_serves_another_bdk() {
        let ksns = stream();
        let mut slots: Vec<AesKeyCacheSlot> = (0..64).map(|_| AesKeyCacheSlot::new()).collect();
        let mut out: Vec<AesBatchKey> = (0..ksns.len()).map(|_| AesBatchKey::new()).collect();
        let a = AesBdk::new(&crate::key::TypedKey::raw_aes(&[1u8; 16]).unwrap()).unwrap();
        let b = AesBdk::new(&crate::key::TypedKey::raw_aes(&[2u8; 16]).unwrap()).unwrap();
        {
            let mut batch = a.batch(&mut slots);
            batch
                .working_keys(
                    &ksns,
                    KeyUsage::PinEncryption,
                    WorkingKeyType::Aes128,
                    &mut out,
                )
                .unwrap();
            // Negative control: while the batch lives, the cache holds initial keys.
            assert!(batch.slots.iter().any(|s| s.key != [0; 32]));
        }
        assert!(
            slots.iter().all(|s| s.key == [0; 32] && s.stamp == 0),
            "wiped on drop"
        );
        // Same slots under another BDK: its own keys, not the first BDK's.
        let mut batch = b.batch(&mut slots);
        batch
            .working_keys(
                &ksns,
                KeyUsage::PinEncryption,
                WorkingKeyType::Aes128,
                &mut out,
            )
            .unwrap();
        let want = b
            .working_key(&ksns[0], KeyUsage::PinEncryption, WorkingKeyType::Aes128)
            .unwrap();
        assert_eq!(out[0].key().unwrap(), want.expose());
    }

    #[test]
    fn whole_batch_errors() {
        let bdk = AesBdk::new(&crate::key::TypedKey::raw_aes(&[3u8; 16]).unwrap()).unwrap();
        let ksns = stream();
        let mut out: Vec<AesBatchKey> = (0..ksns.len() - 1).map(|_| AesBatchKey::new()).collect();
        let mut b = bdk.batch(&mut []);
        assert_eq!(
            b.working_keys(
                &ksns,
                KeyUsage::PinEncryption,
                WorkingKeyType::Aes128,
                &mut out
            ),
            Err(DukptError::BatchLength)
        );
        assert_eq!(
            b.working_keys(
                &ksns[..3],
                KeyUsage::PinEncryption,
                WorkingKeyType::Aes256,
                &mut out
            ),
            Err(DukptError::KeyTypeNotAllowed)
        );
        assert_eq!(AesBatchKey::new().key(), Err(DukptError::NotDerived));
        let s = std::format!("{:?}", out[0]);
        assert!(!s.contains("0x") && s.starts_with("AesBatchKey("));
    }
}
