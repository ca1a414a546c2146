//! The HMAC-DRBG seeded from a health-tested raw entropy source: keyfort's CSPRNG.
use core::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};
use zeroize::Zeroize;

use super::health::{HealthTestedSource, MinEntropy};
use super::hmac_drbg::{HmacDrbg, MAX_REQUEST};
use super::RngError;

/// Largest raw-entropy buffer (instantiate at `H = 1`: 384 bits of min-entropy -> 384
/// bytes, on the stack only during seeding).
const SEED_BUF: usize = 384;
/// Entropy (in bits of min-entropy) collected at instantiate: the 256-bit security
/// strength plus a 128-bit nonce taken from the same source (SP 800-90A 8.6.7).
const INSTANTIATE_BITS: usize = 384;
/// Entropy collected at each reseed.
const RESEED_BITS: usize = 256;
/// Default reseed interval of a [`Csprng`]: reseed from the source every 2^20 requests.
pub const DEFAULT_RESEED_INTERVAL: u64 = 1 << 20;

/// An [`HmacDrbg`] together with its health-tested entropy source.
///
/// Two ways to draw bytes:
/// - [`Csprng::try_generate`] (fallible): reseeds when the interval is reached and
///   fails, writing zeros, when that reseed cannot be made (source error, health test
///   failure). Use it for key generation.
/// - `rand_core::Rng` / `CryptoRng` (infallible, for APIs that take `&mut impl
///   CryptoRng`): also reseeds when due. If that reseed fails, it keeps generating from
///   its current state (seeded at instantiate from health-tested entropy, so the output
///   is still that of a properly seeded HMAC-DRBG: the interval bounds how long a state
///   compromise would last, it is not a point where the output becomes weak) and latches
///   the failure, readable with [`Csprng::status`]. It never panics and never outputs
///   unseeded or untested bytes: a `Csprng` only exists after a successful instantiate.
pub struct Csprng<S> {
    drbg: HmacDrbg,
    source: HealthTestedSource<S>,
    latched: Option<RngError>,
}

impl<S: TryRng + TryCryptoRng> Csprng<S> {
    /// Runs the source's start-up health test, draws `INSTANTIATE_BITS / H` raw bytes
    /// (entropy input and nonce) through the continuous tests and instantiates the DRBG
    /// with `personalization` (a device serial, for example; not secret).
    pub fn new(source: S, h: MinEntropy, personalization: &[u8]) -> Result<Self, RngError> {
        let mut source = HealthTestedSource::new(source, h);
        let mut seed = [0u8; SEED_BUF];
        let n = h.bytes_for(INSTANTIATE_BITS).min(SEED_BUF);
        let seed_part = seed.get_mut(..n).unwrap_or(&mut []);
        let r = source.fill(seed_part).and_then(|()| {
            // SP 800-90A lets the nonce come with the entropy input: pass all as entropy.
            HmacDrbg::instantiate(seed_part, &[], personalization).map_err(RngError::from)
        });
        seed.zeroize();
        let mut drbg = r?;
        drbg.set_reseed_interval(DEFAULT_RESEED_INTERVAL);
        Ok(Self {
            drbg,
            source,
            latched: None,
        })
    }

    /// Sets the reseed interval in generate requests (clamped to `1..=2^48`).
    pub fn set_reseed_interval(&mut self, requests: u64) {
        self.drbg.set_reseed_interval(requests);
    }

    /// Reseeds now from the source with `RESEED_BITS / H` tested raw bytes.
    pub fn reseed(&mut self, additional: &[u8]) -> Result<(), RngError> {
        let mut buf = [0u8; SEED_BUF];
        let n = self
            .source
            .min_entropy()
            .bytes_for(RESEED_BITS)
            .min(SEED_BUF);
        let part = buf.get_mut(..n).unwrap_or(&mut []);
        let r = self
            .source
            .fill(part)
            .and_then(|()| self.drbg.reseed(part, additional).map_err(RngError::from));
        buf.zeroize();
        if r.is_ok() {
            self.latched = None;
        }
        r
    }

    /// Fills `out` (any length; split into SP 800-90A requests), reseeding first when the
    /// interval is reached. On error `out` is zeroed.
    pub fn try_generate(&mut self, out: &mut [u8], additional: &[u8]) -> Result<(), RngError> {
        for chunk in out.chunks_mut(MAX_REQUEST) {
            let r = self.one_request(chunk, additional, true);
            if let Err(e) = r {
                out.zeroize();
                return Err(e);
            }
        }
        Ok(())
    }

