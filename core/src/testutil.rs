//! Helpers for core's unit tests (compiled only for `cargo test`).

/// Decodes a hex string (test vectors) with the crate's codec, failing the test on bad
/// hex.
pub(crate) fn unhex(s: &str) -> std::vec::Vec<u8> {
    let s = s.as_bytes();
    assert!(
        s.len() & 1 == 0 && crate::hex::is_hex(s),
        "bad hex in a test vector"
    );
    let mut out = std::vec![0u8; s.len() >> 1];
    crate::hex::decode_into(s, &mut out);
    out
}
