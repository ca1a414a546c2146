#![doc = include_str!("../README.md")]
//!
//! # Where to read on
//!
//! Start with [`manual`] for the threat model and the claims keyfort makes and does not
//! make. The modules: [`wrap`], [`dukpt`] (with an end-to-end terminal-and-host
//! example), [`transaction`] (PIN blocks, MACs, data encryption), [`tr31`], [`kcv`] (key check values), [`components`] (split
//! knowledge), [`rng`], [`store`], and the seams [`secret`], [`block`],
//! [`attributes`] (a key's algorithm and usage), [`platform`].
//!
//! # Cargo features
//!
//! | feature | what it adds |
//! |---|---|
//! | `defmt` | `defmt::Format` for the public non-secret types (keyfort itself logs nothing) |
//! | `rand_core_0_9` | `rng::RandCore09`: a HAL's `rand_core` 0.9 generator (what `nrf-hal` ships) as an entropy source |
//!
//! No feature turns a protection off. The secret holders' wipes can be switched off only
//! by the compiler flag `--cfg keyfort_no_wipe`, which exists for the memory-scan test's
//! control build (see [`secret`]); no crate in a dependency tree can set it.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
// Division is variable-time on Cortex-M3/M4: none in the crate except where an item
// allows it by name, for public quantities only (lengths, flash geometry), with a reason.
#![deny(clippy::integer_division_remainder_used)]
#![cfg_attr(
    not(test),
    warn(clippy::panic, clippy::unwrap_used, clippy::expect_used)
)]

#[cfg(test)]
extern crate std;
#[cfg(test)]
mod testutil;

pub mod attributes;
pub mod block;
mod block_cipher;
mod cmac;
pub mod components;
pub mod dukpt;
mod hex;
pub mod kcv;
pub mod key;
pub mod manual;
mod modes;
pub mod platform;
pub mod rng;
pub mod secret;
mod shift;
pub mod store;
pub mod terminal;
pub mod tr31;
pub mod transaction;
pub mod wrap;
