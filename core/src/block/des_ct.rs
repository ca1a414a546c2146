//! Constant-time DES (FIPS 46-3) without lookup tables: the building block of
//! [`super::Des`] and [`super::Tdes`] on every target.
//!
//! The usual DES code reads its S-boxes (or S-box and P tables merged) at addresses made
//! of key and data bits, and a cache or a flash accelerator's prefetch buffer turns that
//! into timing. Here nothing is addressed by a secret and nothing branches on one; the
//! only operations on secret words are AND, OR, XOR, NOT and shifts or rotations by
//! public amounts (no multiplication, no division), the same on every core:
//!
//! - **S-boxes**: all eight at once, as a 64-to-1 multiplexer over 64 constant words
//!   (nibble `j` of word `v` is S-box `j + 1` of input `v`; see `tables`). Each of the
//!   six input bits of every S-box is first spread over its S-box's nibble (a mask), and
//!   six levels of `a ^ ((a ^ b) & mask)` pick, in every nibble, the S-box's output.
//!   Every call loads the same 64 constants in the same order. This is the idea of
//!   BearSSL's `des_ct` (S-boxes as a selection steered by the input bits instead of a
//!   lookup), written here from the standard's tables.
//! - **E** and the key XOR: the round key is stored in the multiplexer's own layout (the
//!   middle four bits of each S-box input in one word, the two edge bits in another), so
//!   the expansion is two rotations and a few masks.
//! - **P, IP, IP⁻¹, PC-1, PC-2**: fixed bit moves. P is 19 rotate-and-mask steps; the
//!   others gather bits one by one from a constant list of positions, walked in full.
//! - **Key schedule**: PC-1, the public rotation schedule, PC-2 into the round-key
//!   layout. Round keys ([`RoundKeys`]) are neither `Copy` nor `Clone`, print nothing and
//!   are wiped on drop.
//!
//! Cost: about 190 logic operations per round for the S-boxes; the whole round is a few
//! hundred instructions on a Cortex-M0. TDES runs IP and IP⁻¹ once per block, not once
//! per DES (they cancel between the three passes).
//!
//! Checked by: the SP 800-20 known-answer tables and the SP 800-67 TDEA example
//! (`tests/tests/des_vectors.rs`), a differential test against the `des` crate
//! (`tests/tests/des_differential.rs`), and Valgrind with key and data marked secret
//! (`tests/tests/des_ct.rs`).
mod tables;

use tables::{FP_SRC, IP_SRC, PC1_SRC, PC2_SRC, P_ROT, SBOX_DIFF, SBOX_EVEN, SHIFTS};
use zeroize::Zeroize;

/// The 16 round keys of one DES key, each as two words in the layout of [`expand`].
pub(crate) struct RoundKeys([[u32; 2]; 16]);

impl RoundKeys {
    /// The key schedule of an 8-byte key (parity bits ignored).
    pub(crate) fn new(key: &[u8; 8]) -> Self {
        let (hi, lo) = halves(key);
        // C and D held in bits 31..4.
        let mut c = gather(&[hi, lo], PC1_SRC.get(..28).unwrap_or(&[])) << 4;
        let mut d = gather(&[hi, lo], PC1_SRC.get(28..).unwrap_or(&[])) << 4;
        let mut rk = [[0u32; 2]; 16];
        for (k, &s) in rk.iter_mut().zip(SHIFTS.iter()) {
            for _ in 0..s {
                c = rotl28(c);
                d = rotl28(d);
            }
            let cd = [c, d];
            k[0] = gather(&cd, &PC2_SRC[0]);
            k[1] = gather(&cd, &PC2_SRC[1]);
        }
        c.zeroize();
        d.zeroize();
        Self(rk)
    }
}

impl Drop for RoundKeys {
    fn drop(&mut self) {
        #[cfg(not(keyfort_no_wipe))]
        self.0.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for RoundKeys {}

impl core::fmt::Debug for RoundKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RoundKeys { .. }")
    }
}

/// Direction of a pass of 16 rounds.
#[derive(Clone, Copy)]
pub(crate) enum Dir {
    Encrypt,
    Decrypt,
}

/// The block as (L0, R0) after IP.
#[inline]
pub(crate) fn ip(block: &[u8; 8]) -> [u32; 2] {
    let (hi, lo) = halves(block);
    let w = [hi, lo];
    [
        gather(&w, IP_SRC.get(..32).unwrap_or(&[])),
        gather(&w, IP_SRC.get(32..).unwrap_or(&[])),
    ]
}

/// IP⁻¹ of the pre-output `(R16, L16)` (as [`rounds`] leaves it) into `block`.
#[inline]
pub(crate) fn fp(lr: [u32; 2], block: &mut [u8; 8]) {
    let hi = gather(&lr, FP_SRC.get(..32).unwrap_or(&[]));
    let lo = gather(&lr, FP_SRC.get(32..).unwrap_or(&[]));
    let (a, b) = block.split_at_mut(4);
    a.copy_from_slice(&hi.to_be_bytes());
    b.copy_from_slice(&lo.to_be_bytes());
}

/// Sixteen rounds on `(L, R)`, leaving `(L, R)` of the next pass (the halves swapped as
/// DES's last round leaves them, so that passes chain as TDES needs and [`fp`] takes
/// the result as it is).
#[inline(never)]
pub(crate) fn rounds(lr: &mut [u32; 2], keys: &RoundKeys, dir: Dir) {
    let [mut l, mut r] = *lr;
    for i in 0..16 {
        let k = match dir {
            Dir::Encrypt => &keys.0[i],
            Dir::Decrypt => &keys.0[15 - i],
        };
        let t = r;
        r = l ^ f(r, k);
        l = t;
    }
    *lr = [r, l];
}

