//! Key block encryption and authentication keys (KBEK, KBAK) from the KBPK.
//!
//! - Versions B, D and E (key derivation binding, X9.143 / ISO 20038): each output block
//!   is `CMAC(KBPK, counter || usage || 0x00 || algorithm || length)`, 8 bytes of
//!   derivation data, counter from 1 until the key length is reached. `usage` is `0000`
//!   for the KBEK (`0002` for the version E KBEK, CTR mode), `0001` for the KBAK;
//!   `algorithm` is `0000`/`0001` for 2-/3-key TDEA and `0002`/`0003`/`0004` for
//!   AES-128/192/256; `length` is the KBPK's length in bits.
//! - Versions A and C (key variant binding, deprecated): KBEK = KBPK xor `0x45` repeated,
//!   KBAK = KBPK xor `0x4D` repeated.
use super::header::Version;
use super::Tr31Error;
use crate::block::{Aes, Tdes};
use crate::block_n::BlockCipher;
use crate::cmac::cmac;
use crate::secret::SecretBuf;

/// A derived key: at most 32 bytes, wiped on drop.
pub type DerivedKey = SecretBuf<32>;

/// Whether `len` is a valid KBPK length for `version`.
pub fn kbpk_len_ok(version: Version, len: usize) -> bool {
    match version {
        Version::A | Version::B | Version::C => matches!(len, 16 | 24),
        Version::D | Version::E => matches!(len, 16 | 24 | 32),
    }
}

fn cmac_derive(
    c: &dyn BlockCipher,
    usage: u16,
    alg: u16,
    len: usize,
    out: &mut DerivedKey,
) -> Result<(), Tr31Error> {
    let bits = u16::try_from(len * 8).map_err(|_| Tr31Error::BadKbpk)?;
    out.set_len(len).ok_or(Tr31Error::BadKbpk)?;
    let [u0, u1] = usage.to_be_bytes();
    let [a0, a1] = alg.to_be_bytes();
    let [l0, l1] = bits.to_be_bytes();
    for (i, chunk) in out.expose_mut().chunks_mut(c.block_len()).enumerate() {
        let counter = u8::try_from(i + 1).map_err(|_| Tr31Error::BadKbpk)?;
        let data = [counter, u0, u1, 0x00, a0, a1, l0, l1];
        let mut t = cmac(c, &[&data]);
        for (o, t) in chunk.iter_mut().zip(t.iter()) {
            *o = *t;
        }
        zeroize::Zeroize::zeroize(&mut t);
    }
    Ok(())
}

fn variant(kbpk: &[u8], v: u8) -> Result<DerivedKey, Tr31Error> {
    let mut k = DerivedKey::from_slice(kbpk).ok_or(Tr31Error::BadKbpk)?;
    for b in k.expose_mut() {
        *b ^= v;
    }
    Ok(k)
}

/// Derives `(KBEK, KBAK)` for `version` from `kbpk`. Public for test vectors and
/// diagnostics; unwrap and wrap call it themselves.
pub fn derive_keys(version: Version, kbpk: &[u8]) -> Result<(DerivedKey, DerivedKey), Tr31Error> {
    if !kbpk_len_ok(version, kbpk.len()) {
        return Err(Tr31Error::BadKbpk);
    }
    let (mut kbek, mut kbak) = (DerivedKey::new(), DerivedKey::new());
    match version {
        Version::A | Version::C => return Ok((variant(kbpk, 0x45)?, variant(kbpk, 0x4D)?)),
        Version::B => {
            let c = Tdes::new(kbpk).map_err(|_| Tr31Error::BadKbpk)?;
            let alg = if kbpk.len() == 16 { 0x0000 } else { 0x0001 };
            cmac_derive(&c, 0x0000, alg, kbpk.len(), &mut kbek)?;
            cmac_derive(&c, 0x0001, alg, kbpk.len(), &mut kbak)?;
        }
        Version::D | Version::E => {
            let c = Aes::new(kbpk).map_err(|_| Tr31Error::BadKbpk)?;
            let alg = match kbpk.len() {
                16 => 0x0002,
                24 => 0x0003,
                _ => 0x0004,
            };
            let enc_usage = if version == Version::E {
                0x0002
            } else {
                0x0000
            };
            cmac_derive(&c, enc_usage, alg, kbpk.len(), &mut kbek)?;
            cmac_derive(&c, 0x0001, alg, kbpk.len(), &mut kbak)?;
        }
    }
    Ok((kbek, kbak))
}
