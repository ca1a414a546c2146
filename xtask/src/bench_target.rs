//! `./x bench`, on target: instruction counts and peak stack per operation (the `bench`
//! firmware under `-icount`), and section sizes of small firmwares that each use one
//! feature (`bench_size_*` binaries, read from the ELF).
use crate::{
    boards::{Board, BOARDS},
    ctx::Ctx,
    ontarget::fresh_device,
    qemu, sh,
    toolchain::{firmware_cargo, firmware_elf, Route},
};
use object::{Object, ObjectSection};
use std::{
    collections::BTreeMap,
    io::Read,
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

/// `-icount shift`: 2^7 ns of virtual time per instruction, so the 16-25 MHz SysTick
/// ticks 2-3 times per instruction (calibrated in the run).
const ICOUNT_SHIFT: &str = "7";

/// One measured operation on one board.
#[derive(Debug, Clone, Copy)]
pub struct Op {
    /// Instructions per run of the operation.
    pub instrs: f64,
    /// Peak stack below the harness frame, bytes.
    pub stack: usize,
}

/// The results of one board.
#[derive(Debug)]
pub struct BoardBench {
    /// The board.
    pub board: &'static Board,
    /// Ticks per instruction (calibration).
    pub ticks_per_instr: f64,
    /// Operation name to result.
    pub ops: BTreeMap<String, Op>,
}

/// The size binaries: (binary, what it uses).
pub const SIZE_BINS: &[(&str, &str)] = &[
    (
        "bench_size_base",
        "board + defmt logger, no keyfort (baseline)",
    ),
    ("bench_size_kw", "AES-KW wrap + unwrap (any KEK size)"),
    ("bench_size_kwp", "AES-KWP wrap + unwrap (any KEK size)"),
    (
        "bench_size_aeskw",
        "peer: aes-kw 0.3 KW + KWP wrap + unwrap, AES-128/192/256",
    ),
    (
        "bench_size_dukpt_terminal",
        "AES DUKPT terminal: state, transaction, PIN key",
    ),
    (
        "bench_size_dukpt_host",
        "AES DUKPT host: BDK to working key",
    ),
    ("bench_size_tr31", "TR-31 unwrap (versions B and D)"),
    (
        "bench_size_all",
        "whole core: KW, KWP, DUKPT AES+TDES both sides, TR-31 import/export, ops",
    ),
];

/// Sections of one ELF, bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sizes {
    /// `.text` (+ `.vector_table`).
    pub text: u64,
    /// `.rodata`.
    pub rodata: u64,
    /// `.data`.
    pub data: u64,
    /// `.bss` + `.uninit`.
    pub bss: u64,
}

impl Sizes {
    /// Flash: text + rodata + data (its load image).
    pub fn flash(&self) -> u64 {
        self.text + self.rodata + self.data
    }
}

/// Reads the allocated sections of `elf`.
pub fn sizes(elf: &Path) -> Result<Sizes, String> {
    let bytes = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
    let file = object::File::parse(&*bytes).map_err(|e| format!("{}: {e}", elf.display()))?;
    let mut s = Sizes::default();
    for sec in file.sections() {
        let n = sec.name().unwrap_or("");
        let sz = sec.size();
        match n {
            ".vector_table" | ".text" => s.text += sz,
            ".rodata" => s.rodata += sz,
            ".data" => s.data += sz,
            ".bss" | ".uninit" => s.bss += sz,
            _ => {}
        }
    }
    Ok(s)
}

/// Builds the bench firmware for all boards and runs it on each.
pub fn run_boards(ctx: &Ctx) -> Result<Vec<BoardBench>, String> {
    let targets: Vec<&str> = BOARDS.iter().map(|b| b.target).collect();
    let mut c = firmware_cargo(&ctx.root, ctx.env.route, "build", &targets);
    c.args(["--release", "-p", "keyfort-firmware", "--bin", "bench"]);
    sh::run(&mut c)?;
    BOARDS.iter().map(|b| run_board(ctx, b)).collect()
}

/// `./x bench --board MACHINE`: builds the bench firmware for one board, runs it and
/// prints instructions and peak stack per operation (BENCH.md untouched: a quick check
/// of one change, e.g. the DUKPT terminal rows on `mps2-an385`, the Cortex-M3).
pub fn print_board(ctx: &Ctx, machine: &str) -> Result<bool, String> {
    let b = BOARDS
        .iter()
        .find(|b| b.machine == machine)
        .ok_or_else(|| format!("unknown machine {machine}"))?;
    let mut c = firmware_cargo(&ctx.root, ctx.env.route, "build", &[b.target]);
    c.args(["--release", "-p", "keyfort-firmware", "--bin", "bench"]);
    sh::run(&mut c)?;
    let r = run_board(ctx, b)?;
    for (name, op) in &r.ops {
        println!(
            "{name:40} {:>12.0} instr {:>6} B stack",
            op.instrs, op.stack
        );
    }
    Ok(true)
}

