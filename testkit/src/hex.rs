//! Hex for test vectors: [`hex`] at compile time (a bad literal fails the build),
//! [`unhex`] and [`encode_into`] at run time without a heap, and (feature `std`)
//! [`decode`] / [`encode`].

/// Decodes a lower-case hex literal into `N` bytes at compile time (a bad literal fails
/// the build).
#[allow(clippy::panic)]
pub const fn hex<const N: usize>(s: &str) -> [u8; N] {
    const fn nib(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("bad hex"),
        }
    }
    let b = s.as_bytes();
    assert!(b.len() == 2 * N, "hex length");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = (nib(b[2 * i]) << 4) | nib(b[2 * i + 1]);
        i += 1;
    }
    out
}

/// Decodes hex into `N` bytes (zeros on a malformed constant, which then fails the test).
pub fn unhex<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [0u8; N];
    let b = s.as_bytes();
    let nib = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'F' => c - b'A' + 10,
        b'a'..=b'f' => c - b'a' + 10,
        _ => 0,
    };
    for (i, o) in out.iter_mut().enumerate() {
        if let (Some(&h), Some(&l)) = (b.get(2 * i), b.get(2 * i + 1)) {
            *o = (nib(h) << 4) | nib(l);
        }
    }
    out
}

/// Decodes a hex string of any length (either case), `None` on a bad digit or odd length.
#[cfg(feature = "std")]
pub fn decode(s: &str) -> Option<std::vec::Vec<u8>> {
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return None;
    }
    b.chunks_exact(2)
        .map(|p| {
            let t = core::str::from_utf8(p).ok()?;
            u8::from_str_radix(t, 16).ok()
        })
        .collect()
}

/// Writes `bytes` as lower-case hex into `out` (two characters per byte, cut short if
/// `out` is too small) and returns the text. For public data only (KSNs, MACs, wrapped
/// keys): the digits come from a table indexed by the byte.
pub fn encode_into<'a>(bytes: &[u8], out: &'a mut [u8]) -> &'a str {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut n = 0;
    for (b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0x0f)];
        n += 2;
    }
    core::str::from_utf8(out.get(..n).unwrap_or(&[])).unwrap_or("")
}

/// Lower-case hex of `bytes`.
#[cfg(feature = "std")]
pub fn encode(bytes: &[u8]) -> std::string::String {
    let mut out = std::vec![0u8; 2 * bytes.len()];
    encode_into(bytes, &mut out).into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn const_and_runtime_agree() {
        const K: [u8; 4] = hex("00a1FF7e");
        assert_eq!(K, [0x00, 0xa1, 0xff, 0x7e]);
        assert_eq!(unhex::<4>("00a1FF7e"), K);
        // A malformed digit decodes to zero nibbles: the vector then fails its test.
        assert_ne!(unhex::<1>("g1"), [0xf1]);
    }

    #[cfg(feature = "std")]
    #[test]
    fn decode_encode_round_trip() {
        let v = decode("00a1FF7e").unwrap();
        assert_eq!(encode(&v), "00a1ff7e");
        assert_eq!(decode("abc"), None);
        assert_eq!(decode("zz"), None);
    }
}
