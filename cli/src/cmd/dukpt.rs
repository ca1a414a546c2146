//! `keyfort dukpt`: host-side DUKPT derivations for the payment host and the
//! key-injection bench (AES DUKPT X9.24-3-2017, TDES DUKPT X9.24-1-2009). All hex in,
//! upper-case hex out (`--json`: `{"key": ..., "ksn": ...}`). The BDK comes from
//! `--bdk-file PATH` (`-`: standard input) or `--bdk-env VAR` ([`super::secretarg`]);
//! `--bdk HEX` is for test keys only.
//!
//! AES and TDES have the same commands and flags:
//!
//! ```text
//! keyfort dukpt aes  initial-key --bdk-file BDK --ksn "123456 7890 1234 56 00000000"
//! keyfort dukpt tdes initial-key --bdk-file BDK --ksn FFFF-9876-5432-10E0-0000
//! keyfort dukpt aes  working-key --bdk-file BDK --ksn KSN --usage pin-encryption --key-type aes128
//! keyfort dukpt tdes working-key --bdk-file BDK --ksn KSN --usage pin
//! ```
//!
//! KSNs (and initial key IDs) may contain spaces, dashes and colons as separators.
//! `working-key` refuses counters no device produces (zero; more than 16 one-bits for AES,
//! 10 for TDES) unless `--any-counter` is given, for reproducing published values.
//! (`tdes ipek` and `tdes key --variant` are the older names of `tdes initial-key` and
//! `tdes working-key --usage`.)
use super::failure::Failure;
use super::hexarg;
use super::output;
use super::secretarg::BdkArg;
use clap::{Args, Subcommand, ValueEnum};
use keyfort::attributes::Algorithm;
use keyfort::dukpt::aes::{AesBatchKey, AesBdk, AesKeyCacheSlot, AesKsn, KeyUsage, WorkingKeyType};
use keyfort::dukpt::tdes::{TdesBdk, TdesKsn, TdesVariant};
use keyfort::dukpt::DukptError;
use keyfort::key::{BdkDerive, TypedKey};

/// DUKPT scheme.
#[derive(Subcommand)]
pub enum Dukpt {
    /// AES DUKPT (ANSI X9.24-3-2017).
    #[command(subcommand)]
    Aes(AesCmd),
    /// TDES DUKPT (ANSI X9.24-1-2009).
    #[command(subcommand)]
    Tdes(TdesCmd),
}

/// The device named by its KSN (any counter) or its 8-byte initial key ID.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct Device {
    /// Key serial number, 12 bytes hex (its counter is ignored); separators allowed.
    #[arg(long)]
    ksn: Option<String>,
    /// Initial key ID (BDK ID || derivation ID), 8 bytes hex; separators allowed.
    #[arg(long)]
    ikid: Option<String>,
}

impl Device {
    fn initial_key_id(&self) -> Result<Vec<u8>, Failure> {
        if let Some(k) = &self.ksn {
            let ksn = AesKsn::from_bytes(&hexarg::parse_ksn("--ksn", k)?).map_err(err("--ksn"))?;
            return Ok(ksn.initial_key_id().to_vec());
        }
        let id = self.ikid.as_deref().ok_or("--ksn or --ikid: missing")?;
        Ok(hexarg::parse_ksn("--ikid", id)?.to_vec())
    }
}

