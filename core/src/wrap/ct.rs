//! Constant-time helpers of the unwrap verdict.
//!
//! Masks are formed with wrapping arithmetic (`0u8.wrapping_sub(bit)`), not with
//! `subtle`'s `conditional_select`, whose `-(x as i8)` compiles to a conditional jump on
//! the secret bit when overflow checks are on (test and debug builds). Verdicts are
//! combined as plain integers and turned into a `Choice` once (a `Choice & Choice` runs
//! `subtle`'s `debug_assert!` on the secret byte in debug builds: another branch). The
//! valgrind constant-time test (`tests/ct/run.sh`) found both.
use subtle::Choice;

/// An all-ones mask if `c` is true, else zero.
#[inline]
pub(super) fn mask_u8(c: Choice) -> u8 {
    0u8.wrapping_sub(c.unwrap_u8())
}

/// Keeps `buf` if `keep` is true and zeroes every byte of it otherwise, touching every
/// byte the same way in both cases (an AND with an all-zero / all-one mask, a word at a
/// time: no branch on `keep`).
#[inline]
pub(super) fn keep_or_zero(buf: &mut [u8], keep: Choice) {
    let mask = mask_u8(keep);
    let wmask = u64::from_ne_bytes([mask; 8]);
    let mut words = buf.chunks_exact_mut(8);
    for w in &mut words {
        if let Ok(w) = <&mut [u8; 8]>::try_from(w) {
            *w = (u64::from_ne_bytes(*w) & wmask).to_ne_bytes();
        }
    }
    for b in words.into_remainder() {
        *b &= mask;
    }
}
