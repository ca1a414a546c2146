//! `keyfort dukpt`: host-side DUKPT derivations for the payment host and the
//! key-injection bench (AES DUKPT X9.24-3-2017, TDES DUKPT X9.24-1-2009). All hex in,
//! uppercase hex out. The BDK comes from `--bdk-file PATH` (`-`: standard input) or
//! `--bdk-env VAR` ([`super::secretarg`]); `--bdk HEX` is for test keys only.
use super::hexarg;
use super::secretarg::BdkArg;
use clap::{Subcommand, ValueEnum};
use keyfort::dukpt::aes::{AesBatchKey, AesBdk, AesKeyCacheSlot, AesKsn, KeyUsage, WorkingKeyType};
use keyfort::dukpt::tdes::{TdesBdk, TdesKsn, TdesVariant};

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

/// AES DUKPT commands (named as the CLI spells them).
#[derive(Subcommand)]
#[allow(clippy::enum_variant_names)]
pub enum AesCmd {
    /// Initial key from a BDK (16/24/32 bytes) and an 8-byte initial key ID.
    InitialKey {
        #[command(flatten)]
        bdk: BdkArg,
        /// Initial key ID (BDK ID || derivation ID), 8 bytes hex.
        #[arg(long)]
        ikid: String,
    },
    /// Working key for a 12-byte KSN.
    WorkingKey {
        #[command(flatten)]
        bdk: BdkArg,
        /// Key serial number, 12 bytes hex.
        #[arg(long)]
        ksn: String,
        /// Key usage.
        #[arg(long, value_enum)]
        usage: UsageArg,
        /// Working key type.
        #[arg(long, value_enum)]
        key_type: KeyTypeArg,
    },
    /// Working keys for many KSNs at once (a payment host's transaction stream): one
    /// 12-byte KSN in hex per line of `--ksns` (`-`: standard input; blank lines and
    /// lines starting with `#` skipped), one line out per KSN: `KSN KEY`, or
    /// `KSN error: REASON` for a KSN no device produces. Lanes in lockstep and an initial
    /// key cache (`keyfort::dukpt::aes::AesBatch`).
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
    /// Update key (key-encryption key at counter FFFFFFFF) for an initial key ID.
    UpdateKey {
        #[command(flatten)]
        bdk: BdkArg,
        /// Initial key ID, 8 bytes hex.
        #[arg(long)]
        ikid: String,
        /// Key type of the update key.
        #[arg(long, value_enum)]
        key_type: KeyTypeArg,
    },
}

/// TDES DUKPT commands.
#[derive(Subcommand)]
pub enum TdesCmd {
    /// IPEK from a 16-byte BDK and a 10-byte KSN (its counter is ignored).
    Ipek {
        #[command(flatten)]
        bdk: BdkArg,
        /// Key serial number, 10 bytes hex.
        #[arg(long)]
        ksn: String,
    },
    /// A transaction's variant key.
    Key {
        #[command(flatten)]
        bdk: BdkArg,
        /// Key serial number, 10 bytes hex.
        #[arg(long)]
        ksn: String,
        /// Variant.
        #[arg(long, value_enum)]
        variant: VariantArg,
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

fn err(what: &str) -> impl Fn(keyfort::dukpt::DukptError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Prints a key as uppercase hex (the printed string is the output the user asked for).
fn print_key(k: &[u8]) {
    let s = zeroize::Zeroizing::new(hex::encode_upper(k));
    println!("{}", s.as_str());
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
) -> Result<(), String> {
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
        let b = hexarg::parse(&format!("--ksns line {}", i + 1), l)?;
        ksns.push(AesKsn::from_bytes(&b).map_err(|e| format!("--ksns line {}: {e}", i + 1))?);
    }
    let bdk = AesBdk::new(&bdk.read()?).map_err(err("--bdk"))?;
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
            let line = match k.key() {
                Ok(key) => zeroize::Zeroizing::new(format!("{id} {}\n", hex::encode_upper(key))),
                Err(e) => zeroize::Zeroizing::new(format!("{id} error: {e}\n")),
            };
            w.write_all(line.as_bytes())
                .map_err(|e| format!("standard output: {e}"))?;
        }
    }
    w.flush().map_err(|e| format!("standard output: {e}"))
}

/// Runs a `dukpt` command.
pub fn run(cmd: Dukpt) -> Result<(), String> {
    match cmd {
        Dukpt::Aes(AesCmd::InitialKey { bdk, ikid }) => {
            let bdk = AesBdk::new(&bdk.read()?).map_err(err("--bdk"))?;
            let ik = bdk
                .initial_key(&hexarg::parse("--ikid", &ikid)?)
                .map_err(err("--ikid"))?;
            print_key(ik.expose());
        }
        Dukpt::Aes(AesCmd::WorkingKey {
            bdk,
            ksn,
            usage: u,
            key_type: t,
        }) => {
            let bdk = AesBdk::new(&bdk.read()?).map_err(err("--bdk"))?;
            let ksn = AesKsn::from_bytes(&hexarg::parse("--ksn", &ksn)?).map_err(err("--ksn"))?;
            let wk = bdk
                .working_key(&ksn, usage(u), key_type(t))
                .map_err(err("working key"))?;
            print_key(wk.expose());
        }
        Dukpt::Aes(AesCmd::Batch {
            bdk,
            ksns,
            usage: u,
            key_type: t,
            cache,
        }) => batch(&bdk, &ksns, usage(u), key_type(t), cache)?,
        Dukpt::Aes(AesCmd::UpdateKey {
            bdk,
            ikid,
            key_type: t,
        }) => {
            let bdk = AesBdk::new(&bdk.read()?).map_err(err("--bdk"))?;
            let uk = bdk
                .update_key(&hexarg::parse("--ikid", &ikid)?, key_type(t))
                .map_err(err("update key"))?;
            print_key(uk.expose());
        }
        Dukpt::Tdes(TdesCmd::Ipek { bdk, ksn }) => {
            let bdk = TdesBdk::new(&bdk.read()?).map_err(err("--bdk"))?;
            let ksn = TdesKsn::from_bytes(&hexarg::parse("--ksn", &ksn)?).map_err(err("--ksn"))?;
            print_key(bdk.ipek(&ksn).expose());
        }
        Dukpt::Tdes(TdesCmd::Key {
            bdk,
            ksn,
            variant: v,
        }) => {
            let bdk = TdesBdk::new(&bdk.read()?).map_err(err("--bdk"))?;
            let ksn = TdesKsn::from_bytes(&hexarg::parse("--ksn", &ksn)?).map_err(err("--ksn"))?;
            let k = bdk.key(&ksn, variant(v)).map_err(err("key"))?;
            print_key(k.expose());
        }
    }
    Ok(())
}
