//! Versions A and C (TDES key variant binding; deprecated, opt-in through
//! [`UnwrapOptions::allow_variant_binding`](super::UnwrapOptions)). The MAC is the first 4
//! bytes of a TDES CBC-MAC under the KBAK over header || encrypted key data, so it is
//! checked before anything is decrypted; decryption is TDES-CBC under the KBEK with the
//! header's first 8 characters as IV.
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroize;

use super::header::Header;
use super::kdf::DerivedKey;
use super::unwrap::{store, unhex_block};
use super::Tr31Error;
use crate::block::Tdes;
use crate::secret::SecretBuf;

/// Verifies the MAC, then decrypts into `pt`. Returns whether the MAC matched (`pt` is
/// left empty when it did not).
pub(crate) fn decrypt<const CAP: usize>(
    kbek: &DerivedKey,
    kbak: &DerivedKey,
    header: &Header<'_>,
    ct_hex: &[u8],
    mac_hex: &[u8],
    pt: &mut SecretBuf<CAP>,
) -> Result<Choice, Tr31Error> {
    // KBPK XOR a constant byte: degenerate exactly when the (checked) KBPK is.
    let e = Tdes::from_derived(kbek.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    let a = Tdes::from_derived(kbak.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    // CBC-MAC over header (ASCII) || ciphertext (binary), zero IV; the header of a
    // version A/C block is 16 + optional blocks, a multiple of 8 when well formed.
    let mut x = [0u8; 8];
    let feed = |blk: &[u8; 8], x: &mut [u8; 8]| {
        for (x, b) in x.iter_mut().zip(blk.iter()) {
            *x ^= b;
        }
        a.encrypt(x);
    };
    let h = header.as_bytes();
    if h.len() & 7 != 0 {
        return Err(Tr31Error::BadOptionalBlock);
    }
    for chunk in h.chunks_exact(8) {
        let mut blk = [0u8; 8];
        blk.copy_from_slice(chunk);
        feed(&blk, &mut x);
    }
    for hex in ct_hex.chunks_exact(16) {
        let c: [u8; 8] = unhex_block(hex);
        feed(&c, &mut x);
    }
    let mac: [u8; 4] = unhex_block(mac_hex);
    let ok = x.get(..4).unwrap_or(&[]).ct_eq(&mac);
    if !bool::from(ok) {
        return Ok(ok);
    }
    let mut prev = [0u8; 8];
    prev.copy_from_slice(h.get(..8).unwrap_or(&[0u8; 8]));
    for (i, hex) in ct_hex.chunks_exact(16).enumerate() {
        let c: [u8; 8] = unhex_block(hex);
        let mut p = c;
        e.decrypt(&mut p);
        for (p, v) in p.iter_mut().zip(prev.iter()) {
            *p ^= v;
        }
        store(pt, i * 8, &p);
        p.zeroize();
        prev = c;
    }
    Ok(ok)
}
