//! The portable implementation: the reference model of the assembly and the code used on
//! every target without it. One code path for AES-128/192/256 (the round count is a
//! public parameter), so the three key sizes cost one copy of the code.
//!
//! Representation (fully fixsliced, Adomnicai and Peyrin, "Fixslicing AES-like ciphers",
//! TCHES 2021/1): eight `u32` slices hold two blocks; bit `8*row + 2*col + slot` of slice
//! `j` is bit `j` of byte (`row`, `col`) of block `slot`. After round `r` the state is kept
//! as `SR^-r(state)`, so ShiftRows is never computed; MixColumns comes in four variants
//! `MC_r = SR^-r . MC . SR^r` (`r mod 4`). Round key `r` is stored as `SR^-r(K_r)` in the
//! same slices (both slots equal) and, for `r >= 1`, XORed with 0x63 in every byte: the
//! S-box constant, which commutes with (Inv)MixColumns and ShiftRows, so the S-box circuit
//! skips it.
//!
//! Nothing here branches on, or indexes memory by, a secret value: only the round number
//! and the key length steer the code.
use crate::sbox::{inv_sbox, sbox};

/// Words of round keys for the largest cipher (AES-256: 15 round keys of 8 slices).
pub(crate) const RK_WORDS: usize = 8 * 15;

/// Rows 1 and 3 of a block's four little-endian column words move by two columns
/// (ShiftRows^2, its own inverse). Written out: a loop over an array of word pairs made
/// the compiler build that array on the stack for every block.
#[inline(always)]
fn sr2(x: &mut [u32; 8]) {
    let swap = |a: &mut u32, b: &mut u32| {
        let t = (*a ^ *b) & 0xff00_ff00;
        *a ^= t;
        *b ^= t;
    };
    let [x0, x1, x2, x3, x4, x5, x6, x7] = x;
    swap(x0, x2);
    swap(x1, x3);
    swap(x4, x6);
    swap(x5, x7);
}

/// One delta swap: exchanges the bits of `y` under `mask` with the bits of `x` under
/// `mask << sh`.
#[inline(always)]
fn swap(x: &mut u32, y: &mut u32, sh: u32, mask: u32) {
    let t = (*y ^ (*x >> sh)) & mask;
    *y ^= t;
    *x ^= t << sh;
}

/// One delta swap stage of the transposition: exchanges bit `A` of the word index with
/// bit `B` of the bit position. Written out (no loop, constant indices): the Thumb-1
/// code keeps the words in registers.
#[inline(always)]
fn stage<const A: u32, const B: u32>(x: &mut [u32; 8]) {
    let (sh, mask) = match B {
        0 => (1, 0x5555_5555),
        1 => (2, 0x3333_3333),
        _ => (4, 0x0f0f_0f0f),
    };
    let [x0, x1, x2, x3, x4, x5, x6, x7] = x;
    match A {
        0 => {
            swap(x0, x1, sh, mask);
            swap(x2, x3, sh, mask);
            swap(x4, x5, sh, mask);
            swap(x6, x7, sh, mask);
        }
        1 => {
            swap(x0, x2, sh, mask);
            swap(x1, x3, sh, mask);
            swap(x4, x6, sh, mask);
            swap(x5, x7, sh, mask);
        }
        _ => {
            swap(x0, x4, sh, mask);
            swap(x1, x5, sh, mask);
            swap(x2, x6, sh, mask);
            swap(x3, x7, sh, mask);
        }
    }
}

/// Eight column words (block 0 columns 0..3, then block 1) to slices.
fn bitslice(x: &[u32; 8]) -> [u32; 8] {
    let mut y = *x;
    stage::<2, 0>(&mut y);
    stage::<0, 1>(&mut y);
    stage::<1, 2>(&mut y);
    // slice j is transposed word ((j & 1) << 2) | ((j >> 1) & 1) | (((j >> 2) & 1) << 1)
    [y[0], y[4], y[1], y[5], y[2], y[6], y[3], y[7]]
}

