//! AES-KWP (NIST SP 800-38F KWP-AE / KWP-AD, RFC 5649): wrap and unwrap of key data of
//! any length from 1 byte, padded with zeros to whole semiblocks; the 32-bit message
//! length indicator (MLI) travels inside the authenticated initial value.
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroize;

use super::ct::{keep_or_zero, mask_u8};
use super::permute::{w, w_inv};
use super::{Kek, WrapError, MAX_KEY_DATA_LEN};
use crate::block::Aes;

/// The constant half of the alternative initial value (SP 800-38F ICV2, RFC 5649 section 3).
const ICV2: [u8; 4] = [0xA6, 0x59, 0x59, 0xA6];
/// [`ICV2`] as a big-endian word.
const ICV2_WORD: u32 = u32::from_be_bytes(ICV2);

/// The wrapped length of a `key_len`-byte key under KWP: `key_len` rounded up to a
/// multiple of 8, plus 8.
///
/// [`WrapError::InputLength`] unless `1 <= key_len <=` [`MAX_KEY_DATA_LEN`].
pub fn kwp_wrapped_len(key_len: usize) -> Result<usize, WrapError> {
    if key_len == 0 || key_len > MAX_KEY_DATA_LEN {
        return Err(WrapError::InputLength);
    }
    Ok(((key_len + 7) & !7) + 8)
}

/// The buffer a KWP unwrap of a `wrapped_len`-byte input needs: `wrapped_len - 8` (the
/// padded length; the key itself is up to 7 bytes shorter, which is only known once the
/// input has been verified).
///
/// [`WrapError::InputLength`] unless `wrapped_len` is a multiple of 8 in
/// `16..=`[`MAX_KEY_DATA_LEN`]` + 8`.
pub fn kwp_unwrap_buf_len(wrapped_len: usize) -> Result<usize, WrapError> {
    if wrapped_len & 7 != 0 || !(16..=MAX_KEY_DATA_LEN + 8).contains(&wrapped_len) {
        return Err(WrapError::InputLength);
    }
    Ok(wrapped_len - 8)
}

/// Wraps `key` under `kek` with AES-KWP into `out[..`[`kwp_wrapped_len`]`]`; returns the
/// number of bytes written. A key of at most 8 bytes is a single AES block (RFC 5649
/// section 4.1).
///
/// Errors: [`WrapError::UsageDenied`] for a KEK not admitted for this direction
/// (checked first), [`WrapError::InputLength`] for a key length outside the policy,
/// [`WrapError::OutputTooSmall`] if `out` is shorter than [`kwp_wrapped_len`].
pub fn kwp_wrap(kek: &Kek, key: &[u8], out: &mut [u8]) -> Result<usize, WrapError> {
    let aes = kek.wrapping()?;
    let wlen = kwp_wrapped_len(key.len())?;
    let out = out.get_mut(..wlen).ok_or(WrapError::OutputTooSmall)?;
    let (data, pad) = out[8..].split_at_mut(key.len());
    data.copy_from_slice(key);
    pad.fill(0);
    let mli = u32::try_from(key.len()).map_err(|_| WrapError::InputLength)?;
    wrap_core(aes, out, mli);
    Ok(wlen)
}

/// Wraps, in place, the `key_len`-byte key held in `buf[..key_len]`; the wrapped key
/// ([`kwp_wrapped_len`] bytes, the return value) replaces it at the start of `buf`.
///
/// Errors: [`WrapError::UsageDenied`] for a KEK not admitted for this direction
/// (checked first), [`WrapError::InputLength`] for a key length outside the policy,
/// [`WrapError::OutputTooSmall`] if `buf` is shorter than [`kwp_wrapped_len`].
pub fn kwp_wrap_in_place(kek: &Kek, buf: &mut [u8], key_len: usize) -> Result<usize, WrapError> {
    let aes = kek.wrapping()?;
    let wlen = kwp_wrapped_len(key_len)?;
    let buf = buf.get_mut(..wlen).ok_or(WrapError::OutputTooSmall)?;
    if let Some(b) = buf.get_mut(..key_len + 8) {
        crate::shift::up(b, 8);
    }
    buf[8 + key_len..].fill(0);
    let mli = u32::try_from(key_len).map_err(|_| WrapError::InputLength)?;
    wrap_core(aes, buf, mli);
    Ok(wlen)
}

