//! What an imported key may do: the header's key usage, algorithm, mode of use and
//! exportability mapped onto [`crate::attributes`], and the KBPK strength rule.
//!
//! The one home of the mapping from a TR-31 key usage and mode of use onto keyfort's
//! [`Usage`] (a [`Purpose`] and modes; the store and the typed key holders of
//! [`crate::key`] check uses against it with [`Usage::permits`]):
//!
//! | key usage | meaning | [`Purpose`] | modes of use -> modes |
//! |---|---|---|---|
//! | `B0` | BDK (DUKPT base derivation key) | `Bdk` | `X`, `N` -> DERIVE |
//! | `B1` | DUKPT initial key (IPEK / IK) | `InitialKey` | `X`, `N` -> DERIVE |
//! | `K0` | key encryption / wrapping key | `General` | `E` -> WRAP, `D` -> UNWRAP, `B`, `N` -> both |
//! | `K1` | TR-31 key block protection key | `Kbpk` | as `K0` |
//! | `D0` | symmetric data encryption | `General` | `E` -> ENCRYPT, `D` -> DECRYPT, `B`, `N` -> both |
//! | `P0` | PIN encryption | `Pin` | as `D0` |
//! | `Mn`, n = 0..8 | MAC key of one algorithm ([`MacAlgorithm`]: ISO 16609, ISO 9797-1 algorithms 1 to 6, X9.19, CMAC, HMAC) | `Mac(Mn)` | `G` -> MAC_GENERATE, `V` -> MAC_VERIFY, `C`, `N` -> both |
//!
//! So a `P0` key is never a data key, a `K1` key never a general key-encryption key, a
//! `K0` key never a KBPK, and an `M3` key computes X9.19 MACs only.
//! Anything else is [`Tr31Error::UnsupportedUsage`]; a mode not in the row is
//! [`Tr31Error::ModeNotAllowed`]. Algorithm `A` maps to AES-128/192/256 by key length,
//! `T` to 2-/3-key TDES (16/24 bytes), `H` to HMAC-SHA256 (32-byte key; an `HM` optional
//! block, if present, must say `21`, SHA-256); others (single DES, RSA, ECC...) are
//! [`Tr31Error::UnsupportedAlgorithm`].
//!
//! Exportability: `E` adds [`Usage::EXPORT`]; `N` (non-exportable) and `S` (sensitive:
//! exportable only in forms keyfort does not produce) do not. A key component (key
//! version `c*`) is refused with [`Tr31Error::KeyComponent`].
use super::header::{Header, Version};
use super::Tr31Error;
use crate::attributes::{Algorithm, MacAlgorithm, Purpose, Usage};

/// Whether a KBPK of `alg` serves blocks of `version`: AES for D and E, TDES for A, B
/// and C. A stored key's algorithm is checked with it before it is used as a KBPK
/// ([`Tr31Error::KbpkAlgorithm`]).
pub fn kbpk_algorithm_fits(version: Version, alg: Algorithm) -> bool {
    match version {
        Version::A | Version::B | Version::C => matches!(alg, Algorithm::Tdes2 | Algorithm::Tdes3),
        Version::D | Version::E => {
            matches!(
                alg,
                Algorithm::Aes128 | Algorithm::Aes192 | Algorithm::Aes256
            )
        }
    }
}

/// The algorithm of a key block's KBPK, from the version and the KBPK length.
pub fn kbpk_algorithm(version: Version, kbpk_len: usize) -> Result<Algorithm, Tr31Error> {
    Ok(match (version, kbpk_len) {
        (Version::A | Version::B | Version::C, 16) => Algorithm::Tdes2,
        (Version::A | Version::B | Version::C, 24) => Algorithm::Tdes3,
        (Version::D | Version::E, 16) => Algorithm::Aes128,
        (Version::D | Version::E, 24) => Algorithm::Aes192,
        (Version::D | Version::E, 32) => Algorithm::Aes256,
        _ => return Err(Tr31Error::BadKbpk),
    })
}

/// A KBPK known only as bytes (a file, a published vector), admitted for unwrapping
/// `block` as the KBPK its version and its length name ([`kbpk_algorithm`]). The
/// raw-key entry of TR-31: a stored KBPK comes with its own algorithm and usage from
/// [`crate::store::KeyStore::with_typed_key`] instead.
pub fn raw_kbpk<'k>(
    kbpk: &'k [u8],
    block: &[u8],
) -> Result<crate::key::TypedKey<'k, crate::key::KbpkUnwrap>, Tr31Error> {
    let version = Header::parse(block)?.version;
    let alg = kbpk_algorithm(version, kbpk.len())?;
    Ok(crate::key::TypedKey::raw(kbpk, alg)?)
}

