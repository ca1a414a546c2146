//! The crate's one hex codec: TR-31 key blocks carry their encrypted key data and MAC
//! as ASCII hex, and core's unit tests read their vectors through it.
//!
//! Encoding ([`nibble_char`]) is arithmetic only, with no table and no branch on the
//! value, because it runs over key bytes. Decoding ([`digit`], [`decode_into`]) runs
//! only over public data (ciphertext, MACs, header fields) and is not written to be
//! constant-time.

/// A hex digit (either case) to its value; `None` if `c` is not one.
pub(crate) fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Whether every byte of `s` is a hex digit.
pub(crate) fn is_hex(s: &[u8]) -> bool {
    s.iter().all(|&c| digit(c).is_some())
}

/// The low nibble of `n` as an upper-case hex digit, without a table or a branch on its
/// value.
pub(crate) fn nibble_char(n: u8) -> u8 {
    let n = n & 15;
    // 0..9 -> '0'..'9', 10..15 -> 'A'..'F': add 7 when n > 9 (mask from the borrow).
    let gt9 = (9u8.wrapping_sub(n) >> 7) & 1;
    b'0' + n + 7 * gt9
}

/// `b` as two upper-case hex digits (see [`nibble_char`]).
pub(crate) fn byte_chars(b: u8) -> [u8; 2] {
    [nibble_char(b >> 4), nibble_char(b & 15)]
}

/// Decodes hex into `out`, as many bytes as both hold (a non-digit reads as 0: callers
/// check with [`is_hex`] first). Returns how many bytes were written.
pub(crate) fn decode_into(hex: &[u8], out: &mut [u8]) -> usize {
    let mut n = 0;
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let hi = pair.first().copied().and_then(digit).unwrap_or(0);
        let lo = pair.get(1).copied().and_then(digit).unwrap_or(0);
        *o = (hi << 4) | lo;
        n += 1;
    }
    n
}

/// Decodes `N` bytes of hex (see [`decode_into`]); missing bytes stay 0.
pub(crate) fn decode<const N: usize>(hex: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    decode_into(hex, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_byte() {
        for b in 0..=255u8 {
            let c = byte_chars(b);
            assert_eq!(c, *std::format!("{b:02X}").as_bytes());
            assert_eq!(decode::<1>(&c), [b]);
            let lower = std::format!("{b:02x}");
            assert_eq!(decode::<1>(lower.as_bytes()), [b]);
        }
    }

    #[test]
    fn non_digits_are_refused() {
        for c in [b'g', b'G', b' ', b'/', b':', b'@', b'`', 0, 0xFF] {
            assert_eq!(digit(c), None, "{c}");
            assert!(!is_hex(&[b'0', c]));
        }
        assert!(is_hex(b"09afAF"));
        // Output bounded by both sides.
        let mut two = [0u8; 2];
        assert_eq!(decode_into(b"0102030", &mut two), 2);
        assert_eq!(two, [1, 2]);
        assert_eq!(decode_into(b"0", &mut two), 0);
    }
}
