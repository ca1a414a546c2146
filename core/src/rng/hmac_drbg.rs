//! HMAC_DRBG with HMAC-SHA256 (NIST SP 800-90A rev. 1, section 10.1.2), security strength
//! 256 bits, no derivation function, no prediction resistance (reseed explicitly or let
//! [`Csprng`](super::Csprng) reseed at the interval).
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

use super::DrbgError;

type HmacSha256 = Hmac<Sha256>;

/// Security strength in bytes (256 bits).
const STRENGTH: usize = 32;
/// Entropy input plus nonce at instantiate: strength plus half of it (48 bytes).
const MIN_SEED: usize = 48;
/// Largest request per generate call (SP 800-90A table 2: 2^19 bits).
pub const MAX_REQUEST: usize = 1 << 16;
/// Largest reseed interval SP 800-90A allows for HMAC_DRBG (table 2: 2^48 requests).
pub const MAX_RESEED_INTERVAL: u64 = 1 << 48;
/// Largest entropy input, personalisation string or additional input accepted, in bytes
/// (SP 800-90A allows 2^35 bits; we keep to 2^32 bytes).
const MAX_INPUT: u64 = 1 << 32;

/// The HMAC_DRBG state: key K, value V, reseed counter. Not `Clone` (a copy would repeat
/// its output); `Debug` is redacted; K and V are wiped on drop.
pub struct HmacDrbg {
    k: [u8; 32],
    v: [u8; 32],
    reseed_counter: u64,
    reseed_interval: u64,
}

fn too_long(data: &[u8]) -> bool {
    data.len() as u64 > MAX_INPUT
}

impl HmacDrbg {
    /// Instantiate (SP 800-90A 10.1.2.3). `entropy` must hold at least 32 bytes and,
    /// together with `nonce`, at least 48 (the nonce may be empty when `entropy` carries
    /// the extra 16 bytes, SP 800-90A 8.6.7). The reseed interval starts at
    /// [`MAX_RESEED_INTERVAL`]; lower it with [`HmacDrbg::set_reseed_interval`].
    pub fn instantiate(
        entropy: &[u8],
        nonce: &[u8],
        personalization: &[u8],
    ) -> Result<Self, DrbgError> {
        if entropy.len() < STRENGTH
            || entropy.len() + nonce.len() < MIN_SEED
            || too_long(entropy)
            || too_long(nonce)
        {
            return Err(DrbgError::EntropyLength);
        }
        if too_long(personalization) {
            return Err(DrbgError::InputTooLong);
        }
        let mut d = Self {
            k: [0u8; 32],
            v: [1u8; 32],
            reseed_counter: 1,
            reseed_interval: MAX_RESEED_INTERVAL,
        };
        d.update(&[entropy, nonce, personalization]);
        Ok(d)
    }

    /// Sets the reseed interval (number of generate requests between reseeds), clamped
    /// to `1..=`[`MAX_RESEED_INTERVAL`].
    pub fn set_reseed_interval(&mut self, requests: u64) {
        self.reseed_interval = requests.clamp(1, MAX_RESEED_INTERVAL);
    }

    /// Whether the next generate call would fail with [`DrbgError::ReseedRequired`].
    pub fn reseed_required(&self) -> bool {
        self.reseed_counter > self.reseed_interval
    }

    /// The reseed counter (1 after instantiate or reseed, plus one per generate).
    pub fn reseed_counter(&self) -> u64 {
        self.reseed_counter
    }

    /// Reseed (SP 800-90A 10.1.2.4) with at least 32 bytes of fresh entropy.
    pub fn reseed(&mut self, entropy: &[u8], additional: &[u8]) -> Result<(), DrbgError> {
        if entropy.len() < STRENGTH || too_long(entropy) {
            return Err(DrbgError::EntropyLength);
        }
        if too_long(additional) {
            return Err(DrbgError::InputTooLong);
        }
        self.update(&[entropy, additional]);
        self.reseed_counter = 1;
        Ok(())
    }

    /// Generate (SP 800-90A 10.1.2.5): fills `out` (at most [`MAX_REQUEST`] bytes).
    /// On error `out` is zeroed and the state is unchanged.
    pub fn generate(&mut self, out: &mut [u8], additional: &[u8]) -> Result<(), DrbgError> {
        self.generate_inner(out, additional, true)
    }

    /// [`HmacDrbg::generate`], optionally past the reseed interval (only for
    /// [`Csprng`](super::Csprng)'s infallible path after a failed reseed; see there).
    pub(super) fn generate_inner(
        &mut self,
        out: &mut [u8],
        additional: &[u8],
        enforce_interval: bool,
    ) -> Result<(), DrbgError> {
        let r = self.check(out.len(), additional, enforce_interval);
        if let Err(e) = r {
            out.zeroize();
            return Err(e);
        }
        if !additional.is_empty() {
            self.update(&[additional]);
        }
        // K is the same for every output block: HMAC is keyed once (its two padded-key
        // blocks hashed once) and each block starts from a copy of that state (wiped on
        // drop, as is `keyed`), two SHA-256 compressions per 32 bytes instead of four.
        let keyed = <HmacSha256 as KeyInit>::new_from_slice(&self.k).ok();
        for chunk in out.chunks_mut(32) {
            self.v = match &keyed {
                Some(k) => {
                    let mut m = k.clone();
                    m.update(&self.v);
                    m.finalize().into_bytes().into()
                }
                // A 32-byte key is always accepted by HMAC: unreachable (as in `mac`).
                None => [0u8; 32],
            };
            let n = chunk.len();
            chunk.copy_from_slice(self.v.get(..n).unwrap_or(&[]));
        }
        drop(keyed);
        self.update(&[additional]);
        self.reseed_counter = self.reseed_counter.saturating_add(1);
        // The output blocks (fresh key material) and earlier values of V passed through
        // `mac`'s frame and HMAC's state: overwrite those returned frames now rather than
        // at the caller's next drop.
        crate::secret::scrub_stack();
        Ok(())
    }

