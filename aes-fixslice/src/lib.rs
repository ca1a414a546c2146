//! Constant-time AES-128/192/256 for small cores: a fully fixsliced bitsliced AES
//! (Adomnicai and Peyrin, "Fixslicing AES-like ciphers", TCHES 2021/1), as hand-scheduled
//! Thumb-2 assembly on ARMv7-M and ARMv8-M Mainline (Cortex-M3/M4/M7/M33) and as portable
//! Rust everywhere else (the same algorithm and round-key format; the assembly's reference
//! model).
//!
//! ```
//! use keyfort_aes::Aes;
//!
//! // FIPS-197 Appendix C.1
//! let key: [u8; 16] = core::array::from_fn(|i| i as u8);
//! let aes = Aes::new(&key)?;
//! let mut block = *b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff";
//! aes.encrypt(&mut block);
//! assert_eq!(block[..4], [0x69, 0xc4, 0xe0, 0xd8]);
//! aes.decrypt(&mut block);
//! assert_eq!(block[0], 0x00);
//! # Ok::<(), keyfort_aes::BadKeyLength>(())
//! ```
//!
//! # What is protected, what is not
//! - Timing and cache: no branch, memory address or division depends on the key or the
//!   data (bitsliced S-box, no tables); only the key length steers the code. On the
//!   assembly this is checked by tracing executed instruction addresses (keyfort's
//!   `ct-trace` step).
//! - Key material in RAM: the round keys are wiped when an [`Aes`] is dropped, and the
//!   portable code wipes its working copies (state, expanded key words). The assembly
//!   leaves intermediate values in its 80-byte stack frame below the caller's stack
//!   pointer; scrub the stack after use if that matters (keyfort's `block::Aes` does when
//!   it drops a key schedule).
//! - Not protected: power and electromagnetic analysis (no masking), fault injection
//!   (no redundancy), and a copy of an [`Aes`] the compiler leaves behind when the value
//!   is moved (a holder that must not be moved into expands its key in place:
//!   [`Aes::zeroed`], then [`Aes::rekey`]).
//!
//! Two independent blocks under one key cost what one block costs
//! ([`Aes::encrypt2`] / [`Aes::decrypt2`]): the 32-bit fixsliced state holds two blocks.
//!
//! On x86-64, [`lanes`] runs AES-128 on AES-NI in independent lanes, each block under
//! its own key expanded on the fly: for chains where every block has a new key.
//!
//! [`Aes128`], [`Aes192`] and [`Aes256`] implement the RustCrypto `cipher` 0.5
//! block-cipher traits, so the RustCrypto modes (`cbc`, `ctr`, `cmac`, ...) run on this
//! AES (see [`cipher_traits`]; `tests/cipher_traits.rs` checks CBC, CTR and CMAC on it
//! against the `aes` crate).
#![no_std]
#![deny(clippy::integer_division_remainder_used)]

#[cfg(kf_armv7m)]
mod armv7m;
pub mod cipher_traits;
#[cfg(target_arch = "x86_64")]
pub mod lanes;
mod model;
mod sbox;

pub use cipher_traits::{Aes128, Aes192, Aes256};
use model::RK_WORDS;

/// The key given to [`Aes::new`] is not 16, 24 or 32 bytes long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadKeyLength;

/// The round count. An enum, not a `usize`: its unused values are a niche, so a
/// `Result<Aes, E>` with a small `E` (as keyfort's wrappers return) stays 484 bytes,
/// word-aligned, and moves with word copies instead of a byte-wise copy at an odd offset.
#[derive(Clone, Copy)]
#[repr(u32)]
enum Rounds {
    R10 = 10,
    R12 = 12,
    R14 = 14,
}

impl Rounds {
    /// The round count of a key of `len` bytes (16, 24 or 32; `None` for any other).
    #[inline(always)]
    fn of_key_len(len: usize) -> Option<Self> {
        match len {
            16 => Some(Self::R10),
            24 => Some(Self::R12),
            32 => Some(Self::R14),
            _ => None,
        }
    }
}

/// An expanded AES key (round keys in the fixsliced format). Not `Copy`/`Clone`; prints
/// only its size; wiped on drop.
pub struct Aes {
    rk: [u32; RK_WORDS],
    nr: Rounds,
}

impl Aes {
    /// Expands `key` (16, 24 or 32 bytes; the length is public).
    ///
    /// Never inlined: the compiler may build the schedule in this frame and move it out,
    /// leaving a copy here, below the caller's frame, where a stack scrub after use (as
    /// keyfort's `block::Aes` does on drop) reaches it.
    #[inline(never)]
    pub fn new(key: &[u8]) -> Result<Self, BadKeyLength> {
        match Rounds::of_key_len(key.len()) {
            Some(nr) => Ok(Self::expand(key, nr)),
            None => Err(BadKeyLength),
        }
    }

    /// [`Aes::new`] for a key whose length its type fixes to 16, 24 or 32 (the `cipher`
    /// traits' `KeyInit`). Never inlined, for the same reason as [`Aes::new`].
    #[inline(never)]
    fn expand_checked_len(key: &[u8]) -> Self {
        // 16, 24 or 32 by the caller's type: `R14` is never taken.
        Self::expand(key, Rounds::of_key_len(key.len()).unwrap_or(Rounds::R14))
    }

    /// A schedule of no key (all round keys zero): storage for [`Aes::rekey`], for a
    /// holder that expands its key where the schedule stays instead of moving a
    /// schedule into place (each move is a ~0.5 KiB copy, which also leaves the moved-from
    /// copy behind).
    pub const fn zeroed() -> Self {
        Self {
            rk: [0; RK_WORDS],
            nr: Rounds::R10,
        }
    }

