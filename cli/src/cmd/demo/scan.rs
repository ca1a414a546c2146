//! `keyfort demo scan`: is any key left on the device?
//!
//! The host knows every key the terminal ever held or could derive: the KBPK, the
//! initial key, every DUKPT register value for the counters it reached (and the next
//! ones), every transaction's working keys, and (never on the device) the BDK. It
//! searches the flash image and the RAM dump for each of them (every 16-byte window at
//! every offset), then opens the store with the device secret and lists what it holds.
//! A positive control plants one key in a copy of each dump first, so a scan that
//! cannot find anything does not pass.
use super::image::{device_secret, os_rng, ImageFlash};
use super::verify::{hex_file, host_keys};
use super::Dirs;
use crate::cmd::failure::{self, Failure};
use crate::cmd::output;
use keyfort::dukpt::aes::AesKsn;
use keyfort::platform::{CounterError, MonotonicCounter};
use keyfort::store::{AuditCode, KeyStore};
use keyfort_testkit::demo::{factory, files, record};
use keyfort_testkit::dukpt_registers::register_keys;
use serde_json::json;
use std::collections::HashMap;
use zeroize::Zeroizing;

/// 16-byte prefixes of every key, with what it is.
type Needles = HashMap<[u8; 16], &'static str>;

fn add(n: &mut Needles, key: &[u8], what: &'static str) {
    if let Some(p) = key.get(..16).and_then(|k| <[u8; 16]>::try_from(k).ok()) {
        n.entry(p).or_insert(what);
    }
}

/// How many keys of each kind the needles hold.
type Counts = Vec<(&'static str, usize)>;

fn build(d: &Dirs) -> Result<(Needles, Counts), String> {
    let (bdk, ikid) = host_keys(&d.host)?;
    let kbpk = hex_file(&d.host_file(files::KBPK_HEX))?;
    let ik = bdk
        .initial_key(&ikid)
        .map_err(|e| format!("initial key: {e}"))?;
    let mut n = Needles::new();
    add(&mut n, &kbpk, "KBPK");
    add(&mut n, ik.expose(), "initial key");
    add(
        &mut n,
        &Zeroizing::new(hex_file(&d.host_file(files::BDK_HEX))?.to_vec()),
        "BDK",
    );
    let bytes = std::fs::read(d.device_file(files::RECORDS)).unwrap_or_default();
    let recs: Vec<_> = record::split(&bytes).0.collect();
    let max = recs
        .iter()
        .filter_map(|r| AesKsn::from_bytes(r.ksn()).ok())
        .map(|k| k.counter())
        .max()
        .unwrap_or(0);
    // Every register value the terminal held up to counter max + 64.
    let mut regs = 0;
    for dk in register_keys(&ik, max.saturating_add(64)) {
        add(&mut n, dk.expose(), "DUKPT register");
        regs += 1;
    }
    let mut working = 0;
    let ksns = recs.iter().filter_map(|r| AesKsn::from_bytes(r.ksn()).ok());
    for dk in ksns.filter_map(|ksn| bdk.derivation_key(&ksn).ok()) {
        for (u, t) in factory::TRANSACTION_KEYS {
            if let Ok(k) = dk.working_key(u, t) {
                add(&mut n, k.expose(), "working key");
                working += 1;
            }
        }
    }
    let summary = vec![("DUKPT registers", regs), ("working keys", working)];
    Ok((n, summary))
}

/// Every (offset, what) where a needle occurs in `hay`.
fn find(n: &Needles, hay: &[u8]) -> Vec<(usize, &'static str)> {
    hay.windows(16)
        .enumerate()
        .filter_map(|(i, w)| {
            let k: [u8; 16] = w.try_into().ok()?;
            n.get(&k).map(|what| (i, *what))
        })
        .collect()
}

fn scan_file(n: &Needles, path: &std::path::Path, label: &str) -> Result<Option<usize>, String> {
    let text = !output::json();
    let Ok(bytes) = std::fs::read(path) else {
        if text {
            println!("  {label:<10} not dumped");
        }
        return Ok(None);
    };
    // Positive control: a planted key is found.
    let mut planted = bytes.clone();
    if let Some((k, _)) = n.iter().next() {
        if planted.len() >= 16 {
            let at = planted.len() / 2;
            planted[at..at + 16].copy_from_slice(k);
            if find(n, &planted).is_empty() {
                return Err(format!("{label}: the scan missed a planted key"));
            }
        }
    }
    let hits = find(n, &bytes);
    if text {
        for (off, what) in hits.iter().take(5) {
            println!("  {label:<10} FOUND {what} at offset 0x{off:X}");
        }
        println!(
            "  {label:<10} {:>8} bytes searched: {} key(s) found",
            bytes.len(),
            hits.len()
        );
    }
    Ok(Some(hits.len()))
}

/// The device's counter (`counter.bin`), read once; increments stay in memory (the host
/// never writes the device's files).
struct DeviceCounter(u32);

impl DeviceCounter {
    fn load(device: &std::path::Path) -> Self {
        let v = std::fs::read(device.join("counter.bin"))
            .ok()
            .and_then(|b| b.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()))
            .map_or(0, u32::from_le_bytes);
        Self(v)
    }
}

impl MonotonicCounter for DeviceCounter {
    fn read(&mut self) -> Result<u32, CounterError> {
        Ok(self.0)
    }
    fn increment(&mut self) -> Result<u32, CounterError> {
        self.0 = self.0.checked_add(1).ok_or(CounterError::Exhausted)?;
        Ok(self.0)
    }
}

/// Runs the scan; with `expect_wiped`, fails unless the store is empty after a wipe.
pub fn run(d: &Dirs, expect_wiped: bool) -> Result<(), Failure> {
    let text = !output::json();
    let (n, summary) = build(d)?;
    if text {
        println!(
            "  searching for {} keys: KBPK, initial key, BDK, {}",
            n.len(),
            summary
                .iter()
                .map(|(w, c)| format!("{c} {w}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let flash = scan_file(&n, &d.device.join("flash.bin"), "flash")?;
    let ram = scan_file(&n, &d.device_file(files::RAM_DUMP), "RAM")?;
    let found = flash.unwrap_or(0) + ram.unwrap_or(0);

    // Open the store as someone holding the device secret would.
    let image = std::fs::read(d.device.join("flash.bin")).map_err(|e| format!("flash.bin: {e}"))?;
    let counter = DeviceCounter::load(&d.device);
    let mut store = KeyStore::open((
        ImageFlash::new(image),
        device_secret(&d.device)?,
        os_rng()?,
        counter,
    ))
    .map_err(failure::store)?;
    let keys = store.inventory().count();
    let state = store
        .get_state(factory::DUKPT_SLOT, &mut [0u8; 1100])
        .is_ok();
    let wiped = store.audit().any(|e| e.code == AuditCode::TamperWipe);
    if !text {
        output::print_json(json!({
            "needles": n.len(),
            "found": { "flash": flash, "ram": ram },
            "store": { "keys": keys, "dukpt_state": state, "tamper_wipe_recorded": wiped },
        }))?;
    } else {
        println!(
        "  store      opened with the device secret: {keys} key(s), DUKPT state: {}, audit log: {}",
        if state { "present" } else { "none" },
        if wiped {
            "tamper wipe recorded"
        } else {
            "no tamper wipe"
        }
    );
    }
    if found > 0 {
        return Err(Failure::integrity(format!(
            "{found} key(s) found on the device"
        )));
    }
    if expect_wiped && (keys > 0 || state || !wiped) {
        return Err(Failure::integrity(
            "the store still holds keys after the tamper wipe",
        ));
    }
    Ok(())
}