/// AES DUKPT commands.
#[derive(Subcommand)]
#[allow(clippy::enum_variant_names)]
pub enum AesCmd {
    /// Initial key from a BDK (16/24/32 bytes) and the device's KSN or initial key ID.
    InitialKey {
        #[command(flatten)]
        bdk: BdkArg,
        #[command(flatten)]
        device: Device,
    },
    /// Working key for a 12-byte KSN.
    WorkingKey {
        #[command(flatten)]
        bdk: BdkArg,
        /// Key serial number, 12 bytes hex; separators allowed.
        #[arg(long)]
        ksn: String,
        /// Key usage.
        #[arg(long, value_enum)]
        usage: UsageArg,
        /// Working key type.
        #[arg(long, value_enum)]
        key_type: KeyTypeArg,
        /// Also derive for counters no device produces (zero, more than 16 one-bits).
        #[arg(long)]
        any_counter: bool,
    },
    /// Working keys for many KSNs at once (a payment host's transaction stream): one
    /// 12-byte KSN in hex per line of `--ksns` (`-`: standard input; blank lines and
    /// lines starting with `#` skipped), one line out per KSN: `KSN KEY`, or
    /// `KSN error: REASON` for a KSN no device produces. Lanes in lockstep and an initial
    /// key cache (`keyfort::dukpt::aes::AesBatch`). `--json`: one JSON object per line,
    /// `{"ksn": ..., "key": ...}` or `{"ksn": ..., "error": ...}`.
    Batch {
        #[command(flatten)]
        bdk: BdkArg,
        /// File of KSNs, one 24-hex-digit KSN per line (`-`: standard input).
        #[arg(long, value_name = "PATH")]
        ksns: std::path::PathBuf,
        /// Key usage.
        #[arg(long, value_enum)]
        usage: UsageArg,
        /// Working key type.
        #[arg(long, value_enum)]
        key_type: KeyTypeArg,
        /// Initial key cache slots (terminals remembered at once; 0: no cache).
        #[arg(long, default_value_t = 4096)]
        cache: usize,
    },
    /// Update key (key-encryption key at counter FFFFFFFF) of a device.
    UpdateKey {
        #[command(flatten)]
        bdk: BdkArg,
        #[command(flatten)]
        device: Device,
        /// Key type of the update key.
        #[arg(long, value_enum)]
        key_type: KeyTypeArg,
    },
}

/// TDES DUKPT commands.
#[derive(Subcommand)]
#[allow(clippy::enum_variant_names)]
pub enum TdesCmd {
    /// Initial key (IPEK) from a 16-byte BDK and a 10-byte KSN (its counter is ignored).
    #[command(alias = "ipek")]
    InitialKey {
        #[command(flatten)]
        bdk: BdkArg,
        /// Key serial number, 10 bytes hex; separators allowed.
        #[arg(long)]
        ksn: String,
    },
    /// A transaction's working (variant) key.
    #[command(alias = "key")]
    WorkingKey {
        #[command(flatten)]
        bdk: BdkArg,
        /// Key serial number, 10 bytes hex; separators allowed.
        #[arg(long)]
        ksn: String,
        /// Key usage (the TDES variant).
        #[arg(long, value_enum, alias = "variant")]
        usage: VariantArg,
        /// Also derive for counters no device produces (zero, more than 10 one-bits).
        #[arg(long)]
        any_counter: bool,
    },
}

/// X9.24-3 key usages.
#[derive(Clone, Copy, ValueEnum)]
pub enum UsageArg {
    /// Key encryption key (0x0002).
    KeyEncryption,
    /// PIN encryption (0x1000).
    PinEncryption,
    /// MAC generation (0x2000).
    MacGeneration,
    /// MAC verification (0x2001).
    MacVerification,
    /// MAC both ways (0x2002).
    MacBoth,
    /// Data encryption, encrypt (0x3000).
    DataEncrypt,
    /// Data encryption, decrypt (0x3001).
    DataDecrypt,
    /// Data encryption, both ways (0x3002).
    DataBoth,
    /// Key derivation (0x8000).
    KeyDerivation,
}

/// X9.24-3 working key types.
#[derive(Clone, Copy, ValueEnum)]
pub enum KeyTypeArg {
    /// Two-key TDEA.
    Tdes2,
    /// Three-key TDEA.
    Tdes3,
    /// AES-128.
    Aes128,
    /// AES-192.
    Aes192,
    /// AES-256.
    Aes256,
    /// HMAC, 128-bit key.
    Hmac128,
    /// HMAC, 192-bit key.
    Hmac192,
    /// HMAC, 256-bit key.
    Hmac256,
}

/// TDES DUKPT variants.
#[derive(Clone, Copy, ValueEnum)]
pub enum VariantArg {
    /// PIN encryption key.
    Pin,
    /// MAC key, request.
    MacRequest,
    /// MAC key, response.
    MacResponse,
    /// Data key, request (2009: variant encrypted under itself).
    DataRequest,
    /// Data key, response (2009).
    DataResponse,
}

