//! Key block import: parse, check lengths and hex, derive KBEK/KBAK, decrypt while
//! computing the MAC, verify the MAC in constant time, and only then read the key length.
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::header::{unhex_char, Header, Version};
use super::kdf::{derive_keys, kbpk_len_ok};
use super::Tr31Error;
use crate::block_n::{Block, BlockCipher};
use crate::cmac::Cmac;
use crate::key::{KbpkUnwrap, TypedKey};
use crate::policy::Algorithm;
use crate::secret::SecretBuf;

/// Import options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnwrapOptions {
    /// Accept versions A and C (TDES key variant binding). Off by default: X9.143 and
    /// PCI PIN deprecate them (the MAC is a 4-byte CBC-MAC and the variant keys are
    /// related to the KBPK). Turn on only to migrate legacy blocks.
    pub allow_variant_binding: bool,
}

impl UnwrapOptions {
    /// Options that also accept versions A and C.
    pub const fn legacy() -> Self {
        Self {
            allow_variant_binding: true,
        }
    }
}

/// Unwraps a version B, D or E key block under `kbpk`: the header and the key (at most
/// 62 bytes; use [`unwrap_with`] for larger keys). Versions A and C are refused with
/// [`Tr31Error::UnsupportedVersion`]; a KBPK whose algorithm does not fit the version
/// (TDES for D and E, AES for A, B and C) with [`Tr31Error::KbpkAlgorithm`]. This does
/// not check the header's semantics: call [`Header::policy`] or use [`super::import`] for
/// that.
pub fn unwrap<'a>(
    kbpk: &TypedKey<'_, KbpkUnwrap>,
    block: &'a [u8],
) -> Result<(Header<'a>, SecretBuf<64>), Tr31Error> {
    unwrap_with(kbpk, block, &UnwrapOptions::default())
}

/// [`unwrap`] with options and a key buffer of `CAP` bytes (which must hold the key's
/// 2-byte length field, the key and, up to `CAP`, its padding; a longer key gives
/// [`Tr31Error::KeyTooLarge`]).
pub fn unwrap_with<'a, const CAP: usize>(
    kbpk: &TypedKey<'_, KbpkUnwrap>,
    block: &'a [u8],
    opts: &UnwrapOptions,
) -> Result<(Header<'a>, SecretBuf<CAP>), Tr31Error> {
    let mut pt = SecretBuf::<CAP>::new();
    let (header, ok, enc_len) =
        decrypt_verify(kbpk.expose(), Some(kbpk.algorithm()), block, opts, &mut pt)?;
    if !bool::from(ok) {
        return Err(Tr31Error::Unauthentic);
    }
    let key_len = key_length(&mut pt, enc_len)?;
    if key_len + 2 > CAP {
        return Err(Tr31Error::KeyTooLarge);
    }
    if let Some(b) = pt.backing_mut().get_mut(..key_len + 2) {
        crate::shift::down(b, 2);
    }
    pt.set_len(key_len).ok_or(Tr31Error::KeyTooLarge)?;
    Ok((header, pt))
}

/// The constant-time part of an unwrap, for the constant-time test (`tests/tests/des_ct.rs`
/// runs it under Valgrind with the KBPK secret; feature `_selftest`, test-only): parse,
/// derive, decrypt and MAC, and the MAC verdict as a `Choice`, never branched on. The
/// plaintext is wiped.
#[cfg(feature = "_selftest")]
pub fn unwrap_ct<const CAP: usize>(
    kbpk: &[u8],
    block: &[u8],
    opts: &UnwrapOptions,
) -> Result<subtle::Choice, Tr31Error> {
    let mut pt = SecretBuf::<CAP>::new();
    decrypt_verify(kbpk, None, block, opts, &mut pt).map(|(_, ok, _)| ok)
}

/// Everything up to the MAC verdict: decrypts into `pt` (length field, key and padding,
/// not yet looked at; the caller owns the buffer, so no moved copy of it is left in this
/// frame) and returns the header, the verdict (not branched on) and the encrypted length.
/// `kbpk_alg`, the KBPK's algorithm when known, must fit the block's version.
fn decrypt_verify<'a, const CAP: usize>(
    kbpk: &[u8],
    kbpk_alg: Option<Algorithm>,
    block: &'a [u8],
    opts: &UnwrapOptions,
    pt: &mut SecretBuf<CAP>,
) -> Result<(Header<'a>, subtle::Choice, usize), Tr31Error> {
    let header = Header::parse(block)?;
    let v = header.version;
    if matches!(v, Version::A | Version::C) && !opts.allow_variant_binding {
        return Err(Tr31Error::UnsupportedVersion);
    }
    if kbpk_alg.is_some_and(|a| !super::policy::kbpk_algorithm_fits(v, a)) {
        return Err(Tr31Error::KbpkAlgorithm);
    }
    if !kbpk_len_ok(v, kbpk.len()) {
        return Err(Tr31Error::BadKbpk);
    }
    let body = block.get(header.len()..).ok_or(Tr31Error::Truncated)?;
    if body.len() & 1 == 1 {
        return Err(Tr31Error::BadLength);
    }
    if !body.iter().all(|&c| unhex_char(c).is_some()) {
        return Err(Tr31Error::BadHex);
    }
    let bytes = body.len() >> 1;
    let enc_len = bytes.checked_sub(v.mac_len()).ok_or(Tr31Error::BadLength)?;
    let bs = v.block_size();
    let ok_len = match v {
        // CTR: no padding; at least the length field and one key byte.
        Version::E => enc_len >= 3,
        _ => enc_len >= bs && enc_len & (bs - 1) == 0,
    };
    if !ok_len {
        return Err(Tr31Error::BadLength);
    }
    let (ct_hex, mac_hex) = body.split_at(enc_len * 2);
    let (kbek, kbak) = derive_keys(v, kbpk)?;
    let ok = match v {
        Version::D => super::version_d::decrypt_cbc(&kbek, &kbak, &header, ct_hex, mac_hex, pt),
        Version::E => super::version_d::decrypt_ctr(&kbek, &kbak, &header, ct_hex, mac_hex, pt),
        Version::B => super::version_b::decrypt(&kbek, &kbak, &header, ct_hex, mac_hex, pt),
        Version::A | Version::C => {
            super::variant::decrypt(&kbek, &kbak, &header, ct_hex, mac_hex, pt)
        }
    };
    drop(kbek);
    drop(kbak);
    Ok((header, ok?, enc_len))
}

