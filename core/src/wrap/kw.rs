//! AES-KW (NIST SP 800-38F KW-AE / KW-AD, RFC 3394): wrap and unwrap of key data that is
//! a whole number (at least two) of 8-byte semiblocks.
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroize;

use super::ct::keep_or_zero;
use super::permute::{w, w_inv};
use super::{Kek, WrapError, MAX_KEY_DATA_LEN};
use crate::block::Aes;

/// The default initial value ICV1 (SP 800-38F section 6.2, RFC 3394 section 2.2.3.1).
const ICV1: [u8; 8] = [0xA6; 8];

/// The wrapped length of a `key_len`-byte key under KW: `key_len + 8`.
///
/// [`WrapError::InputLength`] unless `key_len` is a multiple of 8 in
/// `16..=`[`MAX_KEY_DATA_LEN`] (see the length policy in [`crate::wrap`]).
pub fn kw_wrapped_len(key_len: usize) -> Result<usize, WrapError> {
    if key_len & 7 != 0 || !(16..=MAX_KEY_DATA_LEN).contains(&key_len) {
        return Err(WrapError::InputLength);
    }
    Ok(key_len + 8)
}

/// The unwrapped length of a `wrapped_len`-byte KW input: `wrapped_len - 8`.
///
/// [`WrapError::InputLength`] unless `wrapped_len` is a multiple of 8 in
/// `24..=`[`MAX_KEY_DATA_LEN`]` + 8`.
pub fn kw_unwrapped_len(wrapped_len: usize) -> Result<usize, WrapError> {
    let key_len = wrapped_len.checked_sub(8).ok_or(WrapError::InputLength)?;
    kw_wrapped_len(key_len)?;
    Ok(key_len)
}

/// Wraps `key` under `kek` with AES-KW into `out[..key.len() + 8]`; returns the number of
/// bytes written. Bytes of `out` beyond that are left as they were.
///
/// Errors: [`WrapError::UsageDenied`] for a KEK not admitted for this direction
/// (checked first), [`WrapError::InputLength`] for a key length outside the policy,
/// [`WrapError::OutputTooSmall`] if `out` is shorter than [`kw_wrapped_len`].
#[inline]
pub fn kw_wrap(kek: &Kek, key: &[u8], out: &mut [u8]) -> Result<usize, WrapError> {
    let aes = kek.wrapping()?;
    let wlen = kw_wrapped_len(key.len())?;
    let out = out.get_mut(..wlen).ok_or(WrapError::OutputTooSmall)?;
    let (c0, r) = out.split_at_mut(8);
    r.copy_from_slice(key);
    wrap_core(aes, c0, r);
    Ok(wlen)
}

/// Wraps, in place, the `key_len`-byte key held in `buf[..key_len]`; the wrapped key
/// (`key_len + 8` bytes, the return value) replaces it at `buf[..key_len + 8]`.
///
/// Errors: [`WrapError::UsageDenied`] for a KEK not admitted for this direction
/// (checked first), [`WrapError::InputLength`] for a key length outside the policy,
/// [`WrapError::OutputTooSmall`] if `buf` is shorter than `key_len + 8`.
pub fn kw_wrap_in_place(kek: &Kek, buf: &mut [u8], key_len: usize) -> Result<usize, WrapError> {
    let aes = kek.wrapping()?;
    let wlen = kw_wrapped_len(key_len)?;
    let buf = buf.get_mut(..wlen).ok_or(WrapError::OutputTooSmall)?;
    crate::shift::up(buf, 8);
    let (c0, r) = buf.split_at_mut(8);
    wrap_core(aes, c0, r);
    Ok(wlen)
}

/// Unwraps the AES-KW input `wrapped` into `out[..wrapped.len() - 8]`; returns that
/// length.
///
/// On [`WrapError::Integrity`] every byte of `out` (all of it, not only the part that
/// would have held the key) is zero. On success the bytes of `out` beyond the key are left
/// as they were. The run time and the sequence of executed instructions do not depend on
/// the KEK, the wrapped data, or whether the check passes (up to building the returned
/// `Result`).
///
/// Errors: [`WrapError::UsageDenied`] for a KEK not admitted for this direction
/// (checked first), [`WrapError::InputLength`] (then, from the public length),
/// [`WrapError::OutputTooSmall`] if `out` is shorter than [`kw_unwrapped_len`] (`out`
/// is then untouched), [`WrapError::Integrity`].
pub fn kw_unwrap(kek: &Kek, wrapped: &[u8], out: &mut [u8]) -> Result<usize, WrapError> {
    let (ok, len) = kw_unwrap_ct(kek, wrapped, out)?;
    super::verdict(ok, len)
}

