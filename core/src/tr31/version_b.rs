//! Version B: TDES KBPK, TDES-CMAC derived KBEK/KBAK, TDES-CBC with the 8-byte MAC as IV,
//! TDES-CMAC over header || clear payload.
use subtle::Choice;

use super::header::Header;
use super::kdf::DerivedKey;
use super::unwrap::decrypt_cbc_mac_iv;
use super::Tr31Error;
use crate::block::Tdes;
use crate::secret::SecretBuf;

/// Decrypts into `pt` and says whether the MAC matched.
pub(crate) fn decrypt<const CAP: usize>(
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
    Ok(decrypt_cbc_mac_iv(&e, &a, header, ct_hex, mac_hex, pt))
}
