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

/// The step counter `t` as XORed into A (big-endian bytes, SP 800-38F), as a word in A's
/// representation.
#[inline(always)]
fn t_word(t: u64) -> u64 {
    u64::from_le_bytes(t.to_be_bytes())
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
        let mut t: u64 = 0;
        for _ in 0..6 {
            for ri in self.r.chunks_exact_mut(8) {
                let Ok(ri) = <&mut [u8; 8]>::try_from(ri) else {
                    continue; // never: the chunks are exactly 8 bytes
                };
                t += 1;
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
        let mut t: u64 = 6 * (self.r.len() >> 3) as u64;
        for _ in 0..6 {
            for ri in self.r.chunks_exact_mut(8).rev() {
                let Ok(ri) = <&mut [u8; 8]>::try_from(ri) else {
                    continue; // never: the chunks are exactly 8 bytes
                };
                b = join(a ^ t_word(t), u64::from_le_bytes(*ri));
                t -= 1;
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