/// Unwraps the AES-KWP input `wrapped`; the key goes to the start of `out` and its length
/// is returned. `out` must hold [`kwp_unwrap_buf_len`] bytes (the padded length).
///
/// One constant-time verdict covers the prefix A65959A6, the MLI range
/// `8(n-1) < MLI <= 8n` and the zero padding; the padding check runs over the whole last
/// semiblock with masks, never branching or indexing on MLI. The key length is revealed
/// only after the verdict says valid. On [`WrapError::Integrity`] every byte of `out` is
/// zero; on success `out[len..padded_len]` is zero (it was the verified padding) and bytes
/// beyond the padded length are left as they were.
///
/// Errors: [`WrapError::UsageDenied`] for a KEK not admitted for this direction
/// (checked first), [`WrapError::InputLength`] (then, from the public length),
/// [`WrapError::OutputTooSmall`] (`out` untouched), [`WrapError::Integrity`].
pub fn kwp_unwrap(kek: &Kek, wrapped: &[u8], out: &mut [u8]) -> Result<usize, WrapError> {
    let (ok, len) = kwp_unwrap_ct(kek, wrapped, out)?;
    super::verdict(ok, len)
}

/// [`kwp_unwrap`] without the final branch: returns the constant-time verdict and the key
/// length (zero when the verdict is false) instead of turning the verdict into an error.
///
/// For callers that combine the verdict with other constant-time checks, and for the
/// constant-time tests: everything this function executes is independent of the KEK, the
/// wrapped data and the verdict. On a false verdict every byte of `out` is zero.
/// Length errors are returned as with [`kwp_unwrap`].
pub fn kwp_unwrap_ct(
    kek: &Kek,
    wrapped: &[u8],
    out: &mut [u8],
) -> Result<(Choice, usize), WrapError> {
    let aes = kek.unwrapping()?;
    let plen = kwp_unwrap_buf_len(wrapped.len())?;
    let dst = out.get_mut(..plen).ok_or(WrapError::OutputTooSmall)?;
    let mut block = [0u8; 16];
    if plen == 8 {
        block.copy_from_slice(wrapped);
    } else {
        let (c0, rest) = wrapped.split_at(8);
        block[..8].copy_from_slice(c0);
        dst.copy_from_slice(rest);
    }
    Ok(unwrap_ct(aes, &mut block, out, plen))
}

/// Unwraps, in place, the `wrapped_len`-byte AES-KWP input held in `buf[..wrapped_len]`;
/// the key replaces it at the start of `buf` and its length is returned.
///
/// On [`WrapError::Integrity`] the whole of `buf` is zero. Same constant-time behaviour as
/// [`kwp_unwrap`].
///
/// Errors: [`WrapError::UsageDenied`] for a KEK not admitted for this direction
/// (checked first), [`WrapError::InputLength`] if `wrapped_len` is outside the policy or larger
/// than `buf`, [`WrapError::Integrity`].
pub fn kwp_unwrap_in_place(
    kek: &Kek,
    buf: &mut [u8],
    wrapped_len: usize,
) -> Result<usize, WrapError> {
    let aes = kek.unwrapping()?;
    let plen = kwp_unwrap_buf_len(wrapped_len)?;
    if wrapped_len > buf.len() {
        return Err(WrapError::InputLength);
    }
    let mut block = [0u8; 16];
    if plen == 8 {
        block.copy_from_slice(&buf[..16]);
    } else {
        block[..8].copy_from_slice(&buf[..8]);
        if let Some(b) = buf.get_mut(..wrapped_len) {
            crate::shift::down(b, 8);
        }
    }
    let (ok, len) = unwrap_ct(aes, &mut block, buf, plen);
    super::verdict(ok, len)
}

