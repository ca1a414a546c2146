//! The demo's second key scan, with the memory-scan step's needles
//! ([`crate::memscan::Needles`]): besides the raw key bytes (`keyfort demo scan` searched
//! those), the forms an AES schedule keeps of a key in RAM (keyfort-aes's round-key
//! slices on ARMv7-M; the `aes` crate's fixsliced round keys, stored and per-call widened,
//! elsewhere), for every AES key the terminal held: the KBPK, the initial key,
//! every DUKPT register value it held or could derive, every transaction's working keys.
//! (The memscan step's positive control checks, on target, that these forms are right.)
use crate::memscan::{scan, Image, Needles};
use keyfort::dukpt::aes::{AesBdk, AesKsn};
use keyfort_testkit::demo::{factory, files, record};
use keyfort_testkit::dukpt_registers::register_keys;
use std::path::Path;

fn hex_file(p: &Path) -> Result<Vec<u8>, String> {
    let s = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    keyfort_testkit::hex::decode(s.trim()).ok_or_else(|| format!("{}: not hex", p.display()))
}

/// The needles of every key the demo terminal held or could derive (from the host's
/// files and the records in the device directory).
pub fn needles(device: &Path, host: &Path) -> Result<Needles, String> {
    let host_file = |f| host.join(files::name(f));
    let bdk = keyfort::key::TypedKey::raw_aes(&hex_file(&host_file(files::BDK_HEX))?)
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k))
        .map_err(|e| format!("BDK: {e}"))?;
    let ikid: [u8; 8] = hex_file(&host_file(files::IKID_HEX))?
        .try_into()
        .map_err(|_| "ikid.hex: 8 bytes expected")?;
    let ik = bdk
        .initial_key(&ikid)
        .map_err(|e| format!("initial key: {e}"))?;
    let mut n = Needles::default();
    n.aes("KBPK", &hex_file(&host_file(files::KBPK_HEX))?);
    n.aes("initial key", ik.expose());

    let records = std::fs::read(device.join(files::name(files::RECORDS))).unwrap_or_default();
    let ksns: Vec<AesKsn> = record::split(&records)
        .0
        .filter_map(|r| AesKsn::from_bytes(r.ksn()).ok())
        .collect();
    let max = ksns.iter().map(AesKsn::counter).max().unwrap_or(0);
    for dk in register_keys(&ik, max.saturating_add(64)) {
        n.aes("DUKPT register", dk.expose());
    }
    for dk in ksns.iter().filter_map(|ksn| bdk.derivation_key(ksn).ok()) {
        for (u, t) in factory::TRANSACTION_KEYS {
            if let Ok(k) = dk.working_key(u, t) {
                n.aes("working key", k.expose());
            }
        }
    }
    Ok(n)
}

/// Builds the needles and scans `flash.bin` and `ram.bin`; returns a one-line summary,
/// or an error naming what was found.
pub fn run(device: &Path, host: &Path) -> Result<String, String> {
    let mut images = Vec::new();
    for (name, file) in [
        ("flash", "flash.bin"),
        ("RAM", files::name(files::RAM_DUMP)),
    ] {
        if let Ok(bytes) = std::fs::read(device.join(file)) {
            images.push(Image {
                name: name.into(),
                base: 0,
                bytes,
            });
        }
    }
    scan_images(&needles(device, host)?, &images)
}

/// Scans `images` for `n`; a one-line summary, or an error naming what was found.
pub fn scan_images(n: &Needles, images: &[Image]) -> Result<String, String> {
    let hits = scan(&n.0, images);
    for h in hits.iter().take(5) {
        let nd = &n.0[h.needle];
        println!(
            "  {:<10} FOUND {} ({:?}) at offset {:#x}",
            h.image, nd.key, nd.form, h.at
        );
    }
    if hits.is_empty() {
        Ok(format!(
            "{} needles (raw keys; keyfort-aes's and the aes crate's fixsliced round keys) in {}: none found",
            n.0.len(),
            images
                .iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        ))
    } else {
        Err(format!("{} key form(s) found on the device", hits.len()))
    }
}
