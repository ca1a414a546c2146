//! Key derivation binding with CTR: version E (ISO 20038; AES KBPK, AES-CMAC derived
//! KBEK/KBAK). The payload (no padding) is AES-CTR-encrypted under the KBEK with the
//! block's MAC as initial counter; the MAC is an AES-CMAC under the KBAK over
//! header || clear payload.
use subtle::{Choice, ConstantTimeEq};

use super::header::Header;
use super::kdf::DerivedKey;
use super::payload;
use super::Tr31Error;
use crate::block::Aes;
use crate::cmac::Cmac;
use crate::secret::SecretBuf;

/// Version E: decrypts into `pt` and says whether the MAC matched.
pub(crate) fn decrypt_e<const CAP: usize>(
    kbek: &DerivedKey,
    kbak: &DerivedKey,
    header: &Header<'_>,
    ct_hex: &[u8],
    mac_hex: &[u8],
    pt: &mut SecretBuf<CAP>,
) -> Result<Choice, Tr31Error> {
    let e = Aes::new(kbek.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    let a = Aes::new(kbak.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    let mac: [u8; 16] = crate::hex::decode(mac_hex);
    let mut m = Cmac::new(&a);
    m.update(header.as_bytes());
    payload::ctr_decrypt(&e, mac, ct_hex, pt, |p| m.update(p));
    Ok(m.finalize().ct_eq(&mac))
}
