//! `cargo xtask` (`./x`): the one place that knows toolchains, targets, QEMU machines and
//! command lines.
//!
//! - `./x setup`: install what is missing (also run by `test` and `demo`)
//! - `./x test [FILTER]`: every check (or those whose name contains FILTER), then a
//!   summary (see `steps::TEST_STEPS`)
//! - `./x demo [machine]`: the end-to-end payment-terminal demo (default `mps2-an386`;
//!   on `mps2-an505` the terminal runs Non-secure and every key Secure: `secure/`)
//! - `./x bench`: speed and size report, written to BENCH.md (not part of `test`);
//!   `./x bench --sources` re-measures only the sections other parts of keyfort supply;
//!   `./x bench --board MACHINE` runs only the on-target bench firmware on that machine
//!   and prints its instruction counts (BENCH.md untouched; a minute or two warm);
//!   `./x bench --demo-stack` only the demo terminal's peak stack on the microbit;
//!   `./x bench --compare REV` lists the figures of BENCH.md that differ from those of
//!   BENCH.md at git revision REV, worse and better (`bench_compare`)
//! - `./x gen [--check]`: regenerates keyfort-aes's generated assembly and S-box model
//!   (`--check`: into a scratch copy, failing on a difference; a `./x test` step)
//! - `./x tz-bench`: instructions through the TrustZone boundary (mps2-an505), printed
//! - `./x gen-header`: regenerates the C API header `capi/include/keyfort.h` (cbindgen)
//! - `./x capi-measure`: the C boundary's cost per call (host) and the C example
//!   firmware's sections (`capi::measure`, for BENCH.md)
//! - `./x run <machine> [--bin NAME | --example NAME] [--device DIR] [--timeout S]
//!   [--cut-after S] [--cut-at TEXT] [--tamper]`: one firmware run, for experiments and
//!   power-cut tests (run twice on the same `--device` for a power cycle);
//!   `./x run mps2-an505 --bin keyfort-secure` runs the TrustZone pair (the device file
//!   `tz-mode` picks what the Non-secure application does, its log is `ns.log`)
//! - `./x run --elf PATH --board <machine> [...]`: the same for a firmware built elsewhere
//!   (for example from `templates/firmware`), its defmt log decoded. `--cut-after` and
//!   `--timeout` take `2`, `2s`, `0.25s` or `250ms`
//! - `./x campaign [--cuts N] [--seed S] [--board MACHINE]`: the on-target power-cut
//!   campaign, longer than in `test` (default 5000 cuts per board; see
//!   `demo_persistence.rs`)
mod bench;
mod bench_compare;
mod bench_host;
mod bench_report;
mod bench_store_counter;
mod bench_target;
mod boards;
mod capi;
mod checks;
mod ct_data;
mod ct_trace;
mod ctx;
mod defmt_log;
mod demo;
mod demo_persistence;
mod demo_scan;
mod elf_check;
mod fuzz;
mod gen;
mod lifecycle;
mod memscan;
mod ontarget;
mod options;
mod public_api;
mod published;
mod qemu;
mod sh;
mod steps;
mod template;
mod toolchain;
mod tz;

use std::{path::PathBuf, process::ExitCode, time::Duration};

fn root() -> PathBuf {
    let xtask = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().map(PathBuf::from).unwrap_or(xtask)
}

