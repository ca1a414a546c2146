//! Steps that keep the published crates true to what a user of the registry gets: they
//! package, they build on the stated minimum Rust, their docs build without warnings, and
//! the test-only switch that turns the wipes off cannot be reached through a feature.
use crate::{
    ctx::{from, Ctx, Outcome},
    sh,
    toolchain::{self, firmware_cargo, Route},
};
use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// The published crates of the host workspace, in dependency order.
const HOST_CRATES: &[&str] = &["keyfort-aes", "keyfort"];
/// The published board crates (firmware workspace, `qemu/`), each with the target its
/// package is verified on.
const BOARD_CRATES: &[(&str, &str)] = &[
    ("keyfort-board-qemu", "thumbv7m-none-eabi"),
    ("keyfort-board-nrf52840", "thumbv7em-none-eabihf"),
];
/// Files every packaged crate must carry, with the repository file each must equal.
const PACKAGED_FILES: &[&str] = &["LICENSE-MIT", "LICENSE-APACHE", "README.md"];
/// Metadata fields every published crate must fill.
const METADATA: &[&str] = &[
    "description",
    "license",
    "repository",
    "readme",
    "rust_version",
    "keywords",
    "categories",
];

fn cargo(dir: &Path) -> Command {
    let mut c = Command::new("cargo");
    c.current_dir(dir);
    c
}

/// `cargo package` for every published crate, then checks of what the packages hold.
///
/// - keyfort-aes and keyfort: packaged and verified together (cargo builds keyfort's
///   package against keyfort-aes's package through a temporary local registry: neither is
///   on crates.io yet).
/// - the board crates: packaged and verified for their thumb target; `keyfort` resolves
///   to the local `core/` through a command-line `[patch]` (it is not on crates.io yet,
///   and it lives in the other workspace). On route 2 they are packaged without the
///   verifying build (Debian's toolchain needs `-Zbuild-std`), which the firmware build
///   steps cover.
/// - every package holds LICENSE-MIT, LICENSE-APACHE and README.md (the license files
///   equal to the repository root's), and every published crate fills the metadata in
///   [`METADATA`], gives a version with each path dependency, and every other crate of
///   both workspaces says `publish = false`.
pub fn packaging(ctx: &mut Ctx) -> Outcome {
    from((|| {
        let root = &ctx.root;
        let qemu = root.join("qemu");
        metadata_checks(root, HOST_CRATES)?;
        let boards: Vec<&str> = BOARD_CRATES.iter().map(|b| b.0).collect();
        metadata_checks(&qemu, &boards)?;

        let v = version(root, HOST_CRATES[0])?;
        forget_stale_unpacks(&cargo_home(), HOST_CRATES, &v)?;
        // A target directory of the verification's own, empty at every run: cargo takes
        // a crate from a registry as never changing, so a keyfort-aes of the same version
        // built by an earlier packaging would be linked again instead of this one.
        let verify_dir = root.join(VERIFY_TARGET);
        if verify_dir.exists() {
            std::fs::remove_dir_all(&verify_dir)
                .map_err(|e| format!("cannot empty {}: {e}", verify_dir.display()))?;
        }
        let mut c = cargo(root);
        c.env("CARGO_TARGET_DIR", &verify_dir);
        c.args(["package", "--allow-dirty"]);
        for p in HOST_CRATES {
            c.args(["-p", p]);
        }
        sh::run(&mut c)?;
        for p in HOST_CRATES {
            check_crate_file(root, root, &verify_dir, p)?;
        }

        let verify = ctx.env.route == Route::Rustup;
        for (p, target) in BOARD_CRATES {
            let mut c = cargo(&qemu);
            c.args(["package", "--allow-dirty", "-p", p, "--target", target])
                .args(["--config", "patch.crates-io.keyfort.path=\"../core\""])
                .args([
                    "--config",
                    "patch.crates-io.keyfort-aes.path=\"../aes-fixslice\"",
                ]);
            if !verify {
                c.arg("--no-verify");
            }
            sh::run(&mut c)?;
            check_crate_file(root, &qemu, &qemu.join("target"), p)?;
        }
        Ok(format!(
            "{} packaged and verified; {} packaged{}; license files, README and metadata present",
            HOST_CRATES.join(" + "),
            boards.join(" + "),
            if verify {
                " and verified for their thumb targets"
            } else {
                " (route 2: not verified, the firmware builds cover them)"
            }
        ))
    })())
}

