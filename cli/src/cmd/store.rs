//! `keyfort store ...`: build and inspect a sealed key-store flash image on the host, for
//! factory provisioning of a test device whose device secret is known.
//!
//! The image is the raw flash content (what the device's store flash region holds). The
//! host has no monotonic counter: records are bound to counter value 1, which a device
//! whose counter starts at 0 accepts (and catches up to) at its first boot.
//!
//! The device secret and imported keys come from files, standard input or environment
//! variables ([`super::secretarg`]); `--device-secret HEX` / `--key HEX` are for test
//! keys only.
use super::failure::{self, Failure};
use super::host::{os_rng, HostSecret, ImageFlash, OsRng};
use super::output;
use super::secretarg::{DeviceSecretArg, KeyArg};
use clap::{Args, Subcommand};
use keyfort::attributes::{Algorithm, MacAlgorithm, Purpose, Usage};
use keyfort::platform::NoCounter;
use keyfort::store::backup::WrapScheme;
use keyfort::store::{KeyHandle, KeyState, KeyStore, PeriodUnit};
use serde_json::json;

/// The `store` subcommands.
#[derive(Subcommand)]
pub enum StoreCmd {
    /// Create an empty, formatted store image.
    Create {
        #[command(flatten)]
        common: Common,
        /// Image size in bytes (at least 3 sectors).
        #[arg(long, default_value_t = 16384)]
        size: usize,
        /// Erase-sector size in bytes (1024 to 65536, a power of two).
        #[arg(long, default_value_t = 4096)]
        sector: usize,
    },
    /// Import a plain key into the image.
    Import {
        #[command(flatten)]
        common: Common,
        /// Key id.
        #[arg(long)]
        id: u16,
        /// Label (at most 20 bytes).
        #[arg(long, default_value = "")]
        label: String,
        /// aes128, aes192, aes256, tdes2, tdes3 or hmac-sha256.
        #[arg(long)]
        algorithm: String,
        /// Comma-separated: encrypt, decrypt, wrap, unwrap, derive, mac-generate,
        /// mac-verify, export.
        #[arg(long)]
        usage: String,
        #[command(flatten)]
        key: KeyArg,
        /// Optional use-count limit.
        #[arg(long)]
        use_limit: Option<u32>,
    },
    /// Import a KW/KWP-wrapped key, unwrapped under a KEK already in the image (by id; the
    /// KEK needs the `unwrap` usage and never leaves the store).
    ImportWrapped {
        #[command(flatten)]
        common: Common,
        /// Key id of the new key.
        #[arg(long)]
        id: u16,
        /// Label (at most 20 bytes).
        #[arg(long, default_value = "")]
        label: String,
        /// aes128, aes192, aes256, tdes2, tdes3 or hmac-sha256.
        #[arg(long)]
        algorithm: String,
        /// Comma-separated usages of the new key (as for `import`).
        #[arg(long)]
        usage: String,
        /// Key id of the KEK in the image.
        #[arg(long)]
        kek_id: u16,
        /// KEK version (default: the newest active one).
        #[arg(long)]
        kek_version: Option<u16>,
        /// The wrapping: kw (RFC 3394) or kwp (RFC 5649).
        #[arg(long, value_parser = ["kw", "kwp"])]
        scheme: String,
        /// The wrapped key, hex (not secret).
        #[arg(long)]
        wrapped: String,
        /// Optional use-count limit.
        #[arg(long)]
        use_limit: Option<u32>,
    },
    /// List the keys by metadata (never key bytes).
    List {
        #[command(flatten)]
        common: Common,
    },
    /// Check every record's MAC and that every readable key decrypts.
    Verify {
        #[command(flatten)]
        common: Common,
    },
}

/// Options every subcommand takes.
#[derive(Args)]
pub struct Common {
    /// The image file.
    #[arg(long)]
    image: std::path::PathBuf,
    #[command(flatten)]
    device_secret: DeviceSecretArg,
}

fn secret(arg: &DeviceSecretArg) -> Result<HostSecret, String> {
    let b = arg.read()?;
    let s = <[u8; 32]>::try_from(b.as_slice()).map_err(|_| "--device-secret: need 32 bytes")?;
    Ok(HostSecret::new(s))
}

