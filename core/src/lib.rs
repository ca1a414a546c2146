#![doc = include_str!("../README.md")]
//!
//! # Where to read on
//!
//! Start with [`manual`] for the threat model and the claims keyfort makes and does not
//! make. The modules: [`wrap`], [`dukpt`] (with an end-to-end terminal-and-host
//! example), [`ops`], [`tr31`], [`kcv`] (key check values), [`components`] (split
//! knowledge), [`rng`], [`store`], and the seams [`secret`], [`block`],
//! [`policy`], [`platform`].
//!
//! # Cargo features
//!
//! | feature | what it adds |
//! |---|---|
//! | `defmt` | `defmt::Format` for the public non-secret types, and keyfort's own log lines through `defmt` (never key bytes) |
//! | `rand_core_0_9` | `rng::RandCore09`: a HAL's `rand_core` 0.9 generator (what `nrf-hal` ships) as an entropy source |
//! | `_mock-flash` | [`store::mock_flash`]: the RAM NOR flash the store's examples run on, for your own host tests (power cuts, wear counts); exempt from semver |
//! | `_selftest` | `keyfort::selftest`: the on-target self-tests (run by the QEMU firmware); exempt from semver |
//!
//! No feature turns a protection off. The secret holders' wipes can be switched off only
//! by the compiler flag `--cfg keyfort_no_wipe`, which exists for the memory-scan test's
//! control build (see [`secret`]); no crate in a dependency tree can set it.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(clippy::panic, clippy::unwrap_used, clippy::expect_used)
)]

#[cfg(test)]
extern crate std;
#[cfg(test)]
mod testutil;

#[macro_use]
mod fmt;

pub mod block;
mod block_n;
mod cmac;
pub mod components;
pub mod dukpt;
mod hex;
pub mod kcv;
pub mod key;
pub mod manual;
mod modes;
pub mod ops;
pub mod platform;
pub mod policy;
pub mod rng;
pub mod secret;
mod shift;
pub mod store;
pub mod terminal;
pub mod tr31;
pub mod wrap;

#[cfg(feature = "_selftest")]
pub mod selftest;
