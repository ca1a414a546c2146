//! The wrapping function W and its inverse (NIST SP 800-38F section 6.1, algorithms 1
//! and 2; RFC 3394 section 2.2, index-based form), shared by KW and KWP.
//!
//! Both run exactly `6 * n` block-cipher calls for `n` semiblocks, with loop counts that
//! depend only on the public length, and no branch or index on the data. They run as one
//! [`BlockJob`], so the AES backend is set up once for all `6 * n` blocks.
//!
//! The chaining value A is kept as a 64-bit word (the little-endian reading of its eight
//! bytes, whatever the target's byte order), and each AES input block is built from A and
//! one semiblock in a single step: W is a chain of `6n` dependent AES calls, and on a
//! host with AES instructions what lies between two calls (A out of one block, the
//! counter, A and `R[i]` into the next) is on that chain. Kept in registers it costs a
//! few cycles; through a block in memory, written as two halves and read back whole, it
//! costs a failed store-to-load forward per call. The one block buffer is wiped once, at
//! the end of the job.
use zeroize::Zeroize;

use crate::block::{Aes, BlockFn, BlockJob};

/// The step counter `t` as XORed into A (its 64-bit big-endian bytes, SP 800-38F), as a
/// word in A's representation. `t` is at most `6n`, and `n` is bounded by the length
/// policy (`MAX_KEY_DATA_LEN`), so it fits 32 bits: its four high bytes are zero, and it
/// touches only the last four bytes of A (the high half of the word). On a 32-bit core
/// that is one byte reverse and one XOR per step, with no 64-bit counter.
#[inline(always)]
fn t_word(t: u32) -> u64 {
    u64::from(t.swap_bytes()) << 32
}

/// `6n` for the `n` semiblocks of `r`: the number of steps (fits 32 bits, see [`t_word`];
/// saturates otherwise, which the length policy rules out).
#[inline(always)]
fn steps(r: &[u8]) -> u32 {
    u32::try_from(r.len() >> 3)
        .ok()
        .and_then(|n| n.checked_mul(6))
        .unwrap_or(u32::MAX)
}

/// The AES block `A || R`.
#[inline(always)]
fn join(a: u64, r: u64) -> [u8; 16] {
    (u128::from(a) | (u128::from(r) << 64)).to_le_bytes()
}

/// `(MSB64(b), LSB64(b))`, that is the new A and the new `R[i]`.
#[inline(always)]
#[allow(clippy::cast_possible_truncation)] // the two halves of a u128, on purpose
fn split(b: &[u8; 16]) -> (u64, u64) {
    let v = u128::from_le_bytes(*b);
    (v as u64, (v >> 64) as u64)
}

/// W as a block job.
struct W<'a> {
    a: &'a mut u64,
    r: &'a mut [u8],
}

impl BlockJob for W<'_> {
    #[inline(always)]
    fn run<F: BlockFn>(self, f: &F) {
        let mut a = *self.a;
        let mut b = [0u8; 16];
        let mut t: u32 = 0;
        for _ in 0..6 {
            for ri in self.r.chunks_exact_mut(8) {
                let Ok(ri) = <&mut [u8; 8]>::try_from(ri) else {
                    continue; // never: the chunks are exactly 8 bytes
                };
                t = t.wrapping_add(1);
                b = join(a, u64::from_le_bytes(*ri));
                f.apply(&mut b);
                let (msb, lsb) = split(&b);
                a = msb ^ t_word(t);
                *ri = lsb.to_le_bytes();
            }
        }
        *self.a = a;
        b.zeroize();
    }
}

/// W⁻¹ as a block job.
struct WInv<'a> {
    a: &'a mut u64,
    r: &'a mut [u8],
}

impl BlockJob for WInv<'_> {
    #[inline(always)]
    fn run<F: BlockFn>(self, f: &F) {
        let mut a = *self.a;
        let mut b = [0u8; 16];
        let mut t = steps(self.r);
        for _ in 0..6 {
            for ri in self.r.chunks_exact_mut(8).rev() {
                let Ok(ri) = <&mut [u8; 8]>::try_from(ri) else {
                    continue; // never: the chunks are exactly 8 bytes
                };
                b = join(a ^ t_word(t), u64::from_le_bytes(*ri));
                t = t.wrapping_sub(1);
                f.apply(&mut b);
                let (msb, lsb) = split(&b);
                a = msb;
                *ri = lsb.to_le_bytes();
            }
        }
        *self.a = a;
        b.zeroize();
    }
}

/// W: on entry `a` is the initial value A (its bytes `a.to_le_bytes()`) and `r` holds the
/// `n = r.len() / 8` semiblocks R[1..n]; on exit `a` is C[0] and `r` holds C[1..n].
#[inline]
pub(super) fn w(aes: &Aes, a: &mut u64, r: &mut [u8]) {
    aes.encrypt_job(W { a, r });
}

/// W⁻¹: on entry `a` is C[0] (its bytes `a.to_le_bytes()`) and `r` holds C[1..n]; on exit
/// `a` is the recovered initial value A (not yet checked) and `r` holds R[1..n].
#[inline]
pub(super) fn w_inv(aes: &Aes, a: &mut u64, r: &mut [u8]) {
    aes.decrypt_job(WInv { a, r });
}
