//! Key derivation binding with CBC: versions B (TDES KBPK, TDES-CMAC derived KBEK/KBAK)
//! and D (AES KBPK, AES-CMAC derived KBEK/KBAK). The payload is CBC-encrypted under the
//! KBEK with the block's MAC as IV; the MAC is a CMAC under the KBAK over
//! header || clear payload (8 bytes for B, 16 for D).
use subtle::{Choice, ConstantTimeEq};

use super::kdf::DerivedKey;
use super::payload::{self, with_aes_pair, with_tdes_pair, Parts};
use super::Tr31Error;
use crate::block_cipher::BlockCipher;
use crate::cmac::Cmac;
use crate::secret::SecretBuf;

/// Version B: decrypts into `pt` and says whether the MAC matched.
pub(crate) fn decrypt_b<const CAP: usize>(
    keys: &(DerivedKey, DerivedKey),
    parts: &Parts<'_, '_>,
    pt: &mut SecretBuf<CAP>,
) -> Result<Choice, Tr31Error> {
    with_tdes_pair(keys, |e, a| Ok(decrypt(e, a, parts, pt)))
}

/// Version D: decrypts into `pt` and says whether the MAC matched.
pub(crate) fn decrypt_d<const CAP: usize>(
    keys: &(DerivedKey, DerivedKey),
    parts: &Parts<'_, '_>,
    pt: &mut SecretBuf<CAP>,
) -> Result<Choice, Tr31Error> {
    with_aes_pair(keys, |e, a| Ok(decrypt(e, a, parts, pt)))
}

/// CBC decryption under `e` with the MAC as IV, CMAC under `a` over header || plaintext
/// computed on the way, and a constant-time comparison with the block's MAC (never
/// branched on here). Both ciphers have the same block length.
fn decrypt<const CAP: usize>(
    e: &dyn BlockCipher,
    a: &dyn BlockCipher,
    parts: &Parts<'_, '_>,
    pt: &mut SecretBuf<CAP>,
) -> Choice {
    let n = e.block_len();
    let given = parts.mac_hex.get(..2 * n).unwrap_or(&[]);
    let mac: [u8; 16] = crate::hex::decode(given);
    let mut m = Cmac::new(a);
    m.update(parts.header.as_bytes());
    payload::cbc_decrypt(e, mac, parts.ct_hex, pt, |p| m.update(p));
    let tag = m.finalize();
    tag.get(..n)
        .unwrap_or(&[])
        .ct_eq(mac.get(..n).unwrap_or(&[]))
}
