//! Constant-time helpers of the unwrap verdict.
use subtle::{Choice, ConditionallySelectable};

/// Keeps `buf` if `keep` is true and zeroes every byte of it otherwise, touching every
/// byte the same way in both cases (an AND with a 0x00/0xFF mask: no branch on `keep`).
#[inline]
pub(super) fn keep_or_zero(buf: &mut [u8], keep: Choice) {
    let mask = u8::conditional_select(&0x00, &0xFF, keep);
    for b in buf.iter_mut() {
        *b &= mask;
    }
}

/// An all-ones mask if `c` is true, else zero.
#[inline]
pub(super) fn mask_u8(c: Choice) -> u8 {
    u8::conditional_select(&0x00, &0xFF, c)
}
