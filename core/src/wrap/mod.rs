//! Constant-time AES key wrap: AES-KW (RFC 3394, NIST SP 800-38F KW) and AES-KWP
//! (RFC 5649, SP 800-38F KWP) with 128-, 192- and 256-bit KEKs, into a caller's buffer or
//! in place, without heap.
//!
//! ```
//! use keyfort::key::{KeyUnwrap, KeyWrapUnwrap, TypedKey};
//! use keyfort::wrap::{kw_unwrap, kw_wrap, kwp_unwrap, kwp_wrap, Kek, WrapError};
//!
//! // The KEK comes in typed: an AES key admitted for key wrap and unwrap (`K0`).
//! let kek_bytes = [0x11; 32];
//! let kek = Kek::new(&TypedKey::<KeyWrapUnwrap>::raw_aes(&kek_bytes)?)?;
//! let key = [0x42u8; 16];
//!
//! let mut wrapped = [0u8; 24];
//! let n = kw_wrap(&kek, &key, &mut wrapped)?;
//! let mut out = [0u8; 16];
//! let m = kw_unwrap(&kek, &wrapped[..n], &mut out)?;
//! assert_eq!(&out[..m], &key);
//!
//! // A tampered input fails with one error that does not say why, and `out` is zeroed.
//! wrapped[5] ^= 1;
//! assert_eq!(kw_unwrap(&kek, &wrapped, &mut out), Err(WrapError::Integrity));
//! assert_eq!(out, [0u8; 16]);
//!
//! // KWP takes any length from 1 byte; the unwrap buffer holds the padded length.
//! let mut wrapped = [0u8; 24];
//! let n = kwp_wrap(&kek, b"thirteen byte", &mut wrapped)?;
//! let mut out = [0u8; 16];
//! let m = kwp_unwrap(&kek, &wrapped[..n], &mut out)?;
//! assert_eq!(&out[..m], b"thirteen byte");
//!
//! // A KEK admitted for unwrapping only does not wrap.
//! let unwrap_only = Kek::new(&TypedKey::<KeyUnwrap>::raw_aes(&kek_bytes)?)?;
//! assert_eq!(kw_wrap(&unwrap_only, &key, &mut wrapped), Err(WrapError::UsageDenied));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Length policy
//!
//! Lengths are public and are checked before any cryptographic work
//! ([`WrapError::InputLength`], [`WrapError::OutputTooSmall`]).
//!
//! * **KW**: key data is a multiple of 8 bytes, at least 16 (n >= 2 semiblocks, SP 800-38F
//!   section 5.3.1). An 8-byte key is **rejected**: SP 800-38F does not define KW for
//!   n = 1, and RFC 3394 section 2's single-ECB-block shortcut for it is not offered.
//!   Empty key data is rejected (it would make the 8-byte "wrapped key" `A6A6A6A6A6A6A6A6`
//!   valid under every KEK).
//! * **KWP**: key data of 1 to [`MAX_KEY_DATA_LEN`] bytes (SP 800-38F allows up to
//!   2^32 - 1). Empty key data is rejected. Keys of 1..=8 bytes are wrapped as a single AES
//!   block (RFC 5649 section 4.1); their unwrap is checked the same way as longer ones.
//! * **Upper bound** [`MAX_KEY_DATA_LEN`] = 4096 bytes for both: enough for any symmetric key
//!   and for an RSA-4096 private key in DER, and it bounds one unwrap to 6 * 513 AES calls.
//!   It is keyfort's own limit (there is no heap; the caller provides the buffers).
//! * The KEK's size is not compared with the wrapped key's size: wrapping a 32-byte key
//!   under a 16-byte KEK is allowed. Key-strength policy belongs to [`crate::attributes`].
//!
//! Applied to Wycheproof's `acceptable` verdicts (the vector test checks exactly this):
//! KW `ShortKey` (8-byte key) -> rejected; legacy KWP `SmallKey` -> accepted for 1..=15-byte
//! keys (as Wycheproof v1 now rates them `valid`), rejected for the empty key (v1:
//! `invalid`); legacy KWP `WeakWrapping` (KEK shorter than the key) -> accepted.
//!
//! # Unwrap: what is protected
//!
//! * One constant-time verdict (a `subtle::Choice`) covers everything checked: for KW the
//!   ICV; for KWP the prefix `A65959A6`, the length indicator range `8(n-1) < MLI <= 8n`
//!   and the zero padding, the padding check itself running over all bytes of the last
//!   semiblock with masks (no branch or index on MLI).
//! * There is no branch, table index or division on the KEK or the wrapped data; the
//!   instruction sequence of an unwrap of a valid input and of an input failing any check
//!   is the same (loop counts depend only on the public length) up to building the
//!   returned `Result`. The key length of a KWP unwrap is revealed only after the verdict.
//!   The AES itself is the `aes` crate's constant-time software (fixsliced) backend, or
//!   AES-NI / ARMv8 instructions where the host has them.
//! * The work is done in the caller's buffer; on failure every byte of it is zeroed (by an
//!   AND with a mask, the same instructions as on success), so nothing usable leaves.
//!   The error is the single [`WrapError::Integrity`]. Temporaries are zeroized; the key
//!   schedule is wiped when the [`Kek`] is dropped.
//!
//! # How this is checked
//!
//! * `cargo test -p keyfort-tests --test wrap_vectors`: all 977 vectors of
//!   `../shared/vectors/keywrap/` (Wycheproof v1 and legacy, RFC 3394/5649, Botan KWP),
//!   reported per source and id, `acceptable` cases decided by the policy above.
//! * `--test wrap_errors`: every error path; inputs failing exactly one check (built by an
//!   independent textbook implementation) are rejected and the buffer is zeroed.
//! * `--test wrap_differential`: proptest against RustCrypto `aes-kw` 0.3.
//! * `tests/ct/run.sh` (or `--test wrap_ct`): the unwrap under Valgrind memcheck with the
//!   KEK and the wrapped input marked undefined; any branch or memory index on them fails
//!   the test; a naive early-exit compare is included and must be caught.
//! * `cargo +nightly fuzz run unwrap` (in `fuzz/`).
//! * On target: the self-tests in the test kit (`testkit/src/selftest/wrap.rs`), and
//!   `keyfort_testkit::wrap_trace::trace_input` provides valid inputs and inputs failing each check for a
//!   trace-equality test of [`kw_unwrap_ct`] / [`kwp_unwrap_ct`] on Cortex-M (`./x test
//!   ct-trace`: instruction addresses; `./x test ct-data`: instruction and data addresses,
//!   on Cortex-M0 and M4). Valgrind on x86_64 sees the x86 code only; a comparison the
//!   compiler lowers to a branch on another target (Thumb-1 has no conditional moves) is
//!   for those trace tests to catch.
//!
//! Not protected against: power or electromagnetic analysis of the AES (the software AES
//! is constant-time, not masked), fault injection that skips the verdict, and the length
//! of a wrapped key (public, reveals the key's length to within 7 bytes for KWP).

mod ct;
mod error;
mod kek;
mod kw;
mod kwp;
mod permute;

pub use error::WrapError;
pub use kek::Kek;
pub use kw::{
    kw_unwrap, kw_unwrap_ct, kw_unwrap_in_place, kw_unwrapped_len, kw_wrap, kw_wrap_in_place,
    kw_wrapped_len,
};
pub use kwp::{
    kwp_unwrap, kwp_unwrap_buf_len, kwp_unwrap_ct, kwp_unwrap_in_place, kwp_wrap,
    kwp_wrap_in_place, kwp_wrapped_len,
};

/// The largest key data keyfort wraps or unwraps, in bytes, for KW and KWP (see the length
/// policy above).
pub const MAX_KEY_DATA_LEN: usize = 4096;

/// Turns the (already computed, constant-time) verdict into the public result. This is the
/// one place the verdict becomes a branch.
#[inline(always)]
fn verdict(ok: subtle::Choice, len: usize) -> Result<usize, WrapError> {
    if bool::from(ok) {
        Ok(len)
    } else {
        Err(WrapError::Integrity)
    }
}
