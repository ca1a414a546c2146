//! The on-target data-address check (`./x test`, step "ct-data").
//!
//! Builds the `ct_data` firmware (`qemu/firmware/src/bin/ct_data.rs`) for Cortex-M0
//! (`microbit`, thumbv6m) and Cortex-M4 (`mps2-an386`, thumbv7em) and runs
//! `tests/ct_data/ct_data.py`, which loads each ELF into unicorn, calls keyfort's
//! operations with chosen inputs and compares their instruction AND data (load/store)
//! address sequences within each group; it prints one line per operation and core and
//! one per control (a table S-box AES and an early-exit compare, which must be caught).
//! Python packages `unicorn` 2.1.x and `pyelftools` go into a venv under `target/` the
//! first time (pip, from PyPI).
use crate::{
    boards,
    ctx::{from, Ctx, Outcome},
    toolchain::{firmware_bin_build, firmware_elf},
};
use std::path::Path;
use std::process::Command;

/// The firmware binary.
const BIN: &str = "ct_data";
/// The boards (QEMU machine names) whose builds are traced.
const TRACED: &[&str] = &["microbit", "mps2-an386"];
/// What pip installs into the venv.
const PACKAGES: &[&str] = &["unicorn>=2.1,<2.2", "pyelftools>=0.29"];

/// The step.
pub fn step(ctx: &mut Ctx) -> Outcome {
    from(run(ctx))
}

fn run(ctx: &Ctx) -> Result<String, String> {
    let python = venv(&ctx.root)?;
    let boards: Vec<_> = TRACED.iter().filter_map(|m| boards::find(m)).collect();
    let targets: Vec<&str> = boards.iter().map(|b| b.target).collect();
    crate::sh::run(&mut firmware_bin_build(
        &ctx.root,
        ctx.env.route,
        &targets,
        BIN,
    ))?;
    let mut cmd = Command::new(&python);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1")
        .arg(ctx.root.join("tests/ct_data/ct_data.py"));
    for b in &boards {
        let elf = firmware_elf(&ctx.root, ctx.env.route, b.target, "bin", BIN);
        cmd.arg("--elf")
            .arg(format!("{}={}", b.machine, elf.display()));
    }
    cmd.arg("--vectors").arg(ctx.root.join("../shared/vectors"));
    crate::sh::run(&mut cmd)?;
    Ok(format!(
        "instruction and data addresses equal per group on {} (every row and control on the \
         M0; on the M4 the rows unicorn cannot run with hooks print NOT SHOWN); controls caught",
        TRACED.join(" + ")
    ))
}

/// The venv's python, creating the venv and installing [`PACKAGES`] when missing.
fn venv(root: &Path) -> Result<std::path::PathBuf, String> {
    let dir = root.join("target/ct-data-venv");
    let python = dir.join("bin/python");
    let have =
        |p: &Path| crate::sh::quiet_ok(Command::new(p).args(["-c", "import unicorn, elftools"]));
    if python.exists() && have(&python) {
        return Ok(python);
    }
    crate::sh::run(Command::new("python3").args(["-m", "venv"]).arg(&dir))?;
    crate::sh::run(
        Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .args(PACKAGES),
    )?;
    if !have(&python) {
        return Err(format!(
            "{}: unicorn/pyelftools did not install",
            dir.display()
        ));
    }
    Ok(python)
}