/// Slices back to eight column words.
fn unbitslice(s: &[u32; 8]) -> [u32; 8] {
    let mut y = [s[0], s[2], s[4], s[6], s[1], s[3], s[5], s[7]];
    stage::<1, 2>(&mut y);
    stage::<0, 1>(&mut y);
    stage::<2, 0>(&mut y);
    y
}

/// Mask of the bits of each byte whose column `c` has `c + dc < 4`.
#[inline(always)]
const fn byte_mask(dc: u32) -> u32 {
    ((1u32 << (2 * (4 - dc))) - 1) * 0x0101_0101
}

/// `y(row i, col c) = x(row i+dr, col c+dc)` (indices mod 4).
#[inline(always)]
fn rot_rc(x: u32, dr: u32, dc: u32) -> u32 {
    let dc = dc & 3;
    if dc == 0 {
        return x.rotate_right(8 * dr);
    }
    let d = 8 * (dr - 1) + 2 * dc;
    (x.rotate_right(d) & !byte_mask(dc)) | (x.rotate_right(d + 8) & byte_mask(dc))
}

/// The start of a decryption round: round key, then the prefix of `InvMC_r`, which
/// depends on `r mod 2` only (`P`: two copies of this). The round goes on with the same
/// `MC_r` function as encryption and the inverse S-box (one copy of each for both
/// directions).
#[inline(never)]
fn dec_prefix<const P: u32>(s: &mut [u32; 8], rk: &[u32; 8]) {
    ark(s, rk);
    inv_mix_prefix::<P>(s);
}

/// `MC_r`: MixColumns seen through `SR^-r` (`R` = `r mod 4`). Written out slice by
/// slice (`t = a ^ R1 a`, `a' = xtime(t) ^ R1 a ^ R2 t`), so Thumb-1 code holds the
/// slices in registers instead of stack arrays.
#[inline(never)]
fn mix_columns<const R: u32>(a: &mut [u32; 8]) {
    let r1 = |x: u32| rot_rc(x, 1, R);
    let r2 = |x: u32| rot_rc(x, 2, 2 * R);
    let [a0, a1, a2, a3, a4, a5, a6, a7] = a;
    let q7 = r1(*a7);
    let t7 = *a7 ^ q7;
    *a7 = q7 ^ r2(t7);
    let q6 = r1(*a6);
    let t6 = *a6 ^ q6;
    *a7 ^= t6;
    *a6 = q6 ^ r2(t6);
    let q5 = r1(*a5);
    let t5 = *a5 ^ q5;
    *a6 ^= t5;
    *a5 = q5 ^ r2(t5);
    let q4 = r1(*a4);
    let t4 = *a4 ^ q4;
    *a5 ^= t4;
    *a4 = q4 ^ r2(t4) ^ t7;
    let q3 = r1(*a3);
    let t3 = *a3 ^ q3;
    *a4 ^= t3;
    *a3 = q3 ^ r2(t3) ^ t7;
    let q2 = r1(*a2);
    let t2 = *a2 ^ q2;
    *a3 ^= t2;
    *a2 = q2 ^ r2(t2);
    let q1 = r1(*a1);
    let t1 = *a1 ^ q1;
    *a2 ^= t1;
    *a1 = q1 ^ r2(t1) ^ t7;
    let q0 = r1(*a0);
    let t0 = *a0 ^ q0;
    *a1 ^= t0;
    *a0 = q0 ^ r2(t0) ^ t7;
}