fn usage(u: UsageArg) -> KeyUsage {
    match u {
        UsageArg::KeyEncryption => KeyUsage::KeyEncryption,
        UsageArg::PinEncryption => KeyUsage::PinEncryption,
        UsageArg::MacGeneration => KeyUsage::MacGeneration,
        UsageArg::MacVerification => KeyUsage::MacVerification,
        UsageArg::MacBoth => KeyUsage::MacBoth,
        UsageArg::DataEncrypt => KeyUsage::DataEncrypt,
        UsageArg::DataDecrypt => KeyUsage::DataDecrypt,
        UsageArg::DataBoth => KeyUsage::DataBoth,
        UsageArg::KeyDerivation => KeyUsage::KeyDerivation,
    }
}

fn key_type(t: KeyTypeArg) -> WorkingKeyType {
    match t {
        KeyTypeArg::Tdes2 => WorkingKeyType::Tdes2,
        KeyTypeArg::Tdes3 => WorkingKeyType::Tdes3,
        KeyTypeArg::Aes128 => WorkingKeyType::Aes128,
        KeyTypeArg::Aes192 => WorkingKeyType::Aes192,
        KeyTypeArg::Aes256 => WorkingKeyType::Aes256,
        KeyTypeArg::Hmac128 => WorkingKeyType::Hmac128,
        KeyTypeArg::Hmac192 => WorkingKeyType::Hmac192,
        KeyTypeArg::Hmac256 => WorkingKeyType::Hmac256,
    }
}

fn variant(v: VariantArg) -> TdesVariant {
    match v {
        VariantArg::Pin => TdesVariant::Pin,
        VariantArg::MacRequest => TdesVariant::MacRequest,
        VariantArg::MacResponse => TdesVariant::MacResponse,
        VariantArg::DataRequest => TdesVariant::DataRequest,
        VariantArg::DataResponse => TdesVariant::DataResponse,
    }
}

fn err(what: &str) -> impl Fn(keyfort::dukpt::DukptError) -> Failure + '_ {
    move |e| format!("{what}: {e}").into()
}

/// Prints a key as upper-case hex (the printed string is the output the user asked for),
/// with the KSN it belongs to in JSON.
fn print_key(k: &[u8], ksn: Option<&[u8]>) -> Result<(), Failure> {
    let s = output::secret_hex(k);
    if output::json() {
        let mut v = serde_json::json!({ "key": s.as_str() });
        if let Some(ksn) = ksn {
            v["ksn"] = serde_json::json!(output::hex(ksn));
        }
        return output::print_json(v);
    }
    println!("{}", s.as_str());
    Ok(())
}

/// KSNs per batch call (bounds the output slots held at once).
const BATCH: usize = 1024;

/// `dukpt aes batch`: reads every KSN first (a bad line fails the whole run before any
/// key is printed), then derives them [`BATCH`] at a time under one cache.
fn batch(
    bdk: &BdkArg,
    path: &std::path::Path,
    usage: KeyUsage,
    key_type: WorkingKeyType,
    cache: usize,
) -> Result<(), Failure> {
    use std::io::{Read, Write};
    // The KSNs are read before the BDK: with both on standard input the BDK read finds
    // it consumed and fails.
    let text = if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("--ksns: standard input: {e}"))?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("--ksns {}: {e}", path.display()))?
    };
    let mut ksns = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let b = hexarg::parse_ksn(&format!("--ksns line {}", i + 1), l)?;
        ksns.push(AesKsn::from_bytes(&b).map_err(|e| format!("--ksns line {}: {e}", i + 1))?);
    }
    let bdk = aes_bdk(&bdk.read()?).map_err(err("--bdk"))?;
    let mut slots: Vec<AesKeyCacheSlot> = (0..cache).map(|_| AesKeyCacheSlot::new()).collect();
    let mut out: Vec<AesBatchKey> = (0..BATCH).map(|_| AesBatchKey::new()).collect();
    let mut b = bdk.batch(&mut slots);
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    for chunk in ksns.chunks(BATCH) {
        b.working_keys(chunk, usage, key_type, &mut out)
            .map_err(err("batch"))?;
        for (ksn, k) in chunk.iter().zip(&out) {
            let id = hex::encode_upper(ksn.as_bytes());
            let line = match (k.key(), output::json()) {
                (Ok(key), false) => {
                    zeroize::Zeroizing::new(format!("{id} {}\n", output::secret_hex(key).as_str()))
                }
                (Ok(key), true) => zeroize::Zeroizing::new(format!(
                    "{{\"ksn\":\"{id}\",\"key\":\"{}\"}}\n",
                    output::secret_hex(key).as_str()
                )),
                (Err(e), false) => zeroize::Zeroizing::new(format!("{id} error: {e}\n")),
                (Err(e), true) => zeroize::Zeroizing::new(format!(
                    "{}\n",
                    serde_json::json!({ "ksn": id, "error": e.to_string() })
                )),
            };
            w.write_all(line.as_bytes())
                .map_err(|e| format!("standard output: {e}"))?;
        }
    }
    w.flush()
        .map_err(|e| format!("standard output: {e}").into())
}