    fn check(&self, len: usize, additional: &[u8], enforce: bool) -> Result<(), DrbgError> {
        if len > MAX_REQUEST {
            return Err(DrbgError::RequestTooLarge);
        }
        if too_long(additional) {
            return Err(DrbgError::InputTooLong);
        }
        if enforce && self.reseed_required() {
            return Err(DrbgError::ReseedRequired);
        }
        Ok(())
    }

    /// HMAC(K, parts...).
    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        // A 32-byte key is always accepted by HMAC; the fallback is unreachable.
        let Ok(mut m) = <HmacSha256 as KeyInit>::new_from_slice(&self.k) else {
            return [0u8; 32];
        };
        for p in parts {
            m.update(p);
        }
        m.finalize().into_bytes().into()
    }

    /// HMAC_DRBG_Update (10.1.2.2); `provided` is the concatenation of its parts.
    fn update(&mut self, provided: &[&[u8]]) {
        let empty = provided.iter().all(|p| p.is_empty());
        self.round(0x00, provided);
        if !empty {
            self.round(0x01, provided);
        }
        // Earlier K and V (which would give the outputs that follow them) were copied
        // through `round`'s and `mac`'s frames: overwrite them.
        crate::secret::scrub_stack();
    }

    fn round(&mut self, sep: u8, provided: &[&[u8]]) {
        let mut m = match <HmacSha256 as KeyInit>::new_from_slice(&self.k) {
            Ok(m) => m,
            Err(_) => return,
        };
        m.update(&self.v);
        m.update(&[sep]);
        for p in provided {
            m.update(p);
        }
        self.k = m.finalize().into_bytes().into();
        self.v = self.mac(&[&self.v]);
    }
}

/// The fallible `rand_core` interface: requests of any length (split into
/// [`MAX_REQUEST`]-byte requests), no additional input; fails with
/// [`DrbgError::ReseedRequired`] when a reseed is due (output zeroed). For an infallible
/// `CryptoRng` that reseeds itself, use [`Csprng`](super::Csprng).
impl rand_core::TryRng for HmacDrbg {
    type Error = DrbgError;
    fn try_next_u32(&mut self) -> Result<u32, DrbgError> {
        let mut b = [0u8; 4];
        self.generate(&mut b, &[])?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, DrbgError> {
        let mut b = [0u8; 8];
        self.generate(&mut b, &[])?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), DrbgError> {
        for chunk in dst.chunks_mut(MAX_REQUEST) {
            if let Err(e) = self.generate(chunk, &[]) {
                dst.zeroize();
                return Err(e);
            }
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for HmacDrbg {}

impl Drop for HmacDrbg {
    #[inline(never)]
    fn drop(&mut self) {
        self.k.zeroize();
        self.v.zeroize();
    }
}
impl zeroize::ZeroizeOnDrop for HmacDrbg {}

impl core::fmt::Debug for HmacDrbg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "HmacDrbg {{ reseed_counter: {}, .. }}",
            self.reseed_counter
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rejects_short_entropy_and_large_requests() {
        assert_eq!(
            HmacDrbg::instantiate(&[1; 31], &[2; 32], b"").err(),
            Some(DrbgError::EntropyLength)
        );
        assert_eq!(
            HmacDrbg::instantiate(&[1; 32], &[2; 15], b"").err(),
            Some(DrbgError::EntropyLength)
        );
        let mut d = HmacDrbg::instantiate(&[1; 48], &[], b"").unwrap();
        let mut big = [7u8; MAX_REQUEST + 1];
        assert_eq!(d.generate(&mut big, b""), Err(DrbgError::RequestTooLarge));
        assert!(big.iter().all(|&b| b == 0), "output zeroed on error");
        assert_eq!(d.reseed(&[3; 31], b""), Err(DrbgError::EntropyLength));
    }

    #[test]
    fn reseed_interval_enforced() {
        let mut d = HmacDrbg::instantiate(&[1; 32], &[2; 16], b"").unwrap();
        d.set_reseed_interval(2);
        let mut o = [0u8; 16];
        d.generate(&mut o, b"").unwrap();
        d.generate(&mut o, b"").unwrap();
        assert!(d.reseed_required());
        o = [9u8; 16];
        assert_eq!(d.generate(&mut o, b""), Err(DrbgError::ReseedRequired));
        assert_eq!(o, [0u8; 16]);
        d.reseed(&[5; 32], b"").unwrap();
        assert!(d.generate(&mut o, b"").is_ok());
        assert_ne!(o, [0u8; 16]);
    }
}
