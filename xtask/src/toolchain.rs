//! Toolchains: what `./x setup` installs, and how a firmware build is invoked.
//!
//! Two routes build the thumb targets (see ../shared/TOOLCHAIN.md in the project notes):
//! - **rustup** (route 1, what users do): `rustup target add` for the four targets; the
//!   stable toolchain links with its own `rust-lld`.
//! - **debian** (route 2, the fallback that is always reachable): Debian's `rustc-web`,
//!   `rust-web-src` and `cargo-web` compile `core` for the target with `-Zbuild-std`
//!   (`RUSTC_BOOTSTRAP=1`), linking with Debian's `lld-16`.
//!
//! Setup tries route 1 and falls back to route 2; `KEYFORT_ROUTE=debian` forces route 2.
//! Setup is idempotent: it installs only what is missing.
use crate::{boards, sh};
use std::{path::Path, process::Command};

/// How thumb targets are built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// rustup's prebuilt thumb targets on the stable toolchain.
    Rustup,
    /// Debian's rustc-web with `-Zbuild-std`.
    Debian,
}

impl Route {
    /// One line for people.
    pub fn describe(self) -> &'static str {
        match self {
            Route::Rustup => "route 1 (rustup thumb targets, stable toolchain)",
            Route::Debian => "route 2 (Debian rustc-web + rust-web-src, -Zbuild-std, lld-16)",
        }
    }
}

/// What setup found or installed.
#[derive(Debug)]
pub struct Env {
    /// The firmware route.
    pub route: Route,
    /// `Ok` if the fuzz steps can run (nightly + cargo-fuzz), else why not.
    pub fuzz: Result<(), String>,
}

const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_LLD: &str = "/usr/lib/llvm-16/bin/ld.lld";
const DEBIAN_PACKAGES: &[&str] = &["rustc-web", "rust-web-src", "cargo-web", "lld-16"];

/// Installs what is missing and says what is used.
pub fn setup() -> Result<Env, String> {
    println!("setup: checking tools (installs only what is missing)");
    if !sh::have("qemu-system-arm") {
        apt_install(&["qemu-system-arm"])?;
    }
    println!(
        "  qemu: {}",
        first_line(Command::new("qemu-system-arm").arg("--version"))
    );
    ensure_components()?;
    let route = pick_route()?;
    println!("  firmware toolchain: {}", route.describe());
    let fuzz = if std::env::var("KEYFORT_SKIP_FUZZ").as_deref() == Ok("1") {
        Err("skipped: KEYFORT_SKIP_FUZZ=1".to_string())
    } else {
        ensure_fuzz()
    };
    match &fuzz {
        Ok(()) => println!("  fuzzing: nightly + cargo-fuzz ready"),
        Err(e) => println!("  fuzzing: NOT ready: {e}"),
    }
    if !sh::have("valgrind") {
        // Needed by the constant-time tests; not fatal for setup itself.
        if let Err(e) = apt_install(&["valgrind"]) {
            println!("  valgrind: NOT installed: {e}");
        }
    }
    Ok(Env { route, fuzz })
}

fn first_line(cmd: &mut Command) -> String {
    sh::output(cmd)
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// `apt-get install` (with sudo unless root), after one `apt-get update`.
pub fn apt_install(pkgs: &[&str]) -> Result<(), String> {
    println!("  installing Debian packages: {}", pkgs.join(" "));
    let root = sh::output(Command::new("id").arg("-u")).is_some_and(|s| s.trim() == "0");
    let apt = |args: &[&str]| {
        let mut c = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    sh::run(&mut apt(&["update", "-qq"]))?;
    let mut install = apt(&["install", "-y", "-qq", "--no-install-recommends"]);
    install.args(pkgs);
    sh::run(&mut install)
}

fn ensure_components() -> Result<(), String> {
    for (tool, component) in [("fmt", "rustfmt"), ("clippy", "clippy")] {
        if !sh::quiet_ok(Command::new("cargo").args([tool, "--version"])) {
            sh::run(Command::new("rustup").args(["component", "add", component]))
                .map_err(|e| format!("cargo {tool} missing and could not be installed: {e}"))?;
        }
    }
    Ok(())
}

fn pick_route() -> Result<Route, String> {
    let forced = std::env::var("KEYFORT_ROUTE").unwrap_or_default();
    if forced != "debian" {
        let want = boards::targets();
        let installed = sh::output(Command::new("rustup").args(["target", "list", "--installed"]))
            .unwrap_or_default();
        let missing: Vec<_> = want
            .iter()
            .filter(|t| !installed.lines().any(|l| l.trim() == **t))
            .collect();
        if missing.is_empty() {
            return Ok(Route::Rustup);
        }
        let mut add = Command::new("rustup");
        add.args(["target", "add"])
            .args(missing.iter().map(|t| **t));
        match sh::run(&mut add) {
            Ok(()) => return Ok(Route::Rustup),
            Err(e) => println!("  route 1 failed ({e}); falling back to route 2"),
        }
    } else {
        println!("  KEYFORT_ROUTE=debian: using route 2");
    }
    let missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .copied()
        .filter(|p| !sh::quiet_ok(Command::new("dpkg").args(["-s", p])))
        .collect();
    if !missing.is_empty() {
        apt_install(&missing)?;
    }
    for f in [DEBIAN_RUSTC, DEBIAN_CARGO, DEBIAN_LLD] {
        if !Path::new(f).exists() {
            return Err(format!(
                "route 2: {f} missing after installing {DEBIAN_PACKAGES:?}"
            ));
        }
    }
    Ok(Route::Debian)
}

fn ensure_fuzz() -> Result<(), String> {
    let toolchains =
        sh::output(Command::new("rustup").args(["toolchain", "list"])).unwrap_or_default();
    if !toolchains.lines().any(|l| l.starts_with("nightly")) {
        sh::run(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))
        .map_err(|e| format!("nightly toolchain missing and not installable: {e}"))?;
    }
    if !sh::quiet_ok(Command::new("cargo").args(["fuzz", "--version"])) {
        sh::run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))
            .map_err(|e| format!("cargo-fuzz missing and not installable: {e}"))?;
    }
    Ok(())
}

