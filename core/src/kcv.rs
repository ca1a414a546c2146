//! Key check values (KCV): a short public fingerprint of a key, to confirm that a key (or a
//! key component) was entered, transported or combined correctly without showing it.
//!
//! ```
//! use keyfort::block::{Aes, Tdes};
//! use keyfort::kcv::{self, KcvLen};
//!
//! // ANSI X9.24-1-2017 7.7.2 (CMAC method, the only one allowed for AES): the leftmost
//! // bytes of CMAC(key, 16 zero bytes). TR-31:2018 A.7.4's AES key:
//! let aes = Aes::new(&[0x3F, 0x41, 0x9E, 0x1C, 0xB7, 0x07, 0x94, 0x42,
//!                      0xAA, 0x37, 0x47, 0x4C, 0x2E, 0xFB, 0xF8, 0xB8])?;
//! assert_eq!(kcv::aes_cmac(&aes, KcvLen::Three).as_bytes(), &[0x08, 0x79, 0x3E]);
//! // Legacy method (TDES): the leftmost 3 bytes of E(key, 8 zero bytes). psec's example:
//! let tdes = Tdes::new(&[0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
//!                        0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10])?;
//! let k = kcv::tdes_legacy(&tdes);
//! assert_eq!(format!("{k}"), "08D7B4");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The methods (ANSI X9.24-1-2017 7.7.2, PCI PIN requirement 15-1):
//!
//! - **CMAC** ([`aes_cmac`]): the leftmost 3 to 5 bytes of the CMAC (NIST SP 800-38B) of
//!   one all-zero block. The only method X9.24-1 allows for AES keys.
//! - **Legacy, encrypt zeros** ([`tdes_legacy`], [`aes_legacy`]): the leftmost 3 bytes of
//!   one all-zero block encrypted under the key (ECB). What HSM consoles and psec print for
//!   TDES keys; for AES keys some older systems (and GlobalPlatform-style tools with a
//!   zero block) still print it, so it is offered, but X9.24-1 does not allow it for AES.
//!
//! The key is taken as an expanded block cipher ([`Aes`], [`Tdes`]), not as bytes. DES
//! ignores parity bits, so a TDES key's KCV does not depend on its parity.
//!
//! A KCV is public: it is not a secret and may be printed and logged. It also narrows a
//! key search (a 3-byte KCV matches one key in 2^24), which is why X9.24-1 caps it at 3
//! bytes for the legacy method and 5 bytes for CMAC.
use core::fmt;

use crate::block::{Aes, Tdes};
use crate::block_cipher::BlockCipher;
use crate::cmac::Cmac;

/// How many bytes of the computed block a KCV keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum KcvLen {
    /// 3 bytes (6 hex digits): what HSM consoles print.
    Three,
    /// 5 bytes (10 hex digits): the most X9.24-1 allows, CMAC method only.
    Five,
}

impl KcvLen {
    /// The length in bytes.
    pub const fn bytes(self) -> usize {
        match self {
            Self::Three => 3,
            Self::Five => 5,
        }
    }
}

/// A key check value of 3 or 5 bytes. Public data: `Copy`, printable (`Display` gives
/// upper-case hex, as HSM consoles print it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Kcv {
    bytes: [u8; 5],
    len: KcvLen,
}

impl Kcv {
    /// The leftmost `len` bytes of `block`.
    fn from_block(block: &[u8], len: KcvLen) -> Self {
        let mut bytes = [0u8; 5];
        for (d, s) in bytes.iter_mut().zip(block).take(len.bytes()) {
            *d = *s;
        }
        Self { bytes, len }
    }

    /// The check value's bytes (3 or 5).
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len.bytes()).unwrap_or(&self.bytes)
    }

    /// Its length.
    pub fn len(&self) -> KcvLen {
        self.len
    }

    /// Whether `expected` (3 to 5 bytes, e.g. the KCV printed on a key component form)
    /// is a prefix of this KCV. A 3-byte expectation matches a 5-byte CMAC KCV of the same
    /// key. (KCVs are public, so a plain comparison is fine.)
    pub fn matches(&self, expected: &[u8]) -> bool {
        (3..=self.len.bytes()).contains(&expected.len())
            && self.as_bytes().get(..expected.len()) == Some(expected)
    }
}

impl fmt::Display for Kcv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// The CMAC KCV of an AES key (X9.24-1-2017 7.7.2): the leftmost `len` bytes of
/// `CMAC(key, 0^128)`.
pub fn aes_cmac(key: &Aes, len: KcvLen) -> Kcv {
    cmac_zero_block(key, len)
}

/// The CMAC KCV of a TDES key (X9.24-1-2017 7.7.2 allows it for TDES too): the leftmost
/// `len` bytes of `CMAC(key, 0^64)`.
pub fn tdes_cmac(key: &Tdes, len: KcvLen) -> Kcv {
    cmac_zero_block(key, len)
}

fn cmac_zero_block(cipher: &dyn BlockCipher, len: KcvLen) -> Kcv {
    let n = cipher.block_len();
    let mut mac = Cmac::new(cipher);
    mac.update(&[0u8; 16][..n]);
    Kcv::from_block(&mac.finalize(), len)
}

/// The legacy KCV of a TDES key: the leftmost 3 bytes of `E(key, 0^64)`.
pub fn tdes_legacy(key: &Tdes) -> Kcv {
    let mut b = [0u8; 8];
    key.encrypt(&mut b);
    Kcv::from_block(&b, KcvLen::Three)
}

