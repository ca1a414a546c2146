//! Picks the QEMU machine from the target triple (each of keyfort's four thumb targets runs
//! on exactly one machine), copies its `memory.x` where the linker finds it, and sets
//! `kf_machine` so the crate can name its machine.
// A build script that cannot set up the link must stop the build, loudly.
#![allow(clippy::expect_used)]

use std::{env, fs, path::PathBuf};

fn main() {
    let target = env::var("TARGET").unwrap_or_default();
    println!("cargo::rustc-check-cfg=cfg(kf_machine, values(\"microbit\", \"mps2-an385\", \"mps2-an386\", \"mps2-an505\"))");
    println!("cargo::rerun-if-changed=memory");
    let machine = match target.as_str() {
        "thumbv6m-none-eabi" => "microbit",
        "thumbv7m-none-eabi" => "mps2-an385",
        "thumbv7em-none-eabihf" => "mps2-an386",
        "thumbv8m.main-none-eabihf" => "mps2-an505",
        // Host builds (clippy, docs): no machine, no linker script.
        _ => return,
    };
    println!("cargo::rustc-cfg=kf_machine=\"{machine}\"");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let src = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("memory")
        .join(format!("{machine}.x"));
    fs::copy(&src, out.join("memory.x")).expect("copy memory.x");
    println!("cargo::rustc-link-search={}", out.display());
}