/// The target directory of the host crates' package verification (under `target/`).
const VERIFY_TARGET: &str = "target/package-verify";

/// Cargo's home: `CARGO_HOME`, else `~/.cargo`.
fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
}

/// Removes cargo's unpacked copies of `crates` at `version` from the local registries it
/// has seen (`<cargo home>/registry/src/-<hash>/<crate>-<version>`; a local registry has
/// no name before the hash). `cargo package` verifies keyfort against keyfort-aes's
/// package through a temporary local registry under the target directory, and cargo
/// unpacks a crate of a given name and version once per registry path: a checkout at a
/// path where an older keyfort-aes of the same version was packaged before (a CI machine
/// that keeps its cargo home and clones to the same place) would verify keyfort against
/// that stale copy and fail. Crates.io's own unpacks (a named registry) are not touched.
fn forget_stale_unpacks(home: &Path, crates: &[&str], version: &str) -> Result<(), String> {
    let Ok(registries) = std::fs::read_dir(home.join("registry/src")) else {
        return Ok(());
    };
    for reg in registries.flatten() {
        if !reg.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for krate in crates {
            let unpacked = reg.path().join(format!("{krate}-{version}"));
            if unpacked.exists() {
                std::fs::remove_dir_all(&unpacked)
                    .map_err(|e| format!("cannot remove {}: {e}", unpacked.display()))?;
            }
        }
    }
    Ok(())
}

/// The version of the packaged crates (the workspaces share one).
fn version(dir: &Path, krate: &str) -> Result<String, String> {
    let meta = cargo_metadata(dir)?;
    package(&meta, krate)?["version"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{krate}: no version in cargo metadata"))
}

/// Checks that the package of `krate` (workspace `ws`, packaged into target directory
/// `target`) holds [`PACKAGED_FILES`] and that its license files are the repository
/// root's.
fn check_crate_file(root: &Path, ws: &Path, target: &Path, krate: &str) -> Result<(), String> {
    let v = version(ws, krate)?;
    let file: PathBuf = target.join("package").join(format!("{krate}-{v}.crate"));
    for name in PACKAGED_FILES {
        let member = format!("{krate}-{v}/{name}");
        let out = Command::new("tar")
            .arg("-xzOf")
            .arg(&file)
            .arg(&member)
            .output()
            .map_err(|e| format!("tar: {e}"))?;
        if !out.status.success() || out.stdout.is_empty() {
            return Err(format!("{}: no {member}", file.display()));
        }
        if name.starts_with("LICENSE") {
            let want = std::fs::read(root.join(name)).map_err(|e| format!("{name}: {e}"))?;
            if out.stdout != want {
                return Err(format!(
                    "{}: {member} differs from the repository's {name}",
                    file.display()
                ));
            }
        }
    }
    Ok(())
}

fn cargo_metadata(dir: &Path) -> Result<serde_json::Value, String> {
    let out = sh::output(cargo(dir).args(["metadata", "--no-deps", "--format-version", "1"]))
        .ok_or_else(|| format!("cargo metadata failed in {}", dir.display()))?;
    serde_json::from_str(&out).map_err(|e| format!("cargo metadata: {e}"))
}

fn package<'a>(meta: &'a serde_json::Value, name: &str) -> Result<&'a serde_json::Value, String> {
    meta["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .ok_or_else(|| format!("no package {name} in cargo metadata"))
}

