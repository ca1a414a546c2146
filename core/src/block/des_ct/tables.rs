//! The tables of FIPS 46-3 as the standard prints them (bit numbers count from 1 at the
//! most significant bit), and the constant forms the constant-time code uses, derived
//! from them at compile time. Nothing here is ever indexed by a secret: the code walks
//! each derived table from start to end.
// Compile-time table building: every cast is of an index or bit number below 64.
#![allow(clippy::cast_possible_truncation)]

/// Initial permutation IP: output bit `i + 1` is input bit `IP[i]` (computed by
/// `des_ct::ip` as bit swaps; the tests check it against this table).
#[cfg(test)]
pub(super) const IP: [u8; 64] = [
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

/// Where each S-box's four output bits sit in its nibble of the multiplexer's words:
/// `OUT_POS[j][t]` is the place (0 = the nibble's top bit) of output bit `t` (0 = the
/// most significant) of S-box `j + 1`. The multiplexer picks whole nibbles, so any order
/// inside a nibble computes the same S-boxes; this one was chosen (by a search over the
/// 24^8 orders) because P then moves the 32 bits in 8 rotation groups instead of 19.
/// [`P_ROT`] is derived from it, and the known-answer tests check the whole.
const OUT_POS: [[u8; 4]; 8] = [
    [2, 3, 0, 1],
    [2, 1, 3, 0],
    [2, 1, 3, 0],
    [0, 1, 3, 2],
    [1, 3, 2, 0],
    [2, 3, 0, 1],
    [2, 0, 3, 1],
    [3, 1, 0, 2],
];

/// The bit (0 = least significant) of the S-box word that holds output bit `t` of
/// S-box `j + 1`.
const fn out_bit(j: usize, t: usize) -> u8 {
    (31 - 4 * j - OUT_POS[j][t] as usize) as u8
}

/// The S-boxes as 64 words, one per 6-bit input `v = b1 b2 b3 b4 b5 b6` (row `b1 b6`,
/// column `b2..b5`): nibble `j` (bits `31 - 4j ..= 28 - 4j`) of word `v` holds S-box
/// `j + 1` of `v`, its bits in the order of [`OUT_POS`]. Evaluating all eight S-boxes is
/// then a 64-to-1 multiplexer of these words, steered bit by bit by masks: no index
/// depends on the input.
const fn sbox_words() -> [u32; 64] {
    let mut w = [0u32; 64];
    let mut v = 0;
    while v < 64 {
        let row = ((v >> 4) & 2) | (v & 1);
        let col = (v >> 1) & 15;
        let mut j = 0;
        while j < 8 {
            let s = SBOX[j][row][col];
            let mut t = 0;
            while t < 4 {
                if (s >> (3 - t)) & 1 == 1 {
                    w[v] |= 1 << out_bit(j, t);
                }
                t += 1;
            }
            j += 1;
        }
        v += 1;
    }
    w
}

/// The multiplexer's constants in the order it reads them: quad `c` covers the inputs
/// `4c .. 4c + 4` (they differ in `b5 b6` only) as
/// `[w(v), w(v) ^ w(v + 1), w(v) ^ w(v + 2), w(v) ^ w(v + 1) ^ w(v + 2) ^ w(v + 3)]`,
/// the algebraic normal form of picking one of the four words by `b5 b6`.
pub(super) const SBOX_QUADS: [[u32; 4]; 16] = {
    let w = sbox_words();
    let mut t = [[0u32; 4]; 16];
    let mut c = 0;
    while c < 16 {
        let v = 4 * c;
        t[c] = [
            w[v],
            w[v] ^ w[v + 1],
            w[v] ^ w[v + 2],
            w[v] ^ w[v + 1] ^ w[v + 2] ^ w[v + 3],
        ];
        c += 1;
    }
    t
};

/// A list of fixed bit moves between two 32-bit words: `(src, dst)`, bit `src` of the
/// source to bit `dst` of the result (0 = least significant); [`NO_MOVE`] pads.
type Moves = [(u8, u8); 32];

/// Padding in [`Moves`].
const NO_MOVE: (u8, u8) = (0xFF, 0xFF);

/// A bit move as a rotation group: `x.rotate_right(r) & mask` moves every bit of
/// `mask`'s group (those whose source lies `r` places above them, mod 32) at once.
pub(super) type Group = (u32, u32);

/// The mask of the moves in `moves` that travel `r` places right (mod 32).
const fn group_mask(moves: &Moves, r: u32) -> u32 {
    let mut m = 0u32;
    let mut i = 0;
    while i < 32 {
        let (src, dst) = moves[i];
        if src != 0xFF && (src as u32 + 32 - dst as u32) & 31 == r {
            m |= 1 << dst;
        }
        i += 1;
    }
    m
}

/// How many rotation groups `moves` takes.
const fn group_count(moves: &Moves) -> usize {
    let mut n = 0;
    let mut r = 0;
    while r < 32 {
        if group_mask(moves, r) != 0 {
            n += 1;
        }
        r += 1;
    }
    n
}

/// The rotation groups of `moves`; `N` is [`group_count`] (checked: a wrong `N` fails
/// the build).
const fn groups<const N: usize>(moves: &Moves) -> [Group; N] {
    let mut g = [(0u32, 0u32); N];
    let mut n = 0;
    let mut r = 0;
    while r < 32 {
        let m = group_mask(moves, r);
        if m != 0 {
            g[n] = (r, m);
            n += 1;
        }
        r += 1;
    }
    assert!(n == N);
    g
}

/// P, from the S-box word's layout ([`OUT_POS`]) to the standard order of the round
/// function's output (bit 1 of FIPS 46-3 at bit 31).
const P_MOVES: Moves = {
    let mut m = [NO_MOVE; 32];
    let mut i = 0;
    while i < 32 {
        let n = P[i] as usize - 1; // input bit n: S-box n / 4, output bit n % 4
        m[i] = (out_bit(n >> 2, n & 3), (31 - i) as u8);
        i += 1;
    }
    m
};

/// P as 8 rotation groups.
pub(super) const P_ROT: [Group; 8] = groups(&P_MOVES);

/// PC-1's moves from key half `half` (0: bytes 0..4, 1: bytes 4..8, big-endian) into
/// C (`cd == 0`) or D (`cd == 1`), each held in bits 31..4.
const fn pc1_moves(half: usize, cd: usize) -> Moves {
    let mut m = [NO_MOVE; 32];
    let mut i = 0;
    while i < 28 {
        let n = PC1[28 * cd + i] as usize - 1; // key bit n, 0 = the first byte's top bit
        if n >> 5 == half {
            m[i] = ((31 - (n & 31)) as u8, (31 - i) as u8);
        }
        i += 1;
    }
    m
}

/// PC-1 as rotation groups: `[from half 0, from half 1]` for C, then for D.
pub(super) const PC1_C: (
    [Group; group_count(&pc1_moves(0, 0))],
    [Group; group_count(&pc1_moves(1, 0))],
) = (groups(&pc1_moves(0, 0)), groups(&pc1_moves(1, 0)));
/// See [`PC1_C`].
pub(super) const PC1_D: (
    [Group; group_count(&pc1_moves(0, 1))],
    [Group; group_count(&pc1_moves(1, 1))],
) = (groups(&pc1_moves(0, 1)), groups(&pc1_moves(1, 1)));

/// PC-2's moves from C (`cd == 0`) or D (`cd == 1`), held in bits 31..4, into round key
/// word `word` of the round function's layout: word 0 holds, in nibble `j`, key bits
/// `b2 b3 b4 b5` of S-box `j + 1`; word 1 holds `b1` in the nibble's top bit and `b6` in
/// its bottom bit (the middle bits are 0). See `des_ct::expand`.
#[allow(clippy::integer_division_remainder_used)] // a compile-time table over public bit positions
const fn pc2_moves(cd: usize, word: usize) -> Moves {
    let mut m = [NO_MOVE; 32];
    let mut k = 0;
    let mut n = 0;
    while k < 48 {
        let j = k / 6;
        let b = k % 6;
        let src = PC2[k] as usize - 1; // 0..56 over C‖D
        let dst = match b {
            0 => (1, 31 - 4 * j),
            5 => (1, 28 - 4 * j),
            _ => (0, 31 - 4 * j - (b - 1)),
        };
        if src / 28 == cd && dst.0 == word {
            m[n] = ((31 - src % 28) as u8, dst.1 as u8);
            n += 1;
        }
        k += 1;
    }
    m
}

/// PC-2 as rotation groups: round key word 0 from C, then from D.
pub(super) const PC2_K0: (
    [Group; group_count(&pc2_moves(0, 0))],
    [Group; group_count(&pc2_moves(1, 0))],
) = (groups(&pc2_moves(0, 0)), groups(&pc2_moves(1, 0)));
/// PC-2 as rotation groups: round key word 1 from C, then from D.
pub(super) const PC2_K1: (
    [Group; group_count(&pc2_moves(0, 1))],
    [Group; group_count(&pc2_moves(1, 1))],
) = (groups(&pc2_moves(0, 1)), groups(&pc2_moves(1, 1)));