fn run_board(ctx: &Ctx, b: &'static Board) -> Result<BoardBench, String> {
    let elf = firmware_elf(&ctx.root, ctx.env.route, b.target, "bin", "bench");
    let device = fresh_device(ctx, &format!("{}-bench", b.machine))?;
    let mut cmd = qemu::command(b, &elf);
    cmd.args(["-icount", &format!("shift={ICOUNT_SHIFT}")])
        .current_dir(&device)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    println!("  $ {}", sh::show(&cmd));
    let t = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("qemu: {e}"))?;
    let mut out = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if t.elapsed() > Duration::from_secs(600) {
            let _ = child.kill();
            return Err(format!("{}: bench firmware timed out", b.machine));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let bytes = reader.join().unwrap_or_default();
    let table = crate::defmt_log::load_table(&elf)?;
    let mut dec = table.new_stream_decoder();
    let lines = crate::defmt_log::decode_lines(dec.as_mut(), &bytes);
    if !status.success() || !lines.iter().any(|l| l == "bench-done") {
        return Err(format!(
            "{}: bench firmware failed ({status}): {}",
            b.machine,
            lines.join(" | ")
        ));
    }
    println!(
        "  [{}] {} lines in {:.1} s",
        b.machine,
        lines.len(),
        t.elapsed().as_secs_f64()
    );
    parse(b, &lines)
}

fn parse(b: &'static Board, lines: &[String]) -> Result<BoardBench, String> {
    let calib: Vec<f64> = lines
        .iter()
        .find_map(|l| l.strip_prefix("bench-calib "))
        .ok_or("no calibration line")?
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    let [n1, t1, n2, t2, empty] = calib[..] else {
        return Err(format!("bad calibration line {calib:?}"));
    };
    let tpi = (t2 - t1) / (2.0 * (n2 - n1));
    if tpi <= 0.0 {
        return Err(format!("{}: calibration failed ({calib:?})", b.machine));
    }
    let mut ops = BTreeMap::new();
    for l in lines {
        let Some(rest) = l.strip_prefix("bench-op ") else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let [name, reps, ticks, stack] = f[..] else {
            continue;
        };
        let (Ok(reps), Ok(ticks), Ok(stack)) =
            (reps.parse::<f64>(), ticks.parse::<f64>(), stack.parse())
        else {
            continue;
        };
        let instrs = ((ticks - empty) / tpi / reps).max(0.0);
        ops.insert(name.to_string(), Op { instrs, stack });
    }
    Ok(BoardBench {
        board: b,
        ticks_per_instr: tpi,
        ops,
    })
}

/// The size table's label for the whole core at opt-level "z" built with the `sha2`
/// crate's compact (loop, not unrolled) SHA-256: the size a flash-bound product gets by
/// adding `--cfg sha2_backend_soft="compact"` to its rustflags (SHA-256 then runs slower:
/// the speed rows of the report are measured without it).
pub const SIZE_Z_SHA2_COMPACT: &str = "size-z + sha2 compact";

/// Section sizes of every size binary, for `target`, at the release profile (opt-level
/// "s") and, for the whole core, at opt-level "z" too, with and without `sha2`'s compact
/// SHA-256 ([`SIZE_Z_SHA2_COMPACT`]).
pub fn size_table(ctx: &Ctx, target: &str) -> Result<Vec<(String, String, Sizes)>, String> {
    let mut out = Vec::new();
    let core_z = || vec!["bench_size_base", "bench_size_all"];
    for (label, profile, compact, bins) in [
        (
            "release",
            "release",
            false,
            SIZE_BINS.iter().map(|b| b.0).collect::<Vec<_>>(),
        ),
        ("size-z", "size-z", false, core_z()),
        (SIZE_Z_SHA2_COMPACT, "size-z", true, core_z()),
    ] {
        let mut c = firmware_cargo(&ctx.root, ctx.env.route, "build", &[target]);
        c.args(["--profile", profile, "-p", "keyfort-firmware"]);
        // The compact build has its own target dir (route 1; route 2 names its own and
        // rebuilds), so the two rustflags sets do not rebuild each other every run.
        let own_dir = (compact && ctx.env.route == Route::Rustup)
            .then(|| ctx.root.join("qemu").join("target-sha2-compact"));
        if compact {
            c.arg("--config").arg(format!(
                "target.{target}.rustflags=[\"--cfg\", 'sha2_backend_soft=\"compact\"']"
            ));
        }
        if let Some(d) = &own_dir {
            c.env("CARGO_TARGET_DIR", d);
        }
        for b in &bins {
            c.args(["--bin", b]);
        }
        sh::run(&mut c)?;
        for b in bins {
            let elf = firmware_elf(&ctx.root, ctx.env.route, target, "bin", b);
            // firmware_elf knows release under the usual target dir only; the profile
            // dir sits beside release, and the compact build's target dir beside target.
            let elf = match (&own_dir, elf.file_name()) {
                (Some(d), Some(name)) => d.join(target).join(profile).join(name),
                (None, Some(name)) if profile != "release" => elf
                    .parent()
                    .and_then(|p| p.parent())
                    .map_or(elf.clone(), |dir| dir.join(profile).join(name)),
                _ => elf.clone(),
            };
            out.push((b.to_string(), label.to_string(), sizes(&elf)?));
        }
    }
    Ok(out)
}