/// `published` fill [`METADATA`] and give versions with their path dependencies; every
/// other package of the workspace in `dir` says `publish = false`.
fn metadata_checks(dir: &Path, published: &[&str]) -> Result<(), String> {
    let meta = cargo_metadata(dir)?;
    let members = meta["workspace_members"]
        .as_array()
        .ok_or("cargo metadata: no workspace_members")?;
    for p in meta["packages"]
        .as_array()
        .ok_or("cargo metadata: no packages")?
    {
        let name = p["name"].as_str().unwrap_or("?");
        if !members.contains(&p["id"]) {
            continue; // a path dependency from the other workspace
        }
        let publishable = p["publish"].is_null();
        if !published.contains(&name) {
            if publishable {
                return Err(format!(
                    "{name} is not a published crate: say publish = false"
                ));
            }
            continue;
        }
        if !publishable {
            return Err(format!(
                "{name} is meant to be published but says publish = false"
            ));
        }
        for field in METADATA {
            let v = &p[*field];
            let empty =
                v.is_null() || v.as_str() == Some("") || v.as_array().is_some_and(|a| a.is_empty());
            if empty {
                return Err(format!("{name}: `{field}` missing in its Cargo.toml"));
            }
        }
        for d in p["dependencies"].as_array().into_iter().flatten() {
            let dev = d["kind"] == "dev";
            if d["path"].is_string() && !dev && d["req"] == "*" {
                return Err(format!(
                    "{name}: path dependency {} has no version requirement",
                    d["name"]
                ));
            }
        }
    }
    Ok(())
}

/// The stated minimum Rust version (`rust-version`) of the published crates, which both
/// workspaces must agree on.
fn stated_msrv(root: &Path) -> Result<String, String> {
    let mut found = Vec::new();
    for (dir, crates) in [
        (root.to_path_buf(), HOST_CRATES.to_vec()),
        (
            root.join("qemu"),
            BOARD_CRATES.iter().map(|b| b.0).collect(),
        ),
    ] {
        let meta = cargo_metadata(&dir)?;
        for c in crates {
            let v = package(&meta, c)?["rust_version"]
                .as_str()
                .ok_or_else(|| format!("{c}: no rust-version"))?
                .to_string();
            found.push((c, v));
        }
    }
    let first = found.first().map(|f| f.1.clone()).unwrap_or_default();
    if let Some((c, v)) = found.iter().find(|f| f.1 != first) {
        return Err(format!(
            "rust-version differs: {c} says {v}, {} says {first}",
            HOST_CRATES[0]
        ));
    }
    Ok(first)
}

/// The highest `rust-version` among the locked dependencies of keyfort (normal
/// dependencies, every feature), with the crate that asks for it.
fn deps_msrv(root: &Path) -> Result<(String, String), String> {
    let out = sh::output(cargo(root).args([
        "tree",
        "-p",
        "keyfort",
        "--all-features",
        "-e",
        "normal",
        "--prefix",
        "none",
        "--locked",
        "--format",
        "{p}",
    ]))
    .ok_or("cargo tree failed")?;
    let full = sh::output(cargo(root).args(["metadata", "--format-version", "1", "--locked"]))
        .ok_or("cargo metadata failed")?;
    let meta: serde_json::Value = serde_json::from_str(&full).map_err(|e| e.to_string())?;
    let mut best: Option<(Vec<u32>, String, String)> = None;
    for line in out.lines() {
        let mut it = line.split_whitespace();
        let (Some(name), Some(ver)) = (it.next(), it.next()) else {
            continue;
        };
        let ver = ver.trim_start_matches('v');
        let Some(p) = meta["packages"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == name && p["version"] == ver))
        else {
            continue;
        };
        if p["source"].is_null() {
            continue; // keyfort's own crates: their rust-version is the stated one
        }
        if let Some(rv) = p["rust_version"].as_str() {
            let key = parse_version(rv);
            if best.as_ref().is_none_or(|b| key > b.0) {
                best = Some((key, rv.to_string(), format!("{name} {ver}")));
            }
        }
    }
    best.map(|b| (b.1, b.2))
        .ok_or_else(|| "no dependency states a rust-version".into())
}

fn parse_version(v: &str) -> Vec<u32> {
    let mut parts: Vec<u32> = v.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    parts.resize(3, 0);
    parts
}

