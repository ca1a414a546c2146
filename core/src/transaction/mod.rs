//! What a terminal and a host do with DUKPT keys so that they can talk:
//!
//! - [`pin`]: ISO 9564 PIN blocks, format 0 (TDES) and format 4 (AES): encrypt on the
//!   terminal, decrypt and parse on the host.
//! - [`mac`]: ANSI X9.19 retail MAC (ISO 9797-1 MAC algorithm 3), AES-CMAC, TDES-CMAC
//!   and HMAC-SHA256, each with a constant-time verify.
//! - [`data`]: CBC encryption and decryption of data (TDES and AES), in place.
//!
//! Keys are passed as [`TypedKey`]s admitted for the operation's role
//! ([`crate::key`]: usage, algorithm, length and TDES strength checked once, when the
//! holder is made): a data key does not compile where a PIN key is needed, and a key
//! of another algorithm than the operation's is [`OpsError::WrongAlgorithm`], never a
//! panic. Every block cipher call
//! goes through [`crate::block`] (CMAC included); HMAC uses the `hmac` crate.
pub mod data;
pub mod mac;
pub mod pin;

pub use crate::key::TypedKey;

use crate::block::{Aes, Tdes};
use crate::key::Role;

/// Why an operation failed. Carries no key, PIN or data bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum OpsError {
    /// The key length does not fit the algorithm.
    BadKeyLength,
    /// A PIN must be 4 to 12 ASCII digits.
    BadPin,
    /// A PAN must be 1 to 19 ASCII digits (format 0 uses its rightmost 12 digits before
    /// the check digit).
    BadPan,
    /// A decrypted PIN block is not a well-formed block of the expected format (wrong
    /// key, wrong PAN or a tampered block). The caller's output holds nothing.
    BadPinBlock,
    /// Data length is not a multiple of the cipher's block length.
    BadDataLength,
    /// A MAC to verify has a length the algorithm does not allow (4 bytes up to the full
    /// MAC).
    BadMacLength,
    /// The MAC does not match.
    MacMismatch,
    /// A TDES key (or the two halves of a retail-MAC key) whose DES keys are equal,
    /// parity bits ignored: single DES under a TDES name (see
    /// [`crate::block::TdesKeyError::Degenerate`]). Refused.
    DegenerateKey,
    /// The key's usage does not permit this operation (another purpose or mode, see
    /// [`crate::key::KeyError::UsageDenied`]).
    UsageDenied,
    /// The key's algorithm is not the operation's (an AES key for format 0, a TDES key
    /// for AES-CMAC...).
    WrongAlgorithm,
}

impl core::fmt::Display for OpsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::BadKeyLength => "key length does not fit the algorithm",
            Self::BadPin => "PIN must be 4 to 12 digits",
            Self::BadPan => "PAN must be 1 to 19 digits",
            Self::BadPinBlock => "PIN block is malformed after decryption",
            Self::BadDataLength => "data length is not a multiple of the block length",
            Self::BadMacLength => "MAC length not allowed",
            Self::MacMismatch => "MAC does not match",
            Self::DegenerateKey => "TDES key has two equal DES keys",
            Self::UsageDenied => "key usage does not permit this operation",
            Self::WrongAlgorithm => "key algorithm is not the operation's",
        })
    }
}

impl core::error::Error for OpsError {}

impl From<crate::block::TdesKeyError> for OpsError {
    fn from(e: crate::block::TdesKeyError) -> Self {
        match e {
            crate::block::TdesKeyError::Degenerate => Self::DegenerateKey,
            _ => Self::BadKeyLength,
        }
    }
}

impl From<crate::key::KeyError> for OpsError {
    fn from(e: crate::key::KeyError) -> Self {
        use crate::key::KeyError as K;
        match e {
            K::UsageDenied => Self::UsageDenied,
            K::WrongAlgorithm => Self::WrongAlgorithm,
            K::DegenerateKey => Self::DegenerateKey,
            _ => Self::BadKeyLength,
        }
    }
}

/// Whether `a` is an AES key.
const fn is_aes(a: crate::attributes::Algorithm) -> bool {
    use crate::attributes::Algorithm as A;
    matches!(a, A::Aes128 | A::Aes192 | A::Aes256)
}

/// Whether `a` is a TDES key.
const fn is_tdes(a: crate::attributes::Algorithm) -> bool {
    use crate::attributes::Algorithm as A;
    matches!(a, A::Tdes2 | A::Tdes3)
}

