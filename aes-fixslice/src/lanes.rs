//! AES-128 in [`LANES`] independent lanes on x86-64 with AES-NI, each lane under its own
//! key, the key expanded on the fly: for a chain of one-block steps where every step's
//! key is new (DUKPT's key derivation), so no key schedule is ever stored or reused.
//!
//! ```
//! use keyfort_aes::lanes::{AesNiLanes, LANES};
//!
//! if let Some(ni) = AesNiLanes::detect() {
//!     // FIPS-197 Appendix C.1 in every lane.
//!     let keys: [[u8; 16]; LANES] = [core::array::from_fn(|i| i as u8); LANES];
//!     let mut blocks = [*b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff"; LANES];
//!     ni.encrypt128(&keys, &mut blocks);
//!     assert!(blocks.iter().all(|b| b[..4] == [0x69, 0xc4, 0xe0, 0xd8]));
//! }
//! ```
//!
//! How: each round computes every lane's next round key, then runs every lane's state
//! through one AES round. The round key of FIPS-197's expansion is `SubWord(RotWord(w3))
//! ^ Rcon` folded into the running XOR of the previous key's words; `SubWord(RotWord(w3))`
//! comes from `AESENCLAST` on the key's last word rotated into all four columns (with
//! equal columns, `ShiftRows` moves nothing and `SubBytes` is `SubWord`), which issues at
//! the AES unit's full rate where `AESKEYGENASSIST` does not. The lanes are independent, so
//! the core overlaps their rounds instead of waiting on one chain's latency.
//!
//! Constant time: AES-NI has no data-dependent timing; nothing here branches on or
//! indexes by a key or a block. Key material: the round keys live in vector registers
//! and whatever the compiler spills to the stack; the caller scrubs the stack after use
//! where that matters (keyfort's DUKPT batch does, once per batch).
#![allow(unsafe_code)]

use core::arch::x86_64::{
    __m128i, _mm_aesenc_si128, _mm_aesenclast_si128, _mm_loadu_si128, _mm_set1_epi32,
    _mm_setr_epi8, _mm_shuffle_epi8, _mm_slli_si128, _mm_storeu_si128, _mm_xor_si128,
};

/// Lanes enough to keep the AES unit busy (its latency over its issue rate on current
/// x86-64 cores, with room): the batch width to use. Any `N` works; one lane is one
/// chain at its latency.
pub const LANES: usize = 8;

/// FIPS-197's round constants of AES-128, one per round.
const RCON: [u8; 10] = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

cpufeatures::new!(aes_ni, "aes", "sse2", "ssse3");

/// Proof that this CPU has AES-NI (and SSE2/SSSE3): made only by [`AesNiLanes::detect`].
#[derive(Clone, Copy, Debug)]
pub struct AesNiLanes(());

impl AesNiLanes {
    /// `Some` if the CPU has AES-NI, SSE2 and SSSE3 (checked once, then cached).
    pub fn detect() -> Option<Self> {
        aes_ni::get().then_some(Self(()))
    }

    /// `blocks[i] = AES-128(keys[i], blocks[i])` for every lane.
    #[inline]
    pub fn encrypt128<const N: usize>(self, keys: &[[u8; 16]; N], blocks: &mut [[u8; 16]; N]) {
        // SAFETY: `self` exists only if `detect` found AES-NI, SSE2 and SSSE3, the target
        // features `encrypt128` is compiled for.
        unsafe { encrypt128(keys, blocks) }
    }

    /// A chain of AES-128 steps in one lane, each step's key the previous step's output:
    /// `key = AES-128(key, d)` for every `d` of `data` in order (DUKPT's derivation of an
    /// AES-128 key from its parent). The intermediate keys stay in vector registers; only
    /// the last is stored, into `key`.
    #[inline]
    pub fn chain128(self, key: &mut [u8; 16], data: impl IntoIterator<Item = [u8; 16]>) {
        // SAFETY: as in `encrypt128` (`data` is safe code, inlined into the feature-enabled
        // function).
        unsafe { chain128(key, data) }
    }
}