/// The true minimum Rust version: the stated `rust-version` (one for both workspaces)
/// equals the highest `rust-version` among keyfort's locked dependencies (so no lower
/// version can build it: cargo refuses a dependency that asks for a newer compiler), and
/// a toolchain of exactly that version builds keyfort (every feature) and keyfort-aes
/// with the locked dependencies. The toolchain is installed with rustup when missing; if
/// it cannot be installed, the step is skipped and says why.
pub fn msrv(ctx: &mut Ctx) -> Outcome {
    let root = ctx.root.clone();
    let stated = match stated_msrv(&root) {
        Ok(v) => v,
        Err(e) => return Outcome::Fail(e),
    };
    let (needed, by) = match deps_msrv(&root) {
        Ok(v) => v,
        Err(e) => return Outcome::Fail(e),
    };
    if parse_version(&stated) != parse_version(&needed) {
        return Outcome::Fail(format!(
            "rust-version says {stated}, but the locked dependencies need {needed} ({by}): \
             state the true minimum"
        ));
    }
    let toolchain = match toolchain::ensure_toolchain(&stated) {
        Ok(t) => t,
        Err(e) => return Outcome::Skip(format!("Rust {stated} not installable: {e}")),
    };
    let mut c = Command::new("rustup");
    c.current_dir(&root)
        .args(["run", &toolchain, "cargo", "check", "--locked"])
        .args(["-p", "keyfort", "-p", "keyfort-aes", "--all-features"])
        .arg("--target-dir")
        .arg(root.join("target/msrv"));
    from(sh::run(&mut c).map(|()| {
        format!(
            "keyfort + keyfort-aes build on Rust {stated} (needed by {by}, the highest dependency)"
        )
    }))
}

/// `cargo doc --all-features --no-deps` with warnings denied for every published crate:
/// the host crates, and the board crates for their thumb targets (route 1 only: Debian's
/// toolchain needs `-Zbuild-std`, and the board crates' docs build for thumb targets).
pub fn docs(ctx: &mut Ctx) -> Outcome {
    from((|| {
        let mut c = cargo(&ctx.root);
        c.env("RUSTDOCFLAGS", "-D warnings")
            .args(["doc", "--all-features", "--no-deps"]);
        for p in HOST_CRATES {
            c.args(["-p", p]);
        }
        sh::run(&mut c)?;
        let docsrs = docsrs_build(&ctx.root)?;
        // keyfort and keyfort-aes export no test-only item (listed from rustdoc JSON).
        let docsrs = format!("{docsrs}; {}", crate::public_api::check(&ctx.root)?);
        if ctx.env.route != Route::Rustup {
            return Ok(format!(
                "{}; {docsrs}; board crates not built (route 2 builds thumb targets only with -Zbuild-std)",
                HOST_CRATES.join(" + ")
            ));
        }
        for (p, target) in BOARD_CRATES {
            let mut c = firmware_cargo(&ctx.root, ctx.env.route, "doc", &[target]);
            c.env("RUSTDOCFLAGS", "-D warnings")
                .args(["--all-features", "--no-deps", "-p", p]);
            sh::run(&mut c)?;
        }
        Ok(format!(
            "{} and the board crates: no warnings; {docsrs}",
            HOST_CRATES.join(" + ")
        ))
    })())
}

/// The host crates' docs as docs.rs builds them (nightly, `--cfg docsrs`: each item that
/// needs a feature says which), if the nightly toolchain is there (the fuzz step installs
/// it); otherwise says it was not run.
fn docsrs_build(root: &Path) -> Result<String, String> {
    if !sh::quiet_ok(Command::new("rustup").args(["run", "nightly", "rustdoc", "--version"])) {
        return Ok("docs.rs build (nightly) not run: no nightly toolchain".into());
    }
    let mut c = Command::new("rustup");
    c.current_dir(root)
        .env("RUSTDOCFLAGS", "--cfg docsrs -D warnings")
        .args([
            "run",
            "nightly",
            "cargo",
            "doc",
            "--all-features",
            "--no-deps",
        ])
        .arg("--target-dir")
        .arg(root.join("target/docsrs"));
    for p in HOST_CRATES {
        c.args(["-p", p]);
    }
    sh::run(&mut c)?;
    let page = root.join("target/docsrs/doc/keyfort/rng/index.html");
    let html = std::fs::read_to_string(&page).map_err(|e| format!("{}: {e}", page.display()))?;
    if !html.contains("Available on crate feature `rand_core_0_9` only") {
        return Err(format!(
            "{}: RandCore09 does not say it needs feature `rand_core_0_9`",
            page.display()
        ));
    }
    Ok("docs.rs build (nightly, --cfg docsrs) shows the features items need".into())
}