/// The part of `InvMC_r` before `MC_r`: `a ^ 4 (a ^ R2 a)` (`P` = `r mod 2`: `R2` rotates
/// by `2r mod 4` columns).
#[inline(always)]
fn inv_mix_prefix<const P: u32>(a: &mut [u32; 8]) {
    let r2 = |x: u32| rot_rc(x, 2, 2 * P);
    {
        let [a0, a1, a2, a3, a4, a5, a6, a7] = &mut *a;
        let t7 = *a7 ^ r2(*a7);
        let t6 = *a6 ^ r2(*a6);
        let t76 = t7 ^ t6;
        let t0 = *a0 ^ r2(*a0);
        *a0 ^= t6;
        let t1 = *a1 ^ r2(*a1);
        *a1 ^= t76;
        let t2 = *a2 ^ r2(*a2);
        *a2 ^= t0 ^ t7;
        let t3 = *a3 ^ r2(*a3);
        *a3 ^= t1 ^ t6;
        let t4 = *a4 ^ r2(*a4);
        *a4 ^= t2 ^ t76;
        let t5 = *a5 ^ r2(*a5);
        *a5 ^= t3 ^ t7;
        *a6 ^= t4;
        *a7 ^= t5;
    }
}

/// A round key XORed into the state, as a call: one copy for the rounds of both
/// directions, and through two pointers it needs no spilled key words (the written-out
/// XOR inlined into the round loops held all eight key words at once). The start of a
/// decryption round has its own, fused with what follows ([`dec_prefix`]).
#[inline(never)]
fn add_round_key(s: &mut [u32; 8], rk: &[u32; 8]) {
    ark(s, rk);
}

#[inline(always)]
fn ark(s: &mut [u32; 8], rk: &[u32; 8]) {
    let [s0, s1, s2, s3, s4, s5, s6, s7] = s;
    let [k0, k1, k2, k3, k4, k5, k6, k7] = rk;
    *s0 ^= k0;
    *s1 ^= k1;
    *s2 ^= k2;
    *s3 ^= k3;
    *s4 ^= k4;
    *s5 ^= k5;
    *s6 ^= k6;
    *s7 ^= k7;
}

#[inline(always)]
fn load(b0: &[u8; 16], b1: Option<&mut [u8; 16]>) -> [u32; 8] {
    let w = |b: &[u8; 16]| {
        let c = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        [c(0), c(4), c(8), c(12)]
    };
    let [x0, x1, x2, x3] = w(b0);
    // one block: the same block in both slots (the second result is not stored)
    let [x4, x5, x6, x7] = match b1 {
        Some(b1) => w(b1),
        None => [x0, x1, x2, x3],
    };
    [x0, x1, x2, x3, x4, x5, x6, x7]
}

#[inline(always)]
fn store(x: &[u32; 8], b0: &mut [u8; 16], b1: Option<&mut [u8; 16]>) {
    let (words, _) = x.as_chunks::<4>();
    if let Some(w) = words.first() {
        put_block(b0, w);
    }
    if let (Some(b1), Some(w)) = (b1, words.get(1)) {
        put_block(b1, w);
    }
}

/// One block's four column words to its bytes (little-endian), as a call: one copy for
/// both blocks.
#[inline(never)]
fn put_block(b: &mut [u8; 16], w: &[u32; 4]) {
    let [a0, a1, a2, a3] = w[0].to_le_bytes();
    let [b0, b1, b2, b3] = w[1].to_le_bytes();
    let [c0, c1, c2, c3] = w[2].to_le_bytes();
    let [d0, d1, d2, d3] = w[3].to_le_bytes();
    *b = [
        a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3,
    ];
}

/// Round key `r` (an all-zero key past the end, which `nr <= 14` never reaches).
#[inline(always)]
fn round_key(rk: &[u32; RK_WORDS], r: usize) -> &[u32; 8] {
    const NONE: [u32; 8] = [0; 8];
    rk.get(8 * r..8 * r + 8)
        .and_then(|k| <&[u32; 8]>::try_from(k).ok())
        .unwrap_or(&NONE)
}

