//! Key derivation binding with CBC: versions B (TDES KBPK, TDES-CMAC derived KBEK/KBAK)
//! and D (AES KBPK, AES-CMAC derived KBEK/KBAK). The payload is CBC-encrypted under the
//! KBEK with the block's MAC as IV; the MAC is a CMAC under the KBAK over
//! header || clear payload (8 bytes for B, 16 for D).
use subtle::{Choice, ConstantTimeEq};

use super::header::Header;
use super::kdf::DerivedKey;
use super::payload;
use super::Tr31Error;
use crate::block::{Aes, Tdes};
use crate::block_n::BlockCipher;
use crate::cmac::Cmac;
use crate::secret::SecretBuf;

/// Version B: decrypts into `pt` and says whether the MAC matched.
pub(crate) fn decrypt_b<const CAP: usize>(
    kbek: &DerivedKey,
    kbak: &DerivedKey,
    header: &Header<'_>,
    ct_hex: &[u8],
    mac_hex: &[u8],
    pt: &mut SecretBuf<CAP>,
) -> Result<Choice, Tr31Error> {
    // Derived from the (checked) KBPK: not refused as degenerate.
    let e = Tdes::from_derived(kbek.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    let a = Tdes::from_derived(kbak.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    Ok(decrypt(&e, &a, header, ct_hex, mac_hex, pt))
}

/// Version D: decrypts into `pt` and says whether the MAC matched.
pub(crate) fn decrypt_d<const CAP: usize>(
    kbek: &DerivedKey,
    kbak: &DerivedKey,
    header: &Header<'_>,
    ct_hex: &[u8],
    mac_hex: &[u8],
    pt: &mut SecretBuf<CAP>,
) -> Result<Choice, Tr31Error> {
    let e = Aes::new(kbek.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    let a = Aes::new(kbak.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    Ok(decrypt(&e, &a, header, ct_hex, mac_hex, pt))
}

/// CBC decryption under `e` with the MAC as IV, CMAC under `a` over header || plaintext
/// computed on the way, and a constant-time comparison with the block's MAC (never
/// branched on here). Both ciphers have the same block length.
fn decrypt<const CAP: usize>(
    e: &dyn BlockCipher,
    a: &dyn BlockCipher,
    header: &Header<'_>,
    ct_hex: &[u8],
    mac_hex: &[u8],
    pt: &mut SecretBuf<CAP>,
) -> Choice {
    let n = e.block_len();
    let mac: [u8; 16] = crate::hex::decode(mac_hex.get(..2 * n).unwrap_or(&[]));
    let mut m = Cmac::new(a);
    m.update(header.as_bytes());
    payload::cbc_decrypt(e, mac, ct_hex, pt, |p| m.update(p));
    let tag = m.finalize();
    tag.get(..n)
        .unwrap_or(&[])
        .ct_eq(mac.get(..n).unwrap_or(&[]))
}
