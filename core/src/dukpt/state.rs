//! The header both terminal state encodings (AES and TDES, version 1) share, and the
//! consistency rule between status, next counter and in-use register map:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 2 | magic `"KD"` |
//! | 2 | 1 | version (1) |
//! | 3 | 1 | scheme (AES: 1, 2, 3 = AES-128/192/256; TDES: 0x10) |
//! | 4 | 1 | status: 0 = active, 1 = end of life |
//! | 5 | 3 | reserved, zero |
use super::counter::Rules;
use super::DukptError;
use subtle::ConstantTimeEq;

const MAGIC: [u8; 2] = *b"KD";
const VERSION: u8 = 1;
/// Status byte of a terminal that can still run transactions.
pub(crate) const ACTIVE: u8 = 0;
/// Status byte of a terminal at end of life.
pub(crate) const EXHAUSTED: u8 = 1;
/// Offset of the status byte.
pub(crate) const STATUS: usize = 4;

/// Writes an active header for `scheme` into `s` (at least 8 bytes; a shorter `s` is
/// left as it is, never with our fixed-size states).
pub(crate) fn write_header(s: &mut [u8], scheme: u8) {
    if let Some(h) = s.get_mut(..8) {
        h.copy_from_slice(&[MAGIC[0], MAGIC[1], VERSION, scheme, ACTIVE, 0, 0, 0]);
    }
}

/// Checks a state header: magic and version, then the scheme byte against
/// `scheme_known` ([`DukptError::StateVersion`]), then the reserved bytes
/// ([`DukptError::StateInconsistent`]). Returns the status byte.
pub(crate) fn check_header(s: &[u8], scheme_known: impl Fn(u8) -> bool) -> Result<u8, DukptError> {
    let Some(&[m0, m1, version, scheme, status, r0, r1, r2]) = s.get(..8) else {
        return Err(DukptError::StateLength);
    };
    if [m0, m1] != MAGIC || version != VERSION || !scheme_known(scheme) {
        return Err(DukptError::StateVersion);
    }
    if [r0, r1, r2] != [0, 0, 0] {
        return Err(DukptError::StateInconsistent);
    }
    Ok(status)
}

/// The in-use register map a state with this `status` and next counter `c` must have:
/// an active terminal needs a usable counter, one at end of life counter zero and no
/// registers. An unknown status is [`DukptError::StateVersion`].
pub(crate) fn expected_in_use(rules: Rules, status: u8, c: u64) -> Result<u32, DukptError> {
    match status {
        ACTIVE if rules.usable(c) => Ok(rules.expected_in_use(c)),
        EXHAUSTED if c == 0 => Ok(0),
        ACTIVE | EXHAUSTED => Err(DukptError::StateInconsistent),
        _ => Err(DukptError::StateVersion),
    }
}

/// Whether the register area `regs` (`slot`-byte registers, register `i` in use when
/// bit `i` of `map` is set) has a non-zero byte where the state must hold zero: anywhere
/// in an erased register, after the first `key_len` bytes of one in use. The register
/// contents are OR-ed together without branching on them.
pub(crate) fn stray_bytes(regs: &[u8], slot: usize, key_len: usize, map: u32) -> bool {
    let mut stray = 0u8;
    for (i, reg) in (0u32..).zip(regs.chunks(slot)) {
        let in_use = map.checked_shr(i).unwrap_or(0) & 1 != 0;
        let from = if in_use { key_len } else { 0 };
        for b in reg.get(from..).unwrap_or(&[]) {
            stray |= b;
        }
    }
    !bool::from(stray.ct_eq(&0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dukpt::counter::{AES, TDES};

    #[test]
    fn header_round_trip_and_each_error() {
        let mut s = [0u8; 10];
        write_header(&mut s, 0x10);
        assert_eq!(check_header(&s, |b| b == 0x10), Ok(ACTIVE));
        assert_eq!(
            check_header(&s, |b| b == 0x11),
            Err(DukptError::StateVersion)
        );
        assert_eq!(
            check_header(&s[..7], |_| true),
            Err(DukptError::StateLength)
        );
        for (at, want) in [
            (0, DukptError::StateVersion),
            (1, DukptError::StateVersion),
            (2, DukptError::StateVersion),
            (5, DukptError::StateInconsistent),
            (7, DukptError::StateInconsistent),
        ] {
            let mut bad = s;
            bad[at] ^= 1;
            assert_eq!(check_header(&bad, |_| true), Err(want), "byte {at}");
        }
    }

    #[test]
    fn stray_bytes_each_place() {
        // Three 4-byte registers, 3-byte keys; registers 0 and 2 in use.
        let clean = [1, 2, 3, 0, 0, 0, 0, 0, 7, 8, 9, 0];
        assert!(!stray_bytes(&clean, 4, 3, 0b101));
        for (at, what) in [(3, "tail of an in-use register"), (5, "erased register")] {
            let mut r = clean;
            r[at] = 1;
            assert!(stray_bytes(&r, 4, 3, 0b101), "{what}");
        }
        // Register 1 in use instead: its key bytes are allowed, register 2 must be zero.
        assert!(stray_bytes(&clean, 4, 3, 0b011));
    }

    #[test]
    fn status_against_counter() {
        assert_eq!(expected_in_use(AES, ACTIVE, 1), Ok(u32::MAX));
        assert_eq!(
            expected_in_use(TDES, ACTIVE, 0),
            Err(DukptError::StateInconsistent)
        );
        assert_eq!(
            expected_in_use(TDES, ACTIVE, 1 << 21),
            Err(DukptError::StateInconsistent)
        );
        assert_eq!(expected_in_use(AES, EXHAUSTED, 0), Ok(0));
        assert_eq!(
            expected_in_use(AES, EXHAUSTED, 5),
            Err(DukptError::StateInconsistent)
        );
        assert_eq!(expected_in_use(AES, 2, 1), Err(DukptError::StateVersion));
    }
}
