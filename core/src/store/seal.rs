//! Sealing: the keys that encrypt and authenticate records, derived from the device
//! secret and the store's random salt, held in RAM as masked shares.
//!
//! * `root key  = HMAC-SHA256(device secret, "keyfort/store/v1/root")` authenticates the
//!   root sector (geometry and salt slots). It depends on the device only.
//! * `PRK = HMAC-SHA256(salt, device secret)` (HKDF-Extract), then
//!   `enc = HMAC-SHA256(PRK, "keyfort/store/v1/enc" || 0x01)` (an AES-256 key) and
//!   `mac = HMAC-SHA256(PRK, "keyfort/store/v1/mac" || 0x01)` (HKDF-Expand, one block).
//! * Records: AES-256-CTR under `enc` with a per-record 32-bit nonce that is never reused
//!   under one salt, then HMAC-SHA256 under `mac` (encrypt-then-MAC, tag truncated to 128
//!   bits) over the previous record's tag, the sector sequence, the full header and the
//!   ciphertext. Tags are compared with `subtle`.
//!
//! `enc` and `mac` live in [`Masked`] shares re-randomised on every use; the plain form
//! exists only inside a call, in a wiped temporary (and in the AES key schedule / HMAC
//! state of that call, which are wiped on drop).
use crate::block::Aes;
use crate::platform::DeviceSecret;
use crate::secret::{Masked, Secret};
use hmac::{Hmac, KeyInit, Mac};
use rand_core::{TryCryptoRng, TryRng};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::error::Error;
use super::format::TAG_LEN;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 over the concatenation of `parts`.
pub(crate) fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts any key length, so this cannot fail; fall back to an all-zero output
    // (which no check accepts as it is compared against a real tag) instead of panicking.
    let Ok(mut m) = <HmacSha256 as KeyInit>::new_from_slice(key) else {
        return [0u8; 32];
    };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// The root key: authenticates the root sector; depends on the device secret only.
pub(crate) fn root_key<D: DeviceSecret>(dev: &D) -> Secret<32> {
    dev.with_secret(|s| Secret::new(hmac(s, &[b"keyfort/store/v1/root"])))
}

/// A truncated tag under the root key.
pub(crate) fn root_tag<D: DeviceSecret>(dev: &D, parts: &[&[u8]]) -> [u8; TAG_LEN] {
    let k = root_key(dev);
    let mut full = hmac(k.expose(), parts);
    let mut t = [0u8; TAG_LEN];
    t.copy_from_slice(&full[..TAG_LEN]);
    full.zeroize();
    t
}

/// Constant-time tag comparison.
pub(crate) fn tag_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The record sealing keys, masked.
pub(crate) struct SealKeys {
    enc: Masked<32>,
    mac: Masked<32>,
}

/// Fresh randomness for masks, drawn through a fallible RNG (fail closed): a request the
/// RNG refuses is filled with zeros (masking or re-masking with zeros changes nothing
/// and releases nothing) and remembered, and the caller turns it into [`Error::Rng`].
pub(crate) struct Fresh<'a, R: ?Sized> {
    rng: &'a mut R,
    failed: bool,
}

impl<'a, R: TryCryptoRng + ?Sized> Fresh<'a, R> {
    pub(crate) fn new(rng: &'a mut R) -> Self {
        Self { rng, failed: false }
    }

    /// `Err(Error::Rng)` if any request was refused.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.failed {
            Err(Error::Rng)
        } else {
            Ok(())
        }
    }
}

impl<R: TryCryptoRng + ?Sized> TryRng for Fresh<'_, R> {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        if self.failed || self.rng.try_fill_bytes(dst).is_err() {
            dst.zeroize();
            self.failed = true;
        }
        Ok(())
    }
}

impl<R: TryCryptoRng + ?Sized> rand_core::TryCryptoRng for Fresh<'_, R> {}

impl SealKeys {
    /// Derives the sealing keys from the device secret and the store salt. Fails closed
    /// ([`Error::Rng`]) if the RNG refuses the masks.
    pub(crate) fn derive<D: DeviceSecret, R: TryCryptoRng + ?Sized>(
        dev: &D,
        salt: &[u8; 32],
        rng: &mut R,
    ) -> Result<Self, Error> {
        let prk = dev.with_secret(|s| Secret::new(hmac(salt, &[s])));
        let enc = Secret::new(hmac(prk.expose(), &[b"keyfort/store/v1/enc", &[1]]));
        let mac = Secret::new(hmac(prk.expose(), &[b"keyfort/store/v1/mac", &[1]]));
        let mut g = Fresh::new(rng);
        let keys = Self {
            enc: Masked::new(&enc, &mut g),
            mac: Masked::new(&mac, &mut g),
        };
        g.check()?;
        Ok(keys)
    }

    /// A keyed HMAC state (wiped on drop) for one record. [`Error::Rng`] if the shares
    /// could not be re-randomised (they are then as they were).
    pub(crate) fn mac<R: TryCryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> Result<HmacSha256, Error> {
        let mut g = Fresh::new(rng);
        let m = self.mac.with_plain(&mut g, |k| {
            <HmacSha256 as KeyInit>::new_from_slice(k.expose())
                .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&Default::default()))
        });
        g.check().map(|()| m)
    }

    /// Runs `f` with the AES-256 record cipher (key schedule wiped on drop).
    /// [`Error::Rng`] (after `f`) if the shares could not be re-randomised.
    pub(crate) fn with_aes<R: TryCryptoRng + ?Sized, T>(
        &mut self,
        rng: &mut R,
        f: impl FnOnce(Option<&Aes>) -> T,
    ) -> Result<T, Error> {
        let mut g = Fresh::new(rng);
        let out = self.enc.with_plain(&mut g, |k| {
            let aes = Aes::new(k.expose()).ok();
            f(aes.as_ref())
        });
        g.check().map(|()| out)
    }
}

/// The CTR counter block of a record body: nonce, kind, slot, key version, block index.
pub(crate) fn ctr_block(nonce: u32, kind: u8, slot: u16, kver: u16, index: u32) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[0..4].copy_from_slice(&nonce.to_le_bytes());
    b[4] = kind;
    b[5..7].copy_from_slice(&slot.to_le_bytes());
    b[7..9].copy_from_slice(&kver.to_le_bytes());
    b[12..16].copy_from_slice(&index.to_be_bytes());
    b
}

/// XORs the keystream of a record body into `buf`, from keystream block `first` on
/// (block `first + j` for bytes `16j..16j + 16`): CTR through [`crate::modes::ctr_xor`].
pub(crate) fn ctr_xor_body(
    aes: &Aes,
    (nonce, kind, slot, kver): (u32, u8, u16, u16),
    first: u32,
    buf: &mut [u8],
) {
    let mut index = first;
    let mut next = || {
        let b = ctr_block(nonce, kind, slot, kver, index);
        index = index.wrapping_add(1);
        b
    };
    crate::modes::ctr_xor(aes, &mut next, buf);
}
