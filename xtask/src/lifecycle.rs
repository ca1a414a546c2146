//! The `lifecycle` test step: a key's whole life, pre-active to destroyed, on one QEMU
//! board through the public store API (`qemu/firmware/src/bin/lifecycle.rs` does the
//! checking; this step builds it, runs it on a fresh device and wants its summary line).
use crate::{
    boards,
    ctx::{from, Ctx, Outcome},
    ontarget::fresh_device,
    qemu::{self, Cut, Ending, Run},
    sh,
    toolchain::{firmware_bin_build, firmware_elf},
};
use std::time::Duration;

/// The board (a Cortex-M33; the self-tests cover the others).
const MACHINE: &str = "mps2-an505";

/// Runs the step.
pub fn step(ctx: &mut Ctx) -> Outcome {
    from(run(ctx))
}

fn run(ctx: &Ctx) -> Result<String, String> {
    let board = boards::find(MACHINE).ok_or("no board")?;
    let mut c = firmware_bin_build(&ctx.root, ctx.env.route, &[board.target], "lifecycle");
    sh::run(c.arg("--quiet"))?;
    let device = fresh_device(ctx, &format!("{MACHINE}-lifecycle"))?;
    let out = qemu::run(&Run {
        board,
        elf: firmware_elf(&ctx.root, ctx.env.route, board.target, "bin", "lifecycle"),
        device,
        timeout: Duration::from_secs(60),
        cut: Cut::default(),
        echo: Some(format!("  [{MACHINE}] ")),
    })?;
    let summary = out
        .lines
        .iter()
        .find(|l| l.contains("lifecycle: ") && l.ends_with("checks passed"));
    match (&out.ending, summary) {
        (Ending::Exited(0), Some(line)) => Ok(format!("{MACHINE}: {}", line.trim())),
        _ => {
            let last: Vec<&str> = out.lines.iter().rev().take(3).map(String::as_str).collect();
            Err(format!(
                "{MACHINE}: {} (last lines: {last:?})",
                out.describe()
            ))
        }
    }
}
