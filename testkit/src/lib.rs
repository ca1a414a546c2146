//! keyfort's test kit: the one home of the test doubles and test data that keyfort's
//! tests, benchmarks, fuzz targets, firmware and tools share. Never a dependency of a
//! product: `publish = false`, and keyfort itself exports no test-only API.
//!
//! ```
//! use keyfort::platform::NoCounter;
//! use keyfort::attributes::{Algorithm, Usage};
//! use keyfort::store::{KeyHandle, KeyStore};
//! use keyfort_testkit::{MockFlash, TestRng, TestSecret};
//!
//! let mut flash = MockFlash::<{ 4 * 1024 }, 1024>::new();
//! let mut s = KeyStore::format((&mut flash, TestSecret::A, TestRng(1), NoCounter)).unwrap();
//! let key = *b"sixteen byte key";
//! let h = s.import(1, b"k", Algorithm::Aes128, Usage::DECRYPT, &key, None).unwrap();
//! assert!(s.with_key(h, Usage::DECRYPT, |k| k == key).unwrap());
//! drop(s);
//! // The key is sealed: its bytes are nowhere on the flash.
//! assert!(!keyfort_testkit::contains(flash.as_bytes(), &key));
//! # let _ = KeyHandle::newest(1);
//! ```
//!
//! - [`mock_flash`]: a RAM NOR flash with power cuts, wear counts and an attacker who
//!   writes it while the store runs.
//! - [`platform`]: a device secret stand-in and a deterministic generator (NOT
//!   cryptographic).
//! - [`hex`]: hex for test vectors.
//! - [`demo`]: the demo's protocol (factory layout, transaction record, file names).
//! - [`dukpt_registers`]: every key an AES DUKPT terminal's registers can have held (for
//!   host-side key scans).
//! - `memscan_needles` (feature `std`): what the memory scans search RAM and flash for
//!   (every TEST key of the scanned firmware, the keys it derives, the store's sealing
//!   keys and the in-RAM forms the ciphers keep), and the scan.
//! - [`selftest`]: the on-target self-tests (run by the QEMU firmware and on the host).
//! - [`wrap_trace`] and [`store_tag`]: inputs and oracles for the constant-time checks on
//!   target.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod demo;
pub mod dukpt_registers;
pub mod hex;
#[cfg(feature = "std")]
pub mod memscan_needles;
pub mod mock_flash;
pub mod platform;
pub mod selftest;
pub mod store_tag;
pub mod wrap_trace;

pub use mock_flash::MockFlash;
pub use platform::{TestRng, TestSecret};

/// Whether `needle` occurs in `hay` (an empty needle never does).
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}
