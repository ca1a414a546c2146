//! The masks that keep a terminal's registers out of RAM in the clear between
//! transactions.
//!
//! Between transactions a terminal holds each register in use as `key ^ mask` (share one,
//! in its state buffer) and a 16-byte mask key (share two, [`RegisterMask`]). Neither
//! share alone says anything about a register (a RAM scan for a register finds nothing:
//! `./x test memscan`, live-terminal scan, with a masking-off build it must catch).
//!
//! # Which mask a register gets
//! Register `i` of a terminal holds the key of the counter "bits of the next counter above
//! `i`, plus bit `i`" (`dukpt::counter`); call the part above `i` the register's *parent*
//! (the counter whose transaction wrote it; 0 right after the load). The registers that
//! one transaction writes (or the load) all have the same parent, so they take their
//! masks from one stream: register `i`'s mask is bytes `i * key_len ..` of the keystream
//! `PRF(mask key, parent, block)`, where `block` counts the stream's 64-byte blocks. So
//! - a transaction computes only the one or two blocks it touches: one for the register
//!   it uses (unmasked in its slot, which the transaction then erases), and the first blocks of its
//!   parent's stream for the registers it writes (about one register per transaction);
//!   the other registers keep their masked bytes untouched;
//! - a register that is written again gets a fresh mask: its new parent is a later
//!   counter than any parent it had before (counters only grow), so the stream is new;
//! - the load masks all registers from one stream: 8 blocks for 32 AES-128 registers
//!   (16 for AES-256, 6 for the 21 TDES registers), not one block per register.
//!
//! The mask key changes (and every register is masked anew) when the whole state is used
//! in the clear: [`RegisterMask::ratchet`] after `with_state`, [`RegisterMask::mix`] with
//! fresh random bytes in the terminals' `remask(rng)`. The per-transaction path does not
//! re-randomise the registers it does not touch: a product that fears SRAM imprinting
//! of long-held shares calls `remask` now and then (it costs one pass over all
//! registers).
//!
//! # The PRF: ChaCha8, as a keystream for masks
//! A 16-byte-key ChaCha block function (the "expand 16-byte k" constants, the key in
//! words 4-7 and 8-11) with 8 rounds (4 double rounds), written here: words 12-15 are
//! the block number, the parent counter, a domain word and zero. It is add-rotate-XOR
//! only (no table, no secret-dependent branch or address: constant time by construction;
//! `./x test ct-data` traces the terminals' rows with equal instruction and data addresses
//! for different keys, and `tests/tests/des_ct.rs` runs the TDES terminal under valgrind
//! with its keys undefined) and costs about 550 Cortex-M3 instructions a block (4 double
//! rounds of about 110 instructions in the M3 bench build's disassembly); the fixsliced
//! AES as the PRF would cost a 6,300-instruction key schedule plus 2,500 per two blocks.
//!
//! # Cost
//! The whole rows are in BENCH.md ("Other operations on target"); what the masks add to
//! them, measured by hand:
//! - On the Cortex-M3, by skipping the XOR (`./x bench --board mps2-an385`): a
//!   transaction about 1,000 instructions (one block to unmask the register it uses, one
//!   more on the half of the transactions that write registers), the AES-128 load about
//!   7,000 (8 blocks), the AES-256 load about 12,500 (16 blocks).
//! - On the Cortex-M0, from an instruction profile of a QEMU trace of the AES-256 load
//!   (`-singlestep -d exec`, counted per symbol): about 1,130 instructions a PRF block
//!   (19,100 for the load's 17 calls) and 4,400 to XOR the registers' 256 words. The
//!   terminal's state is word-typed (`secret::SecretWords`), so a masked word is one
//!   load, XOR and store (6 instructions a word in the loop); on a byte array, whose
//!   alignment the compiler does not know, the M0 (no unaligned access) took 22.
//!
//! Eight rounds, not twenty: this is a masking PRF, not an encryption key. Its output is
//! never sent anywhere; an attacker only sees it XORed into a register if they read RAM,
//! and to use it they must predict masks from other masks. Published key-recovery
//! attacks on ChaCha reach 7 rounds with a 256-bit key and 6 with a 128-bit key (from
//! Aumasson et al., "New Features of Latin Dances", 2008, on), far beyond practical work
//! and needing many outputs for chosen inputs; none reaches 8 rounds (Aumasson, "Too
//! Much Crypto", 2019, proposes 8 rounds for ChaCha in general).
//!
//! The mask key is seeded from secret register material at construction (a one-way PRF
//! call, so the seed says nothing about the register), so the terminal API needs no RNG.
//!
//! A full RAM dump still holds both shares (as with [`crate::secret::Masked`]): masking
//! is against scans, partial dumps and remanence, not against an attacker who reads all
//! of RAM and knows this layout.
//!
//! (The test-only `--cfg keyfort_no_wipe` turns masking off, so the memory-scan test can
//! show that it finds registers held in the clear.)
use crate::secret::Secret;
use zeroize::Zeroize;

