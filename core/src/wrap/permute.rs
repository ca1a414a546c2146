//! The wrapping function W and its inverse (NIST SP 800-38F section 6.1, algorithms 1
//! and 2; RFC 3394 section 2.2, index-based form), shared by KW and KWP.
//!
//! Both run exactly `6 * n` block-cipher calls for `n` semiblocks, with loop counts that
//! depend only on the public length, and no branch or index on the data. They run as one
//! [`BlockJob`], so the AES backend is set up once for all `6 * n` blocks.
use crate::block::{Aes, BlockFn, BlockJob};

/// XORs the step counter `t` (big-endian, 64 bits) into `A = block[..8]`.
#[inline(always)]
fn xor_counter(block: &mut [u8; 16], t: u64) {
    for (b, c) in block.iter_mut().zip(t.to_be_bytes()) {
        *b ^= c;
    }
}

/// W as a block job.
struct W<'a> {
    block: &'a mut [u8; 16],
    r: &'a mut [u8],
}

impl BlockJob for W<'_> {
    #[inline(always)]
    fn run<F: BlockFn>(self, f: &F) {
        let mut t: u64 = 0;
        for _ in 0..6 {
            for ri in self.r.chunks_exact_mut(8) {
                t += 1;
                self.block[8..].copy_from_slice(ri);
                f.apply(self.block);
                xor_counter(self.block, t);
                ri.copy_from_slice(&self.block[8..]);
            }
        }
    }
}

/// W⁻¹ as a block job.
struct WInv<'a> {
    block: &'a mut [u8; 16],
    r: &'a mut [u8],
}

impl BlockJob for WInv<'_> {
    #[inline(always)]
    fn run<F: BlockFn>(self, f: &F) {
        let n = (self.r.len() >> 3) as u64;
        let mut t: u64 = 6 * n;
        for _ in 0..6 {
            for ri in self.r.chunks_exact_mut(8).rev() {
                xor_counter(self.block, t);
                t -= 1;
                self.block[8..].copy_from_slice(ri);
                f.apply(self.block);
                ri.copy_from_slice(&self.block[8..]);
            }
        }
    }
}

/// W: on entry `block[..8]` is the initial value A and `r` holds the `n = r.len() / 8`
/// semiblocks R[1..n]; on exit `block[..8]` is C[0] and `r` holds C[1..n]. `block[8..]` is
/// left holding C[n] (the caller wipes `block`).
#[inline]
pub(super) fn w(aes: &Aes, block: &mut [u8; 16], r: &mut [u8]) {
    aes.encrypt_job(W { block, r });
}

/// W⁻¹: on entry `block[..8]` is C[0] and `r` holds C[1..n]; on exit `block[..8]` is the
/// recovered initial value A (not yet checked) and `r` holds R[1..n].
#[inline]
pub(super) fn w_inv(aes: &Aes, block: &mut [u8; 16], r: &mut [u8]) {
    aes.decrypt_job(WInv { block, r });
}
