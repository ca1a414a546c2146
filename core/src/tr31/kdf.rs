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
use crate::block_cipher::BlockCipher;
use crate::cmac::{cmac, dbl};
use crate::secret::SecretBuf;
use zeroize::Zeroize;

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
        t.zeroize();
    }
    Ok(())
}

/// Versions D and E: both keys at once. Every output block is the CMAC of one 8-byte
/// derivation data block, that is (SP 800-38B, one incomplete block)
/// `E(KBPK, data || 80 00..00 xor K2)` with the one subkey `K2 = dbl(dbl(E(KBPK, 0)))`:
/// the same values as [`cmac_derive`] computes, in `1 + 2` AES calls for 128-bit keys
/// (`1 + 4` for longer ones) instead of `2 + 2` (`4 + 4`), and the independent blocks in
/// two-block calls ([`Aes::encrypt2`]): the KBEK's with the KBAK's first block for a
/// 128-bit KBPK, each key's two blocks together for 192/256-bit ones.
fn aes_cmac_derive(
    c: &Aes,
    enc_usage: u16,
    alg: u16,
    len: usize,
    kbek: &mut DerivedKey,
    kbak: &mut DerivedKey,
) -> Result<(), Tr31Error> {
    let bits = u16::try_from(len * 8).map_err(|_| Tr31Error::BadKbpk)?;
    kbek.set_len(len).ok_or(Tr31Error::BadKbpk)?;
    kbak.set_len(len).ok_or(Tr31Error::BadKbpk)?;
    let mut k2 = [0u8; 16];
    c.encrypt(&mut k2);
    dbl(&mut k2, 16);
    dbl(&mut k2, 16);
    let [a0, a1] = alg.to_be_bytes();
    let [l0, l1] = bits.to_be_bytes();
    let input = |usage: u16, counter: u8| -> [u8; 16] {
        let [u0, u1] = usage.to_be_bytes();
        let mut b = [
            counter, u0, u1, 0x00, a0, a1, l0, l1, 0x80, 0, 0, 0, 0, 0, 0, 0,
        ];
        for (x, k) in b.iter_mut().zip(k2.iter()) {
            *x ^= k;
        }
        b
    };
    if len <= 16 {
        let (mut e, mut a) = (input(enc_usage, 1), input(0x0001, 1));
        c.encrypt2(&mut e, &mut a);
        copy_out(kbek.expose_mut(), &e, &[]);
        copy_out(kbak.expose_mut(), &a, &[]);
        e.zeroize();
        a.zeroize();
    } else {
        for (usage, out) in [(enc_usage, &mut *kbek), (0x0001, &mut *kbak)] {
            let (mut b1, mut b2) = (input(usage, 1), input(usage, 2));
            c.encrypt2(&mut b1, &mut b2);
            copy_out(out.expose_mut(), &b1, &b2);
            b1.zeroize();
            b2.zeroize();
        }
    }
    k2.zeroize();
    Ok(())
}

/// Fills `out` with the bytes of `first` then `second`.
fn copy_out(out: &mut [u8], first: &[u8], second: &[u8]) {
    for (o, s) in out.iter_mut().zip(first.iter().chain(second.iter())) {
        *o = *s;
    }
}

fn variant(kbpk: &[u8], v: u8) -> Result<DerivedKey, Tr31Error> {
    let mut k = DerivedKey::from_slice(kbpk).ok_or(Tr31Error::BadKbpk)?;
    for b in k.expose_mut() {
        *b ^= v;
    }
    Ok(k)
}

/// Derives `(KBEK, KBAK)` for `version` from the key block protection key `kbpk` (a key
/// admitted as a KBPK, [`crate::key::KbpkRole`]; its algorithm must fit the version:
/// [`Tr31Error::KbpkAlgorithm`]). Public for test vectors and diagnostics; unwrap and wrap
/// call it themselves.
pub fn derive_keys<R: crate::key::KbpkRole>(
    version: Version,
    kbpk: &crate::key::TypedKey<'_, R>,
) -> Result<(DerivedKey, DerivedKey), Tr31Error> {
    if !super::import_rules::kbpk_algorithm_fits(version, kbpk.algorithm()) {
        return Err(Tr31Error::KbpkAlgorithm);
    }
    derive(version, kbpk.expose())
}

/// [`derive_keys`] from a KBPK's bytes, its role and algorithm checked by the caller.
pub(super) fn derive(version: Version, kbpk: &[u8]) -> Result<(DerivedKey, DerivedKey), Tr31Error> {
    if !kbpk_len_ok(version, kbpk.len()) {
        return Err(Tr31Error::BadKbpk);
    }
    if matches!(version, Version::A | Version::B | Version::C) {
        crate::block::check_tdes_key(kbpk).map_err(|_| Tr31Error::DegenerateKey)?;
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
            aes_cmac_derive(&c, enc_usage, alg, kbpk.len(), &mut kbek, &mut kbak)?;
        }
    }
    Ok((kbek, kbak))
}
