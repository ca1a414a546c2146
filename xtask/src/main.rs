//! `cargo xtask` (`./x`): the one place that knows toolchains, targets, QEMU machines and
//! command lines.
//!
//! - `./x setup`: install what is missing (also run by `test` and `demo`)
//! - `./x test [FILTER]`: every check (or those whose name contains FILTER), then a
//!   summary (see `steps::TEST_STEPS`)
//! - `./x demo [machine]`: the end-to-end payment-terminal demo (default `mps2-an386`)
//! - `./x bench`: speed and size report, written to BENCH.md (not part of `test`)
//! - `./x run <machine> [--bin NAME | --example NAME] [--device DIR] [--timeout S]
//!   [--cut-after S] [--cut-at TEXT] [--tamper]`: one firmware run, for experiments and
//!   power-cut tests (run twice on the same `--device` for a power cycle)
mod bench;
mod bench_host;
mod bench_target;
mod boards;
mod checks;
mod ct_trace;
mod defmt_log;
mod demo;
mod demo_persistence;
mod demo_scan;
mod fuzz;
mod memscan;
mod ontarget;
mod published;
mod qemu;
mod sh;
mod steps;
mod toolchain;

use std::{path::PathBuf, process::ExitCode, time::Duration};

fn root() -> PathBuf {
    let xtask = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().map(PathBuf::from).unwrap_or(xtask)
}

fn context() -> Result<steps::Ctx, String> {
    Ok(steps::Ctx {
        root: root(),
        env: toolchain::setup()?,
        boards: Vec::new(),
    })
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: ./x <setup | test [FILTER] | demo [machine] | bench | run <machine> [--bin NAME | --example NAME] [--device DIR] \
         [--timeout S] [--cut-after S] [--cut-at TEXT] [--tamper]>\nmachines: {}",
        boards::BOARDS.iter().map(|b| b.machine).collect::<Vec<_>>().join(", ")
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => context().map(|_| true),
        Some("test") => test_cmd(args.get(1).map(String::as_str)),
        Some("demo") => context().map(|mut c| demo::run(&mut c, &args[1..])),
        Some("bench") => context().and_then(|mut c| bench::run(&mut c)),
        Some("run") => run_cmd(&args[1..]),
        _ => return usage(),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("x: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `./x test [FILTER]`: every step, or only those whose name contains FILTER.
fn test_cmd(filter: Option<&str>) -> Result<bool, String> {
    let chosen: Vec<&steps::Step> = steps::TEST_STEPS
        .iter()
        .filter(|s| filter.is_none_or(|f| s.name.contains(f)))
        .collect();
    if chosen.is_empty() {
        return Err(format!("no test step matches {filter:?}"));
    }
    let mut ctx = context()?;
    Ok(steps::run(&mut ctx, &chosen))
}

fn run_cmd(args: &[String]) -> Result<bool, String> {
    let machine = args.first().ok_or("run: which machine?")?;
    let board = boards::find(machine).ok_or_else(|| format!("unknown machine {machine}"))?;
    let (mut kind, mut name) = ("bin", "selftest".to_string());
    let mut device = None;
    let mut timeout = ontarget::timeout();
    let mut cut = qemu::Cut::default();
    let mut tamper = false;
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        let mut val = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a value"))
        };
        let secs = |v: String| {
            v.parse::<u64>()
                .map(Duration::from_secs)
                .map_err(|e| e.to_string())
        };
        match a.as_str() {
            "--bin" => (kind, name) = ("bin", val()?),
            "--example" => (kind, name) = ("example", val()?),
            "--device" => device = Some(PathBuf::from(val()?)),
            "--timeout" => timeout = secs(val()?)?,
            "--cut-after" => cut.after = Some(secs(val()?)?),
            "--cut-at" => cut.at_marker = Some(val()?),
            "--tamper" => tamper = true,
            other => return Err(format!("run: unknown option {other}")),
        }
    }
    let ctx = context()?;
    let mut c = toolchain::firmware_cargo(&ctx.root, ctx.env.route, "build", &[board.target]);
    c.args([
        "--release",
        "-p",
        "keyfort-firmware",
        "-p",
        "keyfort-board-qemu",
    ]);
    c.arg(format!("--{kind}")).arg(&name);
    sh::run(&mut c)?;
    let device = device.unwrap_or_else(|| ctx.root.join("target/devices").join(board.machine));
    qemu::provision_device(&device)?;
    qemu::set_tamper(&device, tamper)?;
    println!("device directory: {}", device.display());
    let out = qemu::run(&qemu::Run {
        board,
        elf: toolchain::firmware_elf(&ctx.root, ctx.env.route, board.target, kind, &name),
        device,
        timeout,
        cut,
        echo: Some(String::new()),
    })?;
    if !out.stderr.trim().is_empty() {
        println!("qemu stderr: {}", out.stderr.trim());
    }
    println!(
        "run: {} ({:.1} s)",
        out.describe(),
        out.elapsed.as_secs_f64()
    );
    Ok(matches!(
        out.ending,
        qemu::Ending::Exited(0) | qemu::Ending::PowerCut
    ))
}
