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
use crate::block_cipher::{Block, BlockCipher, BlockEncrypt};
use crate::cmac::dbl;
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

/// The derivation data block of output block `counter` of the key for `usage`.
fn derivation_data(counter: u8, usage: u16, alg: u16, bits: u16) -> [u8; 8] {
    let [u0, u1] = usage.to_be_bytes();
    let [a0, a1] = alg.to_be_bytes();
    let [l0, l1] = bits.to_be_bytes();
    [counter, u0, u1, 0x00, a0, a1, l0, l1]
}

/// The one CMAC subkey every derivation data block takes under `c` (SP 800-38B): the 8
/// bytes are one block, so its CMAC is one cipher call on the block XOR the subkey, K1
/// (`dbl(E(KBPK, 0))`) when the block is whole (TDES) and K2 (`dbl(K1)`, with the block
/// padded `80 00..00`) when it is not (AES). Computing it once for all blocks saves a
/// cipher call per block over a CMAC each.
fn derivation_subkey(c: &dyn BlockCipher) -> Block {
    let n = c.block_len();
    let mut k = [0u8; 16];
    c.enc(&mut k);
    dbl(&mut k, n);
    if n > 8 {
        dbl(&mut k, n);
    }
    k
}

/// The cipher input whose encryption is the CMAC of `data` (see [`derivation_subkey`]).
fn derivation_block(data: [u8; 8], subkey: &Block, n: usize) -> Block {
    let mut b = [0u8; 16];
    for (x, d) in b.iter_mut().zip(data.iter()) {
        *x = *d;
    }
    if n > 8 {
        b[8] = 0x80;
    }
    for (x, k) in b.iter_mut().zip(subkey.iter()).take(n) {
        *x ^= k;
    }
    b
}

/// Version B: each key's 8-byte blocks, one TDES call each after the shared subkey
/// (`1 + 4` calls for a 2-key KBPK instead of the `8` of four separate CMACs).
fn tdes_cmac_derive(
    c: &Tdes,
    alg: u16,
    len: usize,
    kbek: &mut DerivedKey,
    kbak: &mut DerivedKey,
) -> Result<(), Tr31Error> {
    let bits = u16::try_from(len * 8).map_err(|_| Tr31Error::BadKbpk)?;
    let mut k1 = derivation_subkey(c);
    for (usage, out) in [(0x0000, kbek), (0x0001, kbak)] {
        out.set_len(len).ok_or(Tr31Error::BadKbpk)?;
        for (i, chunk) in out.expose_mut().chunks_mut(8).enumerate() {
            let counter = u8::try_from(i + 1).map_err(|_| Tr31Error::BadKbpk)?;
            let mut b = derivation_block(derivation_data(counter, usage, alg, bits), &k1, 8);
            c.enc(&mut b);
            copy_out(chunk, &b, &[]);
            b.zeroize();
        }
    }
    k1.zeroize();
    Ok(())
}

/// Versions D and E: both keys at once, after the shared subkey (see
/// [`derivation_subkey`]): `1 + 2` AES calls for 128-bit keys (`1 + 4` for longer ones)
/// instead of `2 + 2` (`4 + 4`), and the independent blocks in two-block calls
/// ([`Aes::encrypt2`]): the KBEK's with the KBAK's first block for a 128-bit KBPK, each
/// key's two blocks together for 192/256-bit ones.
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
    let mut k2 = derivation_subkey(c);
    let input = |usage: u16, counter: u8| {
        derivation_block(derivation_data(counter, usage, alg, bits), &k2, 16)
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
            tdes_cmac_derive(&c, alg, kbpk.len(), &mut kbek, &mut kbak)?;
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
