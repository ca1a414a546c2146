//! `./x bench`, the `paysec-dukpt` 0.2.0 peer (crates.io, GPL-3.0): a real Rust AES DUKPT
//! implementation, measured next to keyfort in the same run **as a separate process**.
//! paysec is never a dependency of any keyfort crate and nothing of it is committed: this
//! module writes a scratch crate under `target/paysec-peer/` (outside the workspace: its
//! manifest has its own `[workspace]` table; its `main` is `bench_paysec_peer.rs.in`,
//! keyfort's own code calling paysec's public API), builds it with cargo, and runs it.
//!
//! Both sides speak one line protocol (`keyfort-bench peer-keys|peer-time`, see
//! `bench/src/peer.rs`): first each prints the AES-128 PIN keys of the same KSNs (three
//! fixed ones and the whole stream), which must be identical or the peer is not timed;
//! then [`SLICES`] slices alternate keyfort and paysec processes (order reversed every
//! other slice, so a slow moment of the shared machine hits both), each slice timing
//! every operation in [`ROUNDS`] rounds. Per operation the report gives the median over
//! all rounds; a keyfort/paysec ratio is the median over slices of the slice medians'
//! ratio, with its range.
//!
//! The stream: [`TRANSACTIONS`] KSNs from [`TERMINALS`] terminals (one BDK ID, distinct
//! derivation IDs), each transaction a random terminal and a random non-zero counter
//! with at most 16 one-bits (a fixed-seed generator: every run the same stream).
use crate::{ctx::Ctx, sh};
use std::{collections::BTreeMap, fmt::Write as _, path::Path, process::Command};

/// The peer crate, pinned.
const PEER_DEP: &str = "paysec-dukpt = \"=0.2.0\"\npaysec-crypto = \"=0.3.0\"\npaysec-crypto-rustcrypto = \"=0.3.0\"\n";
/// The peer's `main` (keyfort's own code; built only in the scratch crate).
const PEER_MAIN: &str = include_str!("bench_paysec_peer.rs.in");
/// The X9.24-3 example AES-128 BDK (B.1).
pub const BDK: &str = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
/// Terminals in the stream.
pub const TERMINALS: u32 = 10_000;
/// Transactions in the stream.
pub const TRANSACTIONS: usize = 100_000;
/// Process slices per side.
const SLICES: usize = 7;
/// Rounds per operation per slice (the stream: a quarter, rounded up, of full passes).
const ROUNDS: usize = 15;

/// The operations compared: (keyfort op, paysec op, what).
pub const PAIRS: &[(&str, &str, &str)] = &[
    (
        "derive-bdk-1bit",
        "derive-bdk-1bit",
        "BDK bytes + KSN to AES-128 PIN key, counter with 1 one-bit (same work on both sides)",
    ),
    (
        "derive-bdk-8bits",
        "derive-bdk-8bits",
        "same, 8 one-bits",
    ),
    (
        "derive-bdk-16bits",
        "derive-bdk-16bits",
        "same, 16 one-bits",
    ),
    (
        "derive-1bit",
        "derive-bdk-1bit",
        "keyfort with the BDK expanded once (`AesBdk`), paysec from the BDK bytes (its only API), 1 one-bit",
    ),
    ("derive-8bits", "derive-bdk-8bits", "same, 8 one-bits"),
    ("derive-16bits", "derive-bdk-16bits", "same, 16 one-bits"),
    (
        "stream",
        "stream",
        "the stream, one derivation at a time (keyfort `AesBdk::working_key`)",
    ),
    (
        "stream-batch",
        "stream",
        "the stream, keyfort's batch derivation (`AesBdk::batch`: 8 lanes on keyfort-aes's AES-NI lane engine, initial key cache of 16,384 slots, fresh per pass)",
    ),
];

/// What the peer comparison measured.
#[derive(Debug, Default)]
pub struct PeerBench {
    /// Why the peer did not run (then nothing else is set).
    pub skipped: Option<String>,
    /// KSNs whose keys were compared (all identical when the peer ran).
    pub keys_checked: usize,
    /// keyfort: op to ns per derivation, every round of every slice.
    pub keyfort: BTreeMap<String, Vec<f64>>,
    /// paysec: the same.
    pub paysec: BTreeMap<String, Vec<f64>>,
    /// (keyfort op, paysec op) to the per-slice ratios of medians keyfort / paysec.
    pub ratios: BTreeMap<(String, String), Vec<f64>>,
}

/// The `q` quantile of `v` (nearest rank).
pub fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return f64::NAN;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = ((s.len() - 1) as f64 * q).round() as usize;
    s[i.min(s.len() - 1)]
}

