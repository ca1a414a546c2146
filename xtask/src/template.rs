//! The step "firmware template outside the workspace": what docs/firmware.md tells a team
//! to do, done to `templates/firmware` so the page cannot rot.
//!
//! 1. copy the template to a directory outside the repository (under the system's temp
//!    directory), pointing its path dependencies at this checkout's crates and seeding
//!    its `Cargo.lock` from the firmware workspace's (the versions `./x test` checks);
//! 2. build it there with plain `cargo build --release --target ...` (its own
//!    `.cargo/config.toml`) for mps2-an386 (Cortex-M4F) and microbit (Cortex-M0);
//! 3. run each through `./x run --elf` ([`crate::run_elf`]) twice on one device directory:
//!    the first boot formats the store and generates the key, the second opens the store
//!    and finds it, and both print the same MAC under it; a run on a fresh device
//!    directory prints another MAC (a new random key), so equal MACs mean persistence;
//! 4. build the copy once without the linker-script flags: the board crate's build script
//!    must stop it with its message; built anyway (check bypassed), the image must be
//!    refused by `./x run --elf`.
use crate::{
    boards::{self, Board},
    ctx::{from, Ctx, Outcome},
    qemu::{Cut, Ending},
    sh,
    toolchain::cargo_in,
};
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

/// The template's package (and binary) name.
const BIN: &str = "keyfort-firmware-template";
/// The boards the copy is built and run for.
const MACHINES: [&str; 2] = ["mps2-an386", "microbit"];
/// Printed by the board crate's build script when the linker scripts are missing.
const NO_SCRIPT_MESSAGE: &str = "would be linked without";

/// The step.
pub fn step(ctx: &mut Ctx) -> Outcome {
    from(check(ctx))
}

fn check(ctx: &Ctx) -> Result<String, String> {
    // One directory per run: parallel runs from several checkouts do not meet.
    let copy = std::env::temp_dir().join(format!("keyfort-template-{}", std::process::id()));
    let r = check_copy(ctx, &copy);
    let _ = std::fs::remove_dir_all(&copy);
    r
}

fn check_copy(ctx: &Ctx, copy: &Path) -> Result<String, String> {
    copy_template(&ctx.root, copy)?;
    let target_dir = ctx.root.join("target").join("template");
    let mut notes = Vec::new();
    for m in MACHINES {
        let board = boards::find(m).ok_or_else(|| format!("no board {m}"))?;
        let elf = build(ctx, copy, &target_dir, board)?;
        notes.push(run_twice(ctx, board, elf)?);
    }
    notes.push(without_linker_script(ctx, copy)?);
    Ok(format!(
        "copied to {}; {}",
        copy.display(),
        notes.join("; ")
    ))
}

/// Copies `templates/firmware` to `to` (replacing it) with its path dependencies made
/// absolute.
fn copy_template(root: &Path, to: &Path) -> Result<(), String> {
    let from = root.join("templates").join("firmware");
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    }
    for rel in [
        "Cargo.toml",
        ".cargo/config.toml",
        "qemu-run.sh",
        "src/main.rs",
    ] {
        let dst = to.join(rel);
        if let Some(dir) = dst.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::copy(from.join(rel), &dst).map_err(|e| format!("copy {rel}: {e}"))?;
    }
    let manifest = to.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).map_err(|e| e.to_string())?;
    let rewritten = text.replace("path = \"../../", &format!("path = \"{}/", root.display()));
    if rewritten
        .matches(&format!("path = \"{}/", root.display()))
        .count()
        != 2
    {
        return Err(
            "the template's Cargo.toml no longer has its two `../../` path \
                    dependencies (keyfort, keyfort-board-qemu): update this step and the page"
                .into(),
        );
    }
    std::fs::write(&manifest, rewritten).map_err(|e| e.to_string())?;
    std::fs::copy(root.join("qemu").join("Cargo.lock"), to.join("Cargo.lock"))
        .map_err(|e| format!("seed Cargo.lock: {e}"))?;
    Ok(())
}

/// `cargo build --release --target T` in the copy; the ELF's path.
fn build(ctx: &Ctx, copy: &Path, target_dir: &Path, board: &Board) -> Result<PathBuf, String> {
    let mut c = cargo_in(
        copy,
        Some(target_dir),
        ctx.env.route,
        "build",
        &[board.target],
    );
    c.arg("--release");
    sh::run(&mut c)?;
    Ok(target_dir.join(board.target).join("release").join(BIN))
}

/// The MAC line of a run.
fn mac_line(lines: &[String]) -> Option<String> {
    lines
        .iter()
        .find(|l| l.starts_with("MAC of the test message:"))
        .cloned()
}

