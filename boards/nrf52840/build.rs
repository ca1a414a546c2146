//! Puts this crate's `memory.x` (nRF52840, with keyfort's flash region kept out) where
//! the linker finds it.
// A build script that cannot set up the link must stop the build, loudly.
#![allow(clippy::expect_used)]

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x");
    println!("cargo::rustc-link-search={}", out.display());
    println!("cargo::rerun-if-changed=memory.x");
}
