//! The tables of FIPS 46-3 as the standard prints them (bit numbers count from 1 at the
//! most significant bit), and the constant forms the constant-time code uses, derived
//! from them at compile time. Nothing here is ever indexed by a secret: the code walks
//! each derived table from start to end.
// Compile-time table building: every cast is of an index or bit number below 64.
#![allow(clippy::cast_possible_truncation)]

/// Initial permutation IP: output bit `i + 1` is input bit `IP[i]`.
const IP: [u8; 64] = [
    58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, //
    62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8, //
    57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, //
    61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
];

/// The permutation P of the round function.
const P: [u8; 32] = [
    16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, //
    2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
];

/// Permuted choice 1: C0 is the first 28 entries, D0 the last 28.
const PC1: [u8; 56] = [
    57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, //
    10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, //
    63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, //
    14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];

/// Permuted choice 2 over C‖D (bits 1..=28 are C, 29..=56 are D).
const PC2: [u8; 48] = [
    14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, //
    23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, //
    41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, //
    44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];

/// Left shifts of C and D before each round (public, the same for every key).
pub(super) const SHIFTS: [u8; 16] = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];

/// The eight S-boxes: `SBOX[j][row][column]`.
const SBOX: [[[u8; 16]; 4]; 8] = [
    [
        [14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7],
        [0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8],
        [4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0],
        [15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13],
    ],
    [
        [15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10],
        [3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5],
        [0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15],
        [13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9],
    ],
    [
        [10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8],
        [13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1],
        [13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7],
        [1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12],
    ],
    [
        [7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15],
        [13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9],
        [10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4],
        [3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14],
    ],
    [
        [2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9],
        [14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6],
        [4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14],
        [11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3],
    ],
    [
        [12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11],
        [10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8],
        [9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6],
        [4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13],
    ],
    [
        [4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1],
        [13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6],
        [1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2],
        [6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12],
    ],
    [
        [13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7],
        [1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2],
        [7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8],
        [2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11],
    ],
];

/// The S-boxes as 64 words, one per 6-bit input `v = b1 b2 b3 b4 b5 b6` (row `b1 b6`,
/// column `b2..b5`): nibble `j` (bits `31 - 4j ..= 28 - 4j`) of word `v` is S-box `j + 1`
/// of `v`. Evaluating all eight S-boxes is then a 64-to-1 multiplexer of these words,
/// steered bit by bit by masks: no index depends on the input.
const fn sbox_words() -> [u32; 64] {
    let mut t = [0u32; 64];
    let mut v = 0;
    while v < 64 {
        let row = ((v >> 4) & 2) | (v & 1);
        let col = (v >> 1) & 15;
        let mut j = 0;
        while j < 8 {
            t[v] |= (SBOX[j][row][col] as u32) << (28 - 4 * j);
            j += 1;
        }
        v += 1;
    }
    t
}

const SBOX_WORDS: [u32; 64] = sbox_words();

/// The multiplexer's first level (on `b6`): word `i` of the S-box words at even inputs
/// `2i`, and the XOR of the pair `2i`, `2i + 1`.
pub(super) const SBOX_EVEN: [u32; 32] = {
    let mut e = [0u32; 32];
    let mut i = 0;
    while i < 32 {
        e[i] = SBOX_WORDS[2 * i];
        i += 1;
    }
    e
};

/// See [`SBOX_EVEN`].
pub(super) const SBOX_DIFF: [u32; 32] = {
    let mut d = [0u32; 32];
    let mut i = 0;
    while i < 32 {
        d[i] = SBOX_WORDS[2 * i] ^ SBOX_WORDS[2 * i + 1];
        i += 1;
    }
    d
};

/// P as rotations: `P(x)` is the OR over `(r, m)` of `x.rotate_left(r) & m` (bits that
/// travel the same distance move together). 19 pairs for DES's P.
const P_GROUPS: usize = {
    let mut n = 0;
    let mut r = 0;
    while r < 32 {
        if rot_mask(&P, r) != 0 {
            n += 1;
        }
        r += 1;
    }
    n
};

/// The output bits of the 32-bit permutation `table` whose source lies `r` places to
/// the right (mod 32), with bit 1 at bit 31.
const fn rot_mask(table: &[u8; 32], r: u32) -> u32 {
    let mut m = 0u32;
    let mut i = 0;
    while i < 32 {
        let dst = 31 - i as u32;
        let src = 32 - table[i] as u32;
        if (src + r) & 31 == dst {
            m |= 1 << dst;
        }
        i += 1;
    }
    m
}

/// See [`P_GROUPS`].
pub(super) const P_ROT: [(u32, u32); P_GROUPS] = {
    let mut g = [(0u32, 0u32); P_GROUPS];
    let mut n = 0;
    let mut r = 0;
    while r < 32 {
        let m = rot_mask(&P, r);
        if m != 0 {
            g[n] = (r, m);
            n += 1;
        }
        r += 1;
    }
    g
};

/// Bit sources for [`super::gather`]: entry `s` names bit `31 - (s & 31)` of word
/// `s >> 5` of the source words; [`ZERO`] names a word that is always 0.
pub(super) const ZERO: u8 = 64;
// `gather` reads the zero word as word `ZERO >> 5` of its three.
const _: () = assert!(ZERO >> 5 == 2);

/// IP as two gathers from the block's halves (words 0 and 1): the sources of L0, then R0.
pub(super) const IP_SRC: [u8; 64] = {
    let mut s = [0u8; 64];
    let mut i = 0;
    while i < 64 {
        s[i] = IP[i] - 1;
        i += 1;
    }
    s
};

/// IP⁻¹ as gathers from (R16, L16) as words 0 and 1: output bit `IP[i]` is input bit
/// `i + 1`.
pub(super) const FP_SRC: [u8; 64] = {
    let mut s = [0u8; 64];
    let mut i = 0;
    while i < 64 {
        s[IP[i] as usize - 1] = i as u8;
        i += 1;
    }
    s
};

/// PC-1 as gathers from the key's halves: C0 then D0, 28 bits each.
pub(super) const PC1_SRC: [u8; 56] = {
    let mut s = [0u8; 56];
    let mut i = 0;
    while i < 56 {
        s[i] = PC1[i] - 1;
        i += 1;
    }
    s
};

/// PC-2 gathered straight into the round function's key layout, from C (word 0) and D
/// (word 1), each held in bits 31..4. Round key word 0 holds, in nibble `j`, key bits
/// `b2 b3 b4 b5` of S-box `j + 1`; word 1 holds `b1` in the nibble's top bit and `b6` in
/// its bottom bit (the middle bits are 0). See `des_ct::expand`.
#[allow(clippy::integer_division_remainder_used)] // a compile-time table over the public bit positions
pub(super) const PC2_SRC: [[u8; 32]; 2] = {
    let mut s = [[ZERO; 32]; 2];
    let mut k = 0;
    while k < 48 {
        let j = k / 6;
        let b = k % 6;
        let n = PC2[k] as usize; // 1..=56 over C‖D
        let src = if n <= 28 { n - 1 } else { 32 + n - 29 };
        match b {
            0 => s[1][4 * j] = src as u8,
            5 => s[1][4 * j + 3] = src as u8,
            _ => s[0][4 * j + b - 1] = src as u8,
        }
        k += 1;
    }
    s
};