/// Round keys `1..nr`, for the rounds between the first and the last (one bounds check
/// for all of them, none per round).
#[inline(always)]
fn middle_keys(rk: &[u32; RK_WORDS], nr: usize) -> &[[u32; 8]] {
    let (keys, _) = rk.as_chunks::<8>();
    keys.get(1..nr).unwrap_or(&[])
}

/// [`middle_keys`] with their round numbers.
#[inline(always)]
fn numbered(
    keys: &[[u32; 8]],
) -> impl DoubleEndedIterator<Item = (usize, &[u32; 8])> + ExactSizeIterator {
    keys.iter().enumerate().map(|(i, k)| (i + 1, k))
}

/// Encrypts two blocks (`b1` `None`: one block) with `nr` rounds (10, 12 or 14) of round
/// keys `rk`.
pub(crate) fn encrypt2(
    rk: &[u32; RK_WORDS],
    nr: usize,
    b0: &mut [u8; 16],
    b1: Option<&mut [u8; 16]>,
) {
    crypt2(rk, nr, b0, b1, false);
}

/// Decrypts two blocks (`b1` `None`: one block; the inverse of [`encrypt2`]).
pub(crate) fn decrypt2(
    rk: &[u32; RK_WORDS],
    nr: usize,
    b0: &mut [u8; 16],
    b1: Option<&mut [u8; 16]>,
) {
    crypt2(rk, nr, b0, b1, true);
}

/// [`encrypt2`] or (`decrypt`) [`decrypt2`]: one copy of what both directions do around
/// their rounds (load, transposition both ways, store, wipe). The direction is public.
fn crypt2(
    rk: &[u32; RK_WORDS],
    nr: usize,
    b0: &mut [u8; 16],
    mut b1: Option<&mut [u8; 16]>,
    decrypt: bool,
) {
    let mut x = load(b0, b1.as_deref_mut());
    // ShiftRows^2 of the words, after 10 or 14 rounds: decryption undoes it first,
    // encryption applies it last
    let shifted = nr & 3 == 2;
    if decrypt && shifted {
        sr2(&mut x);
    }
    let mut s = bitslice(&x);
    let middle = middle_keys(rk, nr);
    if decrypt {
        decrypt_rounds(rk, nr, middle, &mut s);
    } else {
        encrypt_rounds(rk, nr, middle, &mut s);
    }
    let mut x = unbitslice(&s);
    if !decrypt && shifted {
        sr2(&mut x);
    }
    store(&x, b0, b1);
    wipe(&mut s);
    wipe(&mut x);
}

/// The rounds of encryption on the sliced state (`middle`: [`middle_keys`]).
#[inline(always)]
fn encrypt_rounds(rk: &[u32; RK_WORDS], nr: usize, middle: &[[u32; 8]], s: &mut [u32; 8]) {
    add_round_key(s, round_key(rk, 0));
    // the rounds after the first: S-box, `MC_r` (a function per `r mod 4`, so its
    // rotations are constants), round key
    for (r, k) in numbered(middle) {
        sbox(s);
        match r & 3 {
            0 => mix_columns::<0>(s),
            1 => mix_columns::<1>(s),
            2 => mix_columns::<2>(s),
            _ => mix_columns::<3>(s),
        }
        add_round_key(s, k);
    }
    sbox(s);
    add_round_key(s, round_key(rk, nr));
}

/// The rounds of decryption on the sliced state (those of [`encrypt_rounds`] inverted).
#[inline(always)]
fn decrypt_rounds(rk: &[u32; RK_WORDS], nr: usize, middle: &[[u32; 8]], s: &mut [u32; 8]) {
    add_round_key(s, round_key(rk, nr));
    inv_sbox(s);
    // the rounds: round key, `InvMC_r` (prefix, then `MC_r`), inverse S-box
    for (r, k) in numbered(middle).rev() {
        match r & 3 {
            0 => {
                dec_prefix::<0>(s, k);
                mix_columns::<0>(s);
            }
            1 => {
                dec_prefix::<1>(s, k);
                mix_columns::<1>(s);
            }
            2 => {
                dec_prefix::<0>(s, k);
                mix_columns::<2>(s);
            }
            _ => {
                dec_prefix::<1>(s, k);
                mix_columns::<3>(s);
            }
        }
        inv_sbox(s);
    }
    add_round_key(s, round_key(rk, 0));
}

