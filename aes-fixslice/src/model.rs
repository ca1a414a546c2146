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
/// (ShiftRows^2, its own inverse).
#[inline(always)]
fn sr2(c: &mut [u32]) {
    for i in 0..2 {
        let t = (c[i] ^ c[i + 2]) & 0xff00_ff00;
        c[i] ^= t;
        c[i + 2] ^= t;
    }
}

/// One delta swap stage of the transposition: exchanges bit `a` of the word index with
/// bit `b` of the bit position.
#[inline(always)]
fn stage(x: &mut [u32; 8], a: usize, b: u32) {
    let (sh, mask) = match b {
        0 => (1, 0x5555_5555),
        1 => (2, 0x3333_3333),
        _ => (4, 0x0f0f_0f0f),
    };
    for w in 0..8 {
        if w & (1 << a) == 0 {
            let w2 = w | (1 << a);
            let t = (x[w2] ^ (x[w] >> sh)) & mask;
            x[w2] ^= t;
            x[w] ^= t << sh;
        }
    }
}

/// Transposed word that holds slice `j`.
#[inline(always)]
const fn slice_word(j: usize) -> usize {
    ((j & 1) << 2) | ((j >> 1) & 1) | (((j >> 2) & 1) << 1)
}

/// Eight column words (block 0 columns 0..3, then block 1) to slices.
fn bitslice(x: &[u32; 8]) -> [u32; 8] {
    let mut y = *x;
    stage(&mut y, 2, 0);
    stage(&mut y, 0, 1);
    stage(&mut y, 1, 2);
    let mut s = [0u32; 8];
    for (j, sj) in s.iter_mut().enumerate() {
        *sj = y[slice_word(j)];
    }
    s
}

