//! The memory-scan test (`./x test memscan` runs its two steps alone): are keys really
//! gone from RAM and flash after use, and after a tamper wipe, even one cut by a power loss?
//!
//! The firmware `memscan` (qemu/firmware/src/bin/memscan.rs) runs keyfort's key handling
//! with known TEST keys, then parks at marker lines. At each marker this module stops the
//! machine, saves ALL of its memory through QEMU's QMP socket (`pmemsave` of the RAM and
//! the code region, as the board's `memory.x` gives them), reads the flash image file,
//! and searches for every *needle*: every TEST key, every key the workload derives
//! (computed here on the host with the keyfort library: DUKPT initial keys, every
//! terminal register, transaction keys, working and variant keys), and what the cipher
//! crates keep of each key (see [`Needle`]).
//!
//! Three runs, the same workload each time:
//! 1. positive control (`memscan: control live`): with an AES-256 schedule and a TDES
//!    schedule alive, their in-RAM forms must be found, or the needles are wrong;
//! 2. the normal build after the workload (`memscan: workload done`): must find 0;
//! 3. the same firmware built with keyfort's test-only `--cfg keyfort_no_wipe` (holders
//!    skip their wipe; a compiler flag set here, never a Cargo feature): must find some,
//!    or the scan is blind and the step fails.
//!
//! Live terminal (`memscan: live terminal`, before the workload): an AES DUKPT terminal
//! parked between two transactions. Its needles ([`live_needles`]) are its current
//! registers and the future keys (derivation keys of the next counters): the normal build
//! (registers masked) must show 0, the `keyfort_no_wipe` build (masking off: registers in clear)
//! must be caught.
use crate::{
    boards::{self, Board},
    ctx::{Ctx, Outcome},
    qemu, sh,
    toolchain::{firmware_bin_build, firmware_elf},
};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::Duration,
};

/// The machine the scan runs on.
pub const MACHINE: &str = "mps2-an385";
/// The TR-31 block the firmware imports (TR-31:2018 A.7.4; public).
mod qmp;

pub use keyfort_testkit::memscan_needles::*;
use qmp::{memory_regions, Machine, Region};

/// Prints the hits grouped by needle form; returns the count.
fn report(label: &str, needles: &[Needle], hits: &[Hit]) -> usize {
    let mut by_form: std::collections::BTreeMap<Form, usize> = Default::default();
    for h in hits {
        *by_form.entry(needles[h.needle].form).or_default() += 1;
    }
    println!("  [{label}] occurrences found: {}", hits.len());
    for (f, c) in &by_form {
        println!("  [{label}]   {:<48} {c}", f.label());
    }
    for h in hits.iter().take(12) {
        let n = &needles[h.needle];
        println!(
            "  [{label}]   {} ({}) in {} at {:#010x}",
            n.key,
            n.form.label(),
            h.image,
            h.at
        );
    }
    if hits.len() > 12 {
        println!("  [{label}]   ... and {} more", hits.len() - 12);
    }
    hits.len()
}

/// Builds the memscan firmware (with or without `--cfg keyfort_no_wipe`) and returns a
/// copy of its ELF.
fn build(ctx: &Ctx, board: &Board, no_wipe: bool, dir: &Path) -> Result<PathBuf, String> {
    let mut c = firmware_bin_build(&ctx.root, ctx.env.route, &[board.target], "memscan");
    if no_wipe {
        // Joined with the config files' rustflags (cargo merges arrays); cargo keeps the
        // artifacts of both flag sets apart, so the normal build stays cached.
        c.arg("--config").arg(format!(
            "target.{}.rustflags=[\"--cfg\", \"keyfort_no_wipe\"]",
            board.target
        ));
    }
    sh::run(&mut c)?;
    let elf = firmware_elf(&ctx.root, ctx.env.route, board.target, "bin", "memscan");
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let copy = dir.join(if no_wipe {
        "memscan-no-wipe.elf"
    } else {
        "memscan.elf"
    });
    std::fs::copy(&elf, &copy).map_err(|e| format!("{}: {e}", elf.display()))?;
    Ok(copy)
}