    /// `Ok` unless the infallible path had to skip a due reseed (see the type's docs);
    /// the error then says why. A successful [`Csprng::reseed`] clears it.
    pub fn status(&self) -> Result<(), RngError> {
        match self.latched {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The DRBG's reseed counter (requests since the last (re)seed, plus one).
    pub fn reseed_counter(&self) -> u64 {
        self.drbg.reseed_counter()
    }

    /// The health-tested source (to inspect or reset a health-test failure).
    pub fn source_mut(&mut self) -> &mut HealthTestedSource<S> {
        &mut self.source
    }

    fn one_request(
        &mut self,
        out: &mut [u8],
        additional: &[u8],
        strict: bool,
    ) -> Result<(), RngError> {
        if self.drbg.reseed_required() {
            if let Err(e) = self.reseed(&[]) {
                if strict {
                    return Err(e);
                }
                self.latched = Some(e);
            }
        }
        self.drbg
            .generate_inner(out, additional, strict)
            .map_err(RngError::from)
    }

    fn fill_infallible(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(MAX_REQUEST) {
            // Not strict: the only remaining errors are an oversize request (excluded by
            // the chunking) and an over-long additional input (empty here).
            if let Err(e) = self.one_request(chunk, &[], false) {
                self.latched = Some(e);
            }
        }
    }
}

impl<S: TryRng + TryCryptoRng> TryRng for Csprng<S> {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.fill_infallible(&mut b);
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.fill_infallible(&mut b);
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.fill_infallible(dst);
        Ok(())
    }
}

impl<S: TryRng + TryCryptoRng> TryCryptoRng for Csprng<S> {}

impl<S> core::fmt::Debug for Csprng<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Csprng")
            .field("drbg", &self.drbg)
            .field("latched", &self.latched)
            .finish_non_exhaustive()
    }
}

/// A [`Csprng`] with a fallible `rand_core` face, for APIs that take a `TryCryptoRng`
/// and must fail closed, above all the key store ([`crate::store::KeyStore`]): every
/// request goes through [`Csprng::try_generate`], so it is refused (with the reason)
/// when a due reseed cannot be made (source error, health test failure), and once a
/// request has been refused every later one is too, until [`FailClosed::reseed`]
/// succeeds. The store turns a refusal into [`crate::store::Error::Rng`]: no key, salt or
/// mask is made. (The plain [`Csprng`]'s infallible path cannot refuse; see its docs.)
pub struct FailClosed<S> {
    inner: Csprng<S>,
    failed: Option<RngError>,
}

impl<S: TryRng + TryCryptoRng> Csprng<S> {
    /// This generator behind a fallible face that fails closed ([`FailClosed`]).
    pub fn fail_closed(self) -> FailClosed<S> {
        FailClosed {
            inner: self,
            failed: None,
        }
    }
}

impl<S: TryRng + TryCryptoRng> FailClosed<S> {
    /// `Ok` until a request was refused; then why.
    pub fn status(&self) -> Result<(), RngError> {
        match self.failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Reseeds from the source; on success requests are served again.
    pub fn reseed(&mut self, additional: &[u8]) -> Result<(), RngError> {
        self.inner.reseed(additional)?;
        self.failed = None;
        Ok(())
    }

    /// The generator inside (to set its reseed interval, inspect its source).
    pub fn inner_mut(&mut self) -> &mut Csprng<S> {
        &mut self.inner
    }
}

impl<S: TryRng + TryCryptoRng> TryRng for FailClosed<S> {
    type Error = RngError;
    fn try_next_u32(&mut self) -> Result<u32, RngError> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, RngError> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), RngError> {
        if let Some(e) = self.failed {
            dst.zeroize();
            return Err(e);
        }
        self.inner.try_generate(dst, &[]).inspect_err(|e| {
            self.failed = Some(*e);
        })
    }
}

impl<S: TryRng + TryCryptoRng> TryCryptoRng for FailClosed<S> {}

impl<S> core::fmt::Debug for FailClosed<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FailClosed")
            .field("inner", &self.inner)
            .field("failed", &self.failed)
            .finish()
    }
}
