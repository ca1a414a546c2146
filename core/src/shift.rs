//! Moving bytes within one buffer (the in-place key wraps, TR-31's length field) with
//! plain byte loops instead of `copy_within`.
//!
//! `copy_within` is a `memmove`, and the `memmove` of `compiler_builtins` costs about
//! 1.3 KiB of flash on a Cortex-M0 at opt-level "z" (more than everything here that
//! calls it). The buffers moved are at most a few hundred bytes, next to block-cipher calls
//! of thousands of instructions each, so a byte loop costs nothing measurable. The loops
//! run over public lengths only and never index out of bounds.

/// Moves `buf[by..]` to the start of `buf` (`buf[i] = buf[i + by]`, ascending); the last
/// `by` bytes keep their old values. Does nothing if `by >= buf.len()`.
pub(crate) fn down(buf: &mut [u8], by: usize) {
    let n = buf.len().saturating_sub(by);
    for i in 0..n {
        if let Some(&b) = buf.get(i + by) {
            buf[i] = b;
        }
    }
}

/// Moves `buf[..buf.len() - by]` to the end of `buf` (`buf[i + by] = buf[i]`,
/// descending); the first `by` bytes keep their old values. Does nothing if
/// `by >= buf.len()`.
pub(crate) fn up(buf: &mut [u8], by: usize) {
    let n = buf.len().saturating_sub(by);
    for i in (0..n).rev() {
        if let Some(&b) = buf.get(i) {
            if let Some(d) = buf.get_mut(i + by) {
                *d = b;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_like_copy_within() {
        for len in 0..40usize {
            for by in 0..=len + 1 {
                let orig: std::vec::Vec<u8> = (0..40u8).take(len).map(|i| i ^ 0xA5).collect();
                let (mut a, mut b) = (orig.clone(), orig.clone());
                down(&mut a, by);
                if by < len {
                    b.copy_within(by.., 0);
                }
                assert_eq!(a, b, "down len {len} by {by}");
                let (mut a, mut b) = (orig.clone(), orig.clone());
                up(&mut a, by);
                if by < len {
                    b.copy_within(..len - by, by);
                }
                assert_eq!(a, b, "up len {len} by {by}");
            }
        }
    }
}
