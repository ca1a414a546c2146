//! The masks that keep a terminal's registers out of RAM in the clear between
//! transactions.
//!
//! Between transactions a terminal holds each register as `key ^ mask` (share one, in its
//! state buffer) and a 16-byte mask key (share two, compressed): the mask of register `i`
//! is the AES-128 keystream `AES(mask key, i || block || 0)` (32-bit big-endian fields)
//! over the register's key bytes. Neither share alone says anything about a register. A transaction (or a
//! state export) XORs the masks out in place, works on the plain registers, then moves
//! the mask key on and XORs the new masks in, so the shares in RAM change on every use
//! (a long-held value does not imprint into SRAM; a RAM scan for a register finds
//! nothing: `./x test memscan`, live-terminal scan).
//!
//! The mask key is a DRBG the terminal holds, so that the terminal API needs no RNG:
//! seeded from secret register material at construction (a one-way AES step, so the
//! seed tells nothing about the register), ratcheted by one AES step on every use
//! (`key' = AES(key, RATCHET)`), and [`RegisterMask::mix`] folds in fresh random bytes
//! where the caller has an RNG. Masking is XOR only: constant time, no heap.
//!
//! A full RAM dump still holds both shares (as with [`crate::secret::Masked`]): masking
//! is against scans, partial dumps and remanence, not against an attacker who reads all
//! of RAM and knows this layout.
//!
//! (The test-only `--cfg keyfort_no_wipe` turns masking off, so the memory-scan test can show
//! that it finds registers held in the clear.)
use crate::block::Aes;
use crate::secret::Secret;

/// Domain of the seeding step.
const SEED: [u8; 16] = *b"keyfort/dukpt/m0";
/// Domain of the ratchet step.
const RATCHET: [u8; 16] = *b"keyfort/dukpt/m+";

/// Share two of a terminal's registers: the key of their mask stream. Wiped on drop.
pub(crate) struct RegisterMask {
    key: Secret<16>,
}

impl RegisterMask {
    /// A mask key from `seed`, secret bytes of the terminal (its first 16 are used; a
    /// shorter seed is zero-padded): `AES(seed, SEED)`.
    pub(crate) fn seeded(seed: &[u8]) -> Self {
        let mut k = Secret::<16>::zero();
        for (d, s) in k.expose_mut().iter_mut().zip(seed) {
            *d = *s;
        }
        let mut m = Self {
            key: Secret::new(SEED),
        };
        m.step(&k);
        m
    }

    /// `key = AES(with, key)`.
    fn step(&mut self, with: &Secret<16>) {
        // A 16-byte key: `Aes::new` cannot fail.
        if let Ok(aes) = Aes::new(with.expose()) {
            aes.encrypt(self.key.expose_mut());
        }
    }

    /// Moves the mask key on by one one-way step (call between unmasking and masking).
    pub(crate) fn ratchet(&mut self) {
        let mut k = Secret::<16>::new(RATCHET);
        core::mem::swap(&mut k, &mut self.key);
        // Now `self.key` = RATCHET, `k` = the old key: key' = AES(old, RATCHET).
        self.step(&k);
    }

    /// Folds fresh random bytes into the mask key (call between unmasking and masking).
    pub(crate) fn mix(&mut self, fresh: &[u8; 16]) {
        for (k, f) in self.key.expose_mut().iter_mut().zip(fresh) {
            *k ^= f;
        }
        self.ratchet();
    }

    /// XORs the masks into (or out of) the first `key_len` bytes of every `slot`-byte
    /// register in `regs`. Its own inverse.
    pub(crate) fn apply(&self, regs: &mut [u8], slot: usize, key_len: usize) {
        #[cfg(not(keyfort_no_wipe))]
        if let Ok(aes) = Aes::new(self.key.expose()) {
            xor_registers(&aes, regs, slot, key_len);
        }
        #[cfg(keyfort_no_wipe)]
        let _ = (regs, slot, key_len);
    }

    /// XORs register `index`'s mask into (or out of) `reg` (its key bytes).
    pub(crate) fn apply_one(&self, index: usize, reg: &mut [u8]) {
        #[cfg(not(keyfort_no_wipe))]
        if let Ok(aes) = Aes::new(self.key.expose()) {
            xor_register(&aes, index, reg);
        }
        #[cfg(keyfort_no_wipe)]
        let _ = (index, reg);
    }
}

/// The counter block of register `index`'s mask block `b`: `index || b || 0`.
#[cfg(not(keyfort_no_wipe))]
fn counter_block(index: usize, b: usize) -> Secret<16> {
    let mut ks = Secret::<16>::zero();
    let blk = ks.expose_mut();
    blk[0..4].copy_from_slice(&u32::try_from(index).unwrap_or(u32::MAX).to_be_bytes());
    blk[4..8].copy_from_slice(&u32::try_from(b).unwrap_or(u32::MAX).to_be_bytes());
    ks
}