/// [`kw_unwrap`] without the final branch: returns the constant-time verdict and the key
/// length (zero when the verdict is false) instead of turning the verdict into an error.
///
/// For callers that combine the verdict with other constant-time checks, and for the
/// constant-time tests: everything this function executes is independent of the KEK, the
/// wrapped data and the verdict. On a false verdict every byte of `out` is zero.
/// Length errors are returned as with [`kw_unwrap`].
pub fn kw_unwrap_ct(
    kek: &Kek,
    wrapped: &[u8],
    out: &mut [u8],
) -> Result<(Choice, usize), WrapError> {
    let aes = kek.unwrapping()?;
    let klen = kw_unwrapped_len(wrapped.len())?;
    let (c0, rest) = wrapped.split_at(8);
    out.get_mut(..klen)
        .ok_or(WrapError::OutputTooSmall)?
        .copy_from_slice(rest);
    let ok = unwrap_ct(aes, semiblock(c0), out, klen);
    let len = klen & 0usize.wrapping_sub(usize::from(ok.unwrap_u8()));
    Ok((ok, len))
}

/// Unwraps, in place, the `wrapped_len`-byte AES-KW input held in `buf[..wrapped_len]`;
/// the key (`wrapped_len - 8` bytes, the return value) replaces it at the start of `buf`.
///
/// On [`WrapError::Integrity`] the whole of `buf` is zero. Same constant-time behaviour as
/// [`kw_unwrap`].
///
/// Errors: [`WrapError::UsageDenied`] for a KEK not admitted for this direction
/// (checked first), [`WrapError::InputLength`] if `wrapped_len` is outside the policy or larger
/// than `buf`, [`WrapError::Integrity`].
pub fn kw_unwrap_in_place(
    kek: &Kek,
    buf: &mut [u8],
    wrapped_len: usize,
) -> Result<usize, WrapError> {
    let aes = kek.unwrapping()?;
    let klen = kw_unwrapped_len(wrapped_len)?;
    if wrapped_len > buf.len() {
        return Err(WrapError::InputLength);
    }
    let c0 = semiblock(&buf[..8]);
    if let Some(b) = buf.get_mut(..wrapped_len) {
        crate::shift::down(b, 8);
    }
    let ok = unwrap_ct(aes, c0, buf, klen);
    super::verdict(ok, klen)
}

/// The first 8 bytes of `s` (a semiblock) as the word W works on (zero if shorter: never,
/// the callers pass 8 bytes).
#[inline(always)]
fn semiblock(s: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    if let Some(s) = s.get(..8) {
        b.copy_from_slice(s);
    }
    u64::from_le_bytes(b)
}

/// W over `r` with ICV1, C[0] into `c0` (8 bytes). Nothing secret is left to wipe: A
/// ends as C[0], and W's block buffer as its last output (ciphertext).
fn wrap_core(aes: &Aes, c0: &mut [u8], r: &mut [u8]) {
    let mut a = u64::from_le_bytes(ICV1);
    w(aes, &mut a, r);
    c0.copy_from_slice(&a.to_le_bytes());
}

/// The constant-time part of KW unwrap: W⁻¹ over `buf[..klen]` (C[1..n] on entry) with
/// A = `c0` (C[0], as read by [`semiblock`]), one verdict (the recovered A equals ICV1,
/// one word compare), then all of `buf` kept or zeroed by mask. The recovered A is wiped.
/// Not inlined, so a trace test can find it.
#[inline(never)]
pub(super) fn unwrap_ct(aes: &Aes, c0: u64, buf: &mut [u8], klen: usize) -> Choice {
    let mut a = c0;
    // A length mismatch (never: the callers check) fails the verdict.
    let mut bad = u64::MAX;
    if let Some(r) = buf.get_mut(..klen) {
        w_inv(aes, &mut a, r);
        bad = a ^ u64::from_le_bytes(ICV1);
    }
    let ok = bad.ct_eq(&0);
    keep_or_zero(buf, ok);
    a.zeroize();
    bad.zeroize();
    ok
}
