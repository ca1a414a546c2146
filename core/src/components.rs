//! Key components for split knowledge: a key `K` held as `n >= 2` components
//! `C1 ^ C2 ^ ... ^ Cn = K`, each given to a different custodian, so that no one person
//! ever knows the key (ANSI X9.24-1 and PCI PIN: dual control, split knowledge).
//!
//! ```
//! use keyfort::components::{combine, split};
//! use keyfort::secret::SecretBuf;
//! # struct Rng(u64);
//! # impl rand_core::TryRng for Rng { type Error = core::convert::Infallible;
//! #   fn try_next_u32(&mut self) -> Result<u32, Self::Error> { Ok(self.try_next_u64()? as u32) }
//! #   fn try_next_u64(&mut self) -> Result<u64, Self::Error> { self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); Ok(self.0 >> 11) }
//! #   fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> { for b in d { *b = self.try_next_u64()? as u8; } Ok(()) } }
//! # impl rand_core::TryCryptoRng for Rng {}
//! let key = SecretBuf::<32>::from_slice(&[0x11; 16]).expect("16 <= 32");
//! // Three components for three custodians:
//! let mut parts = [SecretBuf::<32>::new(), SecretBuf::new(), SecretBuf::new()];
//! split(&key, &mut parts, &mut Rng(7))?;
//! // Together they give the key back; any two of them say nothing about it.
//! let back = combine(&parts)?;
//! assert_eq!(back.expose(), key.expose());
//! # Ok::<(), keyfort::components::ComponentError>(())
//! ```
//!
//! Components are combined by plain XOR. Parity is not adjusted: a TDES key combined from
//! an even number of odd-parity components has even parity. DES ignores parity bits, so
//! the key and its check value ([`crate::kcv`]) are the same either way; set the parity
//! afterwards if a system insists on odd parity.
use rand_core::CryptoRng;

use crate::secret::SecretBuf;

/// Why components could not be combined or made.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ComponentError {
    /// Fewer than two components: one component is the key itself.
    TooFew,
    /// The components (or the key and the components' buffers) differ in length, or one
    /// is empty.
    Length,
}

impl core::fmt::Display for ComponentError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::TooFew => "at least two key components are needed",
            Self::Length => "key components must be non-empty and of the key's length",
        })
    }
}

impl core::error::Error for ComponentError {}

/// The key whose components are `components` (at least two, all of one non-zero length):
/// their XOR.
pub fn combine<const CAP: usize>(
    components: &[SecretBuf<CAP>],
) -> Result<SecretBuf<CAP>, ComponentError> {
    let (first, rest) = components.split_first().ok_or(ComponentError::TooFew)?;
    if rest.is_empty() {
        return Err(ComponentError::TooFew);
    }
    let n = first.len();
    if n == 0 || rest.iter().any(|c| c.len() != n) {
        return Err(ComponentError::Length);
    }
    let mut key = SecretBuf::<CAP>::new();
    key.set_len(n).ok_or(ComponentError::Length)?;
    for c in components {
        for (k, b) in key.expose_mut().iter_mut().zip(c.expose()) {
            *k ^= b;
        }
    }
    Ok(key)
}