fn algorithm(name: &str) -> Result<Algorithm, String> {
    Ok(match name {
        "aes128" => Algorithm::Aes128,
        "aes192" => Algorithm::Aes192,
        "aes256" => Algorithm::Aes256,
        "tdes2" => Algorithm::Tdes2,
        "tdes3" => Algorithm::Tdes3,
        "hmac-sha256" => Algorithm::HmacSha256,
        _ => return Err(format!("--algorithm: unknown '{name}'")),
    })
}

fn alg_name(a: Algorithm) -> &'static str {
    match a {
        Algorithm::Aes128 => "aes128",
        Algorithm::Aes192 => "aes192",
        Algorithm::Aes256 => "aes256",
        Algorithm::Tdes2 => "tdes2",
        Algorithm::Tdes3 => "tdes3",
        Algorithm::HmacSha256 => "hmac-sha256",
        _ => "unknown",
    }
}

/// The usage flags by their command-line names (also how `tr31 unwrap` prints a policy).
pub const USAGES: [(&str, Usage); 8] = [
    ("encrypt", Usage::ENCRYPT),
    ("decrypt", Usage::DECRYPT),
    ("wrap", Usage::WRAP),
    ("unwrap", Usage::UNWRAP),
    ("derive", Usage::DERIVE),
    ("mac-generate", Usage::MAC_GENERATE),
    ("mac-verify", Usage::MAC_VERIFY),
    ("export", Usage::EXPORT),
];

/// The purposes by their command-line names (a usage list names at most one; none is a
/// general key). See `keyfort::attributes::Purpose`.
pub const PURPOSES: [(&str, Purpose); 13] = [
    ("pin", Purpose::Pin),
    ("kbpk", Purpose::Kbpk),
    ("bdk", Purpose::Bdk),
    ("ik", Purpose::InitialKey),
    ("mac-m0", Purpose::Mac(MacAlgorithm::Iso16609)),
    ("mac-m1", Purpose::Mac(MacAlgorithm::Iso9797Alg1)),
    ("mac-m2", Purpose::Mac(MacAlgorithm::Iso9797Alg2)),
    ("mac-m3", Purpose::Mac(MacAlgorithm::Iso9797Alg3)),
    ("mac-m4", Purpose::Mac(MacAlgorithm::Iso9797Alg4)),
    ("mac-m5", Purpose::Mac(MacAlgorithm::Iso9797Alg5)),
    ("mac-m6", Purpose::Mac(MacAlgorithm::Cmac)),
    ("mac-m7", Purpose::Mac(MacAlgorithm::Hmac)),
    ("mac-m8", Purpose::Mac(MacAlgorithm::Iso9797Alg6)),
];

fn usage(list: &str) -> Result<Usage, String> {
    let mut u = Usage::NONE;
    let mut purpose = None;
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some((_, p)) = PURPOSES.iter().find(|(n, _)| *n == name) {
            if purpose.replace(*p).is_some() {
                return Err("--usage: at most one purpose".into());
            }
            continue;
        }
        let (_, bit) = USAGES
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| format!("--usage: unknown '{name}'"))?;
        u = u | *bit;
    }
    Ok(purpose.map_or(u, |p| u.bound(p)))
}

/// A usage for people: its purpose name (if not general), then its modes.
pub fn usage_names(u: Usage) -> String {
    let purpose = PURPOSES
        .iter()
        .find(|(_, p)| u.purpose() == Some(*p))
        .map(|(n, _)| *n);
    let v: Vec<&str> = purpose
        .into_iter()
        .chain(
            USAGES
                .iter()
                .filter(|(_, b)| u.bits() & b.bits() == b.bits())
                .map(|(n, _)| *n),
        )
        .collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(",")
    }
}

fn read_image(path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_image(path: &std::path::Path, mem: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, mem).map_err(|e| Failure::refused(format!("{}: {e}", path.display())))
}

/// Runs `f` with the image as flash of the sector size `sector`.
macro_rules! with_sector {
    ($sector:expr, $f:ident ( $($arg:expr),* )) => {
        match $sector {
            1024 => $f::<1024>($($arg),*),
            2048 => $f::<2048>($($arg),*),
            4096 => $f::<4096>($($arg),*),
            8192 => $f::<8192>($($arg),*),
            16384 => $f::<16384>($($arg),*),
            32768 => $f::<32768>($($arg),*),
            65536 => $f::<65536>($($arg),*),
            _ => Err(Failure::from("unsupported sector size (1024 to 65536, a power of two)")),
        }
    };
}