fn context() -> Result<ctx::Ctx, String> {
    Ok(ctx::Ctx {
        root: root(),
        env: toolchain::setup()?,
        boards: Vec::new(),
    })
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: ./x <setup | test [FILTER] | demo [machine] | bench [--sources | --board MACHINE | --demo-stack | --compare REV] | gen [--check] | gen-header | capi-measure | tz-bench | campaign [--cuts N] [--seed S] [--board M] | run <machine> [--bin NAME | --example NAME | --elf PATH] [--device DIR] \
         [--timeout S] [--cut-after S] [--cut-at TEXT] [--tamper]>\n       (./x run --elf PATH --board <machine> runs a firmware built elsewhere)\nmachines: {}",
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
        Some("bench") if args.get(1).is_some_and(|a| a == "--sources") => {
            context().and_then(|mut c| bench::run_sources(&mut c))
        }
        Some("bench") if args.get(1).is_some_and(|a| a == "--demo-stack") => {
            context().and_then(|c| {
                let p = demo::stack_peak(&c, 4)?;
                println!(
                    "demo terminal peak stack: {} of {} bytes ({})",
                    p.used, p.size, p.what
                );
                Ok(true)
            })
        }
        Some("bench") if args.get(1).is_some_and(|a| a == "--compare") => match args.get(2) {
            Some(rev) => bench_compare::run(&root(), rev),
            None => Err("usage: ./x bench --compare REV".into()),
        },
        Some("bench") if args.get(1).is_some_and(|a| a == "--board") => match args.get(2) {
            Some(m) => context().and_then(|c| bench_target::print_board(&c, m)),
            None => Err("usage: ./x bench --board MACHINE".into()),
        },
        Some("bench") => context().and_then(|mut c| bench::run(&mut c)),
        Some("gen") => gen::cmd(&root(), &args[1..]),
        Some("tz-bench") => context().and_then(|c| tz::bench(&c)),
        Some("gen-header") => capi::gen_header(&root()),
        Some("capi-measure") => capi::measure_cmd(&root()),
        Some("run") => run_cmd(&args[1..]),
        Some("campaign") => context().and_then(|c| demo_persistence::campaign_cmd(&c, &args[1..])),
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

/// `./x run`: builds a firmware of this repository and runs it, or runs an ELF built
/// elsewhere (`--elf PATH`, with the machine given positionally or by `--board`).
fn run_cmd(args: &[String]) -> Result<bool, String> {
    let mut machine = None;
    let (mut kind, mut name) = ("bin", "selftest".to_string());
    let mut elf = None;
    let mut device = None;
    let mut timeout = ontarget::timeout();
    let mut cut = qemu::Cut::default();
    let mut tamper = false;
    let mut opts = options::Options::new(args);
    while let Some(a) = opts.next() {
        let secs = |v: String| duration(&v);
        match a {
            "--board" => machine = Some(opts.value(a)?),
            "--bin" => (kind, name) = ("bin", opts.value(a)?),
            "--example" => (kind, name) = ("example", opts.value(a)?),
            "--elf" => elf = Some(caller_path(opts.value(a)?)),
            "--device" => device = Some(caller_path(opts.value(a)?)),
            "--timeout" => timeout = secs(opts.value(a)?)?,
            "--cut-after" => cut.after = Some(secs(opts.value(a)?)?),
            "--cut-at" => cut.at_marker = Some(opts.value(a)?),
            "--tamper" => tamper = true,
            m if !m.starts_with('-') && machine.is_none() => machine = Some(m.to_string()),
            other => return Err(format!("run: unknown option {other}")),
        }
    }
    let machine = machine.ok_or("run: which machine? (first argument or --board)")?;
    let board = boards::find(&machine).ok_or_else(|| format!("unknown machine {machine}"))?;
    let ctx = context()?;
    let elf = match elf {
        Some(elf) => elf,
        // The TrustZone pair: the Secure image and its Non-secure application.
        None if name == tz::SECURE_ELF => tz::build(&ctx, tz::Variant::Normal)?,
        None => {
            let mut c =
                toolchain::firmware_cargo(&ctx.root, ctx.env.route, "build", &[board.target]);
            c.args([
                "--release",
                "-p",
                "keyfort-firmware",
                "-p",
                "keyfort-board-qemu",
            ]);
            c.arg(format!("--{kind}")).arg(&name);
            sh::run(&mut c)?;
            toolchain::firmware_elf(&ctx.root, ctx.env.route, board.target, kind, &name)
        }
    };
    let device = device.unwrap_or_else(|| ctx.root.join("target/devices").join(board.machine));
    let out = run_elf(board, elf, device, timeout, cut, tamper)?;
    Ok(matches!(
        out.ending,
        qemu::Ending::Exited(0) | qemu::Ending::PowerCut
    ))
}

/// A duration on the command line: seconds (`2`, `2s`, `0.25s`) or milliseconds
/// (`250ms`).
fn duration(v: &str) -> Result<Duration, String> {
    let bad = || format!("{v:?} is not a duration (2, 2s, 0.25s or 250ms)");
    let (num, scale) = if let Some(ms) = v.strip_suffix("ms") {
        (ms, 1e-3)
    } else {
        (v.strip_suffix('s').unwrap_or(v), 1.0)
    };
    let x: f64 = num.trim().parse().map_err(|_| bad())?;
    if !x.is_finite() || x < 0.0 {
        return Err(bad());
    }
    Duration::try_from_secs_f64(x * scale).map_err(|_| bad())
}

/// `p` as the caller meant it: `./x` changes to the repository root, so a relative path
/// is taken from the directory `./x` was started in (`KEYFORT_CALLER_DIR`, set by `./x`).
fn caller_path(p: String) -> PathBuf {
    let p = PathBuf::from(p);
    match std::env::var_os("KEYFORT_CALLER_DIR") {
        Some(dir) if p.is_relative() => PathBuf::from(dir).join(p),
        _ => p,
    }
}

/// The running half of `./x run`: checks that `elf` is a linked Cortex-M image, provisions
/// the device directory, runs QEMU and prints the decoded log and how it ended.
pub fn run_elf(
    board: &'static boards::Board,
    elf: PathBuf,
    device: PathBuf,
    timeout: Duration,
    cut: qemu::Cut,
    tamper: bool,
) -> Result<qemu::Outcome, String> {
    elf_check::linked_image(&elf)?;
    qemu::provision_device(&device)?;
    qemu::set_tamper(&device, tamper)?;
    println!("device directory: {}", device.display());
    let out = qemu::run(&qemu::Run {
        board,
        elf,
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
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::duration;
    use std::time::Duration;

    #[test]
    fn cut_after_takes_sub_second_times() {
        assert_eq!(duration("0.25s"), Ok(Duration::from_millis(250)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(duration("0.5"), Ok(Duration::from_millis(500)));
        for bad in ["", "s", "-1s", "1h", "abc", "NaNs", "1e400"] {
            assert!(duration(bad).is_err(), "{bad:?} accepted");
        }
    }
}
