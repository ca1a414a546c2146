//! `./x demo [machine]`: the end-to-end payment-terminal demo, and the `demo-verify` test
//! step (a shorter run of the same on the Cortex-M0).
//!
//! 1. host: `keyfort demo provision` (BDK, initial key, TR-31 block, factory image);
//! 2. terminal firmware (`qemu/firmware/src/bin/terminal.rs`) under QEMU: imports the
//!    block into its sealed store, runs transactions, writes each record with its KSN;
//! 3. a power cut in the middle of a transaction (QEMU killed when the firmware says it
//!    is about to seal its DUKPT state), then a restart on the same device files;
//! 4. host: `keyfort demo verify` re-derives every key from the BDK and the KSN;
//! 5. the host raises the tamper line while the terminal is transacting; the terminal
//!    wipes its store and dumps its RAM; `keyfort demo scan` searches flash and RAM;
//! 6. powered on again, the terminal has no keys and stays out of service.
//!
//! Device files live in `target/demo/<machine>/device`, the host's (BDK, KBPK: test
//! only) in `target/demo/<machine>/host`.
use crate::{
    boards::{self, Board},
    ctx::{Ctx, Outcome},
    qemu::{self, Cut, Ending, Run},
    sh,
    toolchain::{firmware_bin_build, firmware_elf},
};
use keyfort_testkit::demo::{files, record, EXIT_NO_KEYS};
use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

/// The machine `./x demo` runs on unless told otherwise.
const DEFAULT_MACHINE: &str = "mps2-an386";
const RECORD_LEN: u64 = record::LEN as u64;

/// One demo configuration.
struct Plan {
    /// Transactions before the tamper event.
    total: u32,
    /// Cut the power when this transaction is about to seal its DUKPT state.
    cut_at: u32,
    /// Transactions the host lets through in the tamper run before raising the line.
    before_tamper: u64,
    /// Print the firmware's lines and the verification table.
    verbose: bool,
}

/// One demo device: its directories, the host tool, the firmware.
pub(crate) struct Demo {
    board: &'static Board,
    /// The device directory.
    pub(crate) device: PathBuf,
    /// The payment host's directory (BDK, KBPK: test only).
    pub(crate) host: PathBuf,
    keyfort: PathBuf,
    /// The firmware (on mps2-an505: the Secure image, run with its Non-secure
    /// application; see `crate::tz`).
    pub(crate) elf: PathBuf,
    verbose: bool,
}

/// `./x demo [machine]`; false if any step failed.
pub fn run(ctx: &mut Ctx, args: &[String]) -> bool {
    let machine = args.first().map_or(DEFAULT_MACHINE, String::as_str);
    let Some(board) = boards::find(machine) else {
        println!("demo: unknown machine {machine}");
        return false;
    };
    let plan = Plan {
        total: 20,
        cut_at: 8,
        before_tamper: 3,
        verbose: true,
    };
    match demo(ctx, board, &plan) {
        Ok(summary) => {
            println!("\ndemo: OK: {summary}");
            true
        }
        Err(e) => {
            println!("\ndemo: FAILED: {e}");
            false
        }
    }
}

/// The `demo-verify` test step: the demo, shorter, on the Cortex-M0 (so a terminal that
/// no longer fits 16 KiB of RAM fails too).
pub fn verify_step(ctx: &mut Ctx) -> Outcome {
    short_demo(ctx, "microbit")
}

/// Step: the demo on mps2-an505 with the terminal Non-secure and every key Secure
/// (`secure/`): transactions verified, a power cut, the tamper wipe; then no key in the
/// Secure flash and RAM nor in the Non-secure memory.
pub fn tz_step(ctx: &mut Ctx) -> Outcome {
    short_demo(ctx, crate::tz::MACHINE)
}

/// The test steps' demo on `machine`: 6 transactions planned, the power cut at the 4th,
/// the tamper line raised after 1 transaction of the tamper run.
fn short_demo(ctx: &mut Ctx, machine: &str) -> Outcome {
    let Some(board) = boards::find(machine) else {
        return Outcome::Fail(format!("no {machine} board"));
    };
    let plan = Plan {
        total: 6,
        cut_at: 4,
        before_tamper: 1,
        verbose: false,
    };
    match demo(ctx, board, &plan) {
        Ok(summary) => Outcome::Pass(format!("{} ({summary})", board.machine)),
        Err(e) => Outcome::Fail(e),
    }
}

/// The demo terminal firmware's stack on the microbit, as `./x bench` reports it.
pub struct StackPeak {
    /// The deepest stack use seen (bytes, painted stack: the firmware's closing
    /// `stack used N of M bytes` line), over the boots below.
    pub used: u64,
    /// The stack region's size (bytes).
    pub size: u64,
    /// What was run.
    pub what: String,
}

