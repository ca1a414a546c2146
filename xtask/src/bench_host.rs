//! `./x bench`, on the host: the `keyfort-bench` binary (keyfort and `aes-kw` in one
//! process) and `bench/peers.py` (OpenSSL through pyca/cryptography, Python DUKPT
//! implementations), whose Python packages are installed with pip if missing.
use crate::{sh, steps::Ctx};
use std::{collections::BTreeMap, process::Command};

/// The Python packages the peers need (all MIT / Apache-2.0 / BSD licensed).
const PY_PACKAGES: &[(&str, &str)] = &[
    ("cryptography", "cryptography"),
    ("pydukpt", "pydukpt==0.1.0"),
    ("dukpt", "dukpt==1.0.1"),
];

/// ns per operation by name (`host` lines of keyfort-bench, `py` lines of peers.py),
/// plus notes (versions, skipped peers).
#[derive(Debug, Default)]
pub struct HostBench {
    /// Operation name to ns per operation.
    pub ns: BTreeMap<String, f64>,
    /// Version lines and skipped peers.
    pub notes: Vec<String>,
    /// Store operations: name to (ns, flash bytes written, sectors erased) per operation.
    pub store: Vec<(String, f64, f64, f64)>,
}

/// Runs both.
pub fn run(ctx: &Ctx) -> Result<HostBench, String> {
    let mut hb = HostBench::default();
    sh::run(Command::new("cargo").current_dir(&ctx.root).args([
        "build",
        "--release",
        "-p",
        "keyfort-bench",
    ]))?;
    let exe = ctx.root.join("target/release/keyfort-bench");
    println!("  $ {}", exe.display());
    let out = sh::output(&mut Command::new(&exe)).ok_or("keyfort-bench failed")?;
    parse(&out, "host ", &mut hb);
    for l in out.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if let ["store", name, ns, bytes, erased, _count] = f[..] {
            if let (Ok(a), Ok(b), Ok(c)) = (ns.parse(), bytes.parse(), erased.parse()) {
                hb.store.push((name.to_string(), a, b, c));
            }
        } else if let Some(n) = l.strip_prefix("store-skip ") {
            hb.notes.push(format!("store: {n}"));
        }
    }
    ensure_python_packages();
    let script = ctx.root.join("bench/peers.py");
    println!("  $ python3 {}", script.display());
    match sh::output(Command::new("python3").arg(&script)) {
        Some(out) => {
            parse(&out, "py ", &mut hb);
            for l in out.lines() {
                if let Some(n) = l
                    .strip_prefix("py-version ")
                    .or_else(|| l.strip_prefix("py-skip "))
                {
                    hb.notes.push(n.to_string());
                }
            }
        }
        None => hb.notes.push("python3 peers did not run".into()),
    }
    Ok(hb)
}

fn parse(out: &str, prefix: &str, hb: &mut HostBench) {
    for l in out.lines() {
        println!("  {l}");
        let Some(rest) = l.strip_prefix(prefix) else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if let [name, ns, _iters] = f[..] {
            if let Ok(ns) = ns.parse() {
                hb.ns.insert(name.to_string(), ns);
            }
        }
    }
}

fn ensure_python_packages() {
    for (module, spec) in PY_PACKAGES {
        let have = sh::quiet_ok(Command::new("python3").args(["-c", &format!("import {module}")]));
        if !have {
            let r = sh::run(Command::new("python3").args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                spec,
            ]));
            if let Err(e) = r {
                println!("  (peer {spec} not installed: {e})");
            }
        }
    }
}
