//! What an imported key may do: the header's key usage, algorithm, mode of use and
//! exportability mapped onto [`crate::attributes`], and the KBPK strength rule.
//!
//! | key usage | meaning | modes of use -> [`Usage`] |
//! |---|---|---|
//! | `B0` | BDK (DUKPT base derivation key) | `X`, `N` -> DERIVE |
//! | `B1` | DUKPT initial key (IPEK / IK) | `X`, `N` -> DERIVE |
//! | `K0` | key encryption / wrapping key | `E` -> WRAP, `D` -> UNWRAP, `B`, `N` -> both |
//! | `K1` | TR-31 key block protection key | as `K0` |
//! | `D0` | symmetric data encryption | `E` -> ENCRYPT, `D` -> DECRYPT, `B`, `N` -> both |
//! | `P0` | PIN encryption | as `D0` |
//! | `M0`..`M8` | MAC keys (ISO 16609, ISO 9797-1 algorithms, X9.19, CMAC, HMAC) | `G` -> MAC_GENERATE, `V` -> MAC_VERIFY, `C`, `N` -> both |
//!
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
use crate::attributes::{Algorithm, Usage};

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
    let both_crypt = Usage::ENCRYPT | Usage::DECRYPT;
    let both_wrap = Usage::WRAP | Usage::UNWRAP;
    let both_mac = Usage::MAC_GENERATE | Usage::MAC_VERIFY;
    let m = h.mode_of_use;
    let u = match &h.key_usage {
        b"B0" | b"B1" => match m {
            b'X' | b'N' => Usage::DERIVE,
            _ => return Err(Tr31Error::ModeNotAllowed),
        },
        b"K0" | b"K1" => match m {
            b'E' => Usage::WRAP,
            b'D' => Usage::UNWRAP,
            b'B' | b'N' => both_wrap,
            _ => return Err(Tr31Error::ModeNotAllowed),
        },
        b"D0" | b"P0" => match m {
            b'E' => Usage::ENCRYPT,
            b'D' => Usage::DECRYPT,
            b'B' | b'N' => both_crypt,
            _ => return Err(Tr31Error::ModeNotAllowed),
        },
        [b'M', b'0'..=b'8'] => match m {
            b'G' => Usage::MAC_GENERATE,
            b'V' => Usage::MAC_VERIFY,
            b'C' | b'N' => both_mac,
            _ => return Err(Tr31Error::ModeNotAllowed),
        },
        _ => return Err(Tr31Error::UnsupportedUsage),
    };
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