/// The key length from the (authenticated) 2-byte bit-length field.
fn key_length<const CAP: usize>(
    pt: &mut SecretBuf<CAP>,
    enc_len: usize,
) -> Result<usize, Tr31Error> {
    let b = pt.backing_mut();
    let (Some(&hi), Some(&lo)) = (b.first(), b.get(1)) else {
        return Err(Tr31Error::KeyTooLarge);
    };
    let bits = usize::from(u16::from_be_bytes([hi, lo]));
    if bits == 0 || bits & 7 != 0 || (bits >> 3) + 2 > enc_len {
        return Err(Tr31Error::Unauthentic);
    }
    Ok(bits >> 3)
}

/// Decodes `N` bytes of (already validated) hex.
pub(crate) fn unhex_block<const N: usize>(hex: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    unhex_into(hex, &mut out);
    out
}

/// Decodes (already validated) hex into `out`, as many bytes as both hold.
pub(crate) fn unhex_into(hex: &[u8], out: &mut [u8]) {
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let hi = unhex_char(pair[0]).unwrap_or(0);
        let lo = unhex_char(pair[1]).unwrap_or(0);
        *o = (hi << 4) | lo;
    }
}

/// Writes plaintext at `pos` into the buffer, dropping what does not fit.
pub(crate) fn store<const CAP: usize>(pt: &mut SecretBuf<CAP>, pos: usize, data: &[u8]) {
    let b = pt.backing_mut();
    for (i, &d) in data.iter().enumerate() {
        if let Some(x) = b.get_mut(pos + i) {
            *x = d;
        }
    }
}

/// Versions B (TDES) and D (AES): [`cbc_decrypt_mac`] under the KBEK cipher `e` and the
/// KBAK cipher `a`, with the block's MAC as both IV and expected tag.
pub(crate) fn decrypt_cbc_mac_iv<const CAP: usize>(
    e: &dyn BlockCipher,
    a: &dyn BlockCipher,
    header: &Header<'_>,
    ct_hex: &[u8],
    mac_hex: &[u8],
    pt: &mut SecretBuf<CAP>,
) -> subtle::Choice {
    let n = e.block_len();
    let mut mac = [0u8; 16];
    if let Some(m) = mac.get_mut(..n) {
        unhex_into(mac_hex, m);
    }
    cbc_decrypt_mac(
        e,
        a,
        header.as_bytes(),
        ct_hex,
        mac,
        mac.get(..n).unwrap_or(&[]),
        pt,
    )
}

/// CBC decryption with `iv` (one block), feeding header and plaintext into a CMAC under
/// `mac_key`, then a constant-time comparison of the tag's first `given.len()` bytes
/// with `given`. Both ciphers have the same block length.
pub(crate) fn cbc_decrypt_mac<const CAP: usize>(
    enc: &dyn BlockCipher,
    mac_key: &dyn BlockCipher,
    header: &[u8],
    ct_hex: &[u8],
    iv: Block,
    given: &[u8],
    pt: &mut SecretBuf<CAP>,
) -> subtle::Choice {
    let n = enc.block_len();
    let mut m = Cmac::new(mac_key);
    m.update(header);
    let mut prev = iv;
    // CBC decryption of two blocks is two independent block decryptions: one two-block
    // call per pair ([`BlockCipher::dec2`]).
    for (j, hex) in ct_hex.chunks(4 * n).enumerate() {
        let (h1, h2) = hex.split_at(hex.len().min(2 * n));
        let mut c1 = [0u8; 16];
        unhex_into(h1, &mut c1);
        let mut p1 = c1;
        if h2.is_empty() {
            enc.dec(&mut p1);
            xor_into(&mut p1, &prev);
            let b1 = p1.get(..n).unwrap_or(&[]);
            m.update(b1);
            store(pt, 2 * j * n, b1);
            prev = c1;
        } else {
            let mut c2 = [0u8; 16];
            unhex_into(h2, &mut c2);
            let mut p2 = c2;
            enc.dec2(&mut p1, &mut p2);
            xor_into(&mut p1, &prev);
            xor_into(&mut p2, &c1);
            let (b1, b2) = (p1.get(..n).unwrap_or(&[]), p2.get(..n).unwrap_or(&[]));
            m.update(b1);
            m.update(b2);
            store(pt, 2 * j * n, b1);
            store(pt, (2 * j + 1) * n, b2);
            p2.zeroize();
            prev = c2;
        }
        p1.zeroize();
    }
    let tag = m.finalize();
    tag.get(..given.len()).unwrap_or(&[]).ct_eq(given)
}

/// `x ^= y`.
fn xor_into<const N: usize>(x: &mut [u8; N], y: &[u8; N]) {
    for (a, b) in x.iter_mut().zip(y.iter()) {
        *a ^= b;
    }
}
