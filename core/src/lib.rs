//! keyfort: key protection for IoT and point-of-sale firmware.
//!
//! ```
//! use keyfort::secret::Secret;
//!
//! // A secret is not Copy, not Clone, prints redacted and is wiped on drop.
//! let kek = Secret::new([0x42u8; 16]);
//! assert_eq!(format!("{kek:?}"), "Secret<16>(..)");
//! ```
//!
//! `#![no_std]`, no heap, no `unsafe`. See [`manual`] for the threat model and the claims
//! keyfort makes and does not make.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(clippy::panic, clippy::unwrap_used, clippy::expect_used)
)]

#[cfg(test)]
extern crate std;

#[macro_use]
mod fmt;

pub mod block;
mod block_n;
mod cmac;
pub mod dukpt;
pub mod manual;
pub mod ops;
pub mod platform;
pub mod policy;
pub mod rng;
pub mod secret;
pub mod store;
pub mod tr31;
pub mod wrap;

#[cfg(feature = "_selftest")]
pub mod selftest;
