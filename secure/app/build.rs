//! The Non-secure image's link: its own `memory.x` (the Non-secure aliases) and the
//! Secure image's import library (the veneer addresses), whose path `./x` passes in
//! `KFS_IMPLIB` after building the Secure image. Without it (a clippy run) nothing is
//! linked.
// A build script that cannot set up the link must stop the build, loudly.
#![allow(clippy::expect_used)]

use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo::rerun-if-changed=memory.x");
    println!("cargo::rerun-if-env-changed=KFS_IMPLIB");
    if env::var("TARGET").as_deref() != Ok("thumbv8m.main-none-eabihf") {
        return;
    }
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x");
    println!("cargo::rustc-link-search={}", out.display());
    if let Ok(lib) = env::var("KFS_IMPLIB") {
        println!("cargo::rerun-if-changed={lib}");
        println!("cargo::rustc-link-arg-bins={lib}");
    }
}
