//! `keyfort tr31`: wrap a key into a TR-31 / X9.143 version D key block, unwrap a block
//! (versions B, D, E; A and C with `--legacy`), print a block's header. The KBPK and the
//! key come from files, standard input or environment variables ([`super::secretarg`]);
//! `--kbpk HEX` / `--key HEX` are for test keys only.
use clap::{Args, Subcommand};
use keyfort::rng::{Csprng, MinEntropy};
use keyfort::tr31::{self, Header, HeaderSpec, UnwrapOptions};
use zeroize::Zeroizing;

use super::host::os_rng;
use super::secretarg::{KbpkArg, KeyArg};
use super::store::USAGES;

/// TR-31 key block commands.
#[derive(Subcommand)]
pub enum Tr31Cmd {
    /// Wrap a key into a version D key block under an AES KBPK.
    Wrap(WrapArgs),
    /// Unwrap a key block; prints the header fields and the key in hex.
    Unwrap(UnwrapArgs),
    /// Print a key block's header (no KBPK needed).
    Header(HeaderArgs),
}

/// Arguments of `tr31 wrap`.
#[derive(Args)]
pub struct WrapArgs {
    /// The key block protection key (AES, 16/24/32 bytes).
    #[command(flatten)]
    kbpk: KbpkArg,
    /// The key to wrap.
    #[command(flatten)]
    key: KeyArg,
    /// Key usage, e.g. B1, P0, K0, D0, M6.
    #[arg(long)]
    usage: String,
    /// Algorithm, e.g. A (AES), T (TDES), H (HMAC).
    #[arg(long)]
    algorithm: String,
    /// Mode of use, e.g. E, D, B, G, V, C, X, N.
    #[arg(long)]
    mode: String,
    /// Exportability: E, N or S.
    #[arg(long)]
    exportability: String,
    /// Key version number (two characters).
    #[arg(long, default_value = "00")]
    key_version: String,
    /// An optional block, `ID=DATA` (e.g. `KS=00604B120F9292800000`); repeatable. A
    /// padding block `PB` is added when needed.
    #[arg(long = "opt", value_name = "ID=DATA")]
    opt: Vec<String>,
}

/// Arguments of `tr31 unwrap`.
#[derive(Args)]
pub struct UnwrapArgs {
    /// The key block protection key.
    #[command(flatten)]
    kbpk: KbpkArg,
    /// The key block (ASCII).
    #[arg(long)]
    block: String,
    /// Also accept the deprecated versions A and C.
    #[arg(long)]
    legacy: bool,
}

/// Arguments of `tr31 header`.
#[derive(Args)]
pub struct HeaderArgs {
    /// The key block (ASCII).
    #[arg(long)]
    block: String,
}

fn one_char(name: &str, s: &str) -> Result<u8, String> {
    match s.as_bytes() {
        [c] => Ok(*c),
        _ => Err(format!("{name}: one character expected")),
    }
}

fn two_chars(name: &str, s: &str) -> Result<[u8; 2], String> {
    match s.as_bytes() {
        [a, b] => Ok([*a, *b]),
        _ => Err(format!("{name}: two characters expected")),
    }
}

fn print_header(h: &Header<'_>) {
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    println!("version:        {}", s(&[h.version.id()]));
    println!("length:         {:04}", h.length);
    println!("key usage:      {}", s(&h.key_usage));
    println!("algorithm:      {}", s(&[h.algorithm]));
    println!("mode of use:    {}", s(&[h.mode_of_use]));
    println!("key version:    {}", s(&h.key_version));
    println!("exportability:  {}", s(&[h.exportability]));
    println!("optional blocks: {:02}", h.num_opt_blocks);
    for b in h.opt_blocks() {
        println!("  {}: {}", s(&b.id), s(b.data));
    }
    println!("header length:  {}", h.len());
}

fn usage_names(u: keyfort::policy::Usage) -> String {
    let v: Vec<&str> = USAGES
        .iter()
        .filter(|(_, f)| u.contains(*f))
        .map(|(n, _)| *n)
        .collect();
    if u.exportable() {
        v.join(",")
    } else {
        format!("{} (non-exportable)", v.join(","))
    }
}

/// Runs a `tr31` command.
pub fn run(cmd: Tr31Cmd) -> Result<(), String> {
    match cmd {
        Tr31Cmd::Wrap(a) => {
            let kbpk = a.kbpk.read()?;
            let key = a.key.read()?;
            let spec = HeaderSpec {
                key_usage: two_chars("--usage", &a.usage)?,
                algorithm: one_char("--algorithm", &a.algorithm)?,
                mode_of_use: one_char("--mode", &a.mode)?,
                key_version: two_chars("--key-version", &a.key_version)?,
                exportability: one_char("--exportability", &a.exportability)?,
            };
            let mut opt = Vec::new();
            for o in &a.opt {
                let (id, data) = o.split_once('=').ok_or("--opt: ID=DATA expected")?;
                opt.push(tr31::OptBlock {
                    id: two_chars("--opt ID", id)?,
                    data: data.as_bytes(),
                });
            }
            // /dev/urandom as the raw entropy source of keyfort's CSPRNG.
            let mut rng = Csprng::new(os_rng()?, MinEntropy::Bits8, b"keyfort tr31 wrap")
                .map_err(|e| format!("random source: {e}"))?;
            let len = tr31::wrapped_len(&spec, &opt, key.len()).map_err(|e| e.to_string())?;
            let mut out = vec![0u8; len];
            let n = tr31::wrap(&kbpk, &spec, &opt, &key, &mut rng, &mut out)
                .map_err(|e| e.to_string())?;
            println!("{}", String::from_utf8_lossy(&out[..n]));
            Ok(())
        }
        Tr31Cmd::Unwrap(a) => {
            let kbpk = a.kbpk.read()?;
            let opts = if a.legacy {
                UnwrapOptions::legacy()
            } else {
                UnwrapOptions::default()
            };
            let block = a.block.trim().as_bytes();
            let (h, key) =
                tr31::unwrap_with::<4096>(&kbpk, block, &opts).map_err(|e| e.to_string())?;
            print_header(&h);
            match h.policy(key.len()) {
                Ok((alg, usage)) => println!("policy:         {alg:?} {}", usage_names(usage)),
                Err(e) => println!("policy:         not importable ({e})"),
            }
            let hexkey = Zeroizing::new(hex::encode_upper(key.expose()));
            println!("key:            {}", hexkey.as_str());
            Ok(())
        }
        Tr31Cmd::Header(a) => {
            let h = Header::parse(a.block.trim().as_bytes()).map_err(|e| e.to_string())?;
            print_header(&h);
            Ok(())
        }
    }
}
