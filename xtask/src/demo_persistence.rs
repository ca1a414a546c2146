//! The on-target power-cut campaign: the sealed store's whole lifecycle on a QEMU board's
//! flash file, with the power cut at flash operations the runner chooses
//! (`qemu/firmware/src/bin/persistence.rs` runs the workload and checks the store;
//! `qemu/firmware/src/cut_flash.rs` cuts).
//!
//! Each boot is one QEMU run on the same device directory. The runner writes the plan:
//! cut at the N-th flash program or erase of the boot (N drawn at random up to the
//! number of flash operations a boot does; after a cut, every other boot draws N among
//! the recovery's own operations: the open and the first store operation, which compacts
//! the torn sector away: a *double fault*). The firmware leaves that operation half done
//! and stops; the next boot checks the store against the ledger of committed operations
//! (no committed key lost, no wrong key) and goes on. A device is replaced by a fresh one
//! every [`DEVICE_LIFE`] boots (its root sector has room for a few dozen tamper wipes).
//!
//! `./x test` (step "persistence") runs [`TEST_CUTS`] cuts on each of [`MACHINES`];
//! `./x campaign [--cuts N] [--seed S] [--board MACHINE]` runs a longer one (default
//! 5000 cuts on each board). Both print the figures and fail if any key was lost or wrong
//! or the store failed to open with an error the manual does not document for a cut.
use crate::{
    boards::{self, Board},
    ctx::{from, Ctx, Outcome},
    qemu::{self, Cut, Ending, Run},
    sh,
    toolchain::{firmware_bin_build, firmware_elf},
};
use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

/// The boards the step runs on (Cortex-M3 and Cortex-M33).
pub const MACHINES: &[&str] = &["mps2-an385", "mps2-an505"];
/// Cuts per board in `./x test`.
pub const TEST_CUTS: u32 = 75;
/// Cuts per board of `./x campaign` without `--cuts`.
pub const CAMPAIGN_CUTS: u32 = 5000;
/// Boots before the device is replaced by a fresh one.
const DEVICE_LIFE: u32 = 120;
/// Store operations a boot runs (the cut usually comes first).
const OPS_PER_BOOT: u32 = 8;
/// The firmware's exit status for an injected power cut (`cut_flash::CUT_EXIT`).
const EXIT_CUT: i32 = 3;
/// The firmware's exit status for a store that did not open (an open error).
const EXIT_OPEN: i32 = 2;

/// What a campaign found.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    /// Boots (QEMU runs).
    pub boots: u32,
    /// Power cuts at a flash operation.
    pub cuts: u32,
    /// Of which at a program, left with part of a word programmed.
    pub torn_programs: u32,
    /// Of which at an erase, left partly erased.
    pub torn_erases: u32,
    /// Cuts in the recovery of the previous cut (open, or the first operation after).
    pub double_faults: u32,
    /// After a cut, the interrupted operation was found done / not done.
    pub found_done: u32,
    pub found_not_done: u32,
    /// Opens that reported the typed outcome of a cut tamper wipe (`TamperWiped`).
    pub wipe_reported: u32,
    /// Key versions and state records read back and compared after cuts.
    pub verified: u64,
    /// Committed keys lost.
    pub keys_lost: u32,
    /// Keys with wrong bytes or metadata, or present when they should not be.
    pub wrong_keys: u32,
    /// Opens that failed (an error other than the documented `TamperWiped`).
    pub open_errors: u32,
    /// Other failures of the firmware's checks (an operation refused, a refusal missing).
    pub other_failures: u32,
    /// Operations committed, over all devices.
    pub ops: u64,
    /// Devices used.
    pub devices: u32,
    /// Where failing devices were kept, with the plan that made them fail.
    pub reproducers: Vec<String>,
}

impl Figures {
    /// True if nothing was lost, wrong or unexplained.
    pub fn clean(&self) -> bool {
        self.keys_lost == 0
            && self.wrong_keys == 0
            && self.open_errors == 0
            && self.other_failures == 0
    }

