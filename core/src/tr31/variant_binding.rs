//! Key variant binding: versions A and C (TDES; deprecated, opt-in through
//! [`UnwrapOptions::allow_variant_binding`](super::UnwrapOptions)). The MAC is the first 4
//! bytes of a TDES CBC-MAC under the KBAK over header || encrypted key data, so it is
//! checked before anything is decrypted; decryption is TDES-CBC under the KBEK with the
//! header's first 8 characters as IV.
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroize;

use super::kdf::DerivedKey;
use super::payload::{self, with_tdes_pair, Parts};
use super::Tr31Error;
use crate::modes;
use crate::secret::SecretBuf;

/// Verifies the MAC, then decrypts into `pt`. Returns whether the MAC matched (`pt` is
/// left empty when it did not).
pub(crate) fn decrypt_a_c<const CAP: usize>(
    keys: &(DerivedKey, DerivedKey),
    parts: &Parts<'_, '_>,
    pt: &mut SecretBuf<CAP>,
) -> Result<Choice, Tr31Error> {
    // KBPK XOR a constant byte: degenerate exactly when the (checked) KBPK is.
    with_tdes_pair(keys, |e, a| {
        let ct_hex = parts.ct_hex;
        // CBC-MAC over header (ASCII) || ciphertext (binary), zero IV; the header of a
        // version A/C block is 16 + optional blocks, a multiple of 8 when well formed.
        let h = parts.header.as_bytes();
        if h.len() & 7 != 0 {
            return Err(Tr31Error::BadOptionalBlock);
        }
        let mut x = [0u8; 16];
        modes::cbc_mac(a, &mut x, h);
        for hex in ct_hex.chunks(32) {
            let mut c = [0u8; 16];
            let len = crate::hex::decode_into(hex, &mut c);
            modes::cbc_mac(a, &mut x, c.get(..len).unwrap_or(&[]));
        }
        let mac: [u8; 4] = crate::hex::decode(parts.mac_hex);
        let ok = x.get(..4).unwrap_or(&[]).ct_eq(&mac);
        x.zeroize();
        if !bool::from(ok) {
            return Ok(ok);
        }
        let mut iv = [0u8; 16];
        if let Some(head) = h.get(..8) {
            iv[..8].copy_from_slice(head);
        }
        payload::cbc_decrypt(e, iv, ct_hex, pt, |_| ());
        Ok(ok)
    })
}