/// Overwrites working state: eight volatile word stores (`zeroize` on each word, written
/// out: `zeroize` on the array stores one word per turn of a loop, and its slice wipe
/// calls `memset` for these 32 bytes; either way several times the eight stores).
#[inline(always)]
pub(crate) fn wipe(x: &mut [u32; 8]) {
    use zeroize::Zeroize;
    let [a, b, c, d, e, f, g, h] = x;
    a.zeroize();
    b.zeroize();
    c.zeroize();
    d.zeroize();
    e.zeroize();
    f.zeroize();
    g.zeroize();
    h.zeroize();
}

/// SubWord on the four bytes of `w`: the bitsliced S-box with one bit per byte lane.
#[cfg(not(kf_armv7m))]
fn sub_word(w: u32) -> u32 {
    const L: u32 = 0x0101_0101;
    let mut s = [
        w & L,
        (w >> 1) & L,
        (w >> 2) & L,
        (w >> 3) & L,
        (w >> 4) & L,
        (w >> 5) & L,
        (w >> 6) & L,
        (w >> 7) & L,
    ];
    sbox(&mut s);
    let [s0, s1, s2, s3, s4, s5, s6, s7] = s;
    let o = 0x6363_6363
        ^ (s0 & L)
        ^ ((s1 & L) << 1)
        ^ ((s2 & L) << 2)
        ^ ((s3 & L) << 3)
        ^ ((s4 & L) << 4)
        ^ ((s5 & L) << 5)
        ^ ((s6 & L) << 6)
        ^ ((s7 & L) << 7);
    wipe(&mut s);
    o
}

#[cfg(kf_armv7m)]
pub(crate) use crate::armv7m::expand;

/// `SR^-r` of one round key's four column words (`m` = `-r mod 4`: row `i` of column `c`
/// from column `c + m*i`), in both slots of the eight words [`bitslice`] takes.
#[cfg(not(kf_armv7m))]
fn gather(c: &[u32; 4], m: usize) -> [u32; 8] {
    let g = |col: usize| {
        (c[col & 3] & 0xff)
            | (c[(col + m) & 3] & 0xff00)
            | (c[(col + 2 * m) & 3] & 0xff_0000)
            | (c[(col + 3 * m) & 3] & 0xff00_0000)
    };
    let (x0, x1, x2, x3) = (g(0), g(1), g(2), g(3));
    [x0, x1, x2, x3, x0, x1, x2, x3]
}

/// Where the key expansion keeps column word `i` before slicing: the upper half of round
/// key `i / 4`'s eight words (so no separate array of expanded words is needed).
#[cfg(not(kf_armv7m))]
#[inline(always)]
const fn word_at(i: usize) -> usize {
    ((i >> 2) << 3) | 4 | (i & 3)
}

/// Round keys `0..=nr` (four column words each, at [`word_at`] in `rk`) to the stored
/// form, in place: key `r` as `SR^-r(K_r)` (column `c`, row `i` taken from column
/// `c - r*i`), in slices with both slots equal; keys `1..=nr` also get the S-box constant
/// (NOT of slices 0, 1, 5, 6).
#[cfg(not(kf_armv7m))]
fn slice_keys(nr: usize, rk: &mut [u32; RK_WORDS]) {
    for (r, out) in rk.chunks_exact_mut(8).enumerate().take(nr + 1) {
        let Ok(out) = <&mut [u32; 8]>::try_from(out) else {
            continue;
        };
        let mut c = [out[4], out[5], out[6], out[7]];
        // AES-192 only (not the speed-critical key sizes): `M` at run time, one copy
        let mut x = gather(&c, r.wrapping_neg() & 3);
        let mut s = bitslice(&x);
        // the S-box constant on keys 1..=nr (the round number is public)
        let k = 0u32.wrapping_sub(u32::from(r >= 1));
        s[0] ^= k;
        s[1] ^= k;
        s[5] ^= k;
        s[6] ^= k;
        *out = s;
        wipe(&mut s);
        wipe(&mut x);
        zeroize::Zeroize::zeroize(c.as_mut_slice());
    }
}

