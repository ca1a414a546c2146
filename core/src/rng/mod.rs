//! Random bits for key generation: an HMAC-DRBG (NIST SP 800-90A rev. 1, HMAC-SHA256)
//! seeded from the board's raw entropy source through the NIST SP 800-90B continuous
//! health tests.
//!
//! - [`HmacDrbg`]: the deterministic part. `instantiate` / `reseed` / `generate` as in
//!   SP 800-90A section 10.1.2, with personalisation string, additional input, a reseed
//!   counter and a reseed interval. `generate` is fallible (reseed required, request too
//!   large); the state (K, V) is wiped on drop.
//! - [`HealthTests`] / [`HealthTestedSource`]: the repetition count test and the adaptive
//!   proportion test of SP 800-90B section 4.4 on byte samples, with a start-up test over
//!   the first [`health::STARTUP_SAMPLES`] samples. Cut-offs and the assumed min-entropy are
//!   documented in [`health`].
//! - [`Csprng`]: the two together. It implements `rand_core` 0.10 `Rng + CryptoRng`
//!   (infallible; see its docs for what happens when a reseed is due and the source fails)
//!   and offers [`Csprng::try_generate`], the fallible path that refuses to produce output
//!   when a due reseed cannot be made; [`Csprng::fail_closed`] gives it a fallible
//!   `rand_core` face ([`FailClosed`]) for the key store, which then refuses to make a
//!   key, salt or mask from a generator that failed.
//! - `RandCore09` (feature `rand_core_0_9`): a HAL's `rand_core` 0.9 generator (what
//!   `nrf-hal` ships) as a source, without an adapter of your own.
//!
//! ```
//! use keyfort::rng::{Csprng, MinEntropy};
//! use rand_core::{Rng, TryCryptoRng, TryRng};
//!
//! // A board's raw entropy source implements `TryRng + TryCryptoRng`. This stand-in
//! // (a counter scrambled by a multiply) only shows the types: never use it for real.
//! struct BoardTrng(u32);
//! impl TryRng for BoardTrng {
//!     type Error = core::convert::Infallible;
//!     fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
//!         self.0 = self.0.wrapping_add(0x9E37_79B9);
//!         Ok(self.0.wrapping_mul(0x85EB_CA6B).rotate_left(13) ^ self.0)
//!     }
//!     fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
//!         Ok(u64::from(self.try_next_u32()?) << 32 | u64::from(self.try_next_u32()?))
//!     }
//!     fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
//!         for b in dst {
//!             *b = self.try_next_u32()?.to_le_bytes()[1];
//!         }
//!         Ok(())
//!     }
//! }
//! impl TryCryptoRng for BoardTrng {}
//!
//! let mut rng = Csprng::new(BoardTrng(1), MinEntropy::Bits1, b"device serial 0042")?;
//! let mut key = [0u8; 32];
//! rng.try_generate(&mut key, b"")?; // strict path, for key generation
//! let nonce = rng.next_u64(); // infallible rand_core path
//! # let _ = nonce;
//! # Ok::<(), keyfort::rng::RngError>(())
//! ```
//!
//! What this protects against: a stuck or grossly biased entropy source (caught by the
//! health tests before its output seeds anything), state compromise after the fact
//! (backtracking resistance of HMAC-DRBG: K and V are updated after every request).
//! What it does not: a source that is weak but passes the health tests (the health tests
//! catch failures, they do not measure entropy; the assumed min-entropy in [`health`]
//! must be justified for each board's source), RAM read-out of the live state.

mod csprng;
mod error;
pub mod health;
mod hmac_drbg;
#[cfg(feature = "rand_core_0_9")]
#[cfg_attr(docsrs, doc(cfg(feature = "rand_core_0_9")))]
pub mod rand_core_09;

pub use csprng::{Csprng, FailClosed, DEFAULT_RESEED_INTERVAL};
pub use error::{DrbgError, HealthTest, RngError};
pub use health::{HealthTestedSource, HealthTests, MinEntropy};
pub use hmac_drbg::{HmacDrbg, MAX_REQUEST, MAX_RESEED_INTERVAL};
#[cfg(feature = "rand_core_0_9")]
#[cfg_attr(docsrs, doc(cfg(feature = "rand_core_0_9")))]
pub use rand_core_09::RandCore09;