/// Runs a `dukpt` command.
pub fn run(cmd: Dukpt) -> Result<(), Failure> {
    match cmd {
        Dukpt::Aes(AesCmd::InitialKey { bdk, device }) => {
            let bdk = aes_bdk(&bdk.read()?).map_err(err("--bdk"))?;
            let ik = bdk
                .initial_key(&device.initial_key_id()?)
                .map_err(err("--ikid"))?;
            print_key(ik.expose(), None)
        }
        Dukpt::Aes(AesCmd::WorkingKey {
            bdk,
            ksn,
            usage: u,
            key_type: t,
            any_counter,
        }) => {
            let bdk = aes_bdk(&bdk.read()?).map_err(err("--bdk"))?;
            let ksn =
                AesKsn::from_bytes(&hexarg::parse_ksn("--ksn", &ksn)?).map_err(err("--ksn"))?;
            let wk = if any_counter {
                if !key_type(t).allowed_under(bdk.kind()) {
                    return Err(err("working key")(
                        keyfort::dukpt::DukptError::KeyTypeNotAllowed,
                    ));
                }
                bdk.derivation_key_any_counter(&ksn)
                    .and_then(|d| d.working_key(usage(u), key_type(t)))
            } else {
                bdk.working_key(&ksn, usage(u), key_type(t))
            }
            .map_err(err("working key"))?;
            print_key(wk.expose(), Some(ksn.as_bytes()))
        }
        Dukpt::Aes(AesCmd::Batch {
            bdk,
            ksns,
            usage: u,
            key_type: t,
            cache,
        }) => batch(&bdk, &ksns, usage(u), key_type(t), cache),
        Dukpt::Aes(AesCmd::UpdateKey {
            bdk,
            device,
            key_type: t,
        }) => {
            let bdk = aes_bdk(&bdk.read()?).map_err(err("--bdk"))?;
            let uk = bdk
                .update_key(&device.initial_key_id()?, key_type(t))
                .map_err(err("update key"))?;
            print_key(uk.expose(), None)
        }
        Dukpt::Tdes(TdesCmd::InitialKey { bdk, ksn }) => {
            let bdk = tdes_bdk(&bdk.read()?).map_err(err("--bdk"))?;
            let ksn =
                TdesKsn::from_bytes(&hexarg::parse_ksn("--ksn", &ksn)?).map_err(err("--ksn"))?;
            print_key(bdk.ipek(&ksn).expose(), None)
        }
        Dukpt::Tdes(TdesCmd::WorkingKey {
            bdk,
            ksn,
            usage: v,
            any_counter,
        }) => {
            let bdk = tdes_bdk(&bdk.read()?).map_err(err("--bdk"))?;
            let ksn =
                TdesKsn::from_bytes(&hexarg::parse_ksn("--ksn", &ksn)?).map_err(err("--ksn"))?;
            let k = if any_counter {
                bdk.key_any_counter(&ksn, variant(v))
            } else {
                bdk.key(&ksn, variant(v))
            }
            .map_err(err("working key"))?;
            print_key(k.expose(), Some(ksn.as_bytes()))
        }
    }
}

/// The AES BDK of the command line's bytes (an AES key of 16, 24 or 32 bytes, admitted
/// as a `B0` key).
fn aes_bdk(bytes: &[u8]) -> Result<AesBdk, DukptError> {
    AesBdk::new(&TypedKey::<BdkDerive>::raw_aes(bytes)?)
}

/// The TDES BDK of the command line's bytes (a 2-key TDES key, admitted as a `B0` key).
fn tdes_bdk(bytes: &[u8]) -> Result<TdesBdk, DukptError> {
    TdesBdk::new(&TypedKey::<BdkDerive>::raw(bytes, Algorithm::Tdes2)?)
}
