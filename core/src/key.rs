//! Typed key holders: a key's bytes together with its [`Algorithm`] and the use it was
//! admitted for, so that the operations take a key of the right kind and nothing else.
//!
//! A [`TypedKey<R>`] is built only through [`TypedKey::new`], which checks, in one
//! place, that the key's [`Usage`] permits the role `R` ([`Usage::permits`]: the mode and
//! the purpose), that `R` accepts the algorithm, that the length fits the algorithm and
//! that a TDES key does not collapse to single DES ([`crate::block::check_tdes_key`]).
//! The operations then take `&TypedKey<R>` for their role: a data-decryption key handed
//! to a PIN decryption does not compile, and a stored PIN key asked for as a data key is
//! refused with [`KeyError::UsageDenied`].
//!
//! ```
//! use keyfort::key::{DataDecrypt, KeyError, PinDecrypt, TypedKey};
//! use keyfort::transaction::pin;
//! use keyfort::attributes::{Algorithm, Usage};
//!
//! let k = *b"pin-format0-key!";
//! // A PIN key, admitted for PIN encryption: it makes a PIN block.
//! let pin_key = TypedKey::new(&k, Algorithm::Tdes2, Usage::PIN_ENCRYPT)?;
//! let block = pin::format0_encrypt(&pin_key, b"1234", b"4012345678909")?;
//! // The same bytes with the policy of a PIN key cannot become a data key.
//! let as_data = TypedKey::<DataDecrypt>::new(&k, Algorithm::Tdes2, Usage::PIN_DECRYPT);
//! assert_eq!(as_data.err(), Some(KeyError::UsageDenied));
//! // As a PIN decryption key it decrypts the block.
//! let host = TypedKey::<PinDecrypt>::new(&k, Algorithm::Tdes2, Usage::PIN_DECRYPT)?;
//! assert_eq!(pin::format0_decrypt(&host, &block, b"4012345678909")?.expose(), b"1234");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The wrong role does not compile: a data-decryption key is not a PIN decryption key.
//!
//! ```compile_fail
//! use keyfort::key::{DataDecrypt, TypedKey};
//! use keyfort::transaction::pin;
//! use keyfort::attributes::Algorithm;
//!
//! let k = TypedKey::<DataDecrypt>::raw(b"pin-format0-key!", Algorithm::Tdes2).unwrap();
//! let _ = pin::format0_decrypt(&k, &[0; 8], b"4012345678909");
//! ```
//!
//! Nor is a data key a DUKPT base derivation key (only a `B0` key, [`BdkDerive`], is):
//!
//! ```compile_fail
//! use keyfort::attributes::Algorithm;
//! use keyfort::dukpt::aes::AesBdk;
//! use keyfort::key::{DataEncrypt, TypedKey};
//!
//! let k = TypedKey::<DataEncrypt>::raw(&[0x11; 16], Algorithm::Aes128).unwrap();
//! let _ = AesBdk::new(&k);
//! ```
//!
//! A key-encryption key ([`crate::wrap::Kek`]) is made only from a [`KeyWrap`],
//! [`KeyUnwrap`] or [`KeyWrapUnwrap`] key, a DUKPT BDK from a [`BdkDerive`] key and an
//! initial key from an [`IkDerive`] key; TDES DUKPT working keys come out typed by their
//! variant ([`crate::dukpt::tdes::TdesKey::typed`]), AES ones by their derivation
//! ([`crate::dukpt::aes::AesWorkingKey::typed`]).
//!
//! Keys from a standard's raw-key interface (a key typed in at a command line, a
//! published test vector) are admitted with [`TypedKey::raw`] (or [`TypedKey::raw_aes`]),
//! which names the role's own usage explicitly. Keys from the store come typed from
//! [`crate::store::KeyStore::with_typed_key`], admitted with the stored algorithm and
//! policy.
use core::marker::PhantomData;

use crate::attributes::{Algorithm, MacAlgorithm, Usage};

/// Why a key was not admitted for a role. Carries no key bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum KeyError {
    /// The key's usage does not permit the role (another purpose, or the mode is not
    /// granted).
    UsageDenied,
    /// The role does not take keys of this algorithm (e.g. a TDES key as a version D
    /// KBPK, an AES key for X9.19).
    WrongAlgorithm,
    /// The key length does not fit the algorithm.
    BadKeyLength,
    /// A TDES key that collapses to single DES (see
    /// [`crate::block::TdesKeyError::Degenerate`]).
    DegenerateKey,
}

