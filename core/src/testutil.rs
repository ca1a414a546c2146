//! Helpers for core's unit tests (compiled only for `cargo test`).
#![allow(clippy::unwrap_used)]

/// Decodes a hex string (test vectors), failing the test on bad hex.
pub(crate) fn unhex(s: &str) -> std::vec::Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
