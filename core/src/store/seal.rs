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
//! state of that call, which are wiped on drop). `mac` is kept as its two HMAC midstates
//! ([`super::hmac_sha256`]), computed once when the keys are derived: every tag resumes
//! from them instead of hashing the two padded-key blocks again. The midstates are as
//! secret as the key (they forge tags) and are masked the same way.
use crate::block::AesEnc;
use crate::platform::DeviceSecret;
use crate::secret::{Masked, Secret};
use rand_core::{TryCryptoRng, TryRng};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::error::Error;
use super::format::{RecHeader, TAG_LEN};
use super::hmac_sha256::{hmac, hmac_from, midstates, HmacSha256, MIDS_LEN};

/// The root key (as its HMAC midstates): authenticates the root sector; depends on the
/// device secret only. Derived where it is needed and dropped (wiped) after.
pub(crate) struct RootKey(Secret<MIDS_LEN>);

impl RootKey {
    pub(crate) fn derive<D: DeviceSecret>(dev: &D) -> Self {
        let k = dev.with_secret(|s| Secret::new(hmac(s, &[b"keyfort/store/v1/root"])));
        Self(midstates(k.expose()))
    }

    /// A truncated tag under the root key.
    pub(crate) fn tag(&self, parts: &[&[u8]]) -> [u8; TAG_LEN] {
        let mut full = hmac_from(&self.0, parts);
        let mut t = [0u8; TAG_LEN];
        t.copy_from_slice(&full[..TAG_LEN]);
        full.zeroize();
        t
    }
}

/// Constant-time tag comparison.
pub(crate) fn tag_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The record sealing keys of one store (one salt), masked: the cipher key, and the
/// MAC key as its HMAC midstates (inner, outer).
pub(crate) struct Seal {
    enc: Masked<32>,
    mac: Masked<MIDS_LEN>,
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

impl Seal {
    /// Derives the sealing keys from the device secret and the store salt. Fails closed
    /// ([`Error::Rng`]) if the RNG refuses the masks.
    pub(crate) fn derive<D: DeviceSecret, R: TryCryptoRng + ?Sized>(
        dev: &D,
        salt: &[u8; 32],
        rng: &mut R,
    ) -> Result<Self, Error> {
        // The PRK keys two MACs: its midstates are computed once.
        let prk = midstates(dev.with_secret(|s| Secret::new(hmac(salt, &[s]))).expose());
        let enc = Secret::new(hmac_from(&prk, &[b"keyfort/store/v1/enc", &[1]]));
        let mac = Secret::new(hmac_from(&prk, &[b"keyfort/store/v1/mac", &[1]]));
        let mac = midstates(mac.expose());
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
        let m = self.mac.with_plain(&mut g, HmacSha256::resume);
        g.check().map(|()| m)
    }

    /// Runs `f` with the AES-256 record cipher: an encryption-only schedule (CTR never
    /// decrypts) expanded where it lies ([`AesEnc::rekey`]: no 0.5 KiB schedule moved
    /// through `Result`s, whose frames and copies took about 1 KiB of stack below a put),
    /// wiped on drop; the stack below is scrubbed to a cipher's depth.
    /// [`Error::Rng`] (after `f`) if the shares could not be re-randomised.
    pub(crate) fn with_aes<R: TryCryptoRng + ?Sized, T>(
        &mut self,
        rng: &mut R,
        f: impl FnOnce(Option<&AesEnc>) -> T,
    ) -> Result<T, Error> {
        let mut g = Fresh::new(rng);
        let out = self.enc.with_plain(&mut g, |k| {
            let out = {
                let mut aes = AesEnc::placeholder();
                let ok = aes.rekey(k.expose()).is_ok();
                f(ok.then_some(&aes))
            };
            // `k`'s holder scrubs `STACK_SCRUB_BYTES` below this frame when it drops; a
            // cipher's frames reach deeper only on hosts (`CIPHER_SCRUB_BYTES`).
            if crate::secret::CIPHER_SCRUB_BYTES > crate::secret::STACK_SCRUB_BYTES {
                crate::secret::scrub_cipher_stack();
            }
            out
        });
        g.check().map(|()| out)
    }