/// "expand 16-byte k": ChaCha's constants for a 16-byte key.
const TAU: [u32; 4] = [0x6170_7865, 0x3120_646e, 0x7962_2d36, 0x6b20_6574];
/// Double rounds of the PRF (ChaCha8: see the module docs).
const DOUBLE_ROUNDS: usize = 4;
/// Domain words (word 14) of the three uses of the PRF.
// (The no-wipe build, which does not mask, leaves the mask stream's own items unused.)
#[cfg_attr(keyfort_no_wipe, allow(dead_code))]
const DOMAIN_MASK: u32 = u32::from_le_bytes(*b"mask");
const DOMAIN_SEED: u32 = u32::from_le_bytes(*b"seed");
const DOMAIN_NEXT: u32 = u32::from_le_bytes(*b"next");
/// Bytes of one PRF block.
#[cfg_attr(keyfort_no_wipe, allow(dead_code))]
const BLOCK: usize = 64;
/// One PRF block as little-endian words.
type Block = [u32; 16];

/// Share two of a terminal's registers: the key of their mask streams. Wiped on drop.
pub(crate) struct RegisterMask {
    key: Secret<16>,
}

impl RegisterMask {
    /// A placeholder mask key (all zero) for a terminal under construction, replaced by
    /// [`RegisterMask::seeded`] before anything is masked.
    pub(crate) fn unset() -> Self {
        Self {
            key: Secret::zero(),
        }
    }

    /// A mask key from `seed`, secret bytes of the terminal (its first 16 are used; a
    /// shorter seed is zero-padded): `PRF(seed, SEED)`, one way.
    pub(crate) fn seeded(seed: &[u8]) -> Self {
        let mut m = Self::unset();
        m.reseed(seed);
        m
    }

    /// Replaces the mask key by [`RegisterMask::seeded`]`(seed)`'s, in place.
    pub(crate) fn reseed(&mut self, seed: &[u8]) {
        let mut k = [0u8; 16];
        for (d, s) in k.iter_mut().zip(seed) {
            *d = *s;
        }
        let mut out = [0u32; 16];
        prf(&k, 0, 0, DOMAIN_SEED, &mut out);
        set_key(&mut self.key, &out);
        k.zeroize();
        out.zeroize();
    }

    /// Moves the mask key on by one one-way step, `key' = PRF(key, NEXT)` (call between
    /// unmasking and masking all registers).
    pub(crate) fn ratchet(&mut self) {
        let mut out = [0u32; 16];
        prf(self.key.expose(), 0, 0, DOMAIN_NEXT, &mut out);
        set_key(&mut self.key, &out);
        out.zeroize();
    }

    /// Folds fresh random bytes into the mask key (call between unmasking and masking
    /// all registers).
    pub(crate) fn mix(&mut self, fresh: &[u8; 16]) {
        for (k, f) in self.key.expose_mut().iter_mut().zip(fresh) {
            *k ^= f;
        }
        self.ratchet();
    }

    /// A reader of the mask streams under this key (it keeps the last block it computed).
    pub(crate) fn stream(&self) -> MaskStream<'_> {
        MaskStream {
            key: self.key.expose(),
            at: None,
            block: [0; 16],
        }
    }
}

/// The mask streams of one mask key, read register by register; keeps the last 64-byte
/// block, so registers of one parent that share a block cost one PRF call. Wiped on drop.
#[cfg_attr(keyfort_no_wipe, allow(dead_code))]
pub(crate) struct MaskStream<'k> {
    key: &'k [u8; 16],
    /// (parent, block number) of `block`, if computed.
    at: Option<(u32, u32)>,
    block: Block,
}