/// What one run of the workload found.
#[derive(Debug, Default)]
pub struct RunResult {
    /// Control-phase hits per form.
    pub control: HashMap<Form, usize>,
    /// Occurrences of the live terminal's registers and future keys while it is parked.
    pub live: usize,
    /// Occurrences after the workload (store alive, sealing keys masked).
    pub after: usize,
    /// Occurrences after the tamper wipe.
    pub after_tamper: usize,
    /// Hits per key name after the workload.
    pub after_keys: Vec<String>,
    /// The firmware's tamper lines (cost of the wipe, store state).
    pub tamper_lines: Vec<String>,
}

fn run_one(
    ctx: &Ctx,
    board: &Board,
    elf: &Path,
    name: &str,
    needles: &Needles,
    live: &Needles,
    regions: &[Region],
) -> Result<RunResult, String> {
    let device = crate::ontarget::fresh_device(ctx, &format!("{}-{name}", board.machine))?;
    std::fs::write(device.join("memscan-keys.bin"), test_keys()).map_err(|e| e.to_string())?;
    std::fs::write(device.join("host-ack"), "0").map_err(|e| e.to_string())?;
    let secret = std::fs::read(device.join("device-secret.bin")).map_err(|e| e.to_string())?;
    let echo = format!("  [{name}] ");
    let mut m = Machine::start(board, elf, &device, regions.to_vec())?;
    let mut res = RunResult::default();

    m.wait_for("memscan: control live", &echo)?;
    let imgs = m.dump("control")?;
    for h in scan(&needles.0, &imgs) {
        *res.control.entry(needles.0[h.needle].form).or_default() += 1;
    }
    m.ack(1)?;

    m.wait_for("memscan: live terminal", &echo)?;
    let imgs = m.dump("live")?;
    let hits = scan(&live.0, &imgs);
    res.live = report(&format!("{name}, live terminal"), &live.0, &hits);
    m.ack(2)?;

    m.wait_for("memscan: workload done", &echo)?;
    let imgs = m.dump("after")?;
    // The store's sealing keys, from the salt now on flash.
    let mut all = Needles(needles.0.clone());
    if let Some(flash) = imgs.iter().find(|i| i.name.starts_with("flash.bin")) {
        store_needles(&mut all, &flash.bytes, &secret)?;
    }
    let hits = scan(&all.0, &imgs);
    res.after = report(name, &all.0, &hits);
    res.after_keys = hits.iter().map(|h| all.0[h.needle].key.clone()).collect();

    // Tamper: assert the line, let the firmware go on.
    qemu::set_tamper(&device, true)?;
    m.ack(3)?;
    m.wait_for("memscan: tamper wipe done", &echo)?;
    res.tamper_lines = m
        .log
        .iter()
        .filter(|l| l.starts_with("tamper:") || l.starts_with("store state:"))
        .cloned()
        .collect();
    let imgs = m.dump("tamper")?;
    if let Some(flash) = imgs.iter().find(|i| i.name.starts_with("flash.bin")) {
        store_needles(&mut all, &flash.bytes, &secret)?; // the new, empty store's keys too
    }
    let hits = scan(&all.0, &imgs);
    res.after_tamper = report(&format!("{name}, after tamper"), &all.0, &hits);
    m.ack(4)?;
    if !m.finish(&echo) {
        return Err(format!("{name}: firmware did not exit 0"));
    }
    Ok(res)
}

/// The step.
pub fn step(ctx: &mut Ctx) -> Outcome {
    crate::ctx::from(run(ctx))
}

