//! keyfort's side of the comparison with the `paysec-dukpt` peer, which `./x bench` runs
//! as a separate process (xtask/src/bench_paysec.rs): the same two modes and line
//! protocol as the peer's generated `main`.
//!
//! - `keyfort-bench peer-keys <bdk hex> <stream file>`: `key <ksn hex> <key hex>` for the
//!   fixed KSNs (initial key ID 1234567890123456, counters with 1, 8 and 16 one-bits),
//!   then for every KSN of the stream (through the batch API), AES-128 PIN keys.
//! - `keyfort-bench peer-time <bdk hex> <stream file> <rounds>`: `sample <op> <ns per
//!   derivation>` per round: `derive-bdk-*` (BDK bytes and KSN to PIN key, as paysec's
//!   `derive_working_key` takes them), `derive-*` (BDK expanded beforehand), and over the
//!   stream `stream` (one derivation at a time) and `stream-batch` ([`AesBdk::batch`],
//!   one batch per chunk of [`CHUNK`] transactions, an initial key cache of
//!   [`CACHE_SLOTS`] fresh per pass and kept across its chunks).
use crate::Op;
use keyfort::dukpt::aes::{AesBatchKey, AesBdk, AesKeyCacheSlot, AesKsn, KeyUsage, WorkingKeyType};
use std::hint::black_box;
use std::time::Instant;

const IKID: [u8; 8] = [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56];
const FIXED: [(u32, &str); 3] = [(0x1, "1bit"), (0xFF, "8bits"), (0xFFFF, "16bits")];
/// Initial key cache slots of the stream's batch: room for all 10,000 terminals.
pub const CACHE_SLOTS: usize = 16_384;
/// Transactions per timed chunk of the stream (about 0.3 ms).
pub const CHUNK: usize = 128;

fn unhex(s: &str) -> Option<Vec<u8>> {
    hex::decode(s.trim()).ok()
}

fn stream(path: &str) -> Option<Vec<AesKsn>> {
    std::fs::read_to_string(path)
        .ok()?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| unhex(l).and_then(|b| AesKsn::from_bytes(&b).ok()))
        .collect()
}

/// Runs a peer mode; `false` if `args` is not one.
pub fn main(args: &[String]) -> bool {
    let (Some(mode), Some(bdk), Some(path)) = (args.get(1), args.get(2), args.get(3)) else {
        return false;
    };
    let (Some(bdk), Some(ksns)) = (unhex(bdk), stream(path)) else {
        println!("peer-error bad BDK or stream file");
        return true;
    };
    let Ok(b) = keyfort::key::TypedKey::raw_aes(&bdk)
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k))
    else {
        println!("peer-error bad BDK");
        return true;
    };
    match mode.as_str() {
        "peer-keys" => keys(&b, &ksns),
        "peer-time" => {
            let rounds = args.get(4).and_then(|r| r.parse().ok()).unwrap_or(15);
            time(&bdk, &b, &ksns, rounds);
        }
        _ => return false,
    }
    true
}

fn keys(bdk: &AesBdk, ksns: &[AesKsn]) {
    for (c, _) in FIXED {
        let ksn = AesKsn::new(&IKID, c);
        let k = bdk.working_key(&ksn, KeyUsage::PinEncryption, WorkingKeyType::Aes128);
        let k = k.map_or("error".into(), |k| hex::encode_upper(k.expose()));
        println!("key {} {k}", hex::encode_upper(ksn.as_bytes()));
    }
    let mut slots: Vec<AesKeyCacheSlot> =
        (0..CACHE_SLOTS).map(|_| AesKeyCacheSlot::new()).collect();
    let mut out: Vec<AesBatchKey> = (0..ksns.len()).map(|_| AesBatchKey::new()).collect();
    let mut batch = bdk.batch(&mut slots);
    if let Err(e) = batch.working_keys(
        ksns,
        KeyUsage::PinEncryption,
        WorkingKeyType::Aes128,
        &mut out,
    ) {
        println!("peer-error batch: {e}");
        return;
    }
    for (ksn, k) in ksns.iter().zip(&out) {
        let k = k.key().map_or("error".into(), hex::encode_upper);
        println!("key {} {k}", hex::encode_upper(ksn.as_bytes()));
    }
}

fn time(bdk_bytes: &[u8], bdk: &AesBdk, ksns: &[AesKsn], rounds: usize) {
    let mut ops = Vec::new();
    for (c, label) in FIXED {
        let ksn = AesKsn::new(&IKID, c);
        ops.push(Op::new(&format!("derive-bdk-{label}"), move || {
            if let Ok(b) = keyfort::key::TypedKey::raw_aes(black_box(bdk_bytes))
                .map_err(keyfort::dukpt::DukptError::from)
                .and_then(|k| AesBdk::new(&k))
            {
                let r = b.working_key(
                    black_box(&ksn),
                    KeyUsage::PinEncryption,
                    WorkingKeyType::Aes128,
                );
                black_box(r.map(|k| k.expose()[0]).ok());
            }
        }));
        ops.push(Op::new(&format!("derive-{label}"), move || {
            let r = bdk.working_key(
                black_box(&ksn),
                KeyUsage::PinEncryption,
                WorkingKeyType::Aes128,
            );
            black_box(r.map(|k| k.expose()[0]).ok());
        }));
    }
    for op in &mut ops {
        op.calibrate();
    }
    for r in 0..rounds {
        if r % 2 == 0 {
            ops.iter_mut().for_each(Op::round);
        } else {
            ops.iter_mut().rev().for_each(Op::round);
        }
    }
    for op in &ops {
        for x in &op.samples {
            println!("sample {} {x:.1}", op.name);
        }
    }
    // The stream: one pass per round, in chunks of [`CHUNK`] transactions timed apart;
    // the pass's value is the median chunk's ns per derivation (a chunk the shared
    // machine preempted is an outlier the median drops).
    let mut slots: Vec<AesKeyCacheSlot> =
        (0..CACHE_SLOTS).map(|_| AesKeyCacheSlot::new()).collect();
    let mut out: Vec<AesBatchKey> = (0..CHUNK).map(|_| AesBatchKey::new()).collect();
    for _ in 0..rounds.div_ceil(4) {
        let mut v = Vec::new();
        for chunk in ksns.chunks(CHUNK) {
            let t = Instant::now();
            for k in chunk {
                let r = bdk.working_key(
                    black_box(k),
                    KeyUsage::PinEncryption,
                    WorkingKeyType::Aes128,
                );
                black_box(r.map(|k| k.expose()[0]).ok());
            }
            v.push(per(t, chunk.len()));
        }
        println!("sample stream {:.1}", crate::quantile(&v, 0.5));
        let mut v = Vec::new();
        let mut batch = bdk.batch(&mut slots);
        for chunk in ksns.chunks(CHUNK) {
            let t = Instant::now();
            black_box(
                batch
                    .working_keys(
                        black_box(chunk),
                        KeyUsage::PinEncryption,
                        WorkingKeyType::Aes128,
                        &mut out,
                    )
                    .ok(),
            );
            v.push(per(t, chunk.len()));
        }
        drop(batch);
        println!("sample stream-batch {:.1}", crate::quantile(&v, 0.5));
    }
}

/// ns per derivation of a chunk of `n` started at `t`.
fn per(t: Instant, n: usize) -> f64 {
    t.elapsed().as_nanos() as f64 / n.max(1) as f64
}
