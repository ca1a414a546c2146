//! The nRF52840 board's UICR counter respects the chip's write limit (nWRITE = 2 writes
//! per 32-bit word between erases; `boards/nrf52840/src/counter/steps.rs` cites the
//! product specification) and counts up by one per increment, also across writes cut
//! part-way, until its budget of 64 steps is spent.
//!
//! The encoding is pure code, compiled here on the host from the board crate's own file;
//! a simulated UICR (NOR rules: a write only clears bits; writes counted per word) runs
//! the board's increment plan. Negative control: the previous encoding (one more bit
//! cleared per step in the same word, 1,024 steps) is caught writing a word 32 times.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../boards/nrf52840/src/counter/steps.rs"]
mod steps;

use steps::{plan, value, BUDGET, N_WRITE, WORDS};

/// 32 CUSTOMER words with NOR rules and a write count per word.
struct Uicr {
    words: [u32; WORDS as usize],
    writes: [u32; WORDS as usize],
}

impl Uicr {
    fn erased() -> Self {
        Uicr {
            words: [u32::MAX; WORDS as usize],
            writes: [0; WORDS as usize],
        }
    }

    /// Programs `v` into word `i`; `keep` is the mask of the bits to clear that the write
    /// reaches before the power goes (all ones: a complete write).
    fn program(&mut self, i: usize, v: u32, keep: u32) {
        self.words[i] &= v | !keep;
        self.writes[i] += 1;
    }

    fn max_writes(&self) -> u32 {
        self.writes.iter().copied().max().unwrap_or(0)
    }

    fn value(&self) -> u32 {
        value(self.words.iter().copied())
    }

    /// One increment as `UicrCounter::increment` does it; `keep` as in [`Uicr::program`].
    fn increment(&mut self, keep: u32) -> Option<()> {
        let (i, v) = plan(self.words.iter().copied())?;
        self.program(i, v, keep);
        Some(())
    }
}

#[test]
fn uicr_counter_never_writes_a_word_more_than_nwrite_times() {
    let mut u = Uicr::erased();
    let mut steps = 0;
    while u.increment(u32::MAX).is_some() {
        steps += 1;
        assert_eq!(u.value(), steps, "one step per increment");
        assert!(
            u.max_writes() <= N_WRITE,
            "a word written {} times",
            u.max_writes()
        );
    }
    assert_eq!(steps, BUDGET);
    assert_eq!(BUDGET, 64);
    assert_eq!(u.value(), 64);
    assert!(u.increment(u32::MAX).is_none(), "exhausted stays exhausted");
}

#[test]
fn uicr_counter_torn_writes_round_up_and_stay_within_nwrite() {
    // Every increment of a whole life cut part-way (a pseudo-random subset of its bits
    // reached), where at least one bit changed: the value never goes down, a torn step
    // counts as done (never repeated on the same word beyond nWRITE).
    for seed in 1..200u32 {
        let mut x = seed;
        let mut u = Uicr::erased();
        let mut last = 0;
        loop {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            // Bits 0 and 16: at least one bit of whichever half the step programs.
            let keep = if x % 3 == 0 {
                x | 1 | 1 << 16
            } else {
                u32::MAX
            };
            let before = u.value();
            if u.increment(keep).is_none() {
                break;
            }
            let now = u.value();
            // A cut write that changed at least one of its bits counts as the step.
            assert!(
                now >= last && now <= before + 1,
                "seed {seed}: {before} -> {now}"
            );
            assert!(
                u.max_writes() <= N_WRITE,
                "seed {seed}: a word written {} times",
                u.max_writes()
            );
            last = now;
        }
        assert_eq!(u.value(), BUDGET, "seed {seed}");
    }
}

#[test]
fn negative_control_the_one_bit_per_step_counter_breaks_nwrite() {
    // The previous encoding: clear the lowest set bit of the first non-zero word.
    let mut u = Uicr::erased();
    for _ in 0..64 {
        let i = u.words.iter().position(|&w| w != 0).unwrap();
        let w = u.words[i];
        u.program(i, w & (w - 1), u32::MAX);
    }
    assert!(u.max_writes() > N_WRITE, "the control must exceed nWRITE");
    assert_eq!(u.max_writes(), 32);
}
