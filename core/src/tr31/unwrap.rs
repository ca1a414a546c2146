//! Key block import: parse, check lengths and hex, derive KBEK/KBAK, decrypt while
//! computing the MAC, verify the MAC in constant time, and only then read the key length.
//! The binding methods live in their own modules: [`super::variant_binding`] (A, C),
//! [`super::derivation_cbc`] (B, D) and [`super::derivation_ctr`] (E); this one checks
//! what they share and dispatches.
use super::header::{Header, Version};
use super::kdf::{derive, kbpk_len_ok};
use super::payload::Parts;
use super::{derivation_cbc, derivation_ctr, variant_binding, Tr31Error};
use crate::attributes::Algorithm;
use crate::key::{KbpkUnwrap, TypedKey};
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

/// Whether `block` is authentic under `kbpk`, as a `Choice` never branched on: the
/// constant-time part of an unwrap (parse, derive, decrypt and MAC) with the plaintext
/// wiped. An error is returned only for what is public (the block's format and length).
/// `tests/tests/des_ct.rs` runs it under Valgrind with the KBPK secret.
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
    if kbpk_alg.is_some_and(|a| !super::import_rules::kbpk_algorithm_fits(v, a)) {
        return Err(Tr31Error::KbpkAlgorithm);
    }
    if !kbpk_len_ok(v, kbpk.len()) {
        return Err(Tr31Error::BadKbpk);
    }
    let body = block.get(header.len()..).ok_or(Tr31Error::Truncated)?;
    if body.len() & 1 == 1 {
        return Err(Tr31Error::BadLength);
    }
    if !crate::hex::is_hex(body) {
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
    let keys = derive(v, kbpk)?;
    let parts = Parts {
        header: &header,
        ct_hex,
        mac_hex,
    };
    let ok = match v {
        Version::B => derivation_cbc::decrypt_b(&keys, &parts, pt),
        Version::D => derivation_cbc::decrypt_d(&keys, &parts, pt),
        Version::E => derivation_ctr::decrypt_e(&keys, &parts, pt),
        Version::A | Version::C => variant_binding::decrypt_a_c(&keys, &parts, pt),
    };
    drop(keys);
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
