//! Key derivation binding with CTR: version E (ISO 20038; AES KBPK, AES-CMAC derived
//! KBEK/KBAK). The payload (no padding) is AES-CTR-encrypted under the KBEK with the
//! block's MAC as initial counter; the MAC is an AES-CMAC under the KBAK over
//! header || clear payload.
use subtle::{Choice, ConstantTimeEq};

use super::kdf::DerivedKey;
use super::payload::{self, with_aes_pair, Parts};
use super::Tr31Error;
use crate::cmac::Cmac;
use crate::secret::SecretBuf;

/// Version E: decrypts into `pt` and says whether the MAC matched.
pub(crate) fn decrypt_e<const CAP: usize>(
    keys: &(DerivedKey, DerivedKey),
    parts: &Parts<'_, '_>,
    pt: &mut SecretBuf<CAP>,
) -> Result<Choice, Tr31Error> {
    with_aes_pair(keys, |e, a| {
        let mac: [u8; 16] = crate::hex::decode(parts.mac_hex);
        let mut m = Cmac::new(a);
        m.update(parts.header.as_bytes());
        payload::ctr_decrypt(e, mac, parts.ct_hex, pt, |p| m.update(p));
        Ok(m.finalize().ct_eq(&mac))
    })
}
