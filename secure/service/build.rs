//! Links the Secure image with its veneers: `--cmse-implib` makes rust-lld generate an
//! `SG; B.W` veneer in `.gnu.sgstubs` for every entry (a symbol pair `name` /
//! `__acle_se_name`), `--out-implib` writes the import library the Non-secure image links
//! (`kfs-implib.o` next to the image), and `tz-secure.x` places the veneers in NSC.
//! `--cfg kfs_no_clear` (set by `./x test tz` for its negative-control build only) makes
//! the entries return without clearing registers; `--cfg kfs_no_tt` (the same step's
//! other control) makes them skip the `TT` checks of Non-secure pointers.
// A build script that cannot set up the link must stop the build, loudly.
#![allow(clippy::expect_used)]

use std::{env, path::PathBuf};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(kfs_no_clear)");
    println!("cargo::rustc-check-cfg=cfg(kfs_no_tt)");
    println!("cargo::rerun-if-changed=tz-secure.x");
    if env::var("TARGET").as_deref() != Ok("thumbv8m.main-none-eabihf") {
        return;
    }
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    // target/<triple>/<profile>/build/<pkg>/out -> target/<triple>/<profile>
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let profile_dir = out
        .ancestors()
        .nth(3)
        .expect("OUT_DIR is target/<triple>/<profile>/build/<pkg>/out")
        .to_path_buf();
    println!(
        "cargo::rustc-link-arg-bins=-T{}",
        dir.join("tz-secure.x").display()
    );
    println!("cargo::rustc-link-arg-bins=--cmse-implib");
    // rust-lld checks for the veneers' address before it applies `INSERT` scripts: give
    // it on the command line too (the same address as NSC in the board's memory.x).
    println!("cargo::rustc-link-arg-bins=--section-start=.gnu.sgstubs=0x10200000");
    println!(
        "cargo::rustc-link-arg-bins=--out-implib={}",
        profile_dir.join("kfs-implib.o").display()
    );
}