impl MaskStream<'_> {
    /// XORs the mask of register `index` (`key_len` bytes each) of parent `parent` into
    /// (or out of) `reg`, its first `reg.len()` key bytes. Its own inverse.
    #[inline]
    pub(crate) fn apply(&mut self, parent: u32, index: usize, key_len: usize, reg: &mut [u8]) {
        self.xor(parent, index * key_len, reg);
    }

    /// [`MaskStream::apply`] for a register held as words (`key_len` a multiple of 4; the
    /// words' bytes in memory order are the register's bytes): one XOR a word.
    #[inline]
    pub(crate) fn apply_words(
        &mut self,
        parent: u32,
        index: usize,
        key_len: usize,
        reg: &mut [u32],
    ) {
        self.xor_words(parent, (index * key_len) >> 2, reg);
    }

    /// The stream block `n` of parent `parent` (computed unless it is the one kept).
    #[cfg(not(keyfort_no_wipe))]
    fn block(&mut self, parent: u32, n: usize) -> &Block {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        if self.at != Some((parent, n)) {
            prf(self.key, n, parent, DOMAIN_MASK, &mut self.block);
            self.at = Some((parent, n));
        }
        &self.block
    }

    /// XORs bytes `pos..pos + bytes.len()` of parent `parent`'s stream into `bytes`.
    pub(crate) fn xor(&mut self, parent: u32, pos: usize, bytes: &mut [u8]) {
        #[cfg(not(keyfort_no_wipe))]
        {
            let (mut pos, mut rest) = (pos, bytes);
            while !rest.is_empty() {
                let block = self.block(parent, pos >> 6);
                let from = pos & (BLOCK - 1);
                let take = (BLOCK - from).min(rest.len());
                let (now, later) = core::mem::take(&mut rest).split_at_mut(take);
                xor_bytes(now, block, from);
                pos += take;
                rest = later;
            }
        }
        #[cfg(keyfort_no_wipe)]
        let _ = (parent, pos, bytes);
    }

    /// XORs words `at..at + words.len()` of parent `parent`'s stream (its bytes `4 * at`
    /// on) into `words`, each a word of four stream bytes in memory order.
    pub(crate) fn xor_words(&mut self, parent: u32, at: usize, words: &mut [u32]) {
        #[cfg(not(keyfort_no_wipe))]
        {
            const BLOCK_WORDS: usize = BLOCK >> 2; // 16
            let (mut at, mut rest) = (at, words);
            while !rest.is_empty() {
                let block = self.block(parent, at >> 4);
                let from = at & (BLOCK_WORDS - 1);
                let take = (BLOCK_WORDS - from).min(rest.len());
                let (now, later) = core::mem::take(&mut rest).split_at_mut(take);
                for (d, w) in now.iter_mut().zip(block.get(from..).unwrap_or(&[])) {
                    // The stream's bytes are its words' little-endian bytes.
                    *d ^= w.to_le();
                }
                at += take;
                rest = later;
            }
        }
        #[cfg(keyfort_no_wipe)]
        let _ = (parent, at, words);
    }
}

impl Drop for MaskStream<'_> {
    fn drop(&mut self) {
        self.block.zeroize();
    }
}

/// `dst ^= ` bytes `from..` of `block` (little-endian words), a word at a time where
/// `from` is word-aligned (always, for registers of 16, 24 or 32 bytes).
#[cfg(not(keyfort_no_wipe))]
fn xor_bytes(dst: &mut [u8], block: &Block, from: usize) {
    let byte = |i: usize| -> u8 {
        let w = block.get(i >> 2).copied().unwrap_or(0);
        // The byte of a little-endian word (a public position).
        w.to_le_bytes().get(i & 3).copied().unwrap_or(0)
    };
    if from & 3 != 0 {
        for (i, d) in dst.iter_mut().enumerate() {
            *d ^= byte(from + i);
        }
        return;
    }
    let done = dst.len() & !3;
    let mut words = dst.chunks_exact_mut(4);
    for (d, w) in (&mut words).zip(block.iter().skip(from >> 2)) {
        let x = u32::from_le_bytes([d[0], d[1], d[2], d[3]]) ^ w;
        d.copy_from_slice(&x.to_le_bytes());
    }
    for (i, d) in words.into_remainder().iter_mut().enumerate() {
        *d ^= byte(from + done + i);
    }
}

