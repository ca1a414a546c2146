//! The transaction-counter rules shared by AES DUKPT (32-bit counter, at most 16
//! one-bits) and TDES DUKPT (21-bit counter, at most 10 one-bits).
//!
//! Register `i` of a terminal holds the key for the counter formed by the current
//! counter's bits above `i` plus bit `i`. For a next counter `c` with lowest set bit `k`,
//! exactly the registers `k` and every `i > k` whose bit is clear in `c` are in use.

/// The counter rules of one scheme.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rules {
    /// Counter width in bits (= number of registers).
    pub bits: u32,
    /// At most this many one-bits in a counter a device uses.
    pub max_ones: u32,
}

/// AES DUKPT (X9.24-3-2017 6.1).
pub(crate) const AES: Rules = Rules {
    bits: 32,
    max_ones: 16,
};
/// TDES DUKPT (X9.24-1-2009 A.2).
pub(crate) const TDES: Rules = Rules {
    bits: 21,
    max_ones: 10,
};

impl Rules {
    /// The largest counter value plus one.
    pub const fn limit(self) -> u64 {
        1u64 << self.bits
    }

    /// Whether a device may use `c` (non-zero, in range, few enough one-bits).
    pub const fn usable(self, c: u64) -> bool {
        c != 0 && c < self.limit() && c.count_ones() <= self.max_ones
    }

    /// The in-use register bitmap a consistent terminal has when `c` is its next counter.
    pub fn expected_in_use(self, c: u64) -> u32 {
        if c == 0 || c >= self.limit() {
            return 0;
        }
        // Registers k..bits: k, and every one whose counter bit is clear (no loop and
        // no 64-bit shift: `c` is below the limit, at most 2^32).
        let Ok(c) = u32::try_from(c) else {
            return 0;
        };
        let k = c.trailing_zeros();
        let from_k = u32::MAX << k;
        let below_bits = u32::MAX
            .checked_shr(32u32.saturating_sub(self.bits))
            .unwrap_or(0);
        (!c | 1 << k) & from_k & below_bits
    }

    /// The counter a terminal uses next, from its next counter `c` and in-use map, with
    /// the register `k` (lowest set bit) that holds its key. Counters whose register is
    /// not in use are skipped (cannot happen in a consistent state; kept as the standard
    /// has it). `None` when the walk reaches the end of life.
    pub fn next_in_use(self, mut c: u64, in_use: u32) -> Option<(u64, u32)> {
        let mut k = c.trailing_zeros();
        while in_use & 1u32.checked_shl(k).unwrap_or(0) == 0 {
            c = c.checked_add(1u64.checked_shl(k)?)?;
            if c >= self.limit() {
                return None;
            }
            k = c.trailing_zeros();
        }
        Some((c, k))
    }

    /// The parent of register `i` (the counter whose transaction wrote it, 0 for the
    /// load) in a terminal whose next counter is `next`: the bits of `next` above `i`.
    /// Register `i` holds the key of `parent | 1 << i`, and a register written again gets
    /// a later parent (the register masks' nonce, `dukpt::mask`).
    pub fn parent(next: u64, i: u32) -> u32 {
        // Counters are below 2^32 (a larger `next` has no bits above `i` below 2^32);
        // 32-bit shifts only (no 64-bit shift calls on the M0).
        let Ok(next) = u32::try_from(next) else {
            return 0;
        };
        next & u32::MAX.checked_shl(i + 1).unwrap_or(0)
    }

