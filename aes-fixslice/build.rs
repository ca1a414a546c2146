//! Emits `cfg(kf_armv7m)` on the targets whose assembly is used: ARMv7-M (thumbv7m,
//! thumbv7em) and ARMv8-M Mainline (thumbv8m.main), which share Thumb-2 with the DSP-less
//! ARMv7-M instruction set. Rust has no stable `cfg` for Thumb-2 itself.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(kf_armv7m)");
    println!("cargo::rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.starts_with("thumbv7m-")
        || target.starts_with("thumbv7em-")
        || target.starts_with("thumbv8m.main-")
    {
        println!("cargo::rustc-cfg=kf_armv7m");
    }
}
