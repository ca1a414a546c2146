//! `keyfort components combine | split`: key components for split knowledge (see
//! [`keyfort::components`]), each with its KCV and the whole key's KCV.
//!
//! ```text
//! # Three custodians' components, each from its own file (or --component-env VAR):
//! keyfort components combine --algorithm tdes \
//!     --component-file c1.hex --component-file c2.hex --component-file c3.hex \
//!     --expect-kcv 08D7B4 --key-out key.hex
//! # A key split into three components, one file each (created, mode 0600):
//! keyfort components split --algorithm aes --key-file key.hex --count 3 --out-dir parts/
//! ```
//!
//! Components are secrets like keys: `--component-file PATH` (`-`: standard input, once)
//! and `--component-env VAR`, each repeatable; `--component HEX` is for test keys only.
//! The combined key is printed only with `--show-key`; `--key-out PATH` writes it to a new
//! file. Split components are printed only with `--show-components`.
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use keyfort::components;
use keyfort::rng::{Csprng, MinEntropy};
use keyfort::secret::SecretBuf;
use serde_json::json;
use zeroize::Zeroize;

use super::failure::Failure;
use super::host::os_rng;
use super::kcv::{check_expected, AlgArg, KcvOpts};
use super::output;
use super::secretarg::{read, KeyArg, Source};

/// The longest key (AES-256).
const MAX_KEY: usize = 32;

/// The component commands.
#[derive(Subcommand)]
pub enum ComponentsCmd {
    /// Combine components (XOR) into a key; prints each component's KCV and the key's.
    Combine(CombineArgs),
    /// Split a key into random components whose XOR is the key.
    Split(SplitArgs),
}

/// Key components, from any mix of sources (in the order: hex, files, variables).
#[derive(Args)]
pub struct ComponentArgs {
    /// A component, hex on the command line: TEST KEYS ONLY (visible in
    /// /proc/PID/cmdline and shell history; use --component-file or --component-env).
    /// Repeatable.
    #[arg(long = "component", value_name = "HEX")]
    hex: Vec<String>,
    /// A component read from a file (`-`: standard input), hex or as --secret-format
    /// says. Repeatable.
    #[arg(long = "component-file", value_name = "PATH")]
    file: Vec<PathBuf>,
    /// A component read from an environment variable, hex or as --secret-format says.
    /// Repeatable.
    #[arg(long = "component-env", value_name = "VAR")]
    env: Vec<String>,
}

impl Drop for ComponentArgs {
    fn drop(&mut self) {
        for h in &mut self.hex {
            h.zeroize();
        }
    }
}

impl ComponentArgs {
    /// Each component with a name saying where it came from.
    fn read(&self) -> Result<Vec<(String, SecretBuf<MAX_KEY>)>, Failure> {
        let mut out = Vec::new();
        let mut push = |name: String, bytes: &[u8]| -> Result<(), Failure> {
            let b = SecretBuf::from_slice(bytes)
                .ok_or_else(|| format!("{name}: longer than {MAX_KEY} bytes"))?;
            out.push((name, b));
            Ok(())
        };
        for (i, h) in self.hex.iter().enumerate() {
            let name = format!("--component #{}", i + 1);
            push(name.clone(), &read(&name, Source::Hex(h))?)?;
        }
        for p in &self.file {
            let name = format!("--component-file {}", p.display());
            push(name, &read("--component", Source::File(p))?)?;
        }
        for v in &self.env {
            let name = format!("--component-env {v}");
            push(name, &read("--component", Source::Env(v))?)?;
        }
        Ok(out)
    }
}

/// Arguments of `components combine`.
#[derive(Args)]
pub struct CombineArgs {
    /// The key's algorithm.
    #[arg(long, value_enum)]
    algorithm: AlgArg,
    #[command(flatten)]
    components: ComponentArgs,
    #[command(flatten)]
    opts: KcvOpts,
    /// Fail with exit status 3 unless the combined key's KCV starts with these bytes.
    #[arg(long)]
    expect_kcv: Option<String>,
    /// Print the combined key (hex).
    #[arg(long)]
    show_key: bool,
    /// Write the combined key (hex) to this new file (mode 0600).
    #[arg(long, value_name = "PATH")]
    key_out: Option<PathBuf>,
}

/// Arguments of `components split`.
#[derive(Args)]
pub struct SplitArgs {
    /// The key's algorithm.
    #[arg(long, value_enum)]
    algorithm: AlgArg,
    #[command(flatten)]
    key: KeyArg,
    /// How many components (2 to 9).
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=9))]
    count: u8,
    #[command(flatten)]
    opts: KcvOpts,
    /// Write component N to DIR/component-N.hex (new files, mode 0600).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Print the components (hex).
    #[arg(long)]
    show_components: bool,
}

