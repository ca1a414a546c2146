//! `./x bench`: speed and size, keyfort next to the implementations users would pick
//! instead, written to `BENCH.md` (and printed). Not part of `./x test`.
//!
//! - on target (`bench_target`): instructions and peak stack per operation on the four
//!   QEMU cores, keyfort next to RustCrypto `aes-kw` 0.3 in the same firmware; section
//!   sizes of one small firmware per feature;
//! - on the host (`bench_host`): ns per operation, keyfort next to `aes-kw` in one
//!   process, OpenSSL through pyca/cryptography and Python DUKPT implementations;
//! - sections measured by other parts of keyfort (`bench_report::sources`);
//! - the report itself, one writer per section: `bench_report`.
use crate::{
    bench_host, bench_report,
    bench_report::{sources, DemoFit, Measured},
    bench_target, boards,
    ctx::Ctx,
    qemu, sh,
    toolchain::{firmware_cargo, firmware_elf},
};

/// `./x bench --sources`: only the sections measured by other parts of keyfort
/// ([`sources::SOURCES`]), written into the existing BENCH.md.
pub fn run_sources(ctx: &mut Ctx) -> Result<bool, String> {
    let extra = sources::measure_all(ctx);
    let path = ctx.root.join("BENCH.md");
    let old = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let stamp = format!(
        "{}; commit `{}`",
        sh::output(std::process::Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
            .unwrap_or_default()
            .trim(),
        sh::output(
            std::process::Command::new("git")
                .current_dir(&ctx.root)
                .args(["rev-parse", "--short", "HEAD"])
        )
        .unwrap_or_default()
        .trim()
    );
    std::fs::write(&path, sources::splice(&old, &extra, &stamp))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    println!("sections written into {}", path.display());
    Ok(extra.iter().all(Result::is_ok))
}

/// `./x bench`.
pub fn run(ctx: &mut Ctx) -> Result<bool, String> {
    let started = std::time::Instant::now();
    println!("==> on-target instruction counts (4 QEMU boards)");
    let boards = bench_target::run_boards(ctx)?;
    println!("==> firmware sizes (one small firmware per feature)");
    let mut sizes = Vec::new();
    for target in ["thumbv6m-none-eabi", "thumbv7m-none-eabi"] {
        sizes.push((target, bench_target::size_table(ctx, target)?));
    }
    println!("==> demo firmware on Cortex-M0");
    let demo = demo_fit(ctx)?;
    println!("==> host");
    let host = bench_host::run(ctx)?;
    let extra = sources::measure_all(ctx);
    let report = bench_report::render(&Measured {
        ctx,
        boards: &boards,
        sizes: &sizes,
        demo: &demo,
        host: &host,
        extra: &extra,
        secs: started.elapsed().as_secs(),
    });
    let path = ctx.root.join("BENCH.md");
    std::fs::write(&path, &report).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("\n{report}");
    println!("written to {}", path.display());
    Ok(true)
}

/// Transactions per boot in the terminal's stack measurement.
const DEMO_TX: u32 = 4;

fn demo_fit(ctx: &Ctx) -> Result<DemoFit, String> {
    let b = boards::find("microbit").ok_or("no microbit board")?;
    let mut c = firmware_cargo(&ctx.root, ctx.env.route, "build", &[b.target]);
    c.args([
        "--release",
        "-p",
        "keyfort-firmware",
        "--bin",
        "demo",
        "--bin",
        "selftest",
        "--bin",
        "terminal",
    ]);
    sh::run(&mut c)?;
    let demo = firmware_elf(&ctx.root, ctx.env.route, b.target, "bin", "demo");
    let terminal = firmware_elf(&ctx.root, ctx.env.route, b.target, "bin", "terminal");
    let st = firmware_elf(&ctx.root, ctx.env.route, b.target, "bin", "selftest");
    let terminal_stack = crate::demo::stack_peak(ctx, DEMO_TX);
    if let Err(e) = &terminal_stack {
        println!("  terminal stack not measured: {e}");
    }
    let device = crate::ontarget::fresh_device(ctx, "microbit-bench-selftest")?;
    let out = qemu::run(&qemu::Run {
        board: b,
        elf: st.clone(),
        device,
        timeout: crate::ontarget::timeout(),
        cut: qemu::Cut::default(),
        echo: None,
    })?;
    // "test board::stack_within_ram ... ok (N of M bytes used)"
    let selftest_stack = out
        .lines
        .iter()
        .find_map(|l| {
            let r = l.split("stack_within_ram ... ok (").nth(1)?;
            let (n, rest) = r.split_once(" of ")?;
            let m = rest.split_whitespace().next()?;
            Some((n.parse().ok()?, m.parse().ok()?))
        })
        .ok_or_else(|| {
            // Say why: a failed test, a fault (stack overflow), a timeout.
            let last = out.lines.last().map_or("", String::as_str);
            format!(
                "no high-water mark: {} after {:.1} s, last line \"{last}\"",
                out.describe(),
                out.elapsed.as_secs_f64()
            )
        });
    println!(
        "  self-test firmware on microbit: {} in {:.1} s",
        out.describe(),
        out.elapsed.as_secs_f64()
    );
    Ok(DemoFit {
        terminal: bench_target::sizes(&terminal)?,
        terminal_stack,
        kw_demo: bench_target::sizes(&demo)?,
        selftest_stack,
        selftest_static: bench_target::sizes(&st)?,
    })
}