fn algorithm(h: &Header<'_>, key_len: usize) -> Result<Algorithm, Tr31Error> {
    Ok(match (h.algorithm, key_len) {
        (b'A', 16) => Algorithm::Aes128,
        (b'A', 24) => Algorithm::Aes192,
        (b'A', 32) => Algorithm::Aes256,
        (b'T', 16) => Algorithm::Tdes2,
        (b'T', 24) => Algorithm::Tdes3,
        (b'H', 32) => {
            if let Some(hm) = h.opt_block(b"HM") {
                if hm.data != b"21" {
                    return Err(Tr31Error::UnsupportedAlgorithm);
                }
            }
            Algorithm::HmacSha256
        }
        _ => return Err(Tr31Error::UnsupportedAlgorithm),
    })
}

fn usage(h: &Header<'_>) -> Result<Usage, Tr31Error> {
    let m = h.mode_of_use;
    let (purpose, modes) = match &h.key_usage {
        b"B0" | b"B1" => {
            let p = if h.key_usage[1] == b'0' {
                Purpose::Bdk
            } else {
                Purpose::InitialKey
            };
            match m {
                b'X' | b'N' => (p, Usage::DERIVE),
                _ => return Err(Tr31Error::ModeNotAllowed),
            }
        }
        b"K0" | b"K1" => {
            let p = if h.key_usage[1] == b'0' {
                Purpose::General
            } else {
                Purpose::Kbpk
            };
            match m {
                b'E' => (p, Usage::WRAP),
                b'D' => (p, Usage::UNWRAP),
                b'B' | b'N' => (p, Usage::WRAP | Usage::UNWRAP),
                _ => return Err(Tr31Error::ModeNotAllowed),
            }
        }
        b"D0" | b"P0" => {
            let p = if h.key_usage[0] == b'D' {
                Purpose::General
            } else {
                Purpose::Pin
            };
            match m {
                b'E' => (p, Usage::ENCRYPT),
                b'D' => (p, Usage::DECRYPT),
                b'B' | b'N' => (p, Usage::ENCRYPT | Usage::DECRYPT),
                _ => return Err(Tr31Error::ModeNotAllowed),
            }
        }
        [b'M', d @ b'0'..=b'8'] => {
            let alg = MacAlgorithm::from_tr31_digit(d - b'0').ok_or(Tr31Error::UnsupportedUsage)?;
            let p = Purpose::Mac(alg);
            match m {
                b'G' => (p, Usage::MAC_GENERATE),
                b'V' => (p, Usage::MAC_VERIFY),
                b'C' | b'N' => (p, Usage::MAC_GENERATE | Usage::MAC_VERIFY),
                _ => return Err(Tr31Error::ModeNotAllowed),
            }
        }
        _ => return Err(Tr31Error::UnsupportedUsage),
    };
    let u = modes.bound(purpose);
    match h.exportability {
        b'E' => Ok(u | Usage::EXPORT),
        b'N' | b'S' => Ok(u),
        _ => Err(Tr31Error::BadHeader(super::HeaderField::Exportability)),
    }
}

impl Header<'_> {
    /// The store policy for a key of `key_len` bytes carried under this header (see the
    /// module docs for the mapping). Does not check the KBPK; see [`import_policy`].
    pub fn policy(&self, key_len: usize) -> Result<(Algorithm, Usage), Tr31Error> {
        if self.is_component() {
            return Err(Tr31Error::KeyComponent);
        }
        let u = usage(self)?;
        Ok((algorithm(self, key_len)?, u))
    }
}

/// [`Header::policy`] plus the rule that the KBPK (of `kbpk_len` bytes, for this
/// header's version) is at least as strong as the key it protects.
pub fn import_policy(
    header: &Header<'_>,
    key_len: usize,
    kbpk_len: usize,
) -> Result<(Algorithm, Usage), Tr31Error> {
    let (alg, u) = header.policy(key_len)?;
    let kbpk = kbpk_algorithm(header.version, kbpk_len)?;
    if kbpk.strength_bits() < alg.strength_bits() {
        return Err(Tr31Error::WeakKbpk);
    }
    Ok((alg, u))
}
