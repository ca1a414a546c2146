//! Emits `cfg(kf_thumb2)` on ARMv7-M / ARMv8-M Mainline targets (thumbv7m, thumbv7em,
//! thumbv8m.main), where `block::Aes` uses keyfort-aes's assembly; Rust has no stable
//! `cfg` for Thumb-2.
//!
//! Declares `cfg(keyfort_no_wipe)`, the test-only switch that turns off the wipes of the
//! secret holders (see `src/secret.rs`). Only the builder of the final binary can set it
//! (`RUSTFLAGS="--cfg keyfort_no_wipe"`); when it is set, the build says so loudly.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(kf_thumb2)");
    println!("cargo::rustc-check-cfg=cfg(keyfort_no_wipe)");
    println!("cargo::rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if ["thumbv7m-", "thumbv7em-", "thumbv8m.main-"]
        .iter()
        .any(|p| target.starts_with(p))
    {
        println!("cargo::rustc-cfg=kf_thumb2");
    }
    // Cargo passes every `--cfg` of the rustflags to build scripts as CARGO_CFG_<NAME>.
    if std::env::var_os("CARGO_CFG_KEYFORT_NO_WIPE").is_some() {
        println!(
            "cargo::warning=keyfort built with --cfg keyfort_no_wipe: secrets are NOT wiped \
             (test-only: the memory-scan control build; never in a product)"
        );
    }
}