/// The wipes can be turned off only by the test-only `--cfg keyfort_no_wipe`, never by a
/// Cargo feature (which any crate in a dependency tree could switch on). A crate outside
/// the workspace that depends on keyfort with `features = ["_no-wipe"]` must fail to
/// resolve; the same crate with an existing feature (`defmt`) must resolve, or the probe
/// itself is broken.
pub fn no_wipe_not_a_feature(ctx: &mut Ctx) -> Outcome {
    from((|| {
        let dir = ctx.root.join("target/no-wipe-probe");
        let probe = |feature: &str| -> Result<(bool, String), String> {
            std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
            let manifest = format!(
                "[package]\nname = \"no-wipe-probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
                 publish = false\n\n[dependencies]\nkeyfort = {{ path = {:?}, features = [\"{feature}\"] }}\n\n\
                 [workspace]\n",
                ctx.root.join("core").display().to_string()
            );
            std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
            std::fs::write(dir.join("src/lib.rs"), "").map_err(|e| e.to_string())?;
            // The repository's lock file, so resolution needs nothing new.
            std::fs::copy(ctx.root.join("Cargo.lock"), dir.join("Cargo.lock"))
                .map_err(|e| e.to_string())?;
            let mut c = cargo(&dir);
            c.args(["tree", "-e", "features", "--depth", "1"]);
            println!("  $ {} (features = [\"{feature}\"])", sh::show(&c));
            let out = c.output().map_err(|e| e.to_string())?;
            Ok((
                out.status.success(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            ))
        };
        let (ok, err) = probe("defmt")?;
        if !ok {
            return Err(format!(
                "probe broken: a dependent with feature defmt fails: {err}"
            ));
        }
        let (ok, err) = probe("_no-wipe")?;
        if ok {
            return Err("a dependent can enable keyfort's `_no-wipe` feature".into());
        }
        if !err.contains("_no-wipe") {
            return Err(format!(
                "refused for another reason than the feature: {err}"
            ));
        }
        Ok("a dependent asking for feature `_no-wipe` is refused by cargo (control: `defmt` resolves)".into())
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_unpacks_of_our_crates_go_and_nothing_else() {
        let home = std::env::temp_dir().join(format!("kf-cargo-home-{}", std::process::id()));
        let local = home.join("registry/src/-0123456789abcdef");
        let named = home.join("registry/src/index.crates.io-1949cf8c6b5b557f");
        for d in [
            local.join("keyfort-aes-0.1.0"),
            local.join("keyfort-0.1.0"),
            local.join("keyfort-aes-0.0.9"),
            local.join("other-0.1.0"),
            named.join("keyfort-aes-0.1.0"),
        ] {
            std::fs::create_dir_all(&d).unwrap_or_default();
        }
        let r = forget_stale_unpacks(&home, HOST_CRATES, "0.1.0");
        let left = |d: PathBuf| d.exists();
        let kept = [
            left(local.join("keyfort-aes-0.1.0")),
            left(local.join("keyfort-0.1.0")),
            left(local.join("keyfort-aes-0.0.9")),
            left(local.join("other-0.1.0")),
            left(named.join("keyfort-aes-0.1.0")),
        ];
        let _ = std::fs::remove_dir_all(&home);
        assert_eq!(r, Ok(()));
        assert_eq!(kept, [false, false, true, true, true]);
    }

    #[test]
    fn no_cargo_home_is_nothing_to_forget() {
        let nowhere = std::env::temp_dir().join("kf-no-such-cargo-home");
        assert_eq!(forget_stale_unpacks(&nowhere, HOST_CRATES, "0.1.0"), Ok(()));
    }
}