/// Slices back to eight column words.
fn unbitslice(s: &[u32; 8]) -> [u32; 8] {
    let mut y = [0u32; 8];
    for (j, sj) in s.iter().enumerate() {
        y[slice_word(j)] = *sj;
    }
    stage(&mut y, 1, 2);
    stage(&mut y, 0, 1);
    stage(&mut y, 2, 0);
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

/// One encryption round after the first: S-box, `MC_r`, round key. A function per
/// `r mod 4`, so the rotations are constants.
#[inline(never)]
fn enc_round<const R: u32>(s: &mut [u32; 8], rk: &[u32]) {
    sbox(s);
    mix_columns::<R>(s);
    ark(s, rk);
}

/// One decryption round: round key, `InvMC_r`, inverse S-box.
#[inline(never)]
fn dec_round<const R: u32>(s: &mut [u32; 8], rk: &[u32]) {
    ark(s, rk);
    inv_mix_columns::<R>(s);
    inv_sbox(s);
}

/// Slice-wise multiplication by x in GF(2^8).
#[inline(always)]
fn xtime(t: &[u32; 8]) -> [u32; 8] {
    [
        t[7],
        t[0] ^ t[7],
        t[1],
        t[2] ^ t[7],
        t[3] ^ t[7],
        t[4],
        t[5],
        t[6],
    ]
}

/// `MC_r`: MixColumns seen through `SR^-r` (`R` = `r mod 4`).
#[inline(always)]
fn mix_columns<const R: u32>(a: &mut [u32; 8]) {
    let r = R;
    let mut r1 = [0u32; 8];
    let mut t = [0u32; 8];
    for j in 0..8 {
        r1[j] = rot_rc(a[j], 1, r);
        t[j] = a[j] ^ r1[j];
    }
    let x = xtime(&t);
    for j in 0..8 {
        a[j] = x[j] ^ r1[j] ^ rot_rc(t[j], 2, 2 * r);
    }
}

/// `InvMC_r` = `MC_r` after `a ^ 4 (a ^ R2 a)` (`R` = `r mod 4`).
#[inline(always)]
fn inv_mix_columns<const R: u32>(a: &mut [u32; 8]) {
    let r = R;
    let mut t = [0u32; 8];
    for j in 0..8 {
        t[j] = a[j] ^ rot_rc(a[j], 2, 2 * r);
    }
    let t76 = t[7] ^ t[6];
    let f = [
        t[6],
        t76,
        t[0] ^ t[7],
        t[1] ^ t[6],
        t[2] ^ t76,
        t[3] ^ t[7],
        t[4],
        t[5],
    ];
    for j in 0..8 {
        a[j] ^= f[j];
    }
    mix_columns::<R>(a);
}

#[inline(always)]
fn ark(s: &mut [u32; 8], rk: &[u32]) {
    for (a, k) in s.iter_mut().zip(rk) {
        *a ^= k;
    }
}

#[inline(always)]
fn load(b0: &[u8; 16], b1: &[u8; 16]) -> [u32; 8] {
    let mut x = [0u32; 8];
    for (i, c) in b0.chunks_exact(4).chain(b1.chunks_exact(4)).enumerate() {
        x[i] = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    x
}

#[inline(always)]
fn store(x: &[u32; 8], b0: &mut [u8; 16], b1: &mut [u8; 16]) {
    for (i, c) in b0
        .chunks_exact_mut(4)
        .chain(b1.chunks_exact_mut(4))
        .enumerate()
    {
        c.copy_from_slice(&x[i].to_le_bytes());
    }
}

/// Encrypts two blocks with `nr` rounds (10, 12 or 14) of round keys `rk`.
pub(crate) fn encrypt2(rk: &[u32; RK_WORDS], nr: usize, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
    let mut s = bitslice(&load(b0, b1));
    let mut keys = rk.chunks_exact(8);
    ark(&mut s, keys.next().unwrap_or(&[]));
    for r in 1..nr {
        let k = keys.next().unwrap_or(&[]);
        match r & 3 {
            0 => enc_round::<0>(&mut s, k),
            1 => enc_round::<1>(&mut s, k),
            2 => enc_round::<2>(&mut s, k),
            _ => enc_round::<3>(&mut s, k),
        }
    }
    sbox(&mut s);
    ark(&mut s, keys.next().unwrap_or(&[]));
    let mut x = unbitslice(&s);
    if nr & 3 == 2 {
        sr2(&mut x[..4]);
        sr2(&mut x[4..]);
    }
    store(&x, b0, b1);
    wipe(&mut s);
    wipe(&mut x);
}

/// Decrypts two blocks (the inverse of [`encrypt2`]).
pub(crate) fn decrypt2(rk: &[u32; RK_WORDS], nr: usize, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
    let mut x = load(b0, b1);
    if nr & 3 == 2 {
        sr2(&mut x[..4]);
        sr2(&mut x[4..]);
    }
    let mut s = bitslice(&x);
    let key = |r: usize| rk.get(8 * r..8 * r + 8).unwrap_or(&[]);
    ark(&mut s, key(nr));
    inv_sbox(&mut s);
    for r in (1..nr).rev() {
        match r & 3 {
            0 => dec_round::<0>(&mut s, key(r)),
            1 => dec_round::<1>(&mut s, key(r)),
            2 => dec_round::<2>(&mut s, key(r)),
            _ => dec_round::<3>(&mut s, key(r)),
        }
    }
    ark(&mut s, key(0));
    let mut x = unbitslice(&s);
    store(&x, b0, b1);
    wipe(&mut s);
    wipe(&mut x);
}

/// Overwrites working state (volatile writes, not elided).
#[inline(always)]
pub(crate) fn wipe(x: &mut [u32; 8]) {
    zeroize::Zeroize::zeroize(x);
}

/// SubWord on the four bytes of `w`: the bitsliced S-box with one bit per byte lane.
#[cfg(not(kf_armv7m))]
fn sub_word(w: u32) -> u32 {
    let mut s = [0u32; 8];
    for (j, sj) in s.iter_mut().enumerate() {
        *sj = (w >> j) & 0x0101_0101;
    }
    sbox(&mut s);
    let mut o = 0x6363_6363;
    for (j, sj) in s.iter().enumerate() {
        o ^= (sj & 0x0101_0101) << j;
    }
    wipe(&mut s);
    o
}

#[cfg(kf_armv7m)]
pub(crate) use crate::armv7m::expand;

/// Round keys `0..=nr` (four column words each in `w`) to the stored form: key `r` as
/// `SR^-r(K_r)` (column `c`, row `i` taken from column `c - r*i`), in slices with both slots
/// equal; keys `1..=nr` also get the S-box constant (NOT of slices 0, 1, 5, 6).
#[cfg(not(kf_armv7m))]
fn slice_keys(w: &[u32; 4 * 15], nr: usize, rk: &mut [u32; RK_WORDS]) {
    for (r, (c, out)) in w
        .chunks_exact(4)
        .zip(rk.chunks_exact_mut(8))
        .enumerate()
        .take(nr + 1)
    {
        let m = r.wrapping_neg() & 3;
        let mut x = [0u32; 8];
        for col in 0..4 {
            let v = (c[col] & 0xff)
                | (c[(col + m) & 3] & 0xff00)
                | (c[(col + 2 * m) & 3] & 0xff_0000)
                | (c[(col + 3 * m) & 3] & 0xff00_0000);
            x[col] = v;
            x[col + 4] = v;
        }
        let mut s = bitslice(&x);
        if r >= 1 {
            for j in [0, 1, 5, 6] {
                s[j] = !s[j];
            }
        }
        out.copy_from_slice(&s);
        wipe(&mut s);
        wipe(&mut x);
    }
}

/// Expands `key` (16, 24 or 32 bytes; checked by the caller) into fixsliced round keys;
/// returns the round count.
#[cfg(not(kf_armv7m))]
#[inline]
pub(crate) fn expand(key: &[u8], rk: &mut [u32; RK_WORDS]) -> usize {
    let nk = key.len() >> 2;
    let nr = nk + 6;
    let total = 4 * (nr + 1);
    let mut w = [0u32; 4 * 15];
    for (wi, c) in w.iter_mut().zip(key.chunks_exact(4)) {
        *wi = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    let mut rcon = 1u32;
    let mut i = nk;
    // one key-length group per pass: word 0 of it with RotWord/SubWord/Rcon, word 4 of an
    // AES-256 group with SubWord (FIPS-197 5.2); all indices public
    while i < total {
        let t = sub_word(w[i - 1].rotate_right(8)) ^ rcon;
        rcon = (rcon << 1) ^ (0x11b & 0u32.wrapping_sub(rcon >> 7));
        w[i] = w[i - nk] ^ t;
        for j in i + 1..(i + nk).min(total) {
            let t = if nk == 8 && j == i + 4 {
                sub_word(w[j - 1])
            } else {
                w[j - 1]
            };
            w[j] = w[j - nk] ^ t;
        }
        i += nk;
    }
    slice_keys(&w, nr, rk);
    zeroize::Zeroize::zeroize(&mut w);
    nr
}
