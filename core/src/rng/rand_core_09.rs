//! Entropy sources written against `rand_core` 0.9 (the version `nrf-hal` 0.19 and other
//! HALs ship), for keyfort, which speaks `rand_core` 0.10 (feature `rand_core_0_9`).
//!
//! ```
//! use keyfort::rng::{Csprng, MinEntropy, RandCore09};
//!
//! // A HAL's RNG peripheral driver implements rand_core 0.9 `RngCore + CryptoRng`. This
//! // stand-in (a counter scrambled by a multiply) only shows the types: never use it.
//! struct HalRng(u32);
//! impl rand_core_09::RngCore for HalRng {
//!     fn next_u32(&mut self) -> u32 {
//!         self.0 = self.0.wrapping_add(0x9E37_79B9);
//!         self.0.wrapping_mul(0x85EB_CA6B).rotate_left(13) ^ self.0
//!     }
//!     fn next_u64(&mut self) -> u64 {
//!         u64::from(self.next_u32()) << 32 | u64::from(self.next_u32())
//!     }
//!     fn fill_bytes(&mut self, dst: &mut [u8]) {
//!         for b in dst {
//!             *b = self.next_u32().to_le_bytes()[1];
//!         }
//!     }
//! }
//! impl rand_core_09::CryptoRng for HalRng {}
//!
//! // No adapter of your own: wrap the driver, and it is a keyfort entropy source.
//! let mut rng = Csprng::new(RandCore09::new(HalRng(1)), MinEntropy::Bits1, b"serial 42")?;
//! let mut key = [0u8; 16];
//! rng.try_generate(&mut key, b"")?;
//! # Ok::<(), keyfort::rng::RngError>(())
//! ```
//!
//! (`rand_core_09` is how this example names `rand_core` 0.9 next to 0.10; in a firmware
//! crate it is whatever the HAL re-exports or the name in its `Cargo.toml`.)
use core::convert::Infallible;
use rand_core::{TryCryptoRng, TryRng};

/// A `rand_core` 0.9 generator as a `rand_core` 0.10 one: `TryRng + TryCryptoRng` with
/// `Infallible` errors (0.9's `RngCore` cannot report a failure), each call passed through
/// unchanged. Feed it to [`crate::rng::Csprng`] (or [`crate::rng::HealthTestedSource`]),
/// which run the health tests on its output: this adapter adds no checks of its own.
#[derive(Debug)]
pub struct RandCore09<R>(R);

impl<R> RandCore09<R> {
    /// Wraps `rng`.
    pub fn new(rng: R) -> Self {
        Self(rng)
    }

    /// The wrapped generator back.
    pub fn into_inner(self) -> R {
        self.0
    }
}

impl<R: rand_core_09::RngCore + rand_core_09::CryptoRng> TryRng for RandCore09<R> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0.next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.0.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}

impl<R: rand_core_09::RngCore + rand_core_09::CryptoRng> TryCryptoRng for RandCore09<R> {}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::cast_possible_truncation)]
mod tests {
    use super::*;

    /// A 0.9 generator whose every output is a distinct function of a call counter and of
    /// the method called, so a swapped or dropped call shows.
    struct Counting(u64);
    impl rand_core_09::RngCore for Counting {
        fn next_u32(&mut self) -> u32 {
            self.0 += 1;
            0x3200_0000 | (self.0 as u32)
        }
        fn next_u64(&mut self) -> u64 {
            self.0 += 1;
            0x6400_0000_0000_0000 | self.0
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            for b in dst {
                self.0 += 1;
                *b = 0x80 | (self.0 as u8 & 0x7F);
            }
        }
    }
    impl rand_core_09::CryptoRng for Counting {}

    #[test]
    fn every_call_reaches_the_09_generator_unchanged() {
        let mut direct = Counting(0);
        let mut adapted = RandCore09::new(Counting(0));
        use rand_core_09::RngCore;
        assert_eq!(adapted.try_next_u32(), Ok(direct.next_u32()));
        assert_eq!(adapted.try_next_u64(), Ok(direct.next_u64()));
        let (mut a, mut d) = ([0u8; 37], [0u8; 37]);
        adapted
            .try_fill_bytes(&mut a)
            .unwrap_or_else(|e| match e {});
        direct.fill_bytes(&mut d);
        assert_eq!(a, d);
        assert_ne!(a, [0u8; 37], "the fill wrote the buffer");
        assert_eq!(adapted.try_next_u32(), Ok(direct.next_u32()));
        assert_eq!(
            adapted.into_inner().0,
            direct.0,
            "no extra or missing calls"
        );
    }

    #[test]
    fn seeds_the_csprng() {
        use crate::rng::{Csprng, MinEntropy};
        // A counter passes the health tests (no repeats, no dominant value) but is not
        // random: this only shows that the adapted type is accepted and drives the DRBG.
        let mut rng = Csprng::new(RandCore09::new(Counting(0)), MinEntropy::Bits8, b"t").unwrap();
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        assert!(rng.try_generate(&mut a, b"").is_ok());
        assert!(rng.try_generate(&mut b, b"").is_ok());
        assert_ne!(a, b);
    }
}