    /// One line for people.
    pub fn line(&self) -> String {
        format!(
            "{} cuts at flash operations ({} torn programs, {} torn erases), {} double faults, {} boots; \
             interrupted operation found done {} / not done {}; {} key versions and state records verified; \
             keys lost {}, wrong keys {}, open errors {} (TamperWiped reported {} times, documented), other failures {}; \
             {} operations committed on {} devices",
            self.cuts,
            self.torn_programs,
            self.torn_erases,
            self.double_faults,
            self.boots,
            self.found_done,
            self.found_not_done,
            self.verified,
            self.keys_lost,
            self.wrong_keys,
            self.open_errors,
            self.wipe_reported,
            self.other_failures,
            self.ops,
            self.devices
        )
    }
}

/// Runs the step: [`TEST_CUTS`] cuts on each of [`MACHINES`], then the negative control.
pub fn step(ctx: &mut Ctx) -> Outcome {
    from(
        run_boards(ctx, MACHINES, TEST_CUTS, seed_from_time()).and_then(|s| {
            let c = control(ctx, seed_from_time())?;
            Ok(format!("{s}; {c}"))
        }),
    )
}

/// Cuts in the negative control.
const CONTROL_CUTS: u32 = 12;

/// The negative control: the same campaign with a firmware that writes each operation to
/// its ledger before the store runs it (a store that acknowledges before it commits).
/// The checks must report lost or wrong keys.
fn control(ctx: &Ctx, seed: u64) -> Result<String, String> {
    let board = boards::find(MACHINES[0]).ok_or("no board")?;
    let elf = firmware_elf(&ctx.root, ctx.env.route, board.target, "bin", "persistence");
    let dir = ctx.root.join("target").join("persistence").join("control");
    let f = run_campaign(board, &elf, &dir, CONTROL_CUTS, seed, true)?;
    let caught = f.keys_lost + f.wrong_keys;
    let line = format!(
        "negative control (ledger written before the store commits, {}, seed {seed}): {} cuts, keys lost {}, wrong keys {}",
        board.machine, f.cuts, f.keys_lost, f.wrong_keys
    );
    println!("  persistence: {line}");
    if caught == 0 {
        return Err(format!("{line}: NOT caught"));
    }
    Ok(format!("{line}: caught"))
}

/// `./x campaign [--cuts N] [--seed S] [--board MACHINE]...`.
pub fn campaign_cmd(ctx: &Ctx, args: &[String]) -> Result<bool, String> {
    let mut cuts = CAMPAIGN_CUTS;
    let mut seed = seed_from_time();
    let mut machines: Vec<&'static str> = Vec::new();
    let mut opts = crate::options::Options::new(args);
    while let Some(a) = opts.next() {
        match a {
            "--cuts" => cuts = opts.parsed(a)?,
            "--seed" => seed = opts.parsed(a)?,
            "--board" => {
                let m = opts.value(a)?;
                machines.push(
                    boards::find(&m)
                        .ok_or(format!("unknown machine {m}"))?
                        .machine,
                );
            }
            other => return Err(format!("campaign: unknown option {other}")),
        }
    }
    if machines.is_empty() {
        machines = MACHINES.to_vec();
    }
    match run_boards(ctx, &machines, cuts, seed) {
        Ok(s) => {
            println!("campaign: PASS: {s}");
            Ok(true)
        }
        Err(e) => {
            println!("campaign: FAIL: {e}");
            Ok(false)
        }
    }
}

fn seed_from_time() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_secs() ^ u64::from(d.subsec_nanos()) << 32)
}

