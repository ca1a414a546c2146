//! Picks the QEMU machine from the target triple (each of keyfort's four thumb targets runs
//! on exactly one machine), copies its `memory.x` where the linker finds it, and sets
//! `kf_machine` so the crate can name its machine.
//!
//! It also stops a thumb build whose rustflags lack `-Tlink.x` or `-Tdefmt.x`: without
//! cortex-m-rt's linker script the linker keeps nothing (no vector table, no entry) and
//! writes a firmware of a few bytes that QEMU "runs" silently, so the build must fail
//! here, with the fix in the message.
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
    check_linker_scripts();
    println!("cargo::rustc-cfg=kf_machine=\"{machine}\"");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let src = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("memory")
        .join(format!("{machine}.x"));
    fs::copy(&src, out.join("memory.x")).expect("copy memory.x");
    println!("cargo::rustc-link-search={}", out.display());
}

/// The linker-script flags every firmware needs, in the form `.cargo/config.toml` gives.
const LINK_ARGS: [&str; 2] = ["link-arg=-Tlink.x", "link-arg=-Tdefmt.x"];
/// Set to `1` when the firmware passes the scripts another way (its own build script's
/// `cargo::rustc-link-arg-bins`), which this check cannot see.
const SKIP: &str = "KEYFORT_SKIP_LINKER_SCRIPT_CHECK";

fn check_linker_scripts() {
    println!("cargo::rerun-if-env-changed={SKIP}");
    if env::var(SKIP).as_deref() == Ok("1") {
        return;
    }
    // Cargo hands build scripts the target's rustflags, separated by 0x1f.
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let flags: Vec<&str> = flags.split('\x1f').collect();
    // `-C link-arg=-Tlink.x`, `--codegen link-arg=-Tlink.x` or `-Clink-arg=-Tlink.x`.
    let has = |arg: &str| {
        flags
            .windows(2)
            .any(|w| (w[0] == "-C" || w[0] == "--codegen") && w[1] == arg)
            || flags.contains(&format!("-C{arg}").as_str())
    };
    let missing: Vec<&str> = LINK_ARGS.into_iter().filter(|a| !has(a)).collect();
    if !missing.is_empty() {
        panic!(
            "\n\nkeyfort-board-qemu: this firmware would be linked without {missing:?}: the \
             image would hold no vector table and no code (a few bytes) and do nothing.\n\
             Add to the firmware's .cargo/config.toml (and build from the firmware's \
             directory: cargo reads that file from the current directory upwards):\n\n\
             [target.'cfg(all(target_arch = \"arm\", target_os = \"none\"))']\n\
             rustflags = [\"-C\", \"link-arg=-Tlink.x\", \"-C\", \"link-arg=-Tdefmt.x\"]\n\n\
             (See templates/firmware/.cargo/config.toml. If your own build script passes \
             them, set {SKIP}=1.)\n"
        );
    }
}