    /// Decrypts (or encrypts: CTR) a record body of header `h` in place, from keystream
    /// block `first` on. On failure `buf` is wiped.
    pub(crate) fn xor_body<R: TryCryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        h: &RecHeader,
        first: u32,
        buf: &mut [u8],
    ) -> Result<(), Error> {
        let binding = (h.nonce, h.kind, h.slot, h.kver);
        let r = self.with_aes(rng, |aes| {
            aes.map(|a| ctr_xor_body(a, binding, first, buf)).is_some()
        });
        match r {
            Ok(true) => Ok(()),
            Ok(false) => {
                buf.zeroize();
                Err(Error::LogicBug)
            }
            Err(e) => {
                buf.zeroize();
                Err(e)
            }
        }
    }

    /// A sector header's tag: `HMAC(mac, "sector" || fields)`, truncated.
    pub(crate) fn sector_tag<R: TryCryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        fields: &[u8; 32],
    ) -> Result<[u8; TAG_LEN], Error> {
        let mut m = self.mac(rng)?;
        m.update(b"sector");
        m.update(fields);
        let full = m.finalize();
        let mut t = [0u8; TAG_LEN];
        t.copy_from_slice(&full[..TAG_LEN]);
        Ok(t)
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
    aes: &AesEnc,
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::format::Kind;
    use crate::store::hmac_sha256::tests::reference as reference_hmac;

    struct Dev(u8);
    impl DeviceSecret for Dev {
        fn with_secret<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> R {
            f(&[self.0; 32])
        }
    }

    struct Counting(u8);
    impl TryRng for Counting {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(u32::from(self.try_next_u64()?.to_le_bytes()[0]))
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            self.0 = self.0.wrapping_add(1);
            Ok(u64::from(self.0))
        }
        fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> {
            for b in d {
                self.0 = self.0.wrapping_add(1);
                *b = self.0;
            }
            Ok(())
        }
    }
    impl TryCryptoRng for Counting {}

    struct Refusing;
    impl TryRng for Refusing {
        type Error = crate::rng::RngError;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Err(crate::rng::RngError::SourceFailed)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Err(crate::rng::RngError::SourceFailed)
        }
        fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Self::Error> {
            Err(crate::rng::RngError::SourceFailed)
        }
    }
    impl TryCryptoRng for Refusing {}

    fn tag(seal: &mut Seal, rng: &mut Counting) -> [u8; TAG_LEN] {
        seal.sector_tag(rng, &[3; 32]).unwrap()
    }

    #[test]
    fn keys_depend_on_salt_and_device_not_on_masks() {
        let mut rng = Counting(0);
        let mut a = Seal::derive(&Dev(1), &[9; 32], &mut rng).unwrap();
        // Same device and salt, other masks: the same keys.
        let mut a2 = Seal::derive(&Dev(1), &[9; 32], &mut Counting(77)).unwrap();
        let mut b = Seal::derive(&Dev(1), &[8; 32], &mut rng).unwrap();
        let mut c = Seal::derive(&Dev(2), &[9; 32], &mut rng).unwrap();
        let t = tag(&mut a, &mut rng);
        assert_eq!(tag(&mut a2, &mut rng), t);
        // Re-randomised shares give the same key every time.
        assert_eq!(tag(&mut a, &mut rng), t);
        assert_ne!(tag(&mut b, &mut rng), t);
        assert_ne!(tag(&mut c, &mut rng), t);
        let mut other = [3; 32];
        other[31] = 4;
        assert_ne!(a.sector_tag(&mut rng, &other).unwrap(), t);
    }

    #[test]
    fn tags_from_the_midstates_are_the_documented_hmac() {
        // The on-flash format is unchanged by keeping the MAC key as midstates: a sector
        // tag is HMAC-SHA256(mac, "sector" || fields) truncated, with `mac` derived as the
        // module docs say, and the root key tags as HMAC-SHA256(root key, parts).
        let (dev, salt) = (Dev(1), [9u8; 32]);
        let prk = reference_hmac(&salt, &[&[1u8; 32]]);
        let mac = reference_hmac(&prk, &[b"keyfort/store/v1/mac", &[1]]);
        let mut seal = Seal::derive(&dev, &salt, &mut Counting(0)).unwrap();
        let fields = [3u8; 32];
        let want = reference_hmac(&mac, &[b"sector", &fields]);
        assert_eq!(
            seal.sector_tag(&mut Counting(5), &fields).unwrap(),
            want[..TAG_LEN]
        );
        let root = reference_hmac(&[1u8; 32], &[b"keyfort/store/v1/root"]);
        let want = reference_hmac(&root, &[b"root", &[7u8; 16]]);
        assert_eq!(
            RootKey::derive(&dev).tag(&[b"root", &[7u8; 16]]),
            want[..TAG_LEN]
        );
        // Negative control: the enc key (the other HKDF label) gives another tag.
        let enc = reference_hmac(&prk, &[b"keyfort/store/v1/enc", &[1]]);
        let other = reference_hmac(&enc, &[b"sector", &fields]);
        assert_ne!(
            seal.sector_tag(&mut Counting(6), &fields).unwrap(),
            other[..TAG_LEN]
        );
    }

    #[test]
    fn bodies_round_trip_and_bind_their_header() {
        let mut rng = Counting(0);
        let mut seal = Seal::derive(&Dev(1), &[9; 32], &mut rng).unwrap();
        let mut h = RecHeader::new(Kind::Key);
        h.nonce = 5;
        h.slot = 1;
        h.kver = 1;
        let plain = *b"0123456789abcdef0123456789ABCDEF!";
        let mut buf = plain;
        seal.xor_body(&mut rng, &h, 0, &mut buf).unwrap();
        assert_ne!(buf, plain);
        let ct = buf;
        seal.xor_body(&mut rng, &h, 0, &mut buf).unwrap();
        assert_eq!(buf, plain);
        // Another nonce or key version: another keystream.
        for (nonce, kver) in [(6, 1), (5, 2)] {
            let mut g = h;
            g.nonce = nonce;
            g.kver = kver;
            let mut x = plain;
            seal.xor_body(&mut rng, &g, 0, &mut x).unwrap();
            assert_ne!(x, ct);
        }
        // Starting at block 2 continues the same keystream.
        let mut tail = plain;
        seal.xor_body(&mut rng, &h, 2, &mut tail[32..]).unwrap();
        assert_eq!(tail[32], ct[32]);
    }

    #[test]
    fn a_refusing_generator_fails_closed() {
        assert_eq!(
            Seal::derive(&Dev(1), &[9; 32], &mut Refusing).err(),
            Some(Error::Rng)
        );
        let mut seal = Seal::derive(&Dev(1), &[9; 32], &mut Counting(0)).unwrap();
        assert_eq!(seal.mac(&mut Refusing).err(), Some(Error::Rng));
        let h = RecHeader::new(Kind::State);
        let mut buf = [0x55u8; 16];
        assert_eq!(
            seal.xor_body(&mut Refusing, &h, 0, &mut buf),
            Err(Error::Rng)
        );
        assert_eq!(buf, [0; 16], "nothing left in the buffer");
    }

    #[test]
    fn tags_compare_whole() {
        assert!(tag_eq(&[1, 2, 3], &[1, 2, 3]));
        assert!(!tag_eq(&[1, 2, 3], &[1, 2, 4]));
        assert!(!tag_eq(&[1, 2, 3], &[1, 2]));
    }
}