/// Wraps `buf[8..]` (key data and zero padding, a whole number of semiblocks) with the
/// initial value `A65959A6 || MLI`, writing C into all of `buf`. Nothing secret is left to
/// wipe: the block (n = 1) is encrypted in place, W's A ends as C[0].
fn wrap_core(aes: &Aes, buf: &mut [u8], mli: u32) {
    let mut iv = [0u8; 8];
    iv[..4].copy_from_slice(&ICV2);
    iv[4..].copy_from_slice(&mli.to_be_bytes());
    if buf.len() == 16 {
        // n = 1: a single AES block (RFC 5649 section 4.1, SP 800-38F KWP-AE step 4).
        let mut block = [0u8; 16];
        block[..8].copy_from_slice(&iv);
        block[8..].copy_from_slice(&buf[8..]);
        aes.encrypt(&mut block);
        buf.copy_from_slice(&block);
    } else {
        let (c0, r) = buf.split_at_mut(8);
        let mut a = u64::from_le_bytes(iv);
        w(aes, &mut a, r);
        c0.copy_from_slice(&a.to_le_bytes());
    }
}

/// The constant-time part of KWP unwrap.
///
/// On entry: for `plen == 8` (n = 1) `block` is the whole 16-byte input; otherwise
/// `block[..8] = C[0]` and `buf[..plen]` holds C[1..n]. Runs the AES decryption (one block,
/// or W⁻¹), computes one verdict over prefix, MLI range and padding, keeps or zeroes all of
/// `buf` by mask, wipes the recovered A (and `block` when it held the decrypted block),
/// and returns the verdict with the key length (zero when the verdict is false). Not
/// inlined, so a trace test can find it.
#[inline(never)]
pub(super) fn unwrap_ct(
    aes: &Aes,
    block: &mut [u8; 16],
    buf: &mut [u8],
    plen: usize,
) -> (Choice, usize) {
    // A length mismatch (never: the callers check) fails the verdict.
    let mut bad: u64 = 1;
    let mut mli: u32 = 0;
    if let Some(p) = buf.get_mut(..plen) {
        let mut a = [0u8; 8];
        a.copy_from_slice(&block[..8]);
        if plen == 8 {
            aes.decrypt(block);
            a.copy_from_slice(&block[..8]);
            p.copy_from_slice(&block[8..]);
            block.zeroize();
        } else {
            let mut aw = u64::from_le_bytes(a);
            w_inv(aes, &mut aw, p);
            a = aw.to_le_bytes();
            aw.zeroize();
        }
        let prefix = u32::from_be_bytes([a[0], a[1], a[2], a[3]]);
        mli = u32::from_be_bytes([a[4], a[5], a[6], a[7]]);
        a.zeroize();
        // One accumulator of "bad" bits over all three checks, in plain arithmetic (no
        // comparison operators, no per-check `Choice`): cheap on 32-bit cores, and a
        // single constant-time test at the end.
        bad = u64::from(prefix ^ ICV2_WORD);
        // `m` is opaque to the optimiser, so `(c - m) >> 63` stays a subtraction and a
        // shift (the borrow of `c - m`: 1 iff c < m, exact as c, m < 2^33) and is not
        // turned back into a comparison that a compiler may lower to a branch.
        let m = core::hint::black_box(u64::from(mli));
        let hi = plen as u64; // 8n
        let lo = hi.saturating_sub(8); // 8(n-1)
        let lo_lt_m = core::hint::black_box(lo.wrapping_sub(m) >> 63);
        let hi_lt_m = core::hint::black_box(hi.wrapping_sub(m) >> 63);
        // MLI outside 8(n-1) < MLI <= 8n:
        bad |= (lo_lt_m ^ 1) | hi_lt_m;
        // Padding: in the last semiblock, byte `lo + j` must be zero when `lo + j >= MLI`.
        // Every byte is visited; only the mask depends on MLI.
        let last = p.len().saturating_sub(8);
        for (j, b) in (0u64..).zip(p[last..].iter()) {
            let is_key = (lo + j).wrapping_sub(m) >> 63; // 1 iff lo + j < MLI
            bad |= u64::from(*b) & is_key.wrapping_sub(1);
        }
    }
    let ok = bad.ct_eq(&0);
    bad.zeroize();
    keep_or_zero(buf, ok);
    // The length leaves only masked by the verdict (zero on failure).
    let len = mli & u32::from_ne_bytes([mask_u8(ok); 4]);
    mli.zeroize();
    (ok, len as usize)
}
