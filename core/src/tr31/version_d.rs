//! Version D (AES, CBC with the MAC as IV) and version E (ISO 20038: AES, CTR with the
//! MAC as initial counter, no padding). Both MAC with CMAC over header || clear payload.
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroize;

use super::header::Header;
use super::kdf::DerivedKey;
use super::unwrap::{decrypt_cbc_mac_iv, store, unhex_block};
use super::Tr31Error;
use crate::block::Aes;
use crate::cmac::Cmac;
use crate::secret::SecretBuf;

/// Version D: decrypts into `pt` and says whether the MAC matched.
pub(crate) fn decrypt_cbc<const CAP: usize>(
    kbek: &DerivedKey,
    kbak: &DerivedKey,
    header: &Header<'_>,
    ct_hex: &[u8],
    mac_hex: &[u8],
    pt: &mut SecretBuf<CAP>,
) -> Result<Choice, Tr31Error> {
    let e = Aes::new(kbek.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    let a = Aes::new(kbak.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    Ok(decrypt_cbc_mac_iv(&e, &a, header, ct_hex, mac_hex, pt))
}

/// Increments a 128-bit big-endian counter.
fn inc(ctr: &mut [u8; 16]) {
    let mut carry = 1u16;
    for b in ctr.iter_mut().rev() {
        let s = u16::from(*b) + carry;
        *b = s.to_be_bytes()[1];
        carry = s >> 8;
    }
}

/// Version E: decrypts (CTR) into `pt` and says whether the MAC matched.
pub(crate) fn decrypt_ctr<const CAP: usize>(
    kbek: &DerivedKey,
    kbak: &DerivedKey,
    header: &Header<'_>,
    ct_hex: &[u8],
    mac_hex: &[u8],
    pt: &mut SecretBuf<CAP>,
) -> Result<Choice, Tr31Error> {
    let e = Aes::new(kbek.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    let a = Aes::new(kbak.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    let mac: [u8; 16] = unhex_block(mac_hex);
    let mut m = Cmac::new(&a);
    m.update(header.as_bytes());
    let mut ctr = mac;
    for (i, hex) in ct_hex.chunks(32).enumerate() {
        let c: [u8; 16] = unhex_block(hex);
        let mut ks = ctr;
        e.encrypt(&mut ks);
        let n = hex.len() >> 1;
        for (k, c) in ks.iter_mut().zip(c.iter()) {
            *k ^= c;
        }
        let p = ks.get(..n).unwrap_or(&[]);
        m.update(p);
        store(pt, i * 16, p);
        ks.zeroize();
        inc(&mut ctr);
    }
    Ok(m.finalize().ct_eq(&mac))
}