/// splitmix64: the stream's fixed-seed generator.
struct Mix(u64);
impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Writes the stream, one 24-hex-digit KSN a line.
pub fn write_stream(path: &Path) -> Result<(), String> {
    let mut g = Mix(0x6b65_7966_6f72_7431);
    let mut s = String::with_capacity(TRANSACTIONS * 25);
    for _ in 0..TRANSACTIONS {
        #[allow(clippy::cast_possible_truncation)]
        let t = (g.next() % u64::from(TERMINALS)) as u32;
        // Distinct derivation IDs: an odd multiplier is a bijection of u32.
        let did = t.wrapping_mul(0x9E37_79B1) ^ 0x5A5A_0000;
        let counter = loop {
            #[allow(clippy::cast_possible_truncation)]
            let c = g.next() as u32;
            if c != 0 && c.count_ones() <= 16 {
                break c;
            }
        };
        let _ = writeln!(s, "12345678{did:08X}{counter:08X}");
    }
    std::fs::write(path, s).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes and builds the scratch crate; the peer binary's path.
fn build_peer(ctx: &Ctx) -> Result<std::path::PathBuf, String> {
    let dir = ctx.root.join("target/paysec-peer");
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    let manifest = format!(
        "# Generated by keyfort's ./x bench (xtask/src/bench_paysec.rs). Not part of keyfort:\n\
         # the GPL-3.0 paysec-dukpt peer, run as a separate process.\n\
         [package]\nname = \"paysec-peer\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         # Its own workspace: outside keyfort's.\n[workspace]\n\n\
         [dependencies]\n{PEER_DEP}\n\
         [profile.release]\ndebug = 1\n"
    );
    let write = |p: &Path, s: &str| {
        // Rewrite only on change, so cargo reuses the build.
        if std::fs::read_to_string(p).ok().as_deref() != Some(s) {
            std::fs::write(p, s).map_err(|e| format!("{}: {e}", p.display()))
        } else {
            Ok(())
        }
    };
    write(&dir.join("Cargo.toml"), &manifest)?;
    write(&dir.join("src/main.rs"), PEER_MAIN)?;
    sh::run(
        Command::new("cargo")
            .current_dir(&dir)
            .env_remove("CARGO_TARGET_DIR")
            .args([
                "build",
                "--release",
                "--manifest-path",
                "Cargo.toml",
                "--target-dir",
                "target",
            ]),
    )?;
    Ok(dir.join("target/release/paysec-peer"))
}

/// Runs the comparison (never fails the bench: a peer that cannot run is reported).
pub fn run(ctx: &Ctx, keyfort_bench: &Path) -> PeerBench {
    match run_inner(ctx, keyfort_bench) {
        Ok(p) => p,
        Err(e) => PeerBench {
            skipped: Some(e),
            ..PeerBench::default()
        },
    }
}

fn run_inner(ctx: &Ctx, kf: &Path) -> Result<PeerBench, String> {
    let stream = ctx.root.join("target/paysec-peer-stream.txt");
    write_stream(&stream)?;
    let peer = build_peer(ctx).map_err(|e| format!("paysec-dukpt peer not built: {e}"))?;
    let st = stream.display().to_string();
    let out = |exe: &Path, args: &[&str]| -> Result<String, String> {
        sh::output(Command::new(exe).args(args))
            .ok_or_else(|| format!("{} {} failed", exe.display(), args.join(" ")))
    };
    // Identical keys first.
    let a = out(kf, &["peer-keys", BDK, &st])?;
    let b = out(&peer, &["keys", BDK, &st])?;
    let ka: Vec<&str> = a.lines().filter(|l| l.starts_with("key ")).collect();
    let kb: Vec<&str> = b.lines().filter(|l| l.starts_with("key ")).collect();
    let expected = TRANSACTIONS + 3;
    if ka.len() != expected || kb.len() != expected {
        return Err(format!(
            "key check: keyfort printed {} keys, paysec {}, of {expected}",
            ka.len(),
            kb.len()
        ));
    }
    if let Some((x, y)) = ka
        .iter()
        .zip(&kb)
        .find(|(x, y)| x != y || x.ends_with("error"))
    {
        return Err(format!("keys differ: keyfort \"{x}\", paysec \"{y}\""));
    }
    println!("  keys identical for {expected} KSNs (keyfort batch and single, paysec)");
    let mut p = PeerBench {
        keys_checked: expected,
        ..PeerBench::default()
    };
    let rounds = ROUNDS.to_string();
    for slice in 0..SLICES {
        let run_side = |kf_side: bool| -> Result<BTreeMap<String, Vec<f64>>, String> {
            let o = if kf_side {
                out(kf, &["peer-time", BDK, &st, &rounds])?
            } else {
                out(&peer, &["time", BDK, &st, &rounds])?
            };
            let mut m: BTreeMap<String, Vec<f64>> = BTreeMap::new();
            for l in o.lines() {
                if let ["sample", op, ns] = l.split_whitespace().collect::<Vec<_>>()[..] {
                    if let Ok(ns) = ns.parse() {
                        m.entry(op.to_string()).or_default().push(ns);
                    }
                }
            }
            Ok(m)
        };
        let (k, q) = if slice % 2 == 0 {
            let k = run_side(true)?;
            (k, run_side(false)?)
        } else {
            let q = run_side(false)?;
            (run_side(true)?, q)
        };
        for (a, b, _) in PAIRS {
            if let (Some(x), Some(y)) = (k.get(*a), q.get(*b)) {
                p.ratios
                    .entry((a.to_string(), b.to_string()))
                    .or_default()
                    .push(quantile(x, 0.5) / quantile(y, 0.5));
            }
        }
        for (op, v) in k {
            p.keyfort.entry(op).or_default().extend(v);
        }
        for (op, v) in q {
            p.paysec.entry(op).or_default().extend(v);
        }
        println!("  slice {}/{SLICES} done", slice + 1);
    }
    Ok(p)
}