/// Measures the demo terminal's peak stack on the microbit with the firmware's own
/// painted-stack high-water mark: a fresh device and factory image, a first boot (store
/// open, TR-31 import of the initial key, DUKPT load, `tx` transactions) and a second
/// boot (store open, resumed DUKPT state, `tx` more); the larger of the two marks.
pub fn stack_peak(ctx: &Ctx, tx: u32) -> Result<StackPeak, String> {
    let board = boards::find("microbit").ok_or("no microbit board")?;
    let d = Demo::fresh(ctx, board, "bench-microbit", false)?;
    d.keyfort(&["provision"])?;
    let mut peak: Option<(u64, u64)> = None;
    for boot in ["first boot", "second boot"] {
        d.set_plan(tx)?;
        let out = d.boot(None, None)?;
        let mark = out.lines.iter().find_map(|l| {
            let r = l.split("stack used ").nth(1)?;
            let (n, rest) = r.split_once(" of ")?;
            let m = rest.split_whitespace().next()?;
            Some((n.parse::<u64>().ok()?, m.parse::<u64>().ok()?))
        });
        match (out.ending == Ending::Exited(0), mark) {
            (true, Some((u, m))) => {
                peak = Some(peak.map_or((u, m), |(pu, _)| (pu.max(u), m)));
            }
            _ => {
                return Err(format!(
                    "terminal {boot}: {} (no stack mark)",
                    out.describe()
                ))
            }
        }
    }
    let (used, size) = peak.ok_or("no stack mark")?;
    Ok(StackPeak {
        used,
        size,
        what: format!(
            "two boots on a fresh device: TR-31 import + DUKPT load + {tx} transactions, then {tx} more after a restart"
        ),
    })
}

/// Builds the CLI and the terminal; returns the CLI's and the terminal's paths. On
/// mps2-an505 the terminal is the TrustZone pair (`crate::tz`): the application
/// Non-secure, every key Secure.
fn build(ctx: &Ctx, board: &Board) -> Result<(PathBuf, PathBuf), String> {
    let mut c = Command::new("cargo");
    c.current_dir(&ctx.root)
        .args(["build", "--quiet", "-p", "keyfort-cli"]);
    sh::run(&mut c)?;
    let cli = ctx.root.join("target").join("debug").join("keyfort");
    if board.machine == crate::tz::MACHINE {
        return Ok((cli, crate::tz::build(ctx, crate::tz::Variant::Normal)?));
    }
    let mut c = firmware_bin_build(&ctx.root, ctx.env.route, &[board.target], "terminal");
    sh::run(c.arg("--quiet"))?;
    let elf = firmware_elf(&ctx.root, ctx.env.route, board.target, "bin", "terminal");
    Ok((cli, elf))
}

fn demo(ctx: &Ctx, board: &'static Board, plan: &Plan) -> Result<String, String> {
    println!(
        "\n==> keyfort demo: a payment terminal on {} ({}) under QEMU",
        board.machine, board.core
    );
    let d = Demo::fresh(ctx, board, board.machine, plan.verbose)?;

    println!("\n[1] key-injection bench: BDK -> initial key -> TR-31 block -> factory image");
    d.keyfort(&["provision"])?;

    println!(
        "\n[2] terminal, first boot: {} transactions planned, power cut during transaction {}",
        plan.total, plan.cut_at
    );
    d.set_plan(plan.total)?;
    let marker = format!("tx {}: persisting DUKPT state", plan.cut_at);
    let out = d.boot(Some(&marker), None)?;
    if out.ending != Ending::PowerCut {
        return Err(format!(
            "the terminal did not reach transaction {} ({})",
            plan.cut_at,
            out.describe()
        ));
    }
    println!("  ** power cut: QEMU killed at \"{marker}\" **");
    let torn = d.drop_torn_record()?;
    if torn > 0 {
        println!("  (host dropped a torn record of {torn} bytes)");
    }

    let done = d.records()?;
    let left = u64::from(plan.total).saturating_sub(done);
    println!(
        "\n[3] power back on (same flash, same counter): {done} transactions arrived, {left} to go"
    );
    d.set_plan(u32::try_from(left).unwrap_or(0))?;
    let out = d.boot(None, None)?;
    if out.ending != Ending::Exited(0) {
        return Err(format!("terminal, second boot: {}", out.describe()));
    }

    println!("\n[4] payment host: re-derive every key from the BDK and the KSN, verify");
    let expect = plan.total.to_string();
    let mut args = vec!["verify", "--expect", &expect];
    if plan.verbose {
        args.push("--table");
    }
    d.keyfort(&args)?;

    println!(
        "\n[5] tamper: the terminal transacts again; once {} record(s) arrived, the host raises its tamper line",
        plan.before_tamper
    );
    d.set_plan(1000)?;
    let out = d.boot(None, Some(plan.before_tamper))?;
    if out.ending != Ending::Exited(0) || !out.lines.iter().any(|l| l.contains("keys wiped")) {
        return Err(format!(
            "terminal did not answer the tamper line ({})",
            out.describe()
        ));
    }
    let all = d.records()?;
    let all_s = all.to_string();
    d.keyfort(&["verify", "--expect", &all_s])?;

    println!("\n[6] after the wipe: is any key left on the device?");
    d.keyfort(&["scan", "--expect-wiped"])?;
    let deep = crate::demo_scan::run(&d.device, &d.host)?;
    println!("  schedules  {deep}");
    if board.machine == crate::tz::MACHINE {
        let ns = crate::tz::scan_nonsecure_memory(&d.device, &d.host)?;
        println!("  Non-secure {ns}");
    }

    println!("\n[7] power on again, tamper line released");
    let out = d.boot(None, None)?;
    if out.ending != Ending::Exited(EXIT_NO_KEYS) {
        return Err(format!(
            "a wiped terminal should be out of service: {}",
            out.describe()
        ));
    }
    Ok(format!(
        "{all} transactions verified, no KSN counter reused across the power cut, no key left after the tamper wipe, terminal out of service"
    ))
}