/// The next AES-128 round key after `k` (FIPS-197 5.2), `rcon` in every column.
#[inline(always)]
fn next_key(k: __m128i, rot: __m128i, rcon: __m128i) -> __m128i {
    // SAFETY: only called from `rounds` in `encrypt128` and `chain128`, compiled with the
    // features these need.
    unsafe {
        // Every column: RotWord(w3); AESENCLAST: SubWord of it, XOR Rcon.
        let t = _mm_aesenclast_si128(_mm_shuffle_epi8(k, rot), rcon);
        // w0, w0^w1, w0^w1^w2, w0^w1^w2^w3, each XOR t.
        let mut k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        k = _mm_xor_si128(k, _mm_slli_si128::<8>(k));
        _mm_xor_si128(k, t)
    }
}

/// `RotWord(w3)` in every column, as `_mm_shuffle_epi8`'s indices: column j of a loaded
/// key is bytes 4j..4j+3, w3 bytes 12..15.
#[inline(always)]
fn rot_word_3() -> __m128i {
    // SAFETY: SSE2, which every x86-64 has.
    unsafe {
        _mm_setr_epi8(
            13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12,
        )
    }
}

/// AES-128's ten rounds in every lane: `s[i]` (the block, already XORed with round key 0)
/// under the key expanded on the fly from `k[i]`. Each round computes every lane's next
/// round key, then runs every lane's state through the round, so independent lanes
/// overlap. The arrays stay in vector registers once inlined.
#[inline(always)]
fn rounds<const N: usize>(mut k: [__m128i; N], mut s: [__m128i; N], rot: __m128i) -> [__m128i; N] {
    // SAFETY: only called from `encrypt128` and `chain128`, compiled with the features
    // these need.
    unsafe {
        for (r, &rc) in RCON.iter().enumerate() {
            let rcon = _mm_set1_epi32(i32::from(rc));
            for ki in &mut k {
                *ki = next_key(*ki, rot, rcon);
            }
            if r + 1 < RCON.len() {
                for (si, ki) in s.iter_mut().zip(&k) {
                    *si = _mm_aesenc_si128(*si, *ki);
                }
            } else {
                for (si, ki) in s.iter_mut().zip(&k) {
                    *si = _mm_aesenclast_si128(*si, *ki);
                }
            }
        }
    }
    s
}

#[target_feature(enable = "aes,sse2,ssse3")]
unsafe fn chain128(key: &mut [u8; 16], data: impl IntoIterator<Item = [u8; 16]>) {
    let rot = rot_word_3();
    // SAFETY: unaligned load of a 16-byte array.
    let mut next = unsafe { _mm_loadu_si128(key.as_ptr().cast()) };
    for d in data {
        // SAFETY: as above.
        let s = _mm_xor_si128(unsafe { _mm_loadu_si128(d.as_ptr().cast()) }, next);
        // (`d` is public derivation data: no wipe.)
        [next] = rounds([next], [s], rot);
    }
    // SAFETY: unaligned store to a 16-byte array.
    unsafe { _mm_storeu_si128(key.as_mut_ptr().cast(), next) };
}

#[target_feature(enable = "aes,sse2,ssse3")]
unsafe fn encrypt128<const N: usize>(keys: &[[u8; 16]; N], blocks: &mut [[u8; 16]; N]) {
    let rot = rot_word_3();
    // SAFETY: unaligned loads of 16-byte arrays.
    let k: [__m128i; N] =
        core::array::from_fn(|i| unsafe { _mm_loadu_si128(keys[i].as_ptr().cast()) });
    // SAFETY: as above.
    let s: [__m128i; N] = core::array::from_fn(|i| unsafe {
        _mm_xor_si128(_mm_loadu_si128(blocks[i].as_ptr().cast()), k[i])
    });
    let s = rounds(k, s, rot);
    for (b, si) in blocks.iter_mut().zip(&s) {
        // SAFETY: unaligned store to a 16-byte array.
        unsafe { _mm_storeu_si128(b.as_mut_ptr().cast(), *si) };
    }
}
