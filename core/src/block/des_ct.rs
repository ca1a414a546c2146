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
//!   six input bits of every S-box is first spread over its S-box's nibble (a mask); the
//!   first two levels pick among four words in algebraic normal form
//!   (`w ^ (d & x6) ^ ((e ^ (f & x6)) & x5)`, precomputed XORs of the four), the other four
//!   levels are `a ^ ((a ^ b) & mask)`. Every call loads the same 64 constants in the
//!   same order. This is the idea of BearSSL's `des_ct` (S-boxes as a selection steered
//!   by the input bits instead of a lookup), written here from the standard's tables.
//! - **E** and the key XOR: the round key is stored in the multiplexer's own layout (the
//!   middle four bits of each S-box input in one word, the two edge bits in another), so
//!   the expansion is two rotations and a few masks.
//! - **P, PC-1, PC-2**: fixed bit moves as rotation groups (`x.rotate_right(r) & mask`
//!   moves every bit that travels `r` places at once, the groups derived from the
//!   standard's tables at compile time). The multiplexer picks whole nibbles, so the
//!   order of the output bits inside each S-box's nibble is free: the one chosen makes P
//!   8 groups instead of 19. **IP, IP⁻¹**: five swaps of bit groups between the halves.
//! - **Key schedule**: PC-1, the public rotation schedule, PC-2 into the round-key
//!   layout. Round keys ([`RoundKeys`]) are neither `Copy` nor `Clone`, print nothing and
//!   are wiped on drop.
//!
//! Cost on the Cortex-M3 (the release build, opt-level "s"; measured by hand from a
//! `-singlestep -d exec` trace of one TDES DUKPT host derivation under QEMU, not a
//! committed check): about 5,300 instructions per DES pass (330 per round), 2,250 per
//! key schedule. TDES runs IP and IP⁻¹ once per block, not once per DES (they
//! cancel between the three passes). `./x bench` has the operations built on it.
//!
//! Checked by: the SP 800-20 known-answer tables and the SP 800-67 TDEA example
//! (`tests/tests/des_vectors.rs`), a differential test against the `des` crate
//! (`tests/tests/des_differential.rs`), and Valgrind with key and data marked secret
//! (`tests/tests/des_ct.rs`).
mod tables;

use tables::{Group, PC1_C, PC1_D, PC2_K0, PC2_K1, P_ROT, SBOX_QUADS, SHIFTS};
use zeroize::Zeroize;

/// [`place`] over a constant table of rotation groups, given the list of its indices
/// (checked against the table's length when built), written out: Cortex-M release
/// builds (opt-level "s") keep `place`'s loop, which costs about three times as much,
/// and x86-64 release builds keep PC-2's (about 3,900 instructions per key schedule,
/// callgrind by hand). On the Cortex-M0 (Arm without Thumb-2) it is the loop: the written-out
/// form would cost more flash than the core's size target leaves, and the M0's DES is
/// well within its speed targets.
#[cfg(not(all(target_arch = "arm", not(kf_thumb2))))]
macro_rules! place_all {
    ($x:expr, $table:expr; $($i:literal)+) => {{
        const _: () = assert!($table.len() == [$($i),+].len());
        let x: u32 = $x;
        0 $(| (x.rotate_right($table[$i].0) & $table[$i].1))+
    }};
}
/// See the other definition.
#[cfg(all(target_arch = "arm", not(kf_thumb2)))]
macro_rules! place_all {
    ($x:expr, $table:expr; $($i:literal)+) => {{
        const _: () = assert!($table.len() == [$($i),+].len());
        place($x, &$table)
    }};
}

/// The 16 round keys of one DES key, each as two words in the layout of [`expand`].
pub(crate) struct RoundKeys([[u32; 2]; 16]);

impl RoundKeys {
    /// The key schedule of an 8-byte key (parity bits ignored).
    pub(crate) fn new(key: &[u8; 8]) -> Self {
        let mut rk = Self::zeroed();
        rk.rekey(key);
        rk
    }

    /// All round keys zero: storage for [`RoundKeys::rekey`].
    pub(crate) const fn zeroed() -> Self {
        Self([[0u32; 2]; 16])
    }