/// Makes sure the rustup toolchain `version` (e.g. `1.89`, the stated minimum Rust
/// version) is installed, with the minimal profile, and returns its name for `rustup run`.
/// Err says why not (no rustup, or the download failed): callers report a skip, since CI
/// must not fail when a toolchain cannot be fetched.
pub fn ensure_toolchain(version: &str) -> Result<String, String> {
    let installed =
        sh::output(Command::new("rustup").args(["toolchain", "list"])).ok_or("rustup not found")?;
    // `1.89-<host>` (a channel) or `1.89.0-<host>` (a release) both do.
    if let Some(name) = installed
        .lines()
        .filter(|l| l.starts_with(&format!("{version}-")) || l.starts_with(&format!("{version}.")))
        .find_map(|l| l.split_whitespace().next())
    {
        return Ok(name.to_string());
    }
    sh::run(Command::new("rustup").args(["toolchain", "install", version, "--profile", "minimal"]))
        .map(|()| version.to_string())
}

/// `cargo build --release -p keyfort-firmware --bin <bin>` for `targets`, through
/// [`firmware_cargo`] (callers add flags such as `--quiet` or `--features`).
pub fn firmware_bin_build(root: &Path, route: Route, targets: &[&str], bin: &str) -> Command {
    let mut c = firmware_cargo(root, route, "build", targets);
    c.args(["--release", "-p", "keyfort-firmware", "--bin", bin]);
    c
}

/// A `cargo <sub>` command for the firmware workspace (`qemu/`), set up for `route` and
/// `targets`. Cargo reads `qemu/.cargo/config.toml` only when run from there, so the
/// command runs in `qemu/`.
pub fn firmware_cargo(root: &Path, route: Route, sub: &str, targets: &[&str]) -> Command {
    let qemu = root.join("qemu");
    let target_dir = (route == Route::Debian).then(|| qemu.join("target-debian"));
    cargo_in(&qemu, target_dir.as_deref(), route, sub, targets)
}

/// A `cargo <sub>` command for the thumb crate (or workspace) in `dir`, run from there so
/// that its own `.cargo/config.toml` applies, set up for `route` and `targets`;
/// `target_dir` overrides where it builds.
pub fn cargo_in(
    dir: &Path,
    target_dir: Option<&Path>,
    route: Route,
    sub: &str,
    targets: &[&str],
) -> Command {
    let mut c = match route {
        Route::Rustup => Command::new("cargo"),
        Route::Debian => {
            let mut c = Command::new(DEBIAN_CARGO);
            c.env("RUSTC", DEBIAN_RUSTC)
                .env("RUSTC_BOOTSTRAP", "1")
                .env_remove("RUSTUP_TOOLCHAIN")
                .env_remove("RUSTC_WRAPPER")
                .env_remove("RUSTDOC");
            c
        }
    };
    c.current_dir(dir).arg(sub);
    for t in targets {
        c.args(["--target", t]);
    }
    if route == Route::Debian {
        c.args([
            "-Zbuild-std=core,compiler_builtins",
            "-Zbuild-std-features=compiler-builtins-mem",
        ]);
        for t in targets {
            c.arg("--config")
                .arg(format!("target.{t}.linker=\"{DEBIAN_LLD}\""));
            // RUSTC_BOOTSTRAP exposes target_feature "v7", which makes `aes` pick 64-bit
            // words on 32-bit cores: keep the 32-bit path.
            c.arg("--config").arg(format!(
                "target.{t}.rustflags=[\"--cfg\", 'cpubits=\"32\"']"
            ));
        }
    }
    if let Some(t) = target_dir {
        c.arg("--target-dir").arg(t);
    }
    c
}

/// Where the firmware build puts `bin` for `target`.
pub fn firmware_elf(
    root: &Path,
    route: Route,
    target: &str,
    kind: &str,
    name: &str,
) -> std::path::PathBuf {
    let dir = match route {
        Route::Rustup => "target",
        Route::Debian => "target-debian",
    };
    let mut p = root.join("qemu").join(dir).join(target).join("release");
    if kind == "example" {
        p = p.join("examples");
    }
    p.join(name)
}

/// The Arm GNU C cross-compiler and newlib (Debian's `gcc-arm-none-eabi`,
/// `libnewlib-arm-none-eabi`, about 440 MB), for the C API's example firmware. Installed
/// only when missing, and only by the step that needs it.
pub fn ensure_arm_gcc() -> Result<(), String> {
    if sh::have("arm-none-eabi-gcc") {
        return Ok(());
    }
    apt_install(&["gcc-arm-none-eabi", "libnewlib-arm-none-eabi"])?;
    if sh::have("arm-none-eabi-gcc") {
        Ok(())
    } else {
        Err("arm-none-eabi-gcc still missing after apt-get install".into())
    }
}
