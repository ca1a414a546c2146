//! Key block import: parse, check lengths and hex, derive KBEK/KBAK, decrypt while
//! computing the MAC, verify the MAC in constant time, and only then read the key length.
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::header::{unhex_char, Header, Version};
use super::kdf::{derive_keys, kbpk_len_ok, DerivedKey};
use super::Tr31Error;
use crate::block::BadKeyLength;
use crate::block_n::BlockCipher;
use crate::cmac::Cmac;
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
/// [`Tr31Error::UnsupportedVersion`]. This does not check the header's semantics: call
/// [`Header::policy`] or use [`super::import`] for that.
pub fn unwrap<'a>(kbpk: &[u8], block: &'a [u8]) -> Result<(Header<'a>, SecretBuf<64>), Tr31Error> {
    unwrap_with(kbpk, block, &UnwrapOptions::default())
}

/// [`unwrap`] with options and a key buffer of `CAP` bytes (which must hold the key's
/// 2-byte length field, the key and, up to `CAP`, its padding; a longer key gives
/// [`Tr31Error::KeyTooLarge`]).
pub fn unwrap_with<'a, const CAP: usize>(
    kbpk: &[u8],
    block: &'a [u8],
    opts: &UnwrapOptions,
) -> Result<(Header<'a>, SecretBuf<CAP>), Tr31Error> {
    let header = Header::parse(block)?;
    let v = header.version;
    if matches!(v, Version::A | Version::C) && !opts.allow_variant_binding {
        return Err(Tr31Error::UnsupportedVersion);
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
    let mut pt = SecretBuf::<CAP>::new();
    let ok = match v {
        Version::D => {
            super::version_d::decrypt_cbc(&kbek, &kbak, &header, ct_hex, mac_hex, &mut pt)
        }
        Version::E => {
            super::version_d::decrypt_ctr(&kbek, &kbak, &header, ct_hex, mac_hex, &mut pt)
        }
        Version::B => super::version_b::decrypt(&kbek, &kbak, &header, ct_hex, mac_hex, &mut pt),
        Version::A | Version::C => {
            super::variant::decrypt(&kbek, &kbak, &header, ct_hex, mac_hex, &mut pt)
        }
    };
    drop(kbek);
    drop(kbak);
    if !bool::from(ok?) {
        return Err(Tr31Error::Unauthentic);
    }
    let key_len = key_length(&mut pt, enc_len)?;
    if key_len + 2 > CAP {
        return Err(Tr31Error::KeyTooLarge);
    }
    let b = pt.backing_mut();
    b.copy_within(2..2 + key_len, 0);
    pt.set_len(key_len).ok_or(Tr31Error::KeyTooLarge)?;
    Ok((header, pt))
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
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let hi = unhex_char(pair[0]).unwrap_or(0);
        let lo = unhex_char(pair[1]).unwrap_or(0);
        *o = (hi << 4) | lo;
    }
    out
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

/// Versions B (TDES) and D (AES): builds the KBEK and KBAK ciphers with `new`, then
/// [`cbc_decrypt_mac`] with the block's MAC as both IV and expected tag.
pub(crate) fn decrypt_cbc_mac_iv<C: BlockCipher<N>, const N: usize, const CAP: usize>(
    new: fn(&[u8]) -> Result<C, BadKeyLength>,
    kbek: &DerivedKey,
    kbak: &DerivedKey,
    header: &Header<'_>,
    ct_hex: &[u8],
    mac_hex: &[u8],
    pt: &mut SecretBuf<CAP>,
) -> Result<subtle::Choice, Tr31Error> {
    let e = new(kbek.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    let a = new(kbak.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    let mac: [u8; N] = unhex_block(mac_hex);
    Ok(cbc_decrypt_mac(
        &e,
        &a,
        header.as_bytes(),
        ct_hex,
        mac,
        &mac,
        pt,
    ))
}

/// CBC decryption with `iv`, feeding header and plaintext into a CMAC under `mac_key`,
/// then a constant-time comparison of the tag's first `given.len()` bytes with `given`.
pub(crate) fn cbc_decrypt_mac<C: BlockCipher<N>, const N: usize, const CAP: usize>(
    enc: &C,
    mac_key: &C,
    header: &[u8],
    ct_hex: &[u8],
    iv: [u8; N],
    given: &[u8],
    pt: &mut SecretBuf<CAP>,
) -> subtle::Choice {
    let mut m = Cmac::new(mac_key);
    m.update(header);
    let mut prev = iv;
    // CBC decryption of two blocks is two independent block decryptions: one two-block
    // call per pair ([`BlockCipher::dec2`]).
    for (j, hex) in ct_hex.chunks(4 * N).enumerate() {
        let (h1, h2) = hex.split_at(hex.len().min(2 * N));
        let c1: [u8; N] = unhex_block(h1);
        let mut p1 = c1;
        if h2.is_empty() {
            enc.dec(&mut p1);
            xor_into(&mut p1, &prev);
            m.update(&p1);
            store(pt, 2 * j * N, &p1);
            prev = c1;
        } else {
            let c2: [u8; N] = unhex_block(h2);
            let mut p2 = c2;
            enc.dec2(&mut p1, &mut p2);
            xor_into(&mut p1, &prev);
            xor_into(&mut p2, &c1);
            m.update(&p1);
            m.update(&p2);
            store(pt, 2 * j * N, &p1);
            store(pt, (2 * j + 1) * N, &p2);
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