fn run_boards(ctx: &Ctx, machines: &[&str], cuts: u32, seed: u64) -> Result<String, String> {
    let mut notes = Vec::new();
    let mut failed = false;
    for (i, m) in machines.iter().enumerate() {
        let board = boards::find(m).ok_or("no board")?;
        let mut c = firmware_bin_build(&ctx.root, ctx.env.route, &[board.target], "persistence");
        sh::run(c.arg("--quiet"))?;
        let elf = firmware_elf(&ctx.root, ctx.env.route, board.target, "bin", "persistence");
        let dir = ctx
            .root
            .join("target")
            .join("persistence")
            .join(board.machine);
        let board_seed = seed.wrapping_add(i as u64);
        let t = Instant::now();
        let f = run_campaign(board, &elf, &dir, cuts, board_seed, false)?;
        let line = format!(
            "{} (seed {board_seed}, {:.0} s): {}",
            board.machine,
            t.elapsed().as_secs_f64(),
            f.line()
        );
        println!("  persistence: {line}");
        for r in &f.reproducers {
            println!("  persistence: reproducer: {r}");
        }
        failed |= !f.clean();
        notes.push(line);
    }
    let all = notes.join("; ");
    if failed {
        Err(all)
    } else {
        Ok(all)
    }
}

/// xorshift64*: the runner's choices, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 32) % u64::from(n.max(1))) as u32
    }
}

/// The numbers the firmware printed in one boot.
#[derive(Debug, Default)]
struct Boot {
    cut: Option<(bool, String)>,
    done: Option<bool>,
    verified: u64,
    lost: u32,
    wrong: u32,
    wipe_reported: bool,
    committed: Option<u64>,
    flash_ops: Option<u32>,
    first_ops: Option<u32>,
    erases: Option<u32>,
}