impl Demo {
    /// Builds the CLI and the terminal firmware and provisions a fresh device (and host
    /// directory) under `target/demo/<dir>`.
    pub(crate) fn fresh(
        ctx: &Ctx,
        board: &'static Board,
        dir: &str,
        verbose: bool,
    ) -> Result<Self, String> {
        let (keyfort, elf) = build(ctx, board)?;
        let base = ctx.root.join("target").join("demo").join(dir);
        let _ = std::fs::remove_dir_all(&base);
        let d = Demo {
            board,
            device: base.join("device"),
            host: base.join("host"),
            keyfort,
            elf,
            verbose,
        };
        qemu::provision_device(&d.device)?;
        Ok(d)
    }

    pub(crate) fn keyfort(&self, args: &[&str]) -> Result<(), String> {
        let mut c = Command::new(&self.keyfort);
        c.arg("demo")
            .args(args.get(..1).unwrap_or(&[]))
            .arg("--device")
            .arg(&self.device)
            .arg("--host")
            .arg(&self.host)
            .args(args.get(1..).unwrap_or(&[]));
        let out = c
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.keyfort.display()))?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "keyfort demo {}: {}",
                args.first().unwrap_or(&""),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    pub(crate) fn set_plan(&self, n: u32) -> Result<(), String> {
        let p = self.device.join(files::name(files::PLAN));
        std::fs::write(&p, n.to_string()).map_err(|e| format!("{}: {e}", p.display()))
    }

    fn records_file(&self) -> PathBuf {
        self.device.join(files::name(files::RECORDS))
    }

    /// Complete records received so far.
    pub(crate) fn records(&self) -> Result<u64, String> {
        Ok(file_len(&self.records_file()) / RECORD_LEN)
    }

    /// A record cut short by the power cut never reached the host: drop it, so the next
    /// run's records stay aligned. Returns the bytes dropped.
    fn drop_torn_record(&self) -> Result<u64, String> {
        let p = self.records_file();
        let len = file_len(&p);
        let torn = len % RECORD_LEN;
        if torn > 0 {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .map_err(|e| format!("{}: {e}", p.display()))?;
            f.set_len(len - torn)
                .map_err(|e| format!("{}: {e}", p.display()))?;
        }
        Ok(torn)
    }

    /// One power-on of the terminal. `cut`: power cut at this line; `tamper_after`:
    /// raise the tamper line once this many more records arrived.
    pub(crate) fn boot(
        &self,
        cut: Option<&str>,
        tamper_after: Option<u64>,
    ) -> Result<qemu::Outcome, String> {
        qemu::set_tamper(&self.device, false)?;
        let run = Run {
            board: self.board,
            elf: self.elf.clone(),
            device: self.device.clone(),
            timeout: Duration::from_secs(120),
            cut: Cut {
                after: None,
                at_marker: cut.map(str::to_string),
            },
            echo: None,
        };
        let stop = AtomicBool::new(false);
        let out = std::thread::scope(|s| {
            if let Some(n) = tamper_after {
                let start = self.records().unwrap_or(0);
                let (stop, dev, file) = (&stop, &self.device, self.records_file());
                s.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        if file_len(&file) / RECORD_LEN >= start + n {
                            let _ = qemu::set_tamper(dev, true);
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(2));
                    }
                });
            }
            let out = qemu::run(&run);
            stop.store(true, Ordering::Relaxed);
            out
        })?;
        self.show(&out);
        if !out.stderr.trim().is_empty() {
            println!("  qemu: {}", out.stderr.trim());
        }
        Ok(out)
    }

    /// The firmware's lines, without the per-transaction "persisting" markers (except
    /// the one the power was cut at).
    fn show(&self, out: &qemu::Outcome) {
        let last = out.lines.len().saturating_sub(1);
        let txs: Vec<usize> = (0..out.lines.len())
            .filter(|&i| out.lines[i].starts_with("tx ") && !out.lines[i].contains(": persisting"))
            .collect();
        let mut elided = false;
        for (i, l) in out.lines.iter().enumerate() {
            let cut_here = i == last && out.ending == Ending::PowerCut;
            if l.contains(": persisting DUKPT state") && !cut_here {
                continue;
            }
            if let Some(k) = txs.iter().position(|&t| t == i) {
                let keep = self.verbose && (k < 2 || k + 2 >= txs.len());
                if !keep {
                    if !elided && self.verbose {
                        println!("  | ...");
                    }
                    elided = true;
                    continue;
                }
            }
            println!("  | {l}");
        }
    }
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}
