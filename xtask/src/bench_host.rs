//! `./x bench`, on the host: the `keyfort-bench` binary (keyfort and `aes-kw` in one
//! process) and `bench/peers.py` (OpenSSL through pyca/cryptography, Python DUKPT
//! implementations), whose Python packages are installed with pip if missing.
use crate::{ctx::Ctx, sh};
/// The `paysec-dukpt` peer, a separate process (declared here to keep the bench code in
/// the bench files).
#[path = "bench_paysec.rs"]
pub mod paysec;
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
    /// keyfort-bench's per-round spread: name to (min, p25, median, p75, max, rounds).
    pub stats: BTreeMap<String, Spread>,
    /// keyfort / peer per-round ratios: (op, peer) to their median, quartiles, and the
    /// rounds keyfort was at least as fast, of all rounds.
    pub ratios: BTreeMap<(String, String), RatioStat>,
    /// The `paysec-dukpt` comparison (separate process).
    pub paysec: paysec::PeerBench,
}

/// ns per call over the rounds of one operation.
#[derive(Debug, Clone, Copy)]
pub struct Spread {
    /// Fastest round.
    pub min: f64,
    /// First quartile.
    pub p25: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub p75: f64,
    /// Rounds.
    pub rounds: usize,
}

/// keyfort / peer time over interleaved rounds.
#[derive(Debug, Clone, Copy)]
pub struct RatioStat {
    /// Median of the per-round ratios.
    pub median: f64,
    /// First quartile.
    pub p25: f64,
    /// Third quartile.
    pub p75: f64,
    /// Rounds where keyfort was at least as fast.
    pub faster: usize,
    /// Rounds.
    pub rounds: usize,
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
        if let ["hoststat", name, min, p25, med, p75, _max, rounds] = f[..] {
            let v: Vec<f64> = [min, p25, med, p75]
                .iter()
                .filter_map(|x| x.parse().ok())
                .collect();
            if let (&[min, p25, median, p75], Ok(rounds)) = (&v[..], rounds.parse()) {
                hb.stats.insert(
                    name.to_string(),
                    Spread {
                        min,
                        p25,
                        median,
                        p75,
                        rounds,
                    },
                );
            }
        } else if let ["hostratio", a, b, med, p25, p75, faster, rounds] = f[..] {
            if let (Ok(median), Ok(p25), Ok(p75), Ok(faster), Ok(rounds)) = (
                med.parse(),
                p25.parse(),
                p75.parse(),
                faster.parse(),
                rounds.parse(),
            ) {
                hb.ratios.insert(
                    (a.to_string(), b.to_string()),
                    RatioStat {
                        median,
                        p25,
                        p75,
                        faster,
                        rounds,
                    },
                );
            }
        } else if let ["store", name, ns, bytes, erased, _count] = f[..] {
            if let (Ok(a), Ok(b), Ok(c)) = (ns.parse(), bytes.parse(), erased.parse()) {
                hb.store.push((name.to_string(), a, b, c));
            }
        } else if let Some(n) = l.strip_prefix("store-skip ") {
            hb.notes.push(format!("store: {n}"));
        }
    }
    println!("  paysec-dukpt peer (scratch crate under target/, separate process)");
    hb.paysec = paysec::run(ctx, &exe);
    if let Some(e) = &hb.paysec.skipped {
        println!("  paysec-dukpt peer not run: {e}");
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