fn run(ctx: &Ctx) -> Result<String, String> {
    let board = boards::find(MACHINE).ok_or("no board")?;
    let script = ctx
        .root
        .join("boards/qemu/memory")
        .join(format!("{}.x", board.machine));
    let regions = memory_regions(
        &std::fs::read_to_string(&script).map_err(|e| format!("{}: {e}", script.display()))?,
    );
    if regions.is_empty() {
        return Err(format!("no MEMORY regions in {}", script.display()));
    }
    let needles = workload_needles(&test_keys())?;
    let live = live_needles(&test_keys())?;
    println!(
        "  {} needles: {} keys and their in-RAM forms (+ the store's sealing keys, from the \
         salt on flash); regions: {}",
        needles.0.len(),
        needles
            .0
            .iter()
            .map(|n| &n.key)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        regions
            .iter()
            .map(|r| format!("{} {:#x}+{:#x}", r.name, r.origin, r.len))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let dir = ctx.root.join("target").join("memscan");
    let wipe_elf = build(ctx, board, false, &dir)?;
    let nowipe_elf = build(ctx, board, true, &dir)?;

    let normal = run_one(ctx, board, &wipe_elf, "memscan", &needles, &live, &regions)?;
    // Positive control: the live schedules' forms must have been found (`block::Aes` uses
    // keyfort-aes on every bare-metal ARM core: its assembly on ARMv7-M / ARMv8-M
    // Mainline, its portable model on ARMv6-M; the `aes` crate only on hosts).
    let controls: &[Form] = &[Form::KeyfortAes, Form::DesSubkey1];
    for &f in controls {
        if normal.control.get(&f).copied().unwrap_or(0) == 0 {
            return Err(format!(
                "positive control: no `{}` found while the schedules were alive (needles wrong?)",
                f.label()
            ));
        }
    }
    println!(
        "  positive control: live AES-256 and TDES schedules found ({})",
        normal
            .control
            .iter()
            .map(|(f, c)| format!("{}: {c}", f.label()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let leaky = run_one(
        ctx,
        board,
        &nowipe_elf,
        "memscan-no-wipe",
        &needles,
        &live,
        &regions,
    )?;
    let sealing_seen = leaky.after_keys.iter().any(|k| k.starts_with("store "));
    println!(
        "  occurrences found: {} (normal build), {} (non-wiping build{}); after tamper: {} \
         (normal build), {} (non-wiping build)",
        normal.after,
        leaky.after,
        if sealing_seen {
            ", store sealing keys among them"
        } else {
            ""
        },
        normal.after_tamper,
        leaky.after_tamper
    );
    for l in &normal.tamper_lines {
        println!("  {l}");
    }
    let gone = normal.tamper_lines.iter().any(|l| {
        l.starts_with("store state: 0 key versions, key 1: NotFound, last audit event: TamperWipe")
    });
    println!(
        "  live terminal between two transactions ({} needles: registers and future keys): \
         {} found (masked registers), {} (registers in clear, non-wiping build)",
        live.0.len(),
        normal.live,
        leaky.live
    );
    if leaky.after == 0 {
        return Err("the non-wiping build was not caught: the scan is blind".into());
    }
    if leaky.live == 0 {
        return Err(
            "live terminal: registers held in clear were not caught: the scan is blind".into(),
        );
    }
    if normal.live != 0 {
        return Err(format!(
            "live terminal: {} occurrences of its registers or future keys in RAM (must be 0)",
            normal.live
        ));
    }
    if normal.after != 0 || normal.after_tamper != 0 {
        return Err(format!(
            "occurrences found: {} after the workload, {} after the tamper wipe (both must be 0)",
            normal.after, normal.after_tamper
        ));
    }
    if !gone {
        return Err("after the tamper wipe the store did not report every key gone".into());
    }
    Ok(format!(
        "occurrences found: 0, after tamper: 0 (non-wiping build: {}, caught); live terminal: 0 \
         (registers in clear: {}, caught); store empty after tamper",
        leaky.after, leaky.live
    ))
}

/// `./x test` step: a power cut at every flash operation of a tamper wipe, each followed
/// by a boot that must find the wipe completed (see `qemu/firmware/src/bin/tamper.rs`).
pub fn tamper_cut_step(ctx: &mut Ctx) -> Outcome {
    crate::ctx::from(tamper_cut(ctx))
}

/// Copies the files of device directory `from` into a fresh `to`.
fn copy_device(from: &Path, to: &Path) -> Result<(), String> {
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    }
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for f in std::fs::read_dir(from).map_err(|e| e.to_string())? {
        let f = f.map_err(|e| e.to_string())?;
        if f.path().is_file() {
            std::fs::copy(f.path(), to.join(f.file_name())).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn boot(
    board: &Board,
    elf: &Path,
    device: &Path,
    cut: Option<&str>,
) -> Result<qemu::Outcome, String> {
    qemu::run(&qemu::Run {
        board,
        elf: elf.to_path_buf(),
        device: device.to_path_buf(),
        timeout: Duration::from_secs(30),
        cut: qemu::Cut {
            after: None,
            at_marker: cut.map(str::to_string),
        },
        echo: None,
    })
}

fn tamper_cut(ctx: &Ctx) -> Result<String, String> {
    const PARK: &str = "flash probe: parked after mutating operation";
    const WIPED: &str =
        "store state: 0 key versions, key 1: NotFound, last audit event: TamperWipe";
    let board = boards::find(MACHINE).ok_or("no board")?;
    sh::run(&mut firmware_bin_build(
        &ctx.root,
        ctx.env.route,
        &[board.target],
        "tamper",
    ))?;
    let elf = firmware_elf(&ctx.root, ctx.env.route, board.target, "bin", "tamper");
    let show = |o: &qemu::Outcome| format!("{} [{}]", o.describe(), o.lines.join(" | "));

    // A populated device, the template for every cut.
    let template = crate::ontarget::fresh_device(ctx, "tamper-template")?;
    let keys = test_keys();
    let tkeys = [&keys[128..160], &keys[56..88]].concat();
    std::fs::write(template.join("tamper-keys.bin"), &tkeys).map_err(|e| e.to_string())?;
    std::fs::write(template.join("populate"), "1").map_err(|e| e.to_string())?;
    let o = boot(board, &elf, &template, None)?;
    if o.ending != qemu::Ending::Exited(0) || !o.lines.iter().any(|l| l == "tamper: populated") {
        return Err(format!("populating boot failed: {}", show(&o)));
    }
    std::fs::remove_file(template.join("populate")).map_err(|e| e.to_string())?;
    let mut needles = Needles::default();
    needles.aes("tamper key 1", &keys[128..160]);
    needles.aes("tamper key 2", &keys[56..88]);
    let secret = std::fs::read(template.join("device-secret.bin")).map_err(|e| e.to_string())?;
    let flash = std::fs::read(template.join("flash.bin")).map_err(|e| e.to_string())?;
    store_needles(&mut needles, &flash, &secret)?;
    // The salt of the live slot (slot 0 of a fresh store): the wipe must destroy it.
    needles.raw(
        "store salt (slot 0)",
        flash.get(32..64).ok_or("short flash")?,
    );

    // An uncut wipe: how many flash operations it takes.
    let dev = ctx.root.join("target/devices/tamper-cut");
    copy_device(&template, &dev)?;
    qemu::set_tamper(&dev, true)?;
    let o = boot(board, &elf, &dev, None)?;
    let total: u32 = o
        .lines
        .iter()
        .find_map(|l| {
            l.strip_prefix("tamper: wipe complete (")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .ok_or_else(|| format!("uncut wipe: no `wipe complete` line: {}", show(&o)))?;
    println!("  uncut tamper wipe: {total} flash operations");

    let (mut completed, mut left) = (0, 0);
    for k in 1..=total {
        copy_device(&template, &dev)?;
        std::fs::write(dev.join("cut-ops"), k.to_string()).map_err(|e| e.to_string())?;
        qemu::set_tamper(&dev, true)?;
        let o = boot(board, &elf, &dev, Some(PARK))?;
        if o.ending != qemu::Ending::PowerCut {
            return Err(format!(
                "cut at flash operation {k} did not happen: {}",
                show(&o)
            ));
        }
        std::fs::remove_file(dev.join("cut-ops")).map_err(|e| e.to_string())?;
        qemu::set_tamper(&dev, false)?;
        let o = boot(board, &elf, &dev, None)?;
        // The first state line is printed right after `open`, before anything else runs.
        let first = o.lines.iter().find(|l| l.starts_with("store state:"));
        let done = o.ending == qemu::Ending::Exited(0) && first.map(String::as_str) == Some(WIPED);
        let flash = std::fs::read(dev.join("flash.bin")).map_err(|e| e.to_string())?;
        let hits = scan(
            &needles.0,
            &[Image {
                name: "flash.bin".into(),
                base: 0,
                bytes: flash,
            }],
        );
        println!(
            "  cut after flash operation {k:>2}/{total}: next boot: {}; keys, sealing keys, old salt on flash: {}",
            first.map(String::as_str).unwrap_or("no state line"),
            hits.len()
        );
        if done {
            completed += 1;
        }
        left += hits.len();
    }
    println!(
        "  cut points tried: {total}; wipes completed at the next boot: {completed}; key occurrences left on flash: {left}"
    );
    if completed != total || left != 0 {
        return Err(format!(
            "{} of {total} cut wipes not completed at the next boot, {left} key occurrences on flash",
            total - completed
        ));
    }
    Ok(format!(
        "{total} cut points (every flash operation of the wipe): all completed at the next boot, 0 keys left"
    ))
}