/// The S-box constant's slices (0, 1, 5, 6) as all-ones masks.
#[cfg(not(kf_armv7m))]
const NOT_SLICES: [u32; 8] = [!0, !0, 0, 0, 0, !0, !0, 0];

/// Column 0 of every row, both slots.
#[cfg(not(kf_armv7m))]
const COL0: u32 = 0x0303_0303;

/// One round of the expansion on natural-order (not shifted) keys: `s` holds the S-box
/// output (without its constant, Rcon XORed in at row 1, column 3) of the previous round
/// key; round key `nat[o]` becomes `nat[b] ^ t` with each column XORed into the columns
/// after it (FIPS-197 `w[i] = w[i-nk] ^ w[i-1]`), where slice `j` of `t` is column 3 of
/// `s` moved to column 0 (`rot` 14: and up one row, RotWord; 6: same row, AES-256's odd
/// rounds), with the S-box constant. The assembly's `keyfort_aes_ks_combine`.
#[cfg(not(kf_armv7m))]
#[inline(always)]
fn ks_combine(s: &[u32; 8], rot: u32, nat: &mut [[u32; 8]; 2], b: usize, o: usize) {
    for j in 0..8 {
        let x = s[j].rotate_right(rot) ^ NOT_SLICES[j];
        let mut u = nat[b & 1][j] ^ (x & COL0);
        u ^= (u & 0x3f3f_3f3f) << 2;
        u ^= (u & 0x0f0f_0f0f) << 4;
        nat[o & 1][j] = u;
    }
}

/// Round key `r` (natural order) in the stored form: `SR^-r` (delta swaps moving whole
/// two-bit columns: by 2 bits on rows 1 and 3 if `ODD` (`r` odd), then by 4 bits under
/// `sr_a`, a mask per `r mod 4`), and the S-box constant where `not` is all ones
/// (`r >= 1`). The assembly's `keyfort_aes_ks_store`.
#[cfg(not(kf_armv7m))]
#[inline(never)]
fn ks_store<const ODD: bool>(k: &[u32; 8], sr_a: u32, not: u32, out: &mut [u32; 8]) {
    for ((o, &x), n) in out.iter_mut().zip(k).zip(NOT_SLICES) {
        let mut x = x;
        if ODD {
            let t = (x ^ (x >> 2)) & 0x3300_3300;
            x ^= t ^ (t << 2);
        }
        let t = (x ^ (x >> 4)) & sr_a;
        x ^= t ^ (t << 4);
        *o = x ^ (n & not);
    }
}

/// Four key words (little-endian bytes) as slices, both slots.
#[cfg(not(kf_armv7m))]
fn ks_pack(key: &[u8]) -> [u32; 8] {
    let w = |i: usize| match key.get(4 * i..4 * i + 4) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => 0,
    };
    let (x0, x1, x2, x3) = (w(0), w(1), w(2), w(3));
    bitslice(&[x0, x1, x2, x3, x0, x1, x2, x3])
}

