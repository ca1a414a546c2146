//! keyfort's QEMU firmware: the on-target test runner (`selftest`) and the demo (`demo`).
//! Both run on every QEMU machine through `keyfort-board-qemu`; `./x test` and `./x demo`
//! build and run them.
#![no_std]

pub use keyfort_board_qemu as board;

pub mod cut_flash;

/// Writes `bytes` as lower-case hex into `out` (two characters per byte, cut short if
/// `out` is too small) and returns the text. For public data only (wrapped keys, MACs).
pub fn hex<'a>(bytes: &[u8], out: &'a mut [u8]) -> &'a str {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut n = 0;
    for (b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0x0f)];
        n += 2;
    }
    core::str::from_utf8(&out[..n]).unwrap_or("")
}
