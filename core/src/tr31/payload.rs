//! The encrypted key data of a block (ASCII hex) decrypted into the key buffer, two
//! cipher blocks at a time through [`crate::modes`], each piece of plaintext shown to
//! the caller (which MACs it) as it is written. What does not fit the buffer is dropped
//! (the caller finds the length too large once the MAC has been checked). The piece
//! buffer is wiped.
use zeroize::Zeroize;

use super::header::Header;
use super::kdf::DerivedKey;
use super::Tr31Error;
use crate::block::{Aes, Tdes};
use crate::block_cipher::{Block, BlockCipher};
use crate::modes;
use crate::secret::SecretBuf;

/// A block's parts once unwrap has checked them: the header (MACed as it stands), and
/// the encrypted key data and MAC, both validated hex of the version's lengths.
pub(crate) struct Parts<'h, 'a> {
    pub(crate) header: &'h Header<'a>,
    pub(crate) ct_hex: &'a [u8],
    pub(crate) mac_hex: &'a [u8],
}

/// Runs `f` with the KBEK and KBAK (derived, or variants of the KBPK) as TDES ciphers.
/// Both come from the checked KBPK, so they are not refused as degenerate. The
/// schedules live in this frame only (never moved out, so never copied) and are wiped
/// when it returns.
pub(crate) fn with_tdes_pair<T>(
    keys: &(DerivedKey, DerivedKey),
    f: impl FnOnce(&Tdes, &Tdes) -> Result<T, Tr31Error>,
) -> Result<T, Tr31Error> {
    // Expanded where they lie (`Tdes::rekey_derived`): no schedule moved through a
    // `Result`.
    let mut e = Tdes::placeholder();
    e.rekey_derived(keys.0.expose())
        .map_err(|_| Tr31Error::BadKbpk)?;
    let mut a = Tdes::placeholder();
    a.rekey_derived(keys.1.expose())
        .map_err(|_| Tr31Error::BadKbpk)?;
    f(&e, &a)
}

/// Runs `f` with the KBEK and KBAK as AES ciphers (in this frame only, as above).
pub(crate) fn with_aes_pair<T>(
    keys: &(DerivedKey, DerivedKey),
    f: impl FnOnce(&Aes, &Aes) -> Result<T, Tr31Error>,
) -> Result<T, Tr31Error> {
    // Expanded where they lie (`Aes::rekey`): no schedule moved through a `Result`.
    let mut e = Aes::placeholder();
    e.rekey(keys.0.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    let mut a = Aes::placeholder();
    a.rekey(keys.1.expose()).map_err(|_| Tr31Error::BadKbpk)?;
    f(&e, &a)
}

/// Writes `data` at `pos` into the key buffer, dropping what does not fit.
fn put<const CAP: usize>(pt: &mut SecretBuf<CAP>, pos: usize, data: &[u8]) {
    let b = pt.backing_mut();
    for (i, &d) in data.iter().enumerate() {
        if let Some(x) = b.get_mut(pos + i) {
            *x = d;
        }
    }
}

/// Decodes `ct_hex` in pieces of two blocks, runs `step` on each piece in place, shows
/// the plaintext to `seen` and writes it into `pt`.
fn stream<const CAP: usize>(
    n: usize,
    ct_hex: &[u8],
    pt: &mut SecretBuf<CAP>,
    mut step: impl FnMut(&mut [u8]),
    mut seen: impl FnMut(&[u8]),
) {
    let mut piece = [0u8; 32];
    let mut pos = 0;
    for hex in ct_hex.chunks(4 * n) {
        let len = crate::hex::decode_into(hex, &mut piece);
        let p = piece.get_mut(..len).unwrap_or(&mut []);
        step(p);
        seen(p);
        put(pt, pos, p);
        pos += len;
    }
    piece.zeroize();
}

/// CBC decryption (whole blocks, as the caller checked) chaining from `iv`.
pub(crate) fn cbc_decrypt<const CAP: usize>(
    c: &dyn BlockCipher,
    iv: Block,
    ct_hex: &[u8],
    pt: &mut SecretBuf<CAP>,
    seen: impl FnMut(&[u8]),
) {
    let mut chain = iv;
    stream(
        c.block_len(),
        ct_hex,
        pt,
        |p| modes::cbc_decrypt(c, &mut chain, p),
        seen,
    );
}

/// CTR decryption from the 128-bit big-endian counter `ctr` (the last block may be
/// partial).
pub(crate) fn ctr_decrypt<const CAP: usize>(
    c: &dyn BlockCipher,
    mut ctr: Block,
    ct_hex: &[u8],
    pt: &mut SecretBuf<CAP>,
    seen: impl FnMut(&[u8]),
) {
    let mut next = || {
        let b = ctr;
        modes::inc_be128(&mut ctr);
        b
    };
    stream(
        c.block_len(),
        ct_hex,
        pt,
        |p| modes::ctr_xor(c, &mut next, p),
        seen,
    );
}
