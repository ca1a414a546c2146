//! Emits `cfg(kf_thumb2)` on ARMv7-M / ARMv8-M Mainline targets (thumbv7m, thumbv7em,
//! thumbv8m.main), where `block::Aes` uses keyfort-aes's assembly; Rust has no stable
//! `cfg` for Thumb-2.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(kf_thumb2)");
    println!("cargo::rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if ["thumbv7m-", "thumbv7em-", "thumbv8m.main-"]
        .iter()
        .any(|p| target.starts_with(p))
    {
        println!("cargo::rustc-cfg=kf_thumb2");
    }
}