/// AES-128 / AES-256 expansion on the bitsliced key (the assembly's algorithm,
/// `gen/keysched.py`): one S-box evaluation of the whole previous round key per round.
#[cfg(not(kf_armv7m))]
fn expand_sliced(key: &[u8], rk: &mut [u32; RK_WORDS]) -> usize {
    let nk = key.len() >> 2;
    let nr = nk + 6;
    // 1 (AES-128) or 2 (AES-256): round key r is computed from round key r - step
    let step = nk >> 2;
    // the natural-order round keys r - 1 and r - 2, at r % 2
    let mut nat = [[0u32; 8]; 2];
    let mut s = [0u32; 8];
    let mut rcon = 1u32;
    for (r, out) in rk.chunks_exact_mut(8).enumerate().take(nr + 1) {
        let Ok(out) = <&mut [u32; 8]>::try_from(out) else {
            continue;
        };
        let o = r & 1;
        if r < step {
            nat[o] = ks_pack(key.get(16 * r..).unwrap_or(&[]));
        } else {
            s = nat[o ^ 1];
            sbox(&mut s);
            // RotWord and Rcon in every AES-128 round and AES-256's even ones (public)
            let rot = step == 1 || o == 0;
            if rot {
                for (j, x) in s.iter_mut().enumerate() {
                    *x ^= 0xc000 & 0u32.wrapping_sub((rcon >> j) & 1);
                }
                rcon = (rcon << 1) ^ (0x11b & 0u32.wrapping_sub(rcon >> 7));
            }
            ks_combine(&s, if rot { 14 } else { 6 }, &mut nat, r - step, o);
        }
        let not = 0u32.wrapping_sub(u32::from(r >= 1));
        let k = &nat[o];
        match r & 3 {
            0 => ks_store::<false>(k, 0, not, out),
            1 => ks_store::<true>(k, 0x0c0f_0300, not, out),
            2 => ks_store::<false>(k, 0x0f00_0f00, not, out),
            _ => ks_store::<true>(k, 0x030f_0c00, not, out),
        }
    }
    wipe(&mut s);
    wipe(&mut nat[0]);
    wipe(&mut nat[1]);
    nr
}

/// Expands `key` (16, 24 or 32 bytes; checked by the caller) into fixsliced round keys;
/// returns the round count. AES-128 and AES-256 on the bitsliced key, AES-192 word by word
/// (as the assembly does).
#[cfg(not(kf_armv7m))]
#[inline]
pub(crate) fn expand(key: &[u8], rk: &mut [u32; RK_WORDS]) -> usize {
    let nk = key.len() >> 2;
    if nk != 6 {
        return expand_sliced(key, rk);
    }
    let nr = nk + 6;
    let total = 4 * (nr + 1);
    // the expanded words go to `rk` (see `word_at`); the last eight also stay in `win`
    // (word `i` at `i & 7`), which the recurrence reads; all indices are public
    let mut win = [0u32; 8];
    let mut put = |win: &mut [u32; 8], i: usize, v: u32| {
        win[i & 7] = v;
        if let Some(d) = rk.get_mut(word_at(i)) {
            *d = v;
        }
    };
    for (i, c) in key.chunks_exact(4).enumerate() {
        put(&mut win, i, u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    }
    let mut rcon = 1u32;
    let mut i = nk;
    // one key-length group per pass: word 0 of it with RotWord/SubWord/Rcon, word 4 of an
    // AES-256 group with SubWord (FIPS-197 5.2)
    while i < total {
        let t = sub_word(win[(i - 1) & 7].rotate_right(8)) ^ rcon;
        rcon = (rcon << 1) ^ (0x11b & 0u32.wrapping_sub(rcon >> 7));
        let v = win[(i - nk) & 7] ^ t;
        put(&mut win, i, v);
        for j in i + 1..(i + nk).min(total) {
            let prev = win[(j - 1) & 7];
            let t = if nk == 8 && j == i + 4 {
                sub_word(prev)
            } else {
                prev
            };
            let v = win[(j - nk) & 7] ^ t;
            put(&mut win, j, v);
        }
        i += nk;
    }
    wipe(&mut win);
    slice_keys(nr, rk);
    nr
}