/// The mask key from the first four words of a PRF block.
fn set_key(key: &mut Secret<16>, block: &Block) {
    for (k, w) in key.expose_mut().chunks_exact_mut(4).zip(block) {
        k.copy_from_slice(&w.to_le_bytes());
    }
}

/// One block of the PRF: ChaCha8 with the 16-byte `key`, words 12-15 = `block`,
/// `nonce`, `domain`, 0; the 16 output words into `out` (the stream's bytes are their
/// little-endian bytes).
fn prf(key: &[u8; 16], block: u32, nonce: u32, domain: u32, out: &mut Block) {
    let k = |i: usize| -> u32 {
        let c = key.get(4 * i..4 * i + 4).unwrap_or(&[0; 4]);
        u32::from_le_bytes([c[0], c[1], c[2], c[3]])
    };
    *out = [
        TAU[0],
        TAU[1],
        TAU[2],
        TAU[3],
        k(0),
        k(1),
        k(2),
        k(3),
        k(0),
        k(1),
        k(2),
        k(3),
        block,
        nonce,
        domain,
        0,
    ];
    for _ in 0..DOUBLE_ROUNDS {
        double_round(out);
    }
    // Feed the input forward (what makes the permutation one way); the key words are
    // read again rather than kept in a second array.
    let input = [TAU[0], TAU[1], TAU[2], TAU[3]];
    for (o, i) in out.iter_mut().zip(input) {
        *o = o.wrapping_add(i);
    }
    for i in 0..4 {
        let w = k(i);
        out[4 + i] = out[4 + i].wrapping_add(w);
        out[8 + i] = out[8 + i].wrapping_add(w);
    }
    out[12] = out[12].wrapping_add(block);
    out[13] = out[13].wrapping_add(nonce);
    out[14] = out[14].wrapping_add(domain);
}

/// ChaCha's double round: a column round, then a diagonal round.
#[inline(always)]
fn double_round(s: &mut Block) {
    quarter(s, 0, 4, 8, 12);
    quarter(s, 1, 5, 9, 13);
    quarter(s, 2, 6, 10, 14);
    quarter(s, 3, 7, 11, 15);
    quarter(s, 0, 5, 10, 15);
    quarter(s, 1, 6, 11, 12);
    quarter(s, 2, 7, 8, 13);
    quarter(s, 3, 4, 9, 14);
}

/// ChaCha's quarter round on words `a`, `b`, `c`, `d` of `s`.
#[inline(always)]
fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