/// `part ^= keystream` (up to 16 bytes).
#[cfg(not(keyfort_no_wipe))]
fn xor_into(part: &mut [u8], ks: &Secret<16>) {
    for (p, k) in part.iter_mut().zip(ks.expose()) {
        *p ^= k;
    }
}

/// XORs the mask stream of register `index` into `reg`.
#[cfg(not(keyfort_no_wipe))]
fn xor_register(aes: &Aes, index: usize, reg: &mut [u8]) {
    for (b, part) in reg.chunks_mut(16).enumerate() {
        let mut ks = counter_block(index, b);
        aes.encrypt(ks.expose_mut());
        xor_into(part, &ks);
    }
}

/// [`xor_register`] over the first `key_len` bytes of every `slot`-byte register of
/// `regs`, the same keystream, its independent blocks two per call (`Aes::encrypt2`: two
/// blocks cost about one on the fixsliced AES).
#[cfg(not(keyfort_no_wipe))]
fn xor_registers(aes: &Aes, regs: &mut [u8], slot: usize, key_len: usize) {
    let mut pending: Option<(&mut [u8], Secret<16>)> = None;
    for (i, reg) in regs.chunks_exact_mut(slot).enumerate() {
        let key = reg.get_mut(..key_len).unwrap_or(&mut []);
        for (b, part) in key.chunks_mut(16).enumerate() {
            let mut ks = counter_block(i, b);
            match pending.take() {
                None => pending = Some((part, ks)),
                Some((first, mut ks0)) => {
                    aes.encrypt2(ks0.expose_mut(), ks.expose_mut());
                    xor_into(first, &ks0);
                    xor_into(part, &ks);
                }
            }
        }
    }
    if let Some((last, mut ks)) = pending {
        aes.encrypt(ks.expose_mut());
        xor_into(last, &ks);
    }
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
    #[cfg(not(keyfort_no_wipe))]
    fn paired_blocks_give_each_register_its_own_mask() {
        // `apply` (blocks two per call, pairs crossing register boundaries) against
        // `apply_one` per register (one block per call), for every key length, an odd and
        // an even number of registers, and a slot wider than the key.
        let m = RegisterMask::seeded(&[9; 16]);
        for (slot, key_len) in [(16, 16), (32, 24), (32, 32), (40, 24)] {
            for n in [1usize, 2, 3, 32] {
                let plain: [u8; 32 * 40] =
                    core::array::from_fn(|i| u8::try_from(i & 0xff).unwrap().wrapping_mul(7));
                let regs = &plain[..n * slot];
                let mut all = [0u8; 32 * 40];
                all[..n * slot].copy_from_slice(regs);
                m.apply(&mut all[..n * slot], slot, key_len);
                for (i, (got, p)) in all.chunks(slot).zip(regs.chunks(slot)).enumerate() {
                    let mut one = [0u8; 40];
                    one[..slot].copy_from_slice(p);
                    m.apply_one(i, &mut one[..key_len]);
                    assert_eq!(
                        got,
                        &one[..slot],
                        "slot {slot}, key {key_len}, reg {i} of {n}"
                    );
                }
            }
        }
    }

    #[test]
    #[cfg(not(keyfort_no_wipe))]
    fn masks_are_their_own_inverse_and_change_with_the_ratchet() {
        let plain: [u8; 64] = core::array::from_fn(|i| u8::try_from(i).unwrap());
        let mut m = RegisterMask::seeded(&[7; 16]);
        let mut regs = plain;
        m.apply(&mut regs, 32, 24);
        // Each register's key bytes masked (a mask byte may be zero: compare whole
        // registers), the unused tail of each slot untouched.
        for (r, p) in regs.chunks(32).zip(plain.chunks(32)) {
            assert_ne!(r[..24], p[..24]);
            assert_eq!(r[24..], p[24..]);
        }
        let first = regs;
        let mut one = [0u8; 24];
        one.copy_from_slice(&regs[32..56]);
        m.apply_one(1, &mut one);
        assert_eq!(one, plain[32..56]);
        m.apply(&mut regs, 32, 24);
        assert_eq!(regs, plain);
        m.ratchet();
        m.apply(&mut regs, 32, 24);
        assert_ne!(regs[..24], first[..24]);
        assert_ne!(regs[32..56], first[32..56]);
        m.mix(&[1; 16]);
        let mut again = plain;
        m.apply(&mut again, 32, 24);
        assert_ne!(again[..24], regs[..24]);
    }
}
