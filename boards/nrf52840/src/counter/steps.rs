//! The UICR counter's word encoding, within the chip's write limit (nWRITE).
//!
//! The nRF52840 Product Specification (v1.x, section 4.3.1 "NVMC: Writing to flash")
//! says the same 32-bit word may be written only nWRITE times before its page is erased;
//! for the nRF52840 and nRF52833 nWRITE is 2 (NVMC electrical specification; Nordic
//! confirming it in openthread/openthread issue 4706). UICR is erased only by ERASEALL.
//! So each CUSTOMER word takes at most two writes, one per step:
//!
//! | word | steps |
//! |---|---|
//! | `0xFFFF_FFFF` (erased) | 0 |
//! | low half programmed, high half erased (written once: `0xFFFF_0000`) | 1 |
//! | any bit of the high half programmed (written twice: `0x0000_0000`) | 2 |
//!
//! A write cut part-way leaves some of its bits programmed: a torn first write reads as
//! 1 (its second write is still allowed), a torn second write as 2 (never written again).
//! A cut before any bit of the word changed reads as not written and the word is written
//! again: the one case where a word may see a third write attempt.
//!
//! Budget: 32 words x 2 steps = [`BUDGET`] increments over the chip's life.
//!
//! Pure functions (no registers), so that a host test can check them
//! (`tests/tests/nrf52840_counter_nwrite.rs`).

/// nWRITE: writes allowed to one 32-bit word between erases (nRF52840 PS, NVMC).
pub const N_WRITE: u32 = 2;
/// CUSTOMER words in UICR.
pub const WORDS: u32 = 32;
/// Counter steps over the chip's life.
pub const BUDGET: u32 = WORDS * N_WRITE;

/// Steps a word holds (see the module table).
pub const fn word_steps(w: u32) -> u32 {
    if w >> 16 != 0xFFFF {
        2
    } else if w & 0xFFFF != 0xFFFF {
        1
    } else {
        0
    }
}

/// The value to write to a word holding `w` for one more step (`None`: the word is used
/// up). The NVMC programs only the 0 bits of the written value.
pub const fn next_word(w: u32) -> Option<u32> {
    match word_steps(w) {
        0 => Some(0xFFFF_0000),
        1 => Some(0),
        _ => None,
    }
}

/// The next increment: which word to write (its index) and the value to write there
/// (`None`: every word used up, the budget is spent).
pub fn plan(words: impl Iterator<Item = u32>) -> Option<(usize, u32)> {
    words
        .enumerate()
        .find_map(|(i, w)| next_word(w).map(|n| (i, n)))
}

/// The counter value of the CUSTOMER words.
pub fn value(words: impl Iterator<Item = u32>) -> u32 {
    words.map(word_steps).sum()
}
