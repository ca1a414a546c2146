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
//!   use and exportability onto [`crate::policy::Algorithm`] and [`crate::policy::Usage`],
//!   and the KBPK strength rule (see [`policy`]).
//! - [`wrap`]: version D export with key-length obfuscation and random padding.
//!
//! Protected against: forged or altered blocks (header, optional blocks and key are all
//! MACed), padding/format oracles (one error after decryption), blocks carrying weaker
//! protection than the key needs, a non-exportable key becoming exportable. Not
//! protected against: a compromised KBPK, replay of an old but valid block (a store
//! decides whether a key version may be imported again).
//!
//! No heap: the header borrows the block; the key comes back in a `SecretBuf<CAP>`.
mod cmac;
pub mod error;
mod export;
pub mod header;
pub mod kdf;
pub mod policy;
mod unwrap;
mod variant;
mod version_b;
mod version_d;

pub use error::{HeaderField, Tr31Error};
pub use export::{wrap, wrapped_len, MAX_WRAP_KEY};
pub use header::{Header, HeaderSpec, OptBlock, Version};
pub use policy::{import_policy, kbpk_algorithm};
pub use unwrap::{unwrap, unwrap_with, UnwrapOptions};

use crate::policy::{Algorithm, Usage};
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
pub fn import<'a>(kbpk: &[u8], block: &'a [u8]) -> Result<Imported<'a>, Tr31Error> {
    let (header, key) = unwrap(kbpk, block)?;
    let (algorithm, usage) = import_policy(&header, key.len(), kbpk.len())?;
    Ok(Imported {
        header,
        key,
        algorithm,
        usage,
    })
}

#[cfg(feature = "_selftest")]
pub(crate) mod selftest;
