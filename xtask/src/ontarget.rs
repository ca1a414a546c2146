//! On-target steps: the self-test firmware on every QEMU board, and a check that the
//! runner itself catches failures, panics and hangs.
use crate::{
    boards::{self, Board, BOARDS},
    checks,
    ctx::{BoardResult, Ctx, Outcome},
    qemu::{self, Cut, Ending, Run},
    toolchain::firmware_elf,
};
use std::{path::PathBuf, time::Duration};

/// Per-run deadline for a self-test firmware (`KEYFORT_QEMU_TIMEOUT` seconds overrides).
pub fn timeout() -> Duration {
    let s = std::env::var("KEYFORT_QEMU_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    Duration::from_secs(s)
}

/// A fresh device directory `target/devices/<name>` (previous contents removed).
pub fn fresh_device(ctx: &Ctx, name: &str) -> Result<PathBuf, String> {
    let dir = ctx.root.join("target").join("devices").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    qemu::provision_device(&dir)?;
    Ok(dir)
}

/// Runs `selftest` on every board; all must exit 0 with `N passed, 0 failed`.
pub fn selftests(ctx: &mut Ctx) -> Outcome {
    // Up to date after the build step (cargo does nothing then); needed with `./x test on-target`.
    if let Err(e) = checks::build_firmware(ctx) {
        return Outcome::Fail(e);
    }
    let mut bad = Vec::new();
    ctx.boards.clear();
    for b in BOARDS {
        let (counts, ending) = match selftest_one(ctx, b) {
            Ok((counts, ending)) => (counts, ending),
            Err(e) => (None, e),
        };
        let ok = ending == "exit status 0" && matches!(counts, Some((_, 0)));
        if !ok {
            bad.push(b.machine);
        }
        ctx.boards.push(BoardResult {
            board: b,
            counts,
            ending,
        });
    }
    if bad.is_empty() {
        Outcome::Pass(format!("{} boards", BOARDS.len()))
    } else {
        Outcome::Fail(format!("failed on: {}", bad.join(", ")))
    }
}

fn selftest_one(ctx: &Ctx, b: &'static Board) -> Result<(Option<(u32, u32)>, String), String> {
    let device = fresh_device(ctx, &format!("{}-selftest", b.machine))?;
    let elf = firmware_elf(&ctx.root, ctx.env.route, b.target, "bin", "selftest");
    println!("--- {} ({}) ---", b.machine, b.core);
    let out = qemu::run(&Run {
        board: b,
        elf,
        device,
        timeout: timeout(),
        cut: Cut::default(),
        echo: Some(format!("  [{}] ", b.machine)),
    })?;
    if !out.stderr.trim().is_empty() {
        println!("  [{}] qemu stderr: {}", b.machine, out.stderr.trim());
    }
    println!(
        "  [{}] {} ({:.1} s)",
        b.machine,
        out.describe(),
        out.elapsed.as_secs_f64()
    );
    Ok((qemu::pass_counts(&out.lines), out.describe()))
}

/// Proves the runner fails what it must: a failing test (status 1 and its count), a
/// panic (status 101, message withheld), a HardFault (status 101), and a hang (killed at
/// the deadline); and that a marker line cuts the power. Uses the
/// `runner-check` firmware on mps2-an385.
pub fn runner_check(ctx: &mut Ctx) -> Outcome {
    if let Err(e) = checks::build_firmware(ctx) {
        return Outcome::Fail(e);
    }
    let Some(b) = boards::find("mps2-an385") else {
        return Outcome::Fail("no mps2-an385 board".into());
    };
    let elf = firmware_elf(&ctx.root, ctx.env.route, b.target, "bin", "runner-check");
    let check = |mode: &str, timeout: u64| -> Result<qemu::Outcome, String> {
        let device = fresh_device(ctx, &format!("runner-check-{mode}"))?;
        std::fs::write(device.join("mode"), mode).map_err(|e| e.to_string())?;
        qemu::run(&Run {
            board: b,
            elf: elf.clone(),
            device,
            timeout: Duration::from_secs(timeout),
            cut: Cut::default(),
            echo: Some(format!("  [{mode}] ")),
        })
    };
    let r = (|| {
        let fail = check("fail", 30)?;
        if fail.ending != Ending::Exited(1) || qemu::pass_counts(&fail.lines) != Some((1, 1)) {
            return Err(format!("failing test not reported: {}", fail.describe()));
        }
        let panic = check("panic", 30)?;
        if panic.ending != Ending::Exited(101)
            || !panic.lines.iter().any(|l| l.starts_with("PANIC"))
        {
            return Err(format!("panic not reported: {}", panic.describe()));
        }
        let fault = check("fault", 30)?;
        if fault.ending != Ending::Exited(101)
            || !fault.lines.iter().any(|l| l.starts_with("HARDFAULT"))
        {
            return Err(format!("HardFault not reported: {}", fault.describe()));
        }
        let hang = check("hang", 3)?;
        if !matches!(hang.ending, Ending::TimedOut(_)) {
            return Err(format!("hang not caught: {}", hang.describe()));
        }
        println!("  [hang] {}", hang.describe());
        let cut = {
            let device = fresh_device(ctx, "runner-check-cut")?;
            std::fs::write(device.join("mode"), "hang").map_err(|e| e.to_string())?;
            qemu::run(&Run {
                board: b,
                elf: elf.clone(),
                device,
                timeout: Duration::from_secs(30),
                cut: Cut {
                    after: None,
                    at_marker: Some("hanging on purpose".into()),
                },
                echo: None,
            })?
        };
        if cut.ending != Ending::PowerCut {
            return Err(format!("marker cut did not happen: {}", cut.describe()));
        }
        Ok(
            "fail -> status 1, panic/fault -> status 101, hang -> TIMEOUT, marker -> power cut"
                .to_string(),
        )
    })();
    crate::ctx::from(r)
}