/// The round function: P(S(E(r) ^ k)).
#[inline(always)]
fn f(r: u32, k: &[u32; 2]) -> u32 {
    permute_p(sboxes(&expand(r, k)))
}

/// E(r) ^ k as six masks `[x1, .., x6]`: in mask `xi`, the nibble of S-box `j + 1` (bits
/// `31 - 4j ..= 28 - 4j`) is all ones when that S-box's input bit `bi` is 1.
///
/// S-box `j + 1` reads bits `4j .. 4j + 5` of `r` (FIPS numbering, bit 0 meaning 32 and
/// 33 meaning 1): `b2..b5` are `r`'s nibble `j` itself, `b1` the bit just above it and
/// `b6` the bit just below it. So `mid = r ^ k[0]` holds `b2..b5` in place, and `edge`
/// holds `b1` at each nibble's top (`r` rotated right by one) and `b6` at its bottom
/// (`r` rotated left by one), XORed with `k[1]`.
#[inline(always)]
fn expand(r: u32, k: &[u32; 2]) -> [u32; 6] {
    const TOP: u32 = 0x8888_8888;
    const BOTTOM: u32 = 0x1111_1111;
    let mid = r ^ k[0];
    let edge = ((r.rotate_right(1) & TOP) | (r.rotate_left(1) & BOTTOM)) ^ k[1];
    let down = |t: u32| {
        let t = t | (t >> 1);
        t | (t >> 2)
    };
    let up = |t: u32| {
        let t = t | (t << 1);
        t | (t << 2)
    };
    let b3 = {
        let t = mid & 0x4444_4444;
        let t = t | (t << 1);
        t | (t >> 2)
    };
    let b4 = {
        let t = mid & 0x2222_2222;
        let t = t | (t >> 1);
        t | (t << 2)
    };
    [
        down(edge & TOP),
        down(mid & TOP),
        b3,
        b4,
        up(mid & BOTTOM),
        up(edge & BOTTOM),
    ]
}

/// All eight S-boxes: a multiplexer over the 64 constant words, first on `b6`, last on
/// `b1`.
#[inline(always)]
fn sboxes(x: &[u32; 6]) -> u32 {
    let [x1, x2, x3, x4, x5, x6] = *x;
    let mut v = [0u32; 32];
    for ((v, e), d) in v.iter_mut().zip(SBOX_EVEN.iter()).zip(SBOX_DIFF.iter()) {
        *v = e ^ (d & x6);
    }
    let mut n = 32;
    for m in [x5, x4, x3, x2, x1] {
        n >>= 1;
        for i in 0..n {
            let (a, b) = (v[2 * i], v[2 * i + 1]);
            v[i] = a ^ ((a ^ b) & m);
        }
    }
    let out = v[0];
    v.zeroize();
    out
}

/// The permutation P as rotations by public amounts and constant masks.
#[inline(always)]
fn permute_p(x: u32) -> u32 {
    P_ROT
        .iter()
        .fold(0, |acc, &(r, m)| acc | (x.rotate_left(r) & m))
}

/// Rotates a 28-bit value held in bits 31..4 left by one.
#[inline(always)]
fn rotl28(x: u32) -> u32 {
    (x << 1) | ((x >> 27) & 0x10)
}

/// The two big-endian words of 8 bytes.
#[inline(always)]
fn halves(b: &[u8; 8]) -> (u32, u32) {
    let (hi, lo) = b.split_at(4);
    let w = |s: &[u8]| s.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x));
    (w(hi), w(lo))
}

/// Gathers bits from `words` (plus an implicit zero word) in the order of `src` (see
/// [`tables::ZERO`]); the first entry lands in the highest of the `src.len()` result
/// bits. The positions are constants: the loop reads every entry whatever the data.
#[inline(always)]
fn gather(words: &[u32; 2], src: &[u8]) -> u32 {
    let w = [words[0], words[1], 0];
    src.iter().fold(0u32, |acc, &s| {
        let word = w.get(usize::from(s >> 5)).copied().unwrap_or(0);
        (acc << 1) | ((word >> (31 - u32::from(s & 31))) & 1)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// One DES block through the pieces above.
    fn des(key: &[u8; 8], block: &mut [u8; 8], dir: Dir) {
        let k = RoundKeys::new(key);
        let mut lr = ip(block);
        rounds(&mut lr, &k, dir);
        fp(lr, block);
    }

    #[test]
    fn fips81_example() {
        // FIPS 81 appendix B, table B1: "Now is t" under 0123456789abcdef.
        let key = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
        let mut b = *b"Now is t";
        des(&key, &mut b, Dir::Encrypt);
        assert_eq!(b, [0x3f, 0xa4, 0x0e, 0x8a, 0x98, 0x4d, 0x48, 0x15]);
        des(&key, &mut b, Dir::Decrypt);
        assert_eq!(&b, b"Now is t");
    }

    #[test]
    fn fp_undoes_ip() {
        let b = [0x81, 0x42, 0x24, 0x18, 0xf0, 0x0f, 0x3c, 0xa5];
        let mut out = [0u8; 8];
        fp(ip(&b), &mut out);
        assert_eq!(out, b);
    }

    #[test]
    fn p_has_19_rotation_groups_covering_every_bit() {
        assert_eq!(P_ROT.len(), 19);
        let all = P_ROT.iter().fold(0u32, |acc, &(_, m)| {
            assert_eq!(acc & m, 0);
            acc | m
        });
        assert_eq!(all, u32::MAX);
    }
}