type HostStore<const S: usize> = KeyStore<(ImageFlash<S>, HostSecret, OsRng, NoCounter)>;

fn err(e: keyfort::store::Error) -> Failure {
    failure::store(e)
}

fn open<const S: usize>(mem: Vec<u8>, dev: HostSecret) -> Result<HostStore<S>, Failure> {
    KeyStore::open((
        ImageFlash::<S>(mem),
        dev,
        os_rng().map_err(Failure::refused)?,
        NoCounter,
    ))
    .map_err(err)
}

#[allow(clippy::integer_division_remainder_used)] // public sizes only
fn create<const S: usize>(c: &Common, size: usize) -> Result<(), Failure> {
    let s = KeyStore::format((
        ImageFlash::<S>(vec![0xFF; size]),
        secret(&c.device_secret)?,
        os_rng().map_err(Failure::refused)?,
        NoCounter,
    ))
    .map_err(err)?;
    write_image(&c.image, &s.into_flash().0)?;
    if output::json() {
        return output::print_json(json!({
            "image": c.image.display().to_string(),
            "size": size,
            "sectors": size / S,
            "sector_size": S,
        }));
    }
    println!(
        "created {} ({} bytes, {} sectors of {S} bytes)",
        c.image.display(),
        size,
        size / S
    );
    Ok(())
}

struct ImportArgs<'a> {
    id: u16,
    label: &'a str,
    algorithm: &'a str,
    usage: &'a str,
    key: Option<&'a KeyArg>,
    use_limit: Option<u32>,
}

fn import<const S: usize>(c: &Common, a: &ImportArgs<'_>) -> Result<(), Failure> {
    let alg = algorithm(a.algorithm)?;
    let u = usage(a.usage)?;
    let key = a.key.ok_or("--key: missing")?.read()?;
    let mut s = open::<S>(read_image(&c.image)?, secret(&c.device_secret)?)?;
    let h = s
        .import(a.id, a.label.as_bytes(), alg, u, &key, a.use_limit)
        .map_err(err)?;
    write_image(&c.image, &s.into_flash().0)?;
    let version = h.version.unwrap_or(1);
    if output::json() {
        return output::print_json(json!({ "id": h.id, "version": version }));
    }
    println!("imported key {} version {version}", h.id);
    Ok(())
}

struct WrappedArgs<'a> {
    kek: KeyHandle,
    scheme: WrapScheme,
    wrapped: &'a [u8],
}

fn import_wrapped<const S: usize>(
    c: &Common,
    a: &ImportArgs<'_>,
    w: &WrappedArgs<'_>,
) -> Result<(), Failure> {
    let alg = algorithm(a.algorithm)?;
    let u = usage(a.usage)?;
    let mut s = open::<S>(read_image(&c.image)?, secret(&c.device_secret)?)?;
    let h = s
        .import_wrapped_under(
            w.kek,
            a.id,
            a.label.as_bytes(),
            alg,
            u,
            w.scheme,
            w.wrapped,
            a.use_limit,
        )
        .map_err(err)?;
    write_image(&c.image, &s.into_flash().0)?;
    let version = h.version.unwrap_or(1);
    if output::json() {
        return output::print_json(json!({ "id": h.id, "version": version }));
    }
    println!("imported key {} version {version}", h.id);
    Ok(())
}

fn list<const S: usize>(c: &Common) -> Result<(), Failure> {
    let s = open::<S>(read_image(&c.image)?, secret(&c.device_secret)?)?;
    let keys: Vec<_> = s.inventory().collect();
    if output::json() {
        return output::print_json(json!({
            "keys": keys.iter().map(|i| json!({
                "id": i.id,
                "version": i.version,
                "label": String::from_utf8_lossy(i.label()),
                "algorithm": alg_name(i.algorithm),
                "usage": usage_names(i.usage),
                "state": state_name(i.state),
                "created": i.created,
                "uses": i.uses,
                "use_limit": i.use_limit,
                "period_left": i.period_left.map(|p| json!({
                    "unit": unit_name(p.unit),
                    "protect": p.protect,
                    "process": p.process,
                })),
            })).collect::<Vec<_>>(),
        }));
    }
    for i in keys {
        println!(
            "id={} version={} label={:?} algorithm={} usage={} state={} created={} uses={} limit={} period_left={}",
            i.id,
            i.version,
            String::from_utf8_lossy(i.label()),
            alg_name(i.algorithm),
            usage_names(i.usage),
            state_name(i.state),
            i.created,
            i.uses,
            i.use_limit.map_or("none".to_string(), |l| l.to_string()),
            i.period_left.map_or("none".to_string(), |p| format!(
                "{}:protect={},process={}",
                unit_name(p.unit),
                p.protect,
                p.process
            )),
        );
    }
    Ok(())
}