/// Splits `key` into `out.len()` (at least two) components: all but the first are
/// random, the first is the key XOR the others. Any `out.len() - 1` of them are
/// independent of the key. On error `out` is left empty.
pub fn split<const CAP: usize, R: CryptoRng + ?Sized>(
    key: &SecretBuf<CAP>,
    out: &mut [SecretBuf<CAP>],
    rng: &mut R,
) -> Result<(), ComponentError> {
    for c in out.iter_mut() {
        c.set_len(0);
    }
    let n = key.len();
    let (first, rest) = out.split_first_mut().ok_or(ComponentError::TooFew)?;
    if rest.is_empty() {
        return Err(ComponentError::TooFew);
    }
    if n == 0 {
        return Err(ComponentError::Length);
    }
    first.set_len(n).ok_or(ComponentError::Length)?;
    first.expose_mut().copy_from_slice(key.expose());
    for c in rest.iter_mut() {
        c.set_len(n).ok_or(ComponentError::Length)?;
        rng.fill_bytes(c.expose_mut());
        for (f, b) in first.expose_mut().iter_mut().zip(c.expose()) {
            *f ^= b;
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::block::Tdes;
    use crate::kcv::tdes_legacy;
    use crate::testutil::unhex;

    struct Counter(u8);
    impl rand_core::TryRng for Counter {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(u32::from(self.next()))
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(u64::from(self.next()))
        }
        fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> {
            for b in d {
                *b = self.next();
            }
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for Counter {}
    impl Counter {
        fn next(&mut self) -> u8 {
            self.0 = self.0.wrapping_mul(73).wrapping_add(41);
            self.0
        }
    }

    fn buf(h: &str) -> SecretBuf<32> {
        SecretBuf::from_slice(&unhex(h)).unwrap()
    }

    /// Two components of the TDES key 0123456789ABCDEFFEDCBA9876543210 (KCV 08D7B4, psec's
    /// example): C1 = all 0x11 bytes, C2 = key ^ C1. Combined, they give the key and its
    /// published KCV.
    #[test]
    fn combine_gives_the_key_and_its_published_kcv() {
        let c1 = buf("11111111111111111111111111111111");
        let c2 = buf("1032547698BADCFEEFCDAB8967452301");
        let key = combine(&[c1, c2]).unwrap();
        assert_eq!(key.expose(), &unhex("0123456789ABCDEFFEDCBA9876543210")[..]);
        let kcv = tdes_legacy(&Tdes::new(key.expose()).unwrap());
        assert_eq!(std::format!("{kcv}"), "08D7B4");
    }

    #[test]
    fn split_then_combine_round_trips_for_two_to_five_components() {
        let key = buf("88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6");
        let mut rng = Counter(3);
        for n in 2..=5 {
            let mut parts: std::vec::Vec<SecretBuf<32>> =
                (0..n).map(|_| SecretBuf::new()).collect();
            split(&key, &mut parts, &mut rng).unwrap();
            assert!(parts.iter().all(|p| p.len() == 32));
            // No component is the key, and they are pairwise different.
            for (i, p) in parts.iter().enumerate() {
                assert_ne!(p.expose(), key.expose());
                for q in &parts[i + 1..] {
                    assert_ne!(p.expose(), q.expose());
                }
            }
            assert_eq!(combine(&parts).unwrap().expose(), key.expose());
            // Negative control: leaving one component out does not give the key.
            assert_ne!(
                combine(&parts[1..]).map(|k| k.expose() == key.expose()),
                Ok(true)
            );
        }
    }

    #[test]
    fn errors() {
        let a = buf("00112233445566778899AABBCCDDEEFF");
        assert_eq!(
            combine(&[buf("00112233445566778899AABBCCDDEEFF")]).map(|_| ()),
            Err(ComponentError::TooFew)
        );
        assert_eq!(combine::<32>(&[]).map(|_| ()), Err(ComponentError::TooFew));
        assert_eq!(
            combine(&[a, buf("0011223344556677")]).map(|_| ()),
            Err(ComponentError::Length)
        );
        assert_eq!(
            combine(&[SecretBuf::<32>::new(), SecretBuf::new()]).map(|_| ()),
            Err(ComponentError::Length)
        );
        let key = buf("00112233445566778899AABBCCDDEEFF");
        let mut one = [buf("AA")];
        assert_eq!(
            split(&key, &mut one, &mut Counter(1)),
            Err(ComponentError::TooFew)
        );
        assert!(one[0].is_empty(), "left empty on error");
        let mut small = [SecretBuf::<8>::new(), SecretBuf::new()];
        let big = SecretBuf::<8>::from_slice(&[1; 8]).unwrap();
        assert!(split(&big, &mut small, &mut Counter(1)).is_ok());
        let mut two = [SecretBuf::<32>::new(), SecretBuf::new()];
        assert_eq!(
            split(&SecretBuf::<32>::new(), &mut two, &mut Counter(1)),
            Err(ComponentError::Length)
        );
    }
}