fn run_twice(ctx: &Ctx, board: &'static Board, elf: PathBuf) -> Result<String, String> {
    let run = |device: &str| -> Result<Vec<String>, String> {
        let dir = ctx.root.join("target").join("devices").join(device);
        let out = crate::run_elf(
            board,
            elf.clone(),
            dir,
            Duration::from_secs(120),
            Cut::default(),
            false,
        )?;
        if out.ending != Ending::Exited(0) {
            return Err(format!("{}: {}", board.machine, out.describe()));
        }
        Ok(out.lines)
    };
    let name = format!("template-{}", board.machine);
    let fresh = ctx.root.join("target").join("devices").join(&name);
    if fresh.exists() {
        std::fs::remove_dir_all(&fresh).map_err(|e| format!("{}: {e}", fresh.display()))?;
    }
    let first = run(&name)?;
    let second = run(&name)?;
    let other = format!("{name}-other");
    let other_dir = ctx.root.join("target").join("devices").join(&other);
    if other_dir.exists() {
        std::fs::remove_dir_all(&other_dir).map_err(|e| e.to_string())?;
    }
    let third = run(&other)?;
    let has = |lines: &[String], s: &str| lines.iter().any(|l| l.contains(s));
    if !has(&first, "first boot: generated key 1") {
        return Err(format!(
            "{}: first boot did not create the key",
            board.machine
        ));
    }
    if !has(&second, "store opened: key 1 is there") {
        return Err(format!(
            "{}: second boot did not find the key",
            board.machine
        ));
    }
    let (m1, m2, m3) = (mac_line(&first), mac_line(&second), mac_line(&third));
    if m1.is_none() || m1 != m2 {
        return Err(format!(
            "{}: the MAC changed across the reboot ({m1:?}, {m2:?})",
            board.machine
        ));
    }
    // Control: another device has another key, so equal MACs above are not a constant.
    if m3.is_none() || m3 == m1 {
        return Err(format!(
            "{}: a fresh device printed the same MAC ({m3:?})",
            board.machine
        ));
    }
    Ok(format!("{}: key survives a reboot", board.machine))
}

/// Builds the copy with no linker-script flags: the build must fail with the board
/// crate's message; with that check bypassed, the image must be refused by `./x run`.
fn without_linker_script(ctx: &Ctx, copy: &Path) -> Result<String, String> {
    let config = copy.join(".cargo").join("config.toml");
    let text = std::fs::read_to_string(&config).map_err(|e| e.to_string())?;
    let stripped: String = text
        .lines()
        .filter(|l| !l.starts_with("rustflags"))
        .map(|l| format!("{l}\n"))
        .collect();
    if stripped == text {
        return Err("the template's config.toml has no rustflags line to remove".into());
    }
    std::fs::write(&config, stripped).map_err(|e| e.to_string())?;
    let board = boards::find("mps2-an386").ok_or("no board mps2-an386")?;
    let target_dir = ctx.root.join("target").join("template-no-script");
    let build = |bypass: bool| -> Result<(bool, String), String> {
        let mut c = cargo_in(
            copy,
            Some(&target_dir),
            ctx.env.route,
            "build",
            &[board.target],
        );
        c.arg("--release");
        if bypass {
            c.env("KEYFORT_SKIP_LINKER_SCRIPT_CHECK", "1");
        }
        println!("  $ {}", sh::show(&c));
        let out = c.output().map_err(|e| format!("cannot start cargo: {e}"))?;
        Ok((
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    };
    let (ok, stderr) = build(false)?;
    if ok || !stderr.contains(NO_SCRIPT_MESSAGE) || !stderr.contains("-Tlink.x") {
        return Err(format!(
            "a build without the linker scripts was not stopped with the board crate's \
             message (success: {ok}); stderr ends: {}",
            tail(&stderr)
        ));
    }
    let (ok, stderr) = build(true)?;
    if !ok {
        return Err(format!("the bypassed build failed: {}", tail(&stderr)));
    }
    let elf = target_dir.join(board.target).join("release").join(BIN);
    let size = crate::elf_check::loaded_bytes(&elf)?;
    let refused = crate::elf_check::linked_image(&elf);
    let Err(why) = refused else {
        return Err("an image linked without link.x was accepted by ./x run".into());
    };
    println!("  ./x run refuses it: {why}");
    Ok(format!(
        "without -Tlink.x: build stopped with the fix; bypassed, the image ({size} bytes \
         loaded) is refused by ./x run"
    ))
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::copy_template;

    /// The copy points at this checkout and carries every file the page names.
    #[test]
    fn copy_rewrites_the_path_dependencies() {
        let root = crate::root();
        let to = std::env::temp_dir().join(format!("keyfort-template-unit-{}", std::process::id()));
        let r = copy_template(&root, &to);
        assert!(r.is_ok(), "{r:?}");
        let manifest = std::fs::read_to_string(to.join("Cargo.toml")).unwrap_or_default();
        assert!(manifest.contains(&format!("path = \"{}/core\"", root.display())));
        assert!(!manifest.contains("path = \"../../"));
        assert!(to.join(".cargo/config.toml").exists() && to.join("Cargo.lock").exists());
        let _ = std::fs::remove_dir_all(&to);
    }
}
