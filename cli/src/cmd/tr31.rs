//! `keyfort tr31`: wrap a key into a TR-31 / X9.143 version D key block, unwrap a block
//! (versions B, D, E; A and C with `--legacy`), print a block's header. The KBPK and the
//! key come from files, standard input or environment variables ([`super::secretarg`]);
//! `--kbpk HEX` / `--key HEX` are for test keys only.
//!
//! `tr31 unwrap` prints the header, the policy and the key's KCV (AES keys: CMAC method;
//! TDES keys: legacy method). The clear key itself is printed only for a block whose
//! exportability is `E`, or with `--show-clear-key`: a non-exportable (`N`) or sensitive
//! (`S`) key is never shown by accident. A block that does not authenticate under the
//! KBPK exits with status 3.
use clap::{Args, Subcommand};
use keyfort::key::{KbpkUnwrap, KbpkWrap, TypedKey};
use keyfort::rng::{Csprng, MinEntropy};
use keyfort::tr31::{self, Header, HeaderSpec, UnwrapOptions};
use serde_json::{json, Value};

use super::failure::Failure;
use super::host::os_rng;
use super::kcv::{AlgArg, KcvOpts, MethodArg};
use super::output;
use super::secretarg::{KbpkArg, KeyArg};

/// TR-31 key block commands.
#[derive(Subcommand)]
pub enum Tr31Cmd {
    /// Wrap a key into a version D key block under an AES KBPK.
    Wrap(WrapArgs),
    /// Unwrap a key block; prints the header fields, the policy and the key's KCV (the
    /// key itself for an exportable block, or with --show-clear-key).
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
    /// Print the clear key even if the block says it is non-exportable (N) or sensitive (S).
    #[arg(long)]
    show_clear_key: bool,
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

/// The header as JSON.
fn header_json(h: &Header<'_>) -> Value {
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    json!({
        "version": s(&[h.version.id()]),
        "length": h.length,
        "key_usage": s(&h.key_usage),
        "algorithm": s(&[h.algorithm]),
        "mode_of_use": s(&[h.mode_of_use]),
        "key_version": s(&h.key_version),
        "exportability": s(&[h.exportability]),
        "optional_blocks": h.opt_blocks().map(|b| json!({ "id": s(&b.id), "data": s(b.data) }))
            .collect::<Vec<_>>(),
        "header_length": h.len(),
    })
}

fn tr31_err(e: tr31::Tr31Error) -> Failure {
    if e == tr31::Tr31Error::Unauthentic {
        Failure::integrity(e.to_string())
    } else {
        e.to_string().into()
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

fn usage_names(u: keyfort::attributes::Usage) -> String {
    let v = super::store::usage_names(u);
    if u.exportable() {
        v
    } else {
        format!("{v} (non-exportable)")
    }
}

/// Runs a `tr31` command.
pub fn run(cmd: Tr31Cmd) -> Result<(), Failure> {
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
            let mut rng = Csprng::new(
                os_rng().map_err(Failure::refused)?,
                MinEntropy::Bits8,
                b"keyfort tr31 wrap",
            )
            .map_err(|e| Failure::refused(format!("random source: {e}")))?;
            let len = tr31::wrapped_len(&spec, &opt, key.len()).map_err(tr31_err)?;
            let mut out = vec![0u8; len];
            // A KBPK from a file is a raw key: admitted as an AES KBPK of its length.
            let alg = tr31::kbpk_algorithm(tr31::Version::D, kbpk.len()).map_err(tr31_err)?;
            let kbpk = TypedKey::<KbpkWrap>::raw(&kbpk, alg).map_err(|e| tr31_err(e.into()))?;
            let n = tr31::wrap(&kbpk, &spec, &opt, &key, &mut rng, &mut out).map_err(tr31_err)?;
            let block = String::from_utf8_lossy(&out[..n]).into_owned();
            if output::json() {
                return output::print_json(json!({ "block": block }));
            }
            println!("{block}");
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
            // A KBPK from a file is a raw key: admitted as the KBPK the block's version
            // and the key's length say (TDES for A/B/C, AES for D/E).
            let version = Header::parse(block).map_err(tr31_err)?.version;
            let alg = tr31::kbpk_algorithm(version, kbpk.len()).map_err(tr31_err)?;
            let kbpk = TypedKey::<KbpkUnwrap>::raw(&kbpk, alg).map_err(|e| tr31_err(e.into()))?;
            let (h, key) = tr31::unwrap_with::<4096>(&kbpk, block, &opts).map_err(tr31_err)?;
            let policy = match h.policy(key.len()) {
                Ok((alg, usage)) => format!("{alg:?} {}", usage_names(usage)),
                Err(e) => format!("not importable ({e})"),
            };
            // The KCV by the header's algorithm: AES (CMAC), TDES (legacy).
            let alg = match h.algorithm {
                b'A' => Some(AlgArg::Aes),
                b'T' => Some(AlgArg::Tdes),
                _ => None,
            };
            let opts = KcvOpts {
                method: None,
                length: 3,
            };
            let kcv = match alg {
                Some(alg) => opts.compute(alg, key.expose()).ok().map(|k| (alg, k)),
                None => None,
            };
            let show = a.show_clear_key || h.exportability == b'E';
            let hexkey = output::secret_hex(key.expose());
            if output::json() {
                let mut v = header_json(&h);
                v["policy"] = json!(policy);
                if let Some((alg, k)) = kcv {
                    v["kcv"] = json!(k.to_string());
                    v["kcv_method"] = json!(opts.method(alg).name());
                }
                if show {
                    v["key"] = json!(hexkey.as_str());
                }
                return output::print_json(v);
            }
            print_header(&h);
            println!("policy:         {policy}");
            match kcv {
                Some((alg, k)) => {
                    let m = if opts.method(alg) == MethodArg::Cmac {
                        "CMAC"
                    } else {
                        "legacy"
                    };
                    println!("kcv:            {k} ({m})");
                }
                None => println!("kcv:            n/a"),
            }
            if show {
                println!("key:            {}", hexkey.as_str());
            } else {
                println!(
                    "key:            not shown (exportability {}; --show-clear-key to print it)",
                    char::from(h.exportability)
                );
            }
            Ok(())
        }
        Tr31Cmd::Header(a) => {
            let h = Header::parse(a.block.trim().as_bytes()).map_err(tr31_err)?;
            if output::json() {
                return output::print_json(header_json(&h));
            }
            print_header(&h);
            Ok(())
        }
    }
}
