//! The fuzz step: every cargo-fuzz target in `fuzz/Cargo.toml`, ~10 s each.
use crate::{
    ctx::{Ctx, Outcome},
    sh,
};
use std::process::Command;

/// Seconds per target (`KEYFORT_FUZZ_SECS` overrides).
fn secs() -> u64 {
    std::env::var("KEYFORT_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
}

/// The `[[bin]]` names in `fuzz/Cargo.toml`.
pub fn targets(manifest: &str) -> Vec<String> {
    let mut in_bin = false;
    let mut out = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin {
            if let Some(v) = line
                .strip_prefix("name")
                .map(str::trim)
                .and_then(|r| r.strip_prefix('='))
            {
                out.push(v.trim().trim_matches('"').to_string());
            }
        }
    }
    out
}

/// Builds and runs every fuzz target for a bounded time. Fails if the tools are missing
/// (unless KEYFORT_SKIP_FUZZ=1) or any target finds a crash.
pub fn run_all(ctx: &mut Ctx) -> Outcome {
    if let Err(why) = &ctx.env.fuzz {
        return if std::env::var("KEYFORT_SKIP_FUZZ").as_deref() == Ok("1") {
            Outcome::Skip(why.clone())
        } else {
            Outcome::Fail(format!(
                "cannot fuzz: {why} (set KEYFORT_SKIP_FUZZ=1 to skip on purpose)"
            ))
        };
    }
    let dir = ctx.root.join("fuzz");
    let manifest = match std::fs::read_to_string(dir.join("Cargo.toml")) {
        Ok(m) => m,
        Err(e) => return Outcome::Fail(format!("fuzz/Cargo.toml: {e}")),
    };
    let targets = targets(&manifest);
    if targets.is_empty() {
        return Outcome::Fail("no fuzz targets in fuzz/Cargo.toml".into());
    }
    let fuzz = |args: &[&str]| {
        let mut c = Command::new("cargo");
        c.current_dir(&dir).args(["+nightly", "fuzz"]).args(args);
        c
    };
    if let Err(e) = sh::run(&mut fuzz(&["build"])) {
        return Outcome::Fail(e);
    }
    let t = format!("-max_total_time={}", secs());
    let mut failed = Vec::new();
    for name in &targets {
        let corpus = format!("target/corpus/{name}");
        if std::fs::create_dir_all(dir.join(&corpus)).is_err() {
            failed.push(name.clone());
            continue;
        }
        if sh::run(&mut fuzz(&["run", name, &corpus, "--", &t])).is_err() {
            failed.push(name.clone());
        }
    }
    if failed.is_empty() {
        Outcome::Pass(format!(
            "{} targets, {} s each, no crash: {}",
            targets.len(),
            secs(),
            targets.join(", ")
        ))
    } else {
        Outcome::Fail(format!("crashed or failed: {}", failed.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_bin_names_only() {
        let m = "[package]\nname = \"keyfort-fuzz\"\n\n[[bin]]\nname = \"unwrap\"\npath = \"a.rs\"\n\n[dependencies]\nname = \"x\"\n\n[[bin]]\nname = \"tr31\"\n";
        assert_eq!(super::targets(m), vec!["unwrap", "tr31"]);
    }
}