    /// The key schedule of `key` (parity bits ignored), written over this one in place.
    /// Never inlined: one copy of the (written-out) schedule code for every caller.
    #[inline(never)]
    pub(crate) fn rekey(&mut self, key: &[u8; 8]) {
        let (rk, [mut c, mut d]) = schedule(key);
        self.0 = rk;
        c.zeroize();
        d.zeroize();
    }

    /// The schedule of this key XOR the mask's key.
    pub(crate) fn xor_mask(&self, mask: &KeyMask) -> Self {
        let mut rk = Self([[0u32; 2]; 16]);
        for ((o, k), m) in rk.0.iter_mut().zip(self.0.iter()).zip(mask.0.iter()) {
            *o = [k[0] ^ m[0], k[1] ^ m[1]];
        }
        rk
    }
}

/// The key schedule of `key`: PC-1, then per round the public rotation and PC-2 into
/// the round-key layout. Returns the round keys, and C and D as they end (back where PC-1 put
/// them: the rotations add up to 28), for the caller to wipe. A `const fn`, so that
/// [`KeyMask`] computes the same schedule when the crate is built.
#[inline(always)]
const fn schedule(key: &[u8; 8]) -> ([[u32; 2]; 16], [u32; 2]) {
    let mut rk = [[0u32; 2]; 16];
    let (hi, lo) = halves(key);
    // C and D held in bits 31..4.
    let mut c = place(hi, &PC1_C.0) | place(lo, &PC1_C.1);
    let mut d = place(hi, &PC1_D.0) | place(lo, &PC1_D.1);
    let mut i = 0;
    while i < 16 {
        c = rotl28(c, SHIFTS[i]);
        d = rotl28(d, SHIFTS[i]);
        rk[i] = [
            place_all!(c, PC2_K0.0; 0 1 2 3 4 5 6 7 8 9 10 11 12)
                | place_all!(d, PC2_K0.1; 0 1 2 3 4 5 6 7 8 9 10 11),
            place_all!(c, PC2_K1.0; 0 1 2 3 4 5 6 7) | place_all!(d, PC2_K1.1; 0 1 2 3 4 5 6),
        ];
        i += 1;
    }
    (rk, [c, d])
}

/// The round keys of a constant key `mask` (parity bits ignored), computed when the
/// crate is built. The key schedule only copies key bits (PC-1, rotations, PC-2), so it
/// is linear: the schedule of `key ^ mask` is the schedule of `key` XOR this one
/// ([`RoundKeys::xor_mask`]), 32 XORs instead of a key schedule.
pub(crate) struct KeyMask([[u32; 2]; 16]);

impl KeyMask {
    /// The schedule of `mask` ([`schedule`], at build time for a constant).
    pub(crate) const fn new(mask: &[u8; 8]) -> Self {
        Self(schedule(mask).0)
    }
}