fn state_name(s: KeyState) -> &'static str {
    s.name()
}

fn unit_name(u: PeriodUnit) -> &'static str {
    match u {
        PeriodUnit::Uses => "uses",
        PeriodUnit::Derivations => "derivations",
        PeriodUnit::Epochs => "epochs",
        _ => "unknown",
    }
}

fn verify<const S: usize>(c: &Common) -> Result<(), Failure> {
    // Opening checks every record's MAC and the whole log's chain.
    let mut s = open::<S>(read_image(&c.image)?, secret(&c.device_secret)?)?;
    let keys: Vec<_> = s.inventory().collect();
    let mut checked = 0;
    for i in &keys {
        // Reading would count a use (a limit, or a cryptoperiod counted in uses).
        let counted =
            i.use_limit.is_some() || i.cryptoperiod.is_some_and(|p| p.unit != PeriodUnit::Epochs);
        if i.state != KeyState::Active || counted {
            continue; // not readable, or reading would count a use
        }
        let newest = keys
            .iter()
            .filter(|k| k.id == i.id && k.state == KeyState::Active)
            .all(|k| k.version <= i.version);
        let need = USAGES.iter().map(|(_, b)| *b).find(|b| {
            i.usage.contains(*b)
                && (newest
                    || !(Usage::ENCRYPT | Usage::WRAP | Usage::MAC_GENERATE | Usage::DERIVE)
                        .contains(*b))
        });
        let Some(need) = need else { continue };
        let len = s
            .with_key(KeyHandle::version(i.id, i.version), need, |k| k.len())
            .map_err(err)?;
        if len != i.algorithm.key_len() {
            return Err(Failure::integrity(format!(
                "key {} version {}: wrong length",
                i.id, i.version
            )));
        }
        checked += 1;
    }
    if output::json() {
        return output::print_json(json!({
            "ok": true,
            "key_versions": keys.len(),
            "verified": checked,
        }));
    }
    println!(
        "ok: {} key versions, {checked} decrypted and verified",
        keys.len()
    );
    Ok(())
}

fn sector_of(path: &std::path::Path) -> Result<usize, String> {
    let img = read_image(path)?;
    let b = img.get(8..12).ok_or("image too short")?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// Runs a `store` subcommand.
pub fn run(cmd: StoreCmd) -> Result<(), Failure> {
    match cmd {
        StoreCmd::Create {
            common,
            size,
            sector,
        } => with_sector!(sector, create(&common, size)),
        StoreCmd::Import {
            common,
            id,
            label,
            algorithm,
            usage,
            key,
            use_limit,
        } => {
            let a = ImportArgs {
                id,
                label: &label,
                algorithm: &algorithm,
                usage: &usage,
                key: Some(&key),
                use_limit,
            };
            with_sector!(sector_of(&common.image)?, import(&common, &a))
        }
        StoreCmd::ImportWrapped {
            common,
            id,
            label,
            algorithm,
            usage,
            kek_id,
            kek_version,
            scheme,
            wrapped,
            use_limit,
        } => {
            let a = ImportArgs {
                id,
                label: &label,
                algorithm: &algorithm,
                usage: &usage,
                key: None,
                use_limit,
            };
            let wrapped = super::hexarg::parse("--wrapped", &wrapped)?;
            let w = WrappedArgs {
                kek: KeyHandle {
                    id: kek_id,
                    version: kek_version,
                },
                scheme: if scheme == "kwp" {
                    WrapScheme::Kwp
                } else {
                    WrapScheme::Kw
                },
                wrapped: &wrapped,
            };
            with_sector!(sector_of(&common.image)?, import_wrapped(&common, &a, &w))
        }
        StoreCmd::List { common } => with_sector!(sector_of(&common.image)?, list(&common)),
        StoreCmd::Verify { common } => with_sector!(sector_of(&common.image)?, verify(&common)),
    }
}
