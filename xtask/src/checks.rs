//! Steps that run cargo: formatting, lints, host tests and the firmware builds.
use crate::{
    boards::{self, NRF52840_TARGET},
    ctx::{from, Ctx, Outcome},
    sh,
    toolchain::{firmware_cargo, firmware_elf, Route},
};
use std::process::Command;

fn cargo(ctx: &Ctx) -> Command {
    let mut c = Command::new("cargo");
    c.current_dir(&ctx.root);
    c
}

/// `cargo fmt --check` on both workspaces (the firmware one includes `boards/`).
pub fn fmt(ctx: &mut Ctx) -> Outcome {
    // Both checks run even if the first fails, so one run shows every unformatted file.
    // The firmware check names its packages: `--all` there would also check (and
    // `cargo fmt --all` would rewrite) the path dependency `core/`, the host check's job.
    let host = sh::run(cargo(ctx).args(["fmt", "--all", "--check"]));
    let mut fw = cargo(ctx);
    fw.current_dir(ctx.root.join("qemu")).arg("fmt");
    for p in FIRMWARE_PACKAGES {
        fw.args(["-p", p]);
    }
    let fw = sh::run(fw.arg("--check"));
    match (host, fw) {
        (Ok(()), Ok(())) => Outcome::Pass("formatted".into()),
        (Err(e), Ok(())) => Outcome::Fail(format!("host workspace: {e}")),
        (Ok(()), Err(e)) => Outcome::Fail(format!("firmware workspace: {e}")),
        (Err(_), Err(_)) => Outcome::Fail("both workspaces have unformatted files".into()),
    }
}

/// The firmware workspace's own packages.
pub const FIRMWARE_PACKAGES: &[&str] = &[
    "keyfort-firmware",
    "keyfort-board-qemu",
    "keyfort-board-nrf52840",
    "keyfort-secure",
    "keyfort-secure-client",
    "keyfort-secure-app",
];

/// Clippy on the host workspace, all targets, warnings denied.
pub fn clippy_host(ctx: &mut Ctx) -> Outcome {
    from(
        sh::run(cargo(ctx).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
        .map(|()| "no warnings".into()),
    )
}

/// Clippy on the firmware workspace for every thumb target, plus the nrf52840 crate.
pub fn clippy_firmware(ctx: &mut Ctx) -> Outcome {
    if ctx.env.route == Route::Debian {
        return Outcome::Skip("route 2 has no clippy for thumb targets (Debian ships none)".into());
    }
    from((|| {
        let targets = boards::targets();
        let mut c = firmware_cargo(&ctx.root, ctx.env.route, "clippy", &targets);
        c.args([
            "-p",
            "keyfort-firmware",
            "-p",
            "keyfort-board-qemu",
            "--bins",
            "--examples",
            "--lib",
        ])
        .args(["--", "-D", "warnings"]);
        sh::run(&mut c)?;
        // The TrustZone crates: Armv8-M Mainline only.
        let mut c = firmware_cargo(
            &ctx.root,
            ctx.env.route,
            "clippy",
            &[crate::tz::board()?.target],
        );
        c.args([
            "-p",
            "keyfort-secure",
            "-p",
            "keyfort-secure-client",
            "-p",
            "keyfort-secure-app",
            "--",
            "-D",
            "warnings",
        ]);
        sh::run(&mut c)?;
        let mut c = firmware_cargo(&ctx.root, ctx.env.route, "clippy", &[NRF52840_TARGET]);
        c.args([
            "-p",
            "keyfort-board-nrf52840",
            "--examples",
            "--lib",
            "--",
            "-D",
            "warnings",
        ]);
        sh::run(&mut c)?;
        Ok("no warnings".into())
    })())
}

/// The host test suite (`cargo test --workspace`, test profile at opt-level 2).
pub fn host_tests(ctx: &mut Ctx) -> Outcome {
    from(sh::run(cargo(ctx).args(["test", "--workspace"])).map(|()| "all passed".into()))
}

/// Builds the `selftest` and `demo` firmware for all four targets, then the size guard.
pub fn firmware_build(ctx: &mut Ctx) -> Outcome {
    from(build_firmware(ctx).and_then(|()| {
        let note = size_guard(ctx)?;
        Ok(format!("selftest + demo + examples for 4 targets; {note}"))
    }))
}

/// A size guard that needs no extra build: the whole-core probe (`bench_size_all`, just
/// built at the release profile) must not link a `memmove`. `compiler_builtins`'
/// `memmove` costs about 1.3 KiB of flash on a Cortex-M0, more than all of keyfort's
/// moves within a buffer; `slice::copy_within` pulls it in (use `crate::shift` instead).
/// Also reports the core's `.text` (probe minus baseline) on the Cortex-M0.
fn size_guard(ctx: &Ctx) -> Result<String, String> {
    use object::{Object, ObjectSymbol};
    let t = "thumbv6m-none-eabi";
    let elf = |b| firmware_elf(&ctx.root, ctx.env.route, t, "bin", b);
    let (all, base) = (elf("bench_size_all"), elf("bench_size_base"));
    let bytes = std::fs::read(&all).map_err(|e| format!("{}: {e}", all.display()))?;
    let file = object::File::parse(&*bytes).map_err(|e| format!("{}: {e}", all.display()))?;
    if file
        .symbols()
        .any(|s| s.name().is_ok_and(|n| n.contains("memmove")))
    {
        return Err(format!(
            "size guard: {} links memmove (a copy_within in core? use crate::shift)",
            all.display()
        ));
    }
    let text = crate::bench_target::sizes(&all)?
        .text
        .saturating_sub(crate::bench_target::sizes(&base)?.text);
    Ok(format!("core .text {text} B on {t} (release), no memmove"))
}

/// Builds, for every QEMU target, the firmware that runs on every board (the self-test,
/// the demo, the runner check) and the board crate's examples, then the two size probes
/// the size guard reads on the Cortex-M0. The other firmware bins are built by the
/// steps that run them, for their boards, and `./x bench` builds the bench bins; the
/// clippy step compiles every bin for every target.
pub fn build_firmware(ctx: &Ctx) -> Result<(), String> {
    let mut c = firmware_cargo(&ctx.root, ctx.env.route, "build", &boards::targets());
    c.args([
        "--release",
        "-p",
        "keyfort-firmware",
        "-p",
        "keyfort-board-qemu",
        "--bin",
        "selftest",
        "--bin",
        "demo",
        "--bin",
        "runner-check",
        "--examples",
    ]);
    sh::run(&mut c)?;
    let mut c = firmware_cargo(&ctx.root, ctx.env.route, "build", &["thumbv6m-none-eabi"]);
    c.args([
        "--release",
        "-p",
        "keyfort-firmware",
        "--bin",
        "bench_size_all",
        "--bin",
        "bench_size_base",
    ]);
    sh::run(&mut c)
}

/// Builds the real-chip board crate and its example (links, not run).
pub fn nrf52840_build(ctx: &mut Ctx) -> Outcome {
    let mut c = firmware_cargo(&ctx.root, ctx.env.route, "build", &[NRF52840_TARGET]);
    c.args([
        "--release",
        "-p",
        "keyfort-board-nrf52840",
        "--example",
        "minimal",
    ]);
    from(sh::run(&mut c).map(|()| format!("built for {NRF52840_TARGET} (not run: no hardware)")))
}