impl Drop for RoundKeys {
    fn drop(&mut self) {
        #[cfg(not(keyfort_no_wipe))]
        crate::secret::wipe(self.0.as_flattened_mut());
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

/// The block as (L0, R0) after IP: five swaps of bit groups between the two halves
/// (IP is a transposition of the block's 8x8 bit matrix with its rows reordered, and
/// swaps of 4, 16, 2, 8 and 1 bits at a time make it).
#[inline]
pub(crate) fn ip(block: &[u8; 8]) -> [u32; 2] {
    let (mut l, mut r) = halves(block);
    swap_bits(&mut l, &mut r, 4, 0x0f0f_0f0f);
    swap_bits(&mut l, &mut r, 16, 0x0000_ffff);
    swap_bits(&mut r, &mut l, 2, 0x3333_3333);
    swap_bits(&mut r, &mut l, 8, 0x00ff_00ff);
    swap_bits(&mut l, &mut r, 1, 0x5555_5555);
    [l, r]
}

/// IP⁻¹ of the pre-output `(R16, L16)` (as [`rounds`] leaves it) into `block`: the swaps
/// of [`ip`] (each undoes itself) in the reverse order.
#[inline]
pub(crate) fn fp(lr: [u32; 2], block: &mut [u8; 8]) {
    let [mut l, mut r] = lr;
    swap_bits(&mut l, &mut r, 1, 0x5555_5555);
    swap_bits(&mut r, &mut l, 8, 0x00ff_00ff);
    swap_bits(&mut r, &mut l, 2, 0x3333_3333);
    swap_bits(&mut l, &mut r, 16, 0x0000_ffff);
    swap_bits(&mut l, &mut r, 4, 0x0f0f_0f0f);
    let (a, b) = block.split_at_mut(4);
    a.copy_from_slice(&l.to_be_bytes());
    b.copy_from_slice(&r.to_be_bytes());
}

/// Swaps the bits of `b` in `mask` with the bits of `a` `n` places above them.
#[inline(always)]
fn swap_bits(a: &mut u32, b: &mut u32, n: u32, mask: u32) {
    let t = ((*a >> n) ^ *b) & mask;
    *b ^= t;
    *a ^= t << n;
}

/// Sixteen rounds on `(L, R)`, leaving `(L, R)` of the next pass (the halves swapped as
/// DES's last round leaves them, so that passes chain as TDES needs and [`fp`] takes
/// the result as it is).
#[inline(never)]
pub(crate) fn rounds(lr: &mut [u32; 2], keys: &RoundKeys, dir: Dir) {
    let [mut l, mut r] = *lr;
    let mut q = [0u32; 16];
    for i in 0..16 {
        let k = match dir {
            Dir::Encrypt => &keys.0[i],
            Dir::Decrypt => &keys.0[15 - i],
        };
        let t = r;
        r = l ^ permute_p(sboxes(&expand(r, k), &mut q));
        l = t;
    }
    q.zeroize();
    *lr = [r, l];
}

/// [`rounds`] on two blocks under two keys. Off 32-bit Arm, interleaved round by round:
/// the two chains are independent, so an out-of-order core overlaps them (TDES DUKPT's
/// derivations run their DES calls in such pairs; on x86-64 a host derivation took
/// about 18 % less time in a scratch timing run when this was written, not a committed
/// check; BENCH.md's host rows show the result). On 32-bit Arm (in-order cores, counted in instructions, with
/// too few registers for two rounds at once) one after the other.
#[cfg_attr(target_arch = "arm", inline(always))]
#[cfg_attr(not(target_arch = "arm"), inline(never))]
pub(crate) fn rounds_pair(
    a: &mut [u32; 2],
    ka: &RoundKeys,
    b: &mut [u32; 2],
    kb: &RoundKeys,
    dir: Dir,
) {
    if cfg!(target_arch = "arm") {
        rounds(a, ka, dir);
        rounds(b, kb, dir);
        return;
    }
    let [mut la, mut ra] = *a;
    let [mut lb, mut rb] = *b;
    let mut qa = [0u32; 16];
    let mut qb = [0u32; 16];
    for i in 0..16 {
        let j = match dir {
            Dir::Encrypt => i,
            Dir::Decrypt => 15 - i,
        };
        let fa = permute_p(sboxes(&expand(ra, &ka.0[j]), &mut qa));
        let fb = permute_p(sboxes(&expand(rb, &kb.0[j]), &mut qb));
        (la, ra) = (ra, la ^ fa);
        (lb, rb) = (rb, lb ^ fb);
    }
    qa.zeroize();
    qb.zeroize();
    *a = [ra, la];
    *b = [rb, lb];
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
/// `b1`. The first two levels run four words at a time (into `q`), the other four on
/// `q`. Each four words `w0..w3` (inputs differing in `b5 b6` only) are picked in
/// algebraic normal form, `w0 ^ (d & x6) ^ ((e ^ (f & x6)) & x5)`, with the constants of
/// [`SBOX_QUADS`]: six logic operations instead of the seven of three multiplexers.
#[inline(always)]
fn sboxes(x: &[u32; 6], q: &mut [u32; 16]) -> u32 {
    let [x1, x2, x3, x4, x5, x6] = *x;
    for (q, c) in q.iter_mut().zip(SBOX_QUADS.iter()) {
        let [w, d, e, f] = *c;
        *q = w ^ (d & x6) ^ ((e ^ (f & x6)) & x5);
    }
    let level = |a, b, c, d| mux(mux(a, b, x4), mux(c, d, x4), x3);
    let lo = mux(
        level(q[0], q[1], q[2], q[3]),
        level(q[4], q[5], q[6], q[7]),
        x2,
    );
    let hi = mux(
        level(q[8], q[9], q[10], q[11]),
        level(q[12], q[13], q[14], q[15]),
        x2,
    );
    mux(lo, hi, x1)
}

/// `b` where `m` is 1, `a` where it is 0.
#[inline(always)]
fn mux(a: u32, b: u32, m: u32) -> u32 {
    a ^ ((a ^ b) & m)
}

/// The permutation P (from the S-box words' layout) as rotations by public amounts and
/// constant masks.
#[inline(always)]
fn permute_p(x: u32) -> u32 {
    place_all!(x, P_ROT; 0 1 2 3 4 5 6 7)
}

/// The bits of `x` moved by rotation groups: the OR of `x.rotate_right(r) & mask`.
#[inline(always)]
const fn place(x: u32, groups: &[Group]) -> u32 {
    let mut acc = 0;
    let mut i = 0;
    while i < groups.len() {
        let (r, m) = groups[i];
        acc |= x.rotate_right(r) & m;
        i += 1;
    }
    acc
}

/// Rotates a 28-bit value held in bits 31..4 left by `s` (1 or 2, public).
#[inline(always)]
const fn rotl28(x: u32, s: u8) -> u32 {
    let s = s as u32;
    (x << s) | ((x >> (28 - s)) & 0xF0)
}

/// The two big-endian words of 8 bytes.
#[inline(always)]
const fn halves(b: &[u8; 8]) -> (u32, u32) {
    (
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
    )
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

    /// IP by its definition: output bit `i + 1` is input bit `IP[i]`.
    fn ip_by_table(block: &[u8; 8]) -> [u32; 2] {
        let x = u64::from_be_bytes(*block);
        let out = tables::IP.iter().fold(0u64, |acc, &n| {
            (acc << 1) | ((x >> (64 - u32::from(n))) & 1)
        });
        let b = out.to_be_bytes();
        let (hi, lo) = halves(&b);
        [hi, lo]
    }

    #[test]
    fn ip_is_the_standards_table() {
        let mut b = [0x5a, 0x01, 0xf3, 0x96, 0x2c, 0x80, 0x7e, 0x41];
        for i in 0..64u32 {
            assert_eq!(ip(&b), ip_by_table(&b));
            // One set bit at a time, then a running mix.
            let one = (1u64 << i).to_be_bytes();
            assert_eq!(ip(&one), ip_by_table(&one));
            let x = u64::from_be_bytes(b).rotate_left(7) ^ 0x9e37_79b9_7f4a_7c15;
            b = x.to_be_bytes();
        }
    }

    #[test]
    fn p_has_8_rotation_groups_covering_every_bit() {
        let all = P_ROT.iter().fold(0u32, |acc, &(_, m)| {
            assert_eq!(acc & m, 0);
            acc | m
        });
        assert_eq!(all, u32::MAX);
    }

    #[test]
    fn the_schedule_is_linear_and_the_const_one_agrees() {
        let mut key = [0x13u8, 0x34, 0x57, 0x79, 0x9b, 0xbc, 0xdf, 0xf1];
        let mask = [0xC0u8, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0];
        for _ in 0..32 {
            let mut masked = key;
            for (k, m) in masked.iter_mut().zip(mask.iter()) {
                *k ^= m;
            }
            assert_eq!(KeyMask::new(&key).0, RoundKeys::new(&key).0);
            assert_eq!(
                RoundKeys::new(&key).xor_mask(&KeyMask::new(&mask)).0,
                RoundKeys::new(&masked).0
            );
            key = u64::from_be_bytes(key)
                .rotate_left(13)
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .to_be_bytes();
        }
    }

    #[test]
    fn round_keys_fill_exactly_the_layout() {
        // Word 0 uses every bit; word 1 the top and bottom bit of each nibble.
        let k = RoundKeys::new(&[0xFF; 8]);
        for w in k.0 {
            assert_eq!(w, [u32::MAX, 0x9999_9999]);
        }
    }
}
