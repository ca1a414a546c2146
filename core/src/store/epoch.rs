//! Cryptoperiod epochs without a wall clock: the host advances the store's epoch with an
//! authenticated epoch message; keys whose cryptoperiod is counted in epochs
//! ([`super::PeriodUnit::Epochs`]) age by it.
//!
//! The message ([`EPOCH_MSG_LEN`] = 40 bytes):
//!
//! | bytes  | field                                                              |
//! |--------|--------------------------------------------------------------------|
//! | 0..4   | magic `KFEP`                                                       |
//! | 4      | version, 1                                                         |
//! | 5..8   | zero                                                               |
//! | 8..16  | the store id ([`super::KeyStore::store_id`]): binds it to one store |
//! | 16..20 | the new epoch, little-endian                                       |
//! | 20..24 | zero                                                               |
//! | 24..40 | the 16 leftmost bytes of HMAC-SHA256(epoch key, bytes 0..24)       |
//!
//! The epoch key is an HMAC-SHA256 key in the store whose policy allows
//! [`crate::attributes::Usage::MAC_VERIFY`], shared with the host (e.g. imported from a TR-31
//! block). The store checks, in this order: length, magic, version and zero bytes
//! ([`super::Error::EpochFormat`]), the MAC in constant time ([`super::Error::EpochAuth`]),
//! the store id ([`super::Error::EpochWrongStore`]), then that the epoch is greater than
//! the store's ([`super::Error::EpochReplayed`]: a replayed or older message). The new
//! epoch is one store record (power-fail safe, audited as
//! [`super::AuditCode::EpochAdvanced`]), and under a monotonic counter it cannot be
//! rolled back with the image. Shown by `tests/tests/store_states.rs`
//! (`epoch_messages_forged_replayed_old_refused`).
use super::audit::AuditCode;
use super::error::Error;
use super::format::{Kind, RecHeader};
use super::journal::Body;
use super::{KeyHandle, KeyStore};
use crate::attributes::{Algorithm, Usage};
use crate::key::{Hmac, MacVerify, TypedKey};
use crate::platform::Platform;
use crate::transaction::mac::{hmac_sha256, verify_hmac_sha256};

/// Length of an epoch message.
pub const EPOCH_MSG_LEN: usize = 40;
const MAGIC: [u8; 4] = *b"KFEP";
const VERSION: u8 = 1;
const SIGNED: usize = 24;

/// Builds an epoch message (the host's side; also for tests): `key` is the host's copy
/// of the epoch key (at least 16 bytes), `store_id` the target store's id.
pub fn epoch_message(
    key: &[u8],
    store_id: [u8; 8],
    epoch: u32,
) -> Result<[u8; EPOCH_MSG_LEN], Error> {
    let mut m = [0u8; EPOCH_MSG_LEN];
    m[0..4].copy_from_slice(&MAGIC);
    m[4] = VERSION;
    m[8..16].copy_from_slice(&store_id);
    m[16..20].copy_from_slice(&epoch.to_le_bytes());
    let key = TypedKey::raw(key, Algorithm::HmacSha256).map_err(|_| Error::EpochKey)?;
    let tag = hmac_sha256(&key, &m[..SIGNED]).map_err(|_| Error::EpochKey)?;
    m[SIGNED..].copy_from_slice(&tag[..EPOCH_MSG_LEN - SIGNED]);
    Ok(m)
}

impl<P: Platform> KeyStore<P> {
    /// Advances the store's epoch to the one in `msg` if it is authentic under the
    /// epoch key `key` (see the [module docs](self)), then applies ended protect periods
    /// (deactivation, and rotation where asked). Returns the new epoch.
    pub fn advance_epoch(&mut self, key: KeyHandle, msg: &[u8]) -> Result<u32, Error> {
        self.check_ok()?;
        let m: &[u8; EPOCH_MSG_LEN] = msg.try_into().map_err(|_| Error::EpochFormat)?;
        if m[0..4] != MAGIC || m[4] != VERSION || m[5..8] != [0; 3] || m[20..24] != [0; 4] {
            return Err(Error::EpochFormat);
        }
        let e = self.resolve(key)?;
        if Algorithm::from_code(e.hdr.alg) != Some(Algorithm::HmacSha256) {
            return Err(Error::EpochKey);
        }
        // The store checks the key's MAC_VERIFY use (and its state) and the algorithm was
        // checked above: the holder is made for the HMAC verification role.
        let authentic = self.with_key(key, Usage::MAC_VERIFY, |k| {
            TypedKey::<MacVerify<Hmac>>::raw(k, Algorithm::HmacSha256)
                .is_ok_and(|k| verify_hmac_sha256(&k, &m[..SIGNED], &m[SIGNED..]).is_ok())
        })?;
        if !authentic {
            return Err(Error::EpochAuth);
        }
        if m[8..16] != self.store_id()? {
            return Err(Error::EpochWrongStore);
        }
        let epoch = u32::from_le_bytes([m[16], m[17], m[18], m[19]]);
        if epoch <= self.epoch() {
            return Err(Error::EpochReplayed);
        }
        let mut h = RecHeader::new(Kind::Epoch);
        h.event = AuditCode::EpochAdvanced.code();
        h.epoch = epoch;
        self.append(h, Body::None)?;
        self.enforce_cryptoperiods()?;
        Ok(epoch)
    }
}