    /// The counter after `c` (which the device just used, lowest set bit `k`):
    /// `c + 1` after deriving new registers, or `c + 2^k` when `c` already has the
    /// maximum number of one-bits (its children would have too many). The caller checks
    /// the result against [`Rules::limit`].
    pub const fn after(self, c: u64) -> (u64, bool) {
        if c.count_ones() < self.max_ones {
            (c + 1, true)
        } else {
            (c + (1u64 << c.trailing_zeros()), false)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn published_tdes_rollover() {
        // X9.24-1-2009 A.4.3 rollover sequence.
        let mut c = 0x0FF800u64;
        let mut seen = std::vec![c];
        for _ in 0..12 {
            c = TDES.after(c).0;
            seen.push(c);
        }
        assert_eq!(
            seen,
            [
                0x0FF800, 0x0FF801, 0x0FF802, 0x0FF804, 0x0FF808, 0x0FF810, 0x0FF820, 0x0FF840,
                0x0FF880, 0x0FF900, 0x0FFA00, 0x0FFC00, 0x100000
            ]
        );
    }

    #[test]
    fn in_use_after_load() {
        assert_eq!(AES.expected_in_use(1), u32::MAX);
        assert_eq!(AES.expected_in_use(3), !0b10);
        assert_eq!(TDES.expected_in_use(1), 0x1F_FFFF);
        assert_eq!(AES.expected_in_use(1 << 32), 0);
    }

    /// The register-by-register definition (module docs): `k` and every `i > k` below
    /// `bits` whose bit is clear in `c`.
    fn in_use_by_definition(r: Rules, c: u64) -> u32 {
        if c == 0 || c >= r.limit() {
            return 0;
        }
        let k = c.trailing_zeros();
        (k..r.bits)
            .filter(|&i| i == k || (c >> i) & 1 == 0)
            .fold(0, |m, i| m | 1 << i)
    }

    /// The parent by its definition: the bits of `next` above `i`, in 128-bit arithmetic.
    fn parent_by_definition(next: u64, i: u32) -> u32 {
        let above = u128::from(next) >> (i + 1) << (i + 1);
        u32::try_from(above).unwrap_or(0)
    }

    #[test]
    fn in_use_and_parent_match_their_definitions() {
        // Every counter shape: low and high bits, single bits, runs, the limits, values
        // beyond them (a wrong mask, shift or width fails here).
        let mut cs = std::vec![0u64, 1, 2, 3, u64::MAX, 1 << 20, 1 << 21, (1 << 21) - 1];
        for b in 0..40u32 {
            cs.push(1 << b);
            cs.push((1 << b) - 1);
            cs.push((1u64 << b) | 1);
            cs.push(0x5A5A_5A5A_5A5A_5A5A >> b);
            cs.push(0xFFFF_FFFF_u64 << b);
        }
        for c in cs {
            for r in [AES, TDES] {
                assert_eq!(
                    r.expected_in_use(c),
                    in_use_by_definition(r, c),
                    "{c:#x} {}",
                    r.bits
                );
            }
            for i in 0..40 {
                assert_eq!(
                    Rules::parent(c, i),
                    parent_by_definition(c, i),
                    "{c:#x} {i}"
                );
            }
        }
    }

    #[test]
    fn parent_is_the_counter_above_the_register() {
        // After the load (next counter 1) every register's parent is 0.
        assert_eq!(Rules::parent(1, 0), 0);
        assert_eq!(Rules::parent(1, 31), 0);
        // Next counter 0b1011_0100: register 2 holds 0b1011_0100 and register 3
        // 0b1011_1000 (both parent 0b1011_0000), register 6 (bit 6 clear) 0b1100_0000
        // (parent 0b1000_0000).
        assert_eq!(Rules::parent(0b1011_0100, 2), 0b1011_0000);
        assert_eq!(Rules::parent(0b1011_0100, 3), 0b1011_0000);
        assert_eq!(Rules::parent(0b1011_0100, 6), 0b1000_0000);
        assert_eq!(Rules::parent(0xFFFF_FFFF, 31), 0);
        // The children a transaction at counter c writes have parent c after it.
        let c = 0b1011_0100u64;
        for i in 0..2 {
            assert_eq!(u64::from(Rules::parent(AES.after(c).0, i)), c);
        }
    }

    #[test]
    fn next_in_use_walk() {
        // A consistent state uses its next counter and that counter's lowest register.
        assert_eq!(
            AES.next_in_use(0b1100, AES.expected_in_use(0b1100)),
            Some((0b1100, 2))
        );
        // Register 2 not in use: skip to 0b1100 + 4 = 0b10000 (register 4).
        assert_eq!(AES.next_in_use(0b1100, 1 << 4), Some((0b10000, 4)));
        // Nothing in use: the walk runs off the end of the counter space.
        assert_eq!(TDES.next_in_use(1, 0), None);
        assert_eq!(AES.next_in_use(1 << 31, 0), None);
        // Counter zero (never a next counter) does not panic.
        assert_eq!(AES.next_in_use(0, 0), None);
    }
}