impl core::fmt::Display for KeyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::UsageDenied => "key usage does not permit this use",
            Self::WrongAlgorithm => "key algorithm not accepted for this use",
            Self::BadKeyLength => "key length does not fit the algorithm",
            Self::DegenerateKey => "TDES key has two equal DES keys",
        })
    }
}

impl core::error::Error for KeyError {}

/// A use a key can be admitted for. Implemented by the marker types of this module only.
pub trait Role: sealed::Sealed {
    /// The usage a key must permit ([`Usage::permits`]).
    const NEED: Usage;
    /// Whether keys of `alg` can serve this role.
    fn algorithm_ok(alg: Algorithm) -> bool;
}

mod sealed {
    pub trait Sealed {}
}

const fn block_cipher(a: Algorithm) -> bool {
    matches!(
        a,
        Algorithm::Aes128
            | Algorithm::Aes192
            | Algorithm::Aes256
            | Algorithm::Tdes2
            | Algorithm::Tdes3
    )
}

const fn aes(a: Algorithm) -> bool {
    matches!(a, Algorithm::Aes128 | Algorithm::Aes192 | Algorithm::Aes256)
}

/// The base keys of a DUKPT scheme: AES (AES DUKPT, X9.24-3) or 2-key TDES (TDES DUKPT,
/// X9.24-1); each scheme's constructor takes its own.
const fn dukpt_base(a: Algorithm) -> bool {
    aes(a) || matches!(a, Algorithm::Tdes2)
}

