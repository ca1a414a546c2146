//! TR-31 / ANSI X9.143 key blocks (and ISO 20038 version E): import under a key block
//! protection key (KBPK), the header's semantics mapped onto keyfort's policy, and
//! export of version D blocks for the host side.
//!
//! - [`unwrap`] / [`unwrap_with`]: versions B (TDES), D (AES, CBC) and E (AES, CTR).
//!   The MAC is computed while decrypting and compared in constant time before the
//!   key length field (the first thing read from the plaintext) is looked at; every
//!   failure from there on is [`Tr31Error::Unauthentic`]. KBEK, KBAK and plaintext live
//!   in wiped buffers. Versions A and C (key variant binding, deprecated by X9.143) are
//!   refused with [`Tr31Error::UnsupportedVersion`] unless
//!   [`UnwrapOptions::allow_variant_binding`] is set.
//! - [`Header::parse`]: the header alone, without the KBPK.
//! - [`Header::policy`] / [`import_policy`] / [`import`]: key usage, algorithm, mode of
//!   use and exportability onto [`crate::attributes::Algorithm`] and
//!   [`crate::attributes::Usage`] (purpose and modes: `P0` is not `D0`, `K1` not `K0`,
//!   each `Mn` its own MAC algorithm), and the KBPK strength rule (see [`import_rules`]).
//! - The KBPK comes as a [`crate::key::TypedKey`] admitted for [`crate::key::KbpkUnwrap`]
//!   or [`crate::key::KbpkWrap`] (a `K1` key); its algorithm must fit the version (AES
//!   for D and E, TDES for B): [`Tr31Error::KbpkAlgorithm`].
//! - [`wrap`]: version D export with key-length obfuscation and random padding.
//!
//! ```
//! use keyfort::attributes::{Algorithm, Usage};
//! use keyfort::key::{KbpkUnwrap, TypedKey};
//! use keyfort::tr31;
//!
//! // ASC X9 TR-31:2018 A.7.4: AES-256 KBPK, AES-128 PIN encryption key, version D.
//! let kbpk = [
//!     0x88, 0xE1, 0xAB, 0x2A, 0x2E, 0x3D, 0xD3, 0x8C, 0x1F, 0xA0, 0x39, 0xA5, 0x36, 0x50,
//!     0x0C, 0xC8, 0xA8, 0x7A, 0xB9, 0xD6, 0x2D, 0xC9, 0x2C, 0x01, 0x05, 0x8F, 0xA7, 0x9F,
//!     0x44, 0x65, 0x7D, 0xE6,
//! ];
//! // The KBPK is admitted as what it is: an AES-256 key block protection key (`K1`).
//! let kbpk = TypedKey::<KbpkUnwrap>::raw(&kbpk, Algorithm::Aes256)?;
//! let block = b"D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34";
//! let imported = tr31::import(&kbpk, block)?;
//! assert_eq!(imported.algorithm, Algorithm::Aes128);
//! // A PIN key (P0), mode E, exportability E: PIN encryption only, never data.
//! assert_eq!(imported.usage, Usage::PIN_ENCRYPT | Usage::EXPORT);
//! assert!(!imported.usage.permits(Usage::ENCRYPT));
//! assert_eq!(imported.key.len(), 16);
//!
//! // One changed character anywhere and nothing comes out.
//! let mut forged = *block;
//! forged[11] = b'N';
//! assert_eq!(tr31::unwrap(&kbpk, &forged).err(), Some(tr31::Tr31Error::Unauthentic));
//! # Ok::<(), tr31::Tr31Error>(())
//! ```
//!
//! Protected against: forged or altered blocks (header, optional blocks and key are all
//! MACed), padding/format oracles (one error after decryption), blocks carrying weaker
//! protection than the key needs, a non-exportable key becoming exportable. Not
//! protected against: a compromised KBPK, replay of an old but valid block (a store
//! decides whether a key version may be imported again).
//!
//! No heap: the header borrows the block; the key comes back in a `SecretBuf<CAP>`.
//! Stack: the peak of a whole unwrap on each Cortex-M target is BENCH.md's "TR-31
//! unwrap" rows (the bench firmware's painted stack, `./x bench`); the encrypted key data
//! is decrypted two cipher blocks at a time, so no frame holds a copy of the block.
mod derivation_cbc;
mod derivation_ctr;
pub mod error;
mod export;
pub mod header;
pub mod import_rules;
pub mod kdf;
mod payload;
mod unwrap;
mod variant_binding;

pub use error::{HeaderField, Tr31Error};
pub use export::{wrap, wrapped_len, MAX_WRAP_KEY};
pub use header::{Header, HeaderSpec, OptBlock, Version};
pub use import_rules::{import_policy, kbpk_algorithm, kbpk_algorithm_fits, raw_kbpk};
pub use unwrap::unwrap_ct;
pub use unwrap::{unwrap, unwrap_with, UnwrapOptions};

use crate::attributes::{Algorithm, Usage};
use crate::key::{KbpkUnwrap, TypedKey};
use crate::secret::SecretBuf;

/// A key imported from a key block, with the policy its header grants.
#[derive(Debug)]
pub struct Imported<'a> {
    /// The block's header.
    pub header: Header<'a>,
    /// The key (wiped on drop).
    pub key: SecretBuf<64>,
    /// The key's algorithm.
    pub algorithm: Algorithm,
    /// What the key may be used for (no [`Usage::EXPORT`] unless the block says `E`).
    pub usage: Usage,
}

/// Unwraps `block` under `kbpk` (versions B, D, E) and checks its header semantics and
/// the KBPK strength rule: what a key store calls to import a key block.
///
/// TDES keys are rated by what they are, not by their length: a TDES key in the block
/// that collapses to single DES, or a 24-byte one with K1 = K3 (2-key TDES, 80 bits,
/// that a 3-key label would rate 112), is refused ([`Tr31Error::DegenerateKey`]); a
/// 24-byte TDES KBPK with K1 = K3 counts as 2-key (80 bits) in the strength rule (a KBPK
/// that collapses to single DES is refused before anything is derived from it).
pub fn import<'a>(
    kbpk: &TypedKey<'_, KbpkUnwrap>,
    block: &'a [u8],
) -> Result<Imported<'a>, Tr31Error> {
    let (header, key) = unwrap(kbpk, block)?;
    let kbpk = kbpk.expose();
    // The KBPK length the strength rule sees: a 3-key KBPK with K1 = K3 rates as 2-key.
    let kbpk_rated_len = match header.version {
        Version::A | Version::B | Version::C => match crate::block::tdes_strength_bits(kbpk) {
            Ok(80) => 16,
            Ok(_) => kbpk.len(),
            Err(_) => return Err(Tr31Error::DegenerateKey),
        },
        _ => kbpk.len(),
    };
    let (algorithm, usage) = import_policy(&header, key.len(), kbpk_rated_len)?;
    let key_bits = match algorithm {
        crate::attributes::Algorithm::Tdes2 | crate::attributes::Algorithm::Tdes3 => {
            crate::block::tdes_strength_bits(key.expose()).map_err(|_| Tr31Error::DegenerateKey)?
        }
        a => a.strength_bits(),
    };
    if key_bits != algorithm.strength_bits() {
        return Err(Tr31Error::DegenerateKey);
    }
    Ok(Imported {
        header,
        key,
        algorithm,
        usage,
    })
}