/// Writes `hex` and a newline to a new file readable by its owner only.
fn write_secret_file(path: &Path, hex: &str) -> Result<(), Failure> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Failure::refused(format!("{}: {}", path.display(), e.kind())))?;
    f.write_all(hex.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .map_err(|e| Failure::refused(format!("{}: {}", path.display(), e.kind())))
}

fn combine(a: &CombineArgs) -> Result<(), Failure> {
    let named = a.components.read()?;
    let mut parts = Vec::with_capacity(named.len());
    let mut rows = Vec::with_capacity(named.len());
    for (name, c) in named {
        let kcv = a.opts.compute(a.algorithm, c.expose())?;
        rows.push((name, kcv));
        parts.push(c);
    }
    let key = components::combine(&parts).map_err(|e| format!("components: {e}"))?;
    let kcv = a.opts.compute(a.algorithm, key.expose())?;
    check_expected("combined key", &kcv, a.expect_kcv.as_deref())?;
    let key_hex = output::secret_hex(key.expose());
    if let Some(p) = &a.key_out {
        write_secret_file(p, &key_hex)?;
    }
    if output::json() {
        let mut v = json!({
            "algorithm": a.algorithm.name(),
            "method": a.opts.method(a.algorithm).name(),
            "components": rows.iter().enumerate().map(|(i, (name, kcv))| json!({
                "index": i + 1, "source": name, "kcv": kcv.to_string(),
            })).collect::<Vec<_>>(),
            "key_length": key.len(),
            "kcv": kcv.to_string(),
        });
        if a.show_key {
            v["key"] = json!(key_hex.as_str());
        }
        output::print_json(v)
    } else {
        for (i, (name, kcv)) in rows.iter().enumerate() {
            println!("component {}: kcv {kcv}  ({name})", i + 1);
        }
        println!("key kcv:     {kcv}");
        if a.show_key {
            println!("key:         {}", key_hex.as_str());
        }
        Ok(())
    }
}

fn split(a: &SplitArgs) -> Result<(), Failure> {
    if a.out_dir.is_none() && !a.show_components {
        return Err("components split: give --out-dir DIR or --show-components".into());
    }
    let key = SecretBuf::<MAX_KEY>::from_slice(&a.key.read()?)
        .ok_or(format!("--key: longer than {MAX_KEY} bytes"))?;
    let kcv = a.opts.compute(a.algorithm, key.expose())?;
    let mut rng = Csprng::new(
        os_rng().map_err(Failure::refused)?,
        MinEntropy::Bits8,
        b"keyfort components split",
    )
    .map_err(|e| Failure::refused(format!("random source: {e}")))?;
    let mut parts: Vec<SecretBuf<MAX_KEY>> = (0..a.count).map(|_| SecretBuf::new()).collect();
    components::split(&key, &mut parts, &mut rng).map_err(|e| format!("components: {e}"))?;
    let mut rows = Vec::with_capacity(parts.len());
    for (i, p) in parts.iter().enumerate() {
        let hex = output::secret_hex(p.expose());
        let file = a
            .out_dir
            .as_ref()
            .map(|d| d.join(format!("component-{}.hex", i + 1)));
        if let Some(f) = &file {
            write_secret_file(f, &hex)?;
        }
        rows.push((a.opts.compute(a.algorithm, p.expose())?, file, hex));
    }
    if output::json() {
        output::print_json(json!({
            "algorithm": a.algorithm.name(),
            "method": a.opts.method(a.algorithm).name(),
            "components": rows.iter().enumerate().map(|(i, (kcv, file, hex))| {
                let mut c = json!({ "index": i + 1, "kcv": kcv.to_string() });
                if let Some(f) = file {
                    c["file"] = json!(f.display().to_string());
                }
                if a.show_components {
                    c["component"] = json!(hex.as_str());
                }
                c
            }).collect::<Vec<_>>(),
            "key_length": key.len(),
            "kcv": kcv.to_string(),
        }))
    } else {
        for (i, (c_kcv, file, hex)) in rows.iter().enumerate() {
            let mut line = format!("component {}: kcv {c_kcv}", i + 1);
            if let Some(f) = file {
                line.push_str(&format!("  -> {}", f.display()));
            }
            println!("{line}");
            if a.show_components {
                println!("  {}", hex.as_str());
            }
        }
        println!("key kcv:     {kcv}");
        Ok(())
    }
}

/// Runs a `components` command.
pub fn run(cmd: ComponentsCmd) -> Result<(), Failure> {
    match cmd {
        ComponentsCmd::Combine(a) => combine(&a),
        ComponentsCmd::Split(a) => split(&a),
    }
}