macro_rules! role {
    ($(#[$m:meta])* $name:ident, $need:expr, $algs:expr) => {
        $(#[$m])*
        #[derive(Debug)]
        pub enum $name {}
        impl sealed::Sealed for $name {}
        impl Role for $name {
            const NEED: Usage = $need;
            fn algorithm_ok(alg: Algorithm) -> bool {
                $algs(alg)
            }
        }
    };
}

role!(
    /// ISO 9564 PIN block encryption ([`Usage::PIN_ENCRYPT`]); TDES or AES.
    PinEncrypt,
    Usage::PIN_ENCRYPT,
    block_cipher
);
role!(
    /// ISO 9564 PIN block decryption ([`Usage::PIN_DECRYPT`]); TDES or AES.
    PinDecrypt,
    Usage::PIN_DECRYPT,
    block_cipher
);
role!(
    /// Data encryption ([`Usage::ENCRYPT`]); TDES or AES.
    DataEncrypt,
    Usage::ENCRYPT,
    block_cipher
);
role!(
    /// Data decryption ([`Usage::DECRYPT`]); TDES or AES.
    DataDecrypt,
    Usage::DECRYPT,
    block_cipher
);
role!(
    /// TR-31 key block unwrap under a KBPK ([`Usage::KBPK_UNWRAP`]); TDES (versions
    /// A/B/C) or AES (D/E), checked against the block's version.
    KbpkUnwrap,
    Usage::KBPK_UNWRAP,
    block_cipher
);
role!(
    /// TR-31 key block wrap under a KBPK ([`Usage::KBPK_WRAP`]); AES (version D export).
    KbpkWrap,
    Usage::KBPK_WRAP,
    aes
);

role!(
    /// AES key wrap (AES-KW/KWP) of other keys, wrap only (`K0`, mode `E`:
    /// [`Usage::WRAP`]); AES. Makes a [`crate::wrap::Kek`] that wraps and does not unwrap.
    KeyWrap,
    Usage::WRAP,
    aes
);
role!(
    /// AES key unwrap (AES-KW/KWP), unwrap only (`K0`, mode `D`: [`Usage::UNWRAP`]); AES.
    /// Makes a [`crate::wrap::Kek`] that unwraps and does not wrap.
    KeyUnwrap,
    Usage::UNWRAP,
    aes
);
role!(
    /// AES key wrap and unwrap (`K0`, mode `B`: [`Usage::WRAP`] and [`Usage::UNWRAP`]);
    /// AES. Makes a [`crate::wrap::Kek`] for both directions.
    KeyWrapUnwrap,
    Usage::WRAP.union(Usage::UNWRAP),
    aes
);
role!(
    /// A DUKPT base derivation key (`B0`: [`Usage::BDK_DERIVE`]); AES for
    /// [`crate::dukpt::aes::AesBdk`], 2-key TDES for [`crate::dukpt::tdes::TdesBdk`].
    BdkDerive,
    Usage::BDK_DERIVE,
    dukpt_base
);
role!(
    /// A DUKPT initial key (`B1`: [`Usage::IK_DERIVE`]); AES for
    /// [`crate::dukpt::aes::AesInitialKey`], 2-key TDES (the IPEK) for
    /// [`crate::dukpt::tdes::TdesIpek`].
    IkDerive,
    Usage::IK_DERIVE,
    dukpt_base
);

/// The roles of a TR-31 key block protection key ([`KbpkWrap`], [`KbpkUnwrap`]): what
/// [`crate::tr31::kdf::derive_keys`] takes.
pub trait KbpkRole: Role {}
impl KbpkRole for KbpkWrap {}
impl KbpkRole for KbpkUnwrap {}

/// The roles a [`crate::wrap::Kek`] is made from, and the directions each grants.
pub trait KekRole: Role {
    /// Whether the KEK may wrap.
    const WRAPS: bool;
    /// Whether the KEK may unwrap.
    const UNWRAPS: bool;
}

impl KekRole for KeyWrap {
    const WRAPS: bool = true;
    const UNWRAPS: bool = false;
}
impl KekRole for KeyUnwrap {
    const WRAPS: bool = false;
    const UNWRAPS: bool = true;
}
impl KekRole for KeyWrapUnwrap {
    const WRAPS: bool = true;
    const UNWRAPS: bool = true;
}

/// A MAC algorithm as a type, for the MAC roles.
pub trait MacKind: sealed::Sealed {
    /// The algorithm.
    const ALG: MacAlgorithm;
    /// Whether keys of `alg` can compute it.
    fn algorithm_ok(alg: Algorithm) -> bool;
}

macro_rules! mac_kind {
    ($(#[$m:meta])* $name:ident, $alg:expr, $algs:expr) => {
        $(#[$m])*
        #[derive(Debug)]
        pub enum $name {}
        impl sealed::Sealed for $name {}
        impl MacKind for $name {
            const ALG: MacAlgorithm = $alg;
            fn algorithm_ok(alg: Algorithm) -> bool {
                $algs(alg)
            }
        }
    };
}

mac_kind!(
    /// ISO 9797-1 MAC algorithm 3, X9.19 retail MAC (`M3`); 2-key TDES.
    RetailMac,
    MacAlgorithm::Iso9797Alg3,
    |a| matches!(a, Algorithm::Tdes2)
);
mac_kind!(
    /// CMAC (`M6`); TDES or AES.
    Cmac,
    MacAlgorithm::Cmac,
    block_cipher
);
mac_kind!(
    /// HMAC-SHA256 (`M7`).
    Hmac,
    MacAlgorithm::Hmac,
    |a| matches!(a, Algorithm::HmacSha256)
);

/// MAC generation with the algorithm `A` ([`Usage::mac_generate`]).
#[derive(Debug)]
pub struct MacGenerate<A: MacKind>(PhantomData<A>, core::convert::Infallible);
/// MAC verification with the algorithm `A` ([`Usage::mac_verify`]).
#[derive(Debug)]
pub struct MacVerify<A: MacKind>(PhantomData<A>, core::convert::Infallible);

impl<A: MacKind> sealed::Sealed for MacGenerate<A> {}
impl<A: MacKind> Role for MacGenerate<A> {
    const NEED: Usage = Usage::mac_generate(A::ALG);
    fn algorithm_ok(alg: Algorithm) -> bool {
        A::algorithm_ok(alg)
    }
}
impl<A: MacKind> sealed::Sealed for MacVerify<A> {}
impl<A: MacKind> Role for MacVerify<A> {
    const NEED: Usage = Usage::mac_verify(A::ALG);
    fn algorithm_ok(alg: Algorithm) -> bool {
        A::algorithm_ok(alg)
    }
}

/// A key admitted for the role `R`: its bytes (borrowed: the holder makes no copy), its
/// algorithm and, in its type, its use. Not `Copy` or `Clone`; `Debug` shows the
/// algorithm only.
pub struct TypedKey<'a, R: Role> {
    key: &'a [u8],
    algorithm: Algorithm,
    role: PhantomData<R>,
}

impl<'a, R: Role> TypedKey<'a, R> {
    /// Admits `key`, of `algorithm`, under the policy `usage` for the role `R` (see the
    /// module docs for the checks, in that order).
    pub fn new(key: &'a [u8], algorithm: Algorithm, usage: Usage) -> Result<Self, KeyError> {
        if !usage.permits(R::NEED) {
            return Err(KeyError::UsageDenied);
        }
        if !R::algorithm_ok(algorithm) {
            return Err(KeyError::WrongAlgorithm);
        }
        let len_ok = match algorithm {
            // HMAC keys of DUKPT are 16, 24 or 32 bytes; a stored one is 32.
            Algorithm::HmacSha256 => (16..=64).contains(&key.len()),
            a => key.len() == a.key_len(),
        };
        if !len_ok {
            return Err(KeyError::BadKeyLength);
        }
        if matches!(algorithm, Algorithm::Tdes2 | Algorithm::Tdes3) {
            crate::block::check_tdes_key(key).map_err(|_| KeyError::DegenerateKey)?;
        }
        Ok(Self {
            key,
            algorithm,
            role: PhantomData,
        })
    }

    /// [`TypedKey::new`] with the role's own usage: for keys from a standard's raw-key
    /// interface (a DUKPT working key, whose use its derivation fixed; a test vector).
    /// The role, named in the type, is the explicit usage.
    pub fn raw(key: &'a [u8], algorithm: Algorithm) -> Result<Self, KeyError> {
        Self::new(key, algorithm, R::NEED)
    }

    /// [`TypedKey::raw`] for an AES key, its size read from its length (16, 24 or 32
    /// bytes; any other length is [`KeyError::BadKeyLength`]).
    pub fn raw_aes(key: &'a [u8]) -> Result<Self, KeyError> {
        let algorithm = match key.len() {
            16 => Algorithm::Aes128,
            24 => Algorithm::Aes192,
            32 => Algorithm::Aes256,
            _ => return Err(KeyError::BadKeyLength),
        };
        Self::raw(key, algorithm)
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The key bytes, for the operations of this crate.
    pub(crate) fn expose(&self) -> &[u8] {
        self.key
    }
}

impl<R: Role> core::fmt::Debug for TypedKey<'_, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TypedKey({:?}, ..)", self.algorithm)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const K16: [u8; 16] = *b"typed-key-bytes!";

    #[test]
    fn typed_key_admits_only_its_role_algorithm_and_length() {
        // The control: each role admits a key of its own usage.
        assert!(TypedKey::<PinEncrypt>::new(&K16, Algorithm::Aes128, Usage::PIN_ENCRYPT).is_ok());
        assert!(TypedKey::<DataEncrypt>::new(&K16, Algorithm::Aes128, Usage::ENCRYPT).is_ok());
        // Another purpose, the same mode: refused.
        assert_eq!(
            TypedKey::<DataEncrypt>::new(&K16, Algorithm::Aes128, Usage::PIN_ENCRYPT).err(),
            Some(KeyError::UsageDenied)
        );
        assert_eq!(
            TypedKey::<PinEncrypt>::new(&K16, Algorithm::Aes128, Usage::ENCRYPT).err(),
            Some(KeyError::UsageDenied)
        );
        // The purpose, another mode: refused.
        assert_eq!(
            TypedKey::<PinDecrypt>::new(&K16, Algorithm::Aes128, Usage::PIN_ENCRYPT).err(),
            Some(KeyError::UsageDenied)
        );
        // Algorithm not for the role; length not of the algorithm; degenerate TDES.
        assert_eq!(
            TypedKey::<KbpkWrap>::new(&K16, Algorithm::Tdes2, Usage::KBPK_WRAP).err(),
            Some(KeyError::WrongAlgorithm)
        );
        assert_eq!(
            TypedKey::<DataEncrypt>::new(&K16, Algorithm::Aes256, Usage::ENCRYPT).err(),
            Some(KeyError::BadKeyLength)
        );
        let mut degenerate = [0x5Eu8; 16];
        degenerate[15] ^= 1; // a parity bit only
        assert_eq!(
            TypedKey::<DataEncrypt>::new(&degenerate, Algorithm::Tdes2, Usage::ENCRYPT).err(),
            Some(KeyError::DegenerateKey)
        );
        // Debug shows no key byte.
        let k = TypedKey::<DataEncrypt>::raw(&K16, Algorithm::Aes128).unwrap();
        assert_eq!(std::format!("{k:?}"), "TypedKey(Aes128, ..)");
    }
}
