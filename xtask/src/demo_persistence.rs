//! The `persistence` test step: the sealed store on a QEMU board's flash file across QEMU
//! runs and power cuts (`qemu/firmware/src/bin/persistence.rs` does the checking).
//!
//! 1. a run stores keys and a state record in `flash.bin`, QEMU exits;
//! 2. a second run finds every key (reads each back through the store) and adds more;
//! 3. power cuts: runs killed just after the firmware announces a store write (`op N:`
//!    lines: imports, destroys with compaction and erase, state records) and runs killed
//!    after a time, each followed by a restart on the same files that checks that no
//!    committed key was lost (or a destroyed one revived) before it goes on.
use crate::{
    boards,
    ctx::{from, Ctx, Outcome},
    qemu::{self, Cut, Ending, Run},
    sh,
    toolchain::{firmware_bin_build, firmware_elf},
};
use std::time::Duration;

/// The machine the step runs on (the Cortex-M33 board: `demo-verify` covers the M0).
const MACHINE: &str = "mps2-an505";

/// Runs the step.
pub fn step(ctx: &mut Ctx) -> Outcome {
    from(campaign(ctx))
}

fn campaign(ctx: &Ctx) -> Result<String, String> {
    let board = boards::find(MACHINE).ok_or("no board")?;
    let mut c = firmware_bin_build(&ctx.root, ctx.env.route, &[board.target], "persistence");
    sh::run(c.arg("--quiet"))?;
    let device = ctx.root.join("target").join("persistence").join(MACHINE);
    let _ = std::fs::remove_dir_all(&device);
    qemu::provision_device(&device)?;
    let elf = firmware_elf(&ctx.root, ctx.env.route, board.target, "bin", "persistence");
    let set_plan =
        |n: u32| std::fs::write(device.join("pos-plan"), n.to_string()).map_err(|e| e.to_string());
    let run = |cut: Cut| -> Result<qemu::Outcome, String> {
        qemu::run(&Run {
            board,
            elf: elf.clone(),
            device: device.clone(),
            timeout: Duration::from_secs(60),
            cut,
            echo: None,
        })
    };
    let fail = |what: &str, out: &qemu::Outcome| {
        let last: Vec<&str> = out.lines.iter().rev().take(3).map(String::as_str).collect();
        format!("{what}: {} (last lines: {:?})", out.describe(), last)
    };
    // The operation count the firmware reached, from its lines.
    let committed = |out: &qemu::Outcome| -> Option<u32> {
        out.lines.iter().rev().find_map(|l| {
            let rest = l.split("done, ").nth(1)?;
            rest.split_whitespace().next()?.parse().ok()
        })
    };

    set_plan(12)?;
    let first = run(Cut::default())?;
    if first.ending != Ending::Exited(0) {
        return Err(fail("first run", &first));
    }
    let second = run(Cut::default())?;
    if second.ending != Ending::Exited(0)
        || !second
            .lines
            .iter()
            .any(|l| l.contains("12 committed operations checked"))
    {
        return Err(fail("second run (keys of the first)", &second));
    }
    let mut n = committed(&second).ok_or("second run: no summary line")?;

    // What the firmware had announced last when the power went: the write in flight.
    let mut in_flight: std::collections::BTreeMap<&'static str, u32> = Default::default();
    let mut note = |out: &qemu::Outcome| {
        let last = out.lines.iter().rev().find(|l| l.starts_with("op "));
        let kind = match last {
            Some(l) if l.contains("import") => "import",
            Some(l) if l.contains("destroy") => "destroy",
            Some(l) if l.contains("state") => "state write",
            _ => "open/verify",
        };
        *in_flight.entry(kind).or_default() += 1;
    };
    // Cuts right after the firmware announces the store write of operation n + d: the
    // schedule mixes imports, destroys (tombstone, compaction, erase) and state writes.
    let (mut marker_cuts, mut time_cuts, mut restarts) = (0, 0, 0);
    set_plan(30)?;
    for d in [1u32, 2, 3, 5, 7, 8, 10, 13, 16, 17, 19, 22] {
        let marker = format!("op {}:", n + d);
        let out = run(Cut {
            after: None,
            at_marker: Some(marker.clone()),
        })?;
        match out.ending {
            Ending::PowerCut => {
                marker_cuts += 1;
                note(&out);
            }
            _ => return Err(fail(&format!("run to be cut at \"{marker}\""), &out)),
        }
        let next = run(Cut::default())?;
        restarts += 1;
        if next.ending != Ending::Exited(0) {
            return Err(fail(
                &format!("restart after the cut at \"{marker}\""),
                &next,
            ));
        }
        n = committed(&next).ok_or("restart: no summary line")?;
    }
    // Cuts after a time, wherever the firmware is (store open, scan, a write, an erase).
    set_plan(200)?;
    for ms in [50u64, 100, 150, 200, 300, 400, 500, 650] {
        let out = run(Cut {
            after: Some(Duration::from_millis(ms)),
            at_marker: None,
        })?;
        match out.ending {
            Ending::PowerCut => {
                time_cuts += 1;
                note(&out);
            }
            Ending::Exited(0) => {}
            _ => return Err(fail(&format!("run cut after {ms} ms"), &out)),
        }
        let next = run(Cut::default())?;
        restarts += 1;
        if next.ending != Ending::Exited(0) {
            return Err(fail(&format!("restart after the cut at {ms} ms"), &next));
        }
        n = committed(&next).ok_or("restart: no summary line")?;
    }
    let kinds: Vec<String> = in_flight.iter().map(|(k, v)| format!("{v} {k}")).collect();
    Ok(format!(
        "{MACHINE}: keys found by a second run; {marker_cuts} cuts at store writes + {time_cuts} timed cuts (in flight: {}), {restarts} restarts found every committed key; {n} operations committed",
        kinds.join(", ")
    ))
}