/// A TDES cipher from a typed key ([`OpsError::WrongAlgorithm`] for an AES key).
fn tdes<R: Role>(key: &TypedKey<'_, R>) -> Result<Tdes, OpsError> {
    if !is_tdes(key.algorithm()) {
        return Err(OpsError::WrongAlgorithm);
    }
    Ok(Tdes::new(key.expose())?)
}

/// An AES cipher from a typed key ([`OpsError::WrongAlgorithm`] for a TDES key).
fn aes<R: Role>(key: &TypedKey<'_, R>) -> Result<Aes, OpsError> {
    if !is_aes(key.algorithm()) {
        return Err(OpsError::WrongAlgorithm);
    }
    Aes::new(key.expose()).map_err(|_| OpsError::BadKeyLength)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{data, mac, pin, TypedKey};
    use crate::attributes::Algorithm;
    use crate::key::{
        Cmac, DataDecrypt, DataEncrypt, KeyError, MacGenerate, MacVerify, PinDecrypt, PinEncrypt,
        RetailMac,
    };

    /// Every TDES role refuses a key that collapses to single DES (parity bits
    /// ignored) when the holder is made, so no TDES operation ever runs under one; the
    /// key one bit away is accepted (the control: the refusal is about equality, not
    /// about these bytes). A 3-key key with K1 = K3 is 2-key TDES and gives the 2-key
    /// result.
    #[test]
    fn tdes_ops_refuse_degenerate_keys() {
        let half: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF];
        let mut k2 = [0u8; 16];
        k2[..8].copy_from_slice(&half);
        k2[8..].copy_from_slice(&half);
        let mut k2_parity = k2;
        for b in &mut k2_parity[8..] {
            *b ^= 1; // only parity bits differ: still the same DES key
        }
        let mut k3_13 = [0u8; 24];
        k3_13[..8].copy_from_slice(&half);
        k3_13[8..16].copy_from_slice(&[0x10; 8]);
        k3_13[16..].copy_from_slice(&half);
        let mut k3_23 = k3_13;
        k3_23[16..].copy_from_slice(&[0x10; 8]);
        let mut k3_12 = k3_13;
        k3_12[8..16].copy_from_slice(&half);
        k3_12[16..].copy_from_slice(&[0x10; 8]);
        let mut good = k2;
        good[15] ^= 0x02; // one key bit: distinct halves
        let d = Some(KeyError::DegenerateKey);
        for (key, alg) in [
            (&k2[..], Algorithm::Tdes2),
            (&k2_parity[..], Algorithm::Tdes2),
            (&k3_12[..], Algorithm::Tdes3),
            (&k3_23[..], Algorithm::Tdes3),
        ] {
            assert_eq!(TypedKey::<MacGenerate<Cmac>>::raw(key, alg).err(), d);
            assert_eq!(TypedKey::<MacVerify<Cmac>>::raw(key, alg).err(), d);
            assert_eq!(TypedKey::<DataEncrypt>::raw(key, alg).err(), d);
            assert_eq!(TypedKey::<DataDecrypt>::raw(key, alg).err(), d);
            assert_eq!(TypedKey::<PinEncrypt>::raw(key, alg).err(), d);
            assert_eq!(TypedKey::<PinDecrypt>::raw(key, alg).err(), d);
        }
        for key in [&k2, &k2_parity] {
            let t = Algorithm::Tdes2;
            assert_eq!(TypedKey::<MacGenerate<RetailMac>>::raw(key, t).err(), d);
            assert_eq!(TypedKey::<MacVerify<RetailMac>>::raw(key, t).err(), d);
        }
        let cm = |k: &[u8], a| mac::tdes_cmac(&TypedKey::raw(k, a).unwrap(), b"x");
        assert_eq!(
            cm(&k3_13, Algorithm::Tdes3),
            cm(&k3_13[..16], Algorithm::Tdes2),
            "K1 = K3 is 2-key TDES"
        );
        let t = Algorithm::Tdes2;
        let mut buf = [0u8; 8];
        assert!(cm(&good, t).is_ok());
        assert!(mac::retail_mac(&TypedKey::raw(&good, t).unwrap(), b"x").is_ok());
        assert!(
            data::tdes_cbc_encrypt(&TypedKey::raw(&good, t).unwrap(), &[0; 8], &mut buf).is_ok()
        );
        assert!(
            pin::format0_encrypt(&TypedKey::raw(&good, t).unwrap(), b"1234", b"4012345678909")
                .is_ok()
        );
    }
}