fn number_after(line: &str, key: &str) -> Option<u64> {
    let rest = line.split(key).nth(1)?;
    rest.trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn number32_after(line: &str, key: &str) -> Option<u32> {
    number_after(line, key).and_then(|v| u32::try_from(v).ok())
}

fn parse(lines: &[String]) -> Boot {
    let mut b = Boot::default();
    for l in lines {
        if l.starts_with("cut: flash op") {
            let program = l.contains(" program ");
            let phase = l
                .split("phase ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next());
            b.cut = Some((program, phase.unwrap_or("").to_string()));
        } else if l.starts_with("check: ") {
            b.verified += number_after(l, "operations,").unwrap_or(0);
            b.done = Some(l.ends_with(") done"));
        } else if l.starts_with("check FAILED") {
            b.lost += number32_after(l, "lost").unwrap_or(0);
            b.wrong += number32_after(l, "wrong").unwrap_or(0);
        } else if l.starts_with("open: TamperWiped") {
            b.wipe_reported = true;
        } else if l.starts_with("first: ") {
            b.first_ops = number32_after(l, "first:");
        } else if l.starts_with("done: ") {
            b.committed = number_after(l, "done:");
            b.flash_ops = number32_after(l, "total;");
            b.erases = number32_after(l, "operation,");
        }
    }
    b
}

/// Runs `cuts` cuts on `board`, on devices under `dir` (`control`: the negative control's
/// firmware mode, see [`control`]).
fn run_campaign(
    board: &Board,
    elf: &Path,
    dir: &Path,
    cuts: u32,
    seed: u64,
    control: bool,
) -> Result<Figures, String> {
    let mut f = Figures::default();
    let mut rng = Rng(seed | 1);
    let _ = std::fs::remove_dir_all(dir);
    let mut device = PathBuf::new();
    let mut life = DEVICE_LIFE; // forces a fresh device first
                                // Flash operations after the first operation of a boot, erases of a boot, and the
                                // recovery's (open and first operation after a cut), from earlier boots.
    let (mut work_ops, mut erases, mut recovery_ops) = (100u32, 2u32, 16u32);
    let mut last_cut = false;
    let mut recovery_cut = false;
    let mut committed_here = 0u64;
    let mut final_check = false;
    loop {
        if life >= DEVICE_LIFE {
            f.ops += committed_here;
            committed_here = 0;
            f.devices += 1;
            device = dir.join(format!("device-{}", f.devices));
            qemu::provision_device(&device)?;
            life = 0;
            last_cut = false;
        }
        // Mode bit 0: count only after the boot's first operation (the recovery runs
        // uncut, so every such boot commits at least one operation); bit 1: erases only.
        let was_recovery_cut = recovery_cut;
        recovery_cut = false;
        let (at, mode) = if final_check {
            (0, 0)
        } else if last_cut && !was_recovery_cut && rng.below(2) == 0 {
            recovery_cut = true;
            (1 + rng.below(recovery_ops), 0)
        } else if rng.below(4) == 0 {
            (1 + rng.below(erases), 3)
        } else {
            (1 + rng.below(work_ops), 1)
        };
        let tear = rng.below(u32::MAX);
        let mode = if control { mode | 4 } else { mode };
        let plan = format!("{at} {tear} {OPS_PER_BOOT} {mode}");
        std::fs::write(device.join("cut-plan"), &plan).map_err(|e| e.to_string())?;
        let out = qemu::run(&Run {
            board,
            elf: elf.to_path_buf(),
            device: device.clone(),
            timeout: Duration::from_secs(60),
            cut: Cut::default(),
            echo: None,
        })?;
        f.boots += 1;
        life += 1;
        let b = parse(&out.lines);
        if last_cut {
            f.verified += b.verified;
            match b.done {
                Some(true) => f.found_done += 1,
                Some(false) => f.found_not_done += 1,
                None => {}
            }
        }
        f.wipe_reported += u32::from(b.wipe_reported);
        if let Some(c) = b.committed {
            committed_here = c;
        }
        if last_cut && !recovery_cut {
            if let Some(n) = b.first_ops.filter(|&n| n > 0) {
                recovery_ops = n;
            }
        }
        let mut keep = |f: &mut Figures, why: &str| -> Result<(), String> {
            let kept = dir.join(format!("failed-{}", f.reproducers.len() + 1));
            let _ = std::fs::remove_dir_all(&kept);
            std::fs::rename(&device, &kept).map_err(|e| e.to_string())?;
            let last: Vec<&str> = out.lines.iter().rev().take(4).map(String::as_str).collect();
            f.reproducers.push(format!(
                "{why}: device kept in {} (rerun: ./x run {} --bin persistence --device {} with cut-plan \"{plan}\"; last lines {last:?})",
                kept.display(),
                board.machine,
                kept.display()
            ));
            life = DEVICE_LIFE;
            Ok(())
        };
        match out.ending {
            Ending::Exited(EXIT_CUT) => {
                let (program, phase) = b.cut.clone().unwrap_or_default();
                f.cuts += 1;
                if cuts >= 500 && f.cuts % 250 == 0 {
                    println!("  {}: {} cuts so far: {}", board.machine, f.cuts, f.line());
                }
                if program {
                    f.torn_programs += 1;
                } else {
                    f.torn_erases += 1;
                }
                if last_cut && (phase == "Open" || phase == "FirstOp") {
                    f.double_faults += 1;
                }
                last_cut = true;
            }
            Ending::Exited(0) => {
                last_cut = false;
                if let (Some(n), Some(first)) = (b.flash_ops, b.first_ops) {
                    work_ops = n.saturating_sub(first).max(1);
                }
                if let Some(n) = b.erases.filter(|&n| n > 0) {
                    erases = n;
                }
                if final_check {
                    break;
                }
            }
            Ending::Exited(1) => {
                f.keys_lost += b.lost;
                f.wrong_keys += b.wrong;
                if b.lost == 0 && b.wrong == 0 {
                    f.other_failures += 1;
                }
                keep(&mut f, "check failed")?;
                last_cut = false;
            }
            Ending::Exited(EXIT_OPEN) => {
                f.open_errors += 1;
                keep(&mut f, "open error")?;
                last_cut = false;
            }
            _ => {
                let last: Vec<&str> = out.lines.iter().rev().take(4).map(String::as_str).collect();
                return Err(format!(
                    "{} boot {} (plan \"{plan}\", device {}): {} (last lines {last:?})",
                    board.machine,
                    f.boots,
                    device.display(),
                    out.describe()
                ));
            }
        }
        if f.cuts >= cuts && !final_check {
            // One more boot without a cut checks the last one.
            final_check = true;
            if !last_cut {
                break;
            }
        }
    }
    f.ops += committed_here;
    Ok(f)
}