/// The legacy ("encrypt zeros") KCV of an AES key: the leftmost 3 bytes of
/// `E(key, 0^128)`. Not allowed for AES by X9.24-1 (use [`aes_cmac`]); for systems that
/// still print it.
pub fn aes_legacy(key: &Aes) -> Kcv {
    let mut b = [0u8; 16];
    key.encrypt(&mut b);
    Kcv::from_block(&b, KcvLen::Three)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testutil::unhex;
    use std::string::ToString;

    fn aes(k: &str) -> Aes {
        Aes::new(&unhex(k)).unwrap()
    }
    fn tdes(k: &str) -> Tdes {
        Tdes::new(&unhex(k)).unwrap()
    }

    /// Published legacy TDES KCVs: psec 1.3 `des.generate_kcv` docstring (its first two
    /// bytes, 08D7; the third, B4, as HSM consoles print it); TR-31:2018 A.7.2.1 and
    /// A.7.2.2 sample keys and two keys exported by a Thales payShield 10k, as listed in
    /// openemv/tr31 `test/tr31_decrypt_test.c`.
    #[test]
    fn tdes_legacy_published() {
        for (key, want) in [
            ("0123456789ABCDEFFEDCBA9876543210", "08D7B4"),
            ("F039121BEC83D26B169BDCD5B22AAF8F", "CB9DEA"), // TR-31:2018 A.7.2.1
            ("3F419E1CB7079442AA37474C2EFBF8B8", "57C409"), // TR-31:2018 A.7.2.2
            ("5DB50B454F8389ADCE573BE50861F2BF", "5C9405"), // payShield 10k
            ("1FA1F7CEC798D91545DA8AE0C7796BD9", "FF5087"), // payShield 10k
        ] {
            let k = tdes_legacy(&tdes(key));
            assert_eq!(k.to_string(), want, "{key}");
            assert_eq!(k.len(), KcvLen::Three);
        }
    }

    /// Published AES CMAC KCVs: TR-31:2018 A.7.4 (version D block of an AES-128 key) and an
    /// AES-256 key exported by a Thales payShield 10k (openemv/tr31
    /// `test/tr31_decrypt_test.c`).
    #[test]
    fn aes_cmac_published() {
        for (key, want) in [
            ("3F419E1CB7079442AA37474C2EFBF8B8", "08793E"),
            (
                "BE19E6A07A760F10EF8E83A226B63AAD141F463FDDD4F47DB244B4023EC3CACC",
                "0A00E3",
            ),
        ] {
            assert_eq!(aes_cmac(&aes(key), KcvLen::Three).to_string(), want);
        }
    }

    /// The 5-byte form extends the 3-byte one, and is the leftmost bytes of the crate's
    /// AES-CMAC of a zero block (cross-checked against RustCrypto's `cmac` crate).
    #[test]
    fn five_bytes_extend_three_and_match_cmac_crate() {
        use ::cmac::{KeyInit, Mac};
        let key = unhex("BE19E6A07A760F10EF8E83A226B63AAD141F463FDDD4F47DB244B4023EC3CACC");
        let k5 = aes_cmac(&Aes::new(&key).unwrap(), KcvLen::Five);
        let k3 = aes_cmac(&Aes::new(&key).unwrap(), KcvLen::Three);
        assert_eq!(&k5.as_bytes()[..3], k3.as_bytes());
        let mut m = <::cmac::Cmac<::aes::Aes256> as KeyInit>::new_from_slice(&key).unwrap();
        m.update(&[0u8; 16]);
        let tag = m.finalize().into_bytes();
        assert_eq!(k5.as_bytes(), &tag[..5]);
        assert!(k5.matches(k3.as_bytes()) && k5.matches(k5.as_bytes()));
    }

    /// Legacy AES: AES-128 of the zero block under the zero key (66E94BD4...) and NIST
    /// AESAVS KeySbox128, first key (10A58869... -> 6D251E69...).
    #[test]
    fn aes_legacy_published() {
        assert_eq!(aes_legacy(&aes(&"00".repeat(16))).to_string(), "66E94B");
        assert_eq!(
            aes_legacy(&aes("10A58869D74BE5A374CF867CFB473859")).to_string(),
            "6D251E"
        );
    }

    /// The methods differ (a KCV printed by one is not confused with the other's), and a
    /// one-bit change of the key changes the KCV.
    #[test]
    fn methods_and_keys_are_told_apart() {
        let key = "3F419E1CB7079442AA37474C2EFBF8B8";
        assert_ne!(aes_cmac(&aes(key), KcvLen::Three), aes_legacy(&aes(key)));
        assert_ne!(
            tdes_cmac(&tdes(key), KcvLen::Three),
            tdes_legacy(&tdes(key))
        );
        // 3F -> 3E flips only a DES parity bit: same TDES KCV; 3F -> 2F changes the key.
        assert_eq!(
            tdes_legacy(&tdes("3E419E1CB7079442AA37474C2EFBF8B8")),
            tdes_legacy(&tdes(key))
        );
        assert_ne!(
            tdes_legacy(&tdes("2F419E1CB7079442AA37474C2EFBF8B8")),
            tdes_legacy(&tdes(key))
        );
        assert_ne!(
            aes_cmac(&aes("3E419E1CB7079442AA37474C2EFBF8B8"), KcvLen::Three),
            aes_cmac(&aes(key), KcvLen::Three)
        );
    }

    #[test]
    fn matches_checks_length_and_prefix() {
        let k = aes_cmac(&aes("3F419E1CB7079442AA37474C2EFBF8B8"), KcvLen::Five);
        assert!(k.matches(&[0x08, 0x79, 0x3E]));
        assert!(!k.matches(&[0x08, 0x79, 0x3F]));
        assert!(!k.matches(&[0x08, 0x79]), "too short to mean anything");
        let k3 = aes_cmac(&aes("3F419E1CB7079442AA37474C2EFBF8B8"), KcvLen::Three);
        assert!(!k3.matches(k.as_bytes()), "longer than the KCV");
    }
}