    /// Expands `key` (16, 24 or 32 bytes; the length is public) into this schedule in
    /// place: afterwards it is exactly what [`Aes::new`] of `key` returns (every round-key
    /// word rewritten, those a shorter key does not use zeroed). On a bad length the
    /// schedule is left as it was.
    ///
    /// Never inlined, for the same reason as [`Aes::new`].
    #[inline(never)]
    pub fn rekey(&mut self, key: &[u8]) -> Result<(), BadKeyLength> {
        let nr = Rounds::of_key_len(key.len()).ok_or(BadKeyLength)?;
        // The expansion writes every word of round keys 0..=nr (`model::expand`).
        model::expand(key, &mut self.rk);
        if let Some(tail) = self.rk.get_mut(8 * (nr as usize + 1)..) {
            zeroize::Zeroize::zeroize(tail);
        }
        self.nr = nr;
        Ok(())
    }

    /// The key expansion; `key` is 16, 24 or 32 bytes long, `nr` its round count.
    #[inline(always)]
    fn expand(key: &[u8], nr: Rounds) -> Self {
        let mut aes = Self {
            rk: [0; RK_WORDS],
            nr,
        };
        model::expand(key, &mut aes.rk);
        aes
    }

    /// The round count (10, 12 or 14).
    #[inline(always)]
    fn nr(&self) -> usize {
        self.nr as usize
    }

    /// The key length in bytes (16, 24 or 32).
    pub fn key_len(&self) -> usize {
        4 * (self.nr() - 6)
    }

    /// Encrypts one block in place.
    #[inline]
    pub fn encrypt(&self, block: &mut [u8; 16]) {
        #[cfg(kf_armv7m)]
        armv7m::encrypt1(&self.rk, self.nr(), block);
        #[cfg(not(kf_armv7m))]
        model::encrypt2(&self.rk, self.nr(), block, None);
    }

    /// Decrypts one block in place.
    #[inline]
    pub fn decrypt(&self, block: &mut [u8; 16]) {
        #[cfg(kf_armv7m)]
        armv7m::decrypt1(&self.rk, self.nr(), block);
        #[cfg(not(kf_armv7m))]
        model::decrypt2(&self.rk, self.nr(), block, None);
    }

    /// Encrypts two independent blocks in place, for the cost of one.
    #[inline]
    pub fn encrypt2(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
        #[cfg(kf_armv7m)]
        armv7m::encrypt2(&self.rk, self.nr(), b0, b1);
        #[cfg(not(kf_armv7m))]
        model::encrypt2(&self.rk, self.nr(), b0, Some(b1));
    }

    /// Decrypts two independent blocks in place, for the cost of one.
    #[inline]
    pub fn decrypt2(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
        #[cfg(kf_armv7m)]
        armv7m::decrypt2(&self.rk, self.nr(), b0, b1);
        #[cfg(not(kf_armv7m))]
        model::decrypt2(&self.rk, self.nr(), b0, Some(b1));
    }

    /// The portable model's encryption with these round keys (the assembly's reference;
    /// for differential tests).
    #[doc(hidden)]
    pub fn encrypt2_model(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
        model::encrypt2(&self.rk, self.nr(), b0, Some(b1));
    }

    /// The portable model's decryption (see [`Aes::encrypt2_model`]).
    #[doc(hidden)]
    pub fn decrypt2_model(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
        model::decrypt2(&self.rk, self.nr(), b0, Some(b1));
    }

    /// The round-key words (the fixsliced format), for keyfort's memory-scan test.
    #[doc(hidden)]
    pub fn round_key_words(&self) -> &[u32] {
        self.rk.get(..8 * (self.nr() + 1)).unwrap_or(&[])
    }
}

impl Drop for Aes {
    fn drop(&mut self) {
        #[cfg(kf_armv7m)]
        armv7m::wipe(&mut self.rk);
        #[cfg(not(kf_armv7m))]
        zeroize::Zeroize::zeroize(&mut self.rk);
    }
}

impl core::fmt::Debug for Aes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Aes{} {{ .. }}", self.key_len() * 8)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::cast_possible_truncation)]
mod tests {
    use super::*;

    /// `rekey` over a schedule of every other key size (and over `zeroed`) gives exactly
    /// the schedule `new` gives, all 120 words: no round key of the old key is left in
    /// the words a shorter key does not use. Negative control: the old schedule differs
    /// from the new one in its tail before the rekey (the check could fail).
    #[test]
    fn rekey_in_place_is_new_and_leaves_no_old_round_key() {
        let key = |len: usize, seed: u8| -> [u8; 32] {
            core::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ seed ^ (len as u8))
        };
        for old_len in [0, 16, 24, 32] {
            for new_len in [16, 24, 32] {
                let mut s = if old_len == 0 {
                    Aes::zeroed()
                } else {
                    Aes::new(&key(old_len, 0xA5)[..old_len]).unwrap()
                };
                let fresh = Aes::new(&key(new_len, 0x3C)[..new_len]).unwrap();
                if old_len > new_len {
                    assert_ne!(s.rk, fresh.rk, "control: the old tail differs");
                }
                s.rekey(&key(new_len, 0x3C)[..new_len]).unwrap();
                assert_eq!(s.rk, fresh.rk, "{old_len} -> {new_len}");
                assert_eq!(s.key_len(), new_len);
                let (mut a, mut b) = ([7u8; 16], [7u8; 16]);
                s.encrypt(&mut a);
                fresh.encrypt(&mut b);
                assert_eq!(a, b);
            }
        }
        let mut s = Aes::new(&[1; 16]).unwrap();
        assert_eq!(s.rekey(&[2; 17]), Err(BadKeyLength));
        assert_eq!(
            s.rk,
            Aes::new(&[1; 16]).unwrap().rk,
            "unchanged on a bad length"
        );
    }
}