impl core::fmt::Debug for RegisterMask {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RegisterMask(..)")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn chacha_core_matches_rfc_7539_quarter_round_and_structure() {
        // RFC 7539 2.1.1 quarter-round test vector.
        let mut s = [0u32; 16];
        s[0] = 0x1111_1111;
        s[1] = 0x0102_0304;
        s[2] = 0x9b8d_6f43;
        s[3] = 0x0123_4567;
        quarter(&mut s, 0, 1, 2, 3);
        assert_eq!(s[..4], [0xea2a_92f4, 0xcb1c_f8ce, 0x4581_472e, 0x5881_c4bb]);
        // RFC 7539 2.3.2: the ChaCha20 block function (10 double rounds, 32-byte key
        // 00..1f, counter 1, nonce 00:00:00:09:00:00:00:4a:00:00:00:00), state after
        // the feed-forward.
        let input: Block = [
            0x6170_7865,
            0x3320_646e,
            0x7962_2d32,
            0x6b20_6574,
            0x0302_0100,
            0x0706_0504,
            0x0b0a_0908,
            0x0f0e_0d0c,
            0x1312_1110,
            0x1716_1514,
            0x1b1a_1918,
            0x1f1e_1d1c,
            0x0000_0001,
            0x0900_0000,
            0x4a00_0000,
            0x0000_0000,
        ];
        let mut s = input;
        for _ in 0..10 {
            double_round(&mut s);
        }
        for (w, i) in s.iter_mut().zip(input) {
            *w = w.wrapping_add(i);
        }
        assert_eq!(
            s,
            [
                0xe4e7_f110,
                0x1559_3bd1,
                0x1fdd_0f50,
                0xc471_20a3,
                0xc7f4_d1c7,
                0x0368_c033,
                0x9aaa_2204,
                0x4e6c_d4c3,
                0x4664_82d2,
                0x09aa_9f07,
                0x05d7_c214,
                0xa202_8bd9,
                0xd19c_12b5,
                0xb94e_16de,
                0xe883_d0cb,
                0x4e3c_50a2,
            ]
        );
        // Output = permutation + input: an all-zero key does not give a zero block, and
        // every input word (block, nonce, domain) changes the output.
        let mut a = [0u32; 16];
        prf(&[0; 16], 0, 0, DOMAIN_MASK, &mut a);
        assert_ne!(a, [0; 16]);
        for (blk, nonce, dom) in [
            (1, 0, DOMAIN_MASK),
            (0, 1, DOMAIN_MASK),
            (0, 0, DOMAIN_SEED),
        ] {
            let mut b = [0u32; 16];
            prf(&[0; 16], blk, nonce, dom, &mut b);
            assert_ne!(a, b, "{blk} {nonce} {dom:x}");
        }
    }

    /// The masks of `n` registers of parent `parent`, `key_len` bytes each.
    #[cfg(not(keyfort_no_wipe))]
    fn masks(m: &RegisterMask, parent: u32, n: usize, key_len: usize) -> [[u8; 32]; 32] {
        let mut out = [[0u8; 32]; 32];
        let mut s = m.stream();
        for (i, r) in out.iter_mut().enumerate().take(n) {
            s.apply(parent, i, key_len, &mut r[..key_len]);
        }
        out
    }

    #[test]
    #[cfg(not(keyfort_no_wipe))]
    fn masks_differ_per_register_and_per_write() {
        let m = RegisterMask::seeded(&[7; 16]);
        for key_len in [16, 24, 32] {
            let a = masks(&m, 0, 32, key_len);
            let b = masks(&m, 4, 32, key_len);
            for i in 0..32 {
                // Not zero, not the same for two registers, not the same after a rewrite
                // (a new parent): a constant or all-zero mask fails here.
                assert_ne!(a[i][..key_len], [0; 32][..key_len], "{key_len} {i}");
                assert_ne!(a[i][..key_len], b[i][..key_len], "{key_len} {i}");
                for j in 0..i {
                    assert_ne!(a[i][..key_len], a[j][..key_len], "{key_len} {i} {j}");
                }
            }
        }
        // Another mask key (seed, ratchet, mix) gives other masks.
        let a = masks(&m, 0, 2, 16);
        let other = RegisterMask::seeded(&[8; 16]);
        assert_ne!(masks(&other, 0, 2, 16), a);
        let mut r = RegisterMask::seeded(&[7; 16]);
        assert_eq!(masks(&r, 0, 2, 16), a);
        r.ratchet();
        assert_ne!(masks(&r, 0, 2, 16), a);
        let ratcheted = masks(&r, 0, 2, 16);
        r.mix(&[1; 16]);
        assert_ne!(masks(&r, 0, 2, 16), ratcheted);
    }

    #[test]
    #[cfg(not(keyfort_no_wipe))]
    fn masking_is_its_own_inverse_and_a_stream_is_read_anywhere() {
        let m = RegisterMask::seeded(&[9; 16]);
        let plain: [u8; 24] = core::array::from_fn(|i| u8::try_from(i).unwrap());
        for i in [0usize, 1, 2, 5, 31] {
            let mut r = plain;
            m.stream().apply(3, i, 24, &mut r);
            assert_ne!(r, plain);
            // A fresh stream (no cached block), and one that last read another block.
            let mut s = m.stream();
            s.apply(3, 31 - i, 24, &mut [0; 24]);
            s.apply(3, i, 24, &mut r);
            assert_eq!(r, plain, "register {i}");
        }
        // A register's mask read in odd pieces (as a persister reads a state range by
        // range) is the same mask.
        let mut whole = [0u8; 24];
        m.stream().apply(3, 2, 24, &mut whole);
        let mut pieces = [0u8; 24];
        let mut s = m.stream();
        for (from, to) in [(0, 5), (5, 12), (12, 13), (13, 24)] {
            s.xor(3, 48 + from, &mut pieces[from..to]);
        }
        assert_eq!(pieces, whole);
        // Register by register equals one pass over consecutive registers: the stream
        // is one keystream of the parent (AES-192 registers straddle blocks).
        let whole = masks(&m, 3, 32, 24);
        let mut s = m.stream();
        for (i, w) in whole.iter().enumerate().rev() {
            let mut one = [0u8; 24];
            s.apply(3, i, 24, &mut one);
            assert_eq!(one, w[..24]);
        }
    }
}
