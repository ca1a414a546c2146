//! `./x gen [--check]`: keyfort-aes's generated sources from their generators.
//!
//! `aes-fixslice/gen/gen_asm.py` writes `src/armv7m.s` (the ARMv7-M assembly) and
//! `gen/gen_rust.py` writes `src/sbox.rs` (the S-box circuits of the portable model); both
//! are deterministic (fixed seeds) and need only Python 3. `./x gen` rewrites the committed
//! files in place; `./x gen --check` (a `./x test` step) runs the generators on a copy under
//! `target/gen-check/` and fails, naming the first differing line, if a committed file is
//! not what its generator writes.
use crate::steps::{from, Ctx, Outcome};
use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

/// (generator script, the file it writes relative to `aes-fixslice/`), in run order.
const OUTPUTS: &[(&str, &str)] = &[
    ("gen_rust.py", "src/sbox.rs"),
    ("gen_asm.py", "src/armv7m.s"),
];

/// `./x gen [--check]`.
pub fn cmd(root: &Path, args: &[String]) -> Result<bool, String> {
    match args {
        [] => {
            generate(&root.join("aes-fixslice"))?;
            println!("gen: rewrote {}", committed_list());
            Ok(true)
        }
        [flag] if flag == "--check" => check(root).map(|note| {
            println!("gen --check: {note}");
            true
        }),
        _ => Err("usage: ./x gen [--check]".into()),
    }
}

/// The `./x test` step.
pub fn step(ctx: &mut Ctx) -> Outcome {
    from(check(&ctx.root))
}

fn committed_list() -> String {
    OUTPUTS
        .iter()
        .map(|(_, out)| format!("aes-fixslice/{out}"))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Regenerates into a scratch copy and compares with the committed files.
fn check(root: &Path) -> Result<String, String> {
    let crate_dir = root.join("aes-fixslice");
    let scratch = root.join("target/gen-check");
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(scratch.join("src")).map_err(|e| format!("{}: {e}", scratch.display()))?;
    copy_dir(&crate_dir.join("gen"), &scratch.join("gen"))?;
    generate(&scratch)?;
    for (script, out) in OUTPUTS {
        let read = |p: PathBuf| fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()));
        let fresh = read(scratch.join(out))?;
        let committed = read(crate_dir.join(out))?;
        if let Some(d) = first_difference(&committed, &fresh) {
            return Err(format!(
                "aes-fixslice/{out} is not what gen/{script} writes ({d}); run `./x gen` and commit"
            ));
        }
    }
    Ok(format!(
        "{} equal to what their generators write",
        committed_list()
    ))
}

/// Runs the generators with `dir/gen` as the working directory (they write `../src/..`).
fn generate(dir: &Path) -> Result<(), String> {
    for (script, _) in OUTPUTS {
        crate::sh::run(
            Command::new("python3")
                .arg(script)
                .current_dir(dir.join("gen"))
                .env("PYTHONDONTWRITEBYTECODE", "1"),
        )?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for e in entries {
        let p = e.map_err(|e| e.to_string())?.path();
        if p.extension().is_some_and(|x| x == "py" || x == "md") {
            let dest = to.join(p.file_name().unwrap_or_default());
            fs::copy(&p, &dest).map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    Ok(())
}

/// `None` if equal, else where they first differ (1-based line, both versions).
fn first_difference(committed: &str, fresh: &str) -> Option<String> {
    if committed == fresh {
        return None;
    }
    let (mut a, mut b) = (committed.lines(), fresh.lines());
    let mut line = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (x, y) => {
                return Some(format!(
                    "line {line}: committed {:?}, generated {:?}",
                    x.unwrap_or("<end of file>"),
                    y.unwrap_or("<end of file>")
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::first_difference;

    #[test]
    fn equal_text_has_no_difference() {
        assert_eq!(first_difference("a\nb\n", "a\nb\n"), None);
    }

    #[test]
    fn a_changed_line_is_named() {
        let d = first_difference("a\nb\nc\n", "a\nB\nc\n").unwrap_or_default();
        assert!(d.starts_with("line 2:"), "{d}");
        assert!(d.contains("\"b\"") && d.contains("\"B\""), "{d}");
    }

    #[test]
    fn a_missing_or_extra_line_is_caught() {
        let d = first_difference("a\nb\n", "a\n").unwrap_or_default();
        assert!(d.contains("line 2") && d.contains("<end of file>"), "{d}");
        // only a trailing newline differs: still a difference
        assert!(first_difference("a\n", "a").is_some());
    }
}
