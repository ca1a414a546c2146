//! Host benchmarks for `./x bench` (`xtask/src/bench_host.rs` runs this with `--release`):
//! ns per operation of keyfort and of RustCrypto `aes-kw` 0.3 in the same process.
//!
//! How it measures (the machine is shared, so single timings are noisy): every operation
//! is timed in [`ROUNDS`] rounds; one round times a batch of calls (sized once so that a
//! batch takes about [`BATCH_TIME`]) and records ns per call. keyfort and its peer run in
//! the same round, back to back, in alternating order, so a slow moment hits both: the
//! per-round ratio keyfort / peer is the comparison, reported as the median over rounds
//! with its quartiles and the number of rounds keyfort was faster. Per operation the
//! report gives the median ns and the quartiles of the per-round values.
//!
//! With arguments `peer-keys` / `peer-time` it is keyfort's side of the comparison with
//! the `paysec-dukpt` peer process instead (see [`peer`]).
//!
//! Output lines:
//! - `host <name> <median ns> <calls per batch>` (the medians `bench_host` reports);
//! - `hoststat <name> <min> <p25> <median> <p75> <max> <rounds>` (ns per call);
//! - `hostratio <op> <peer op> <median> <p25> <p75> <rounds keyfort faster> <rounds>`.
//!
//! Both use the `aes` crate, which picks AES-NI (or VAES) at run time where the CPU has it.
use aes_kw::{aes, KeyInit};
use keyfort::attributes::{Algorithm, Usage};
use keyfort::dukpt::aes::{AesBdk, AesKsn, KeyUsage, WorkingKeyType};
use keyfort::dukpt::tdes::{TdesBdk, TdesKsn, TdesVariant};
use keyfort::platform::NoCounter;
use keyfort::store::KeyStore;
// The test kit's RAM flash, device secret and deterministic generator (NOT a source of
// real keys).
use keyfort::wrap::{kw_unwrap, kw_wrap, kwp_unwrap, kwp_wrap, Kek};
use keyfort_testkit::{MockFlash, TestRng, TestSecret};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Target duration of one timed batch: short against a scheduler time slice, so on a
/// shared machine most batches run uninterrupted and a preempted one is an outlier.
const BATCH_TIME: Duration = Duration::from_micros(200);
/// Rounds per operation (odd, for a plain median).
const ROUNDS: usize = 201;

/// One benchmarked operation: a name and its closure.
struct Op<'a> {
    name: String,
    f: Box<dyn FnMut() + 'a>,
    /// Calls per batch.
    batch: u64,
    /// ns per call, one value per round.
    samples: Vec<f64>,
}

impl<'a> Op<'a> {
    fn new(name: &str, f: impl FnMut() + 'a) -> Self {
        Self {
            name: name.to_string(),
            f: Box::new(f),
            batch: 1,
            samples: Vec::new(),
        }
    }

    /// Sizes the batch so it runs about [`BATCH_TIME`] (after a warm-up; the fastest of
    /// several trials, so a preempted trial does not shrink the batch).
    #[allow(clippy::cast_possible_truncation)] // a positive batch size
    fn calibrate(&mut self) {
        let mut n: u64 = 1;
        loop {
            let mut best = Duration::MAX;
            for _ in 0..5 {
                let t = Instant::now();
                for _ in 0..n {
                    (self.f)();
                }
                best = best.min(t.elapsed());
            }
            if best >= BATCH_TIME / 4 || n >= 1 << 24 {
                let per = best.as_secs_f64() / n as f64;
                self.batch = ((BATCH_TIME.as_secs_f64() / per.max(1e-12)) as u64).max(1);
                return;
            }
            n *= 2;
        }
    }

    /// Times one batch; records ns per call.
    fn round(&mut self) {
        let t = Instant::now();
        for _ in 0..self.batch {
            (self.f)();
        }
        self.samples
            .push(t.elapsed().as_nanos() as f64 / self.batch as f64);
    }
}

/// The `q` quantile (0..=1) of `v` (sorted copy, nearest rank).
#[allow(clippy::cast_possible_truncation)] // an index within the slice
pub(crate) fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    if s.is_empty() {
        return f64::NAN;
    }
    let i = ((s.len() - 1) as f64 * q).round() as usize;
    s[i.min(s.len() - 1)]
}

/// Runs `ops` for [`ROUNDS`] interleaved rounds (each pair's two operations next to each
/// other, the order reversed every other round) and prints their `host` / `hoststat`
/// lines; then `hostratio` for each (op, peer) pair.
fn run_group(mut ops: Vec<Op<'_>>, pairs: &[(&str, &str)]) {
    // Pair members adjacent: op, peer, op, peer, ..., then the unpaired.
    let rank = |name: &str| {
        pairs
            .iter()
            .enumerate()
            .find_map(|(i, (a, b))| {
                (name == *a)
                    .then_some(2 * i)
                    .or((name == *b).then_some(2 * i + 1))
            })
            .unwrap_or(usize::MAX)
    };
    ops.sort_by_key(|o| rank(&o.name));
    for op in &mut ops {
        op.calibrate();
    }
    for r in 0..ROUNDS {
        if r % 2 == 0 {
            ops.iter_mut().for_each(Op::round);
        } else {
            ops.iter_mut().rev().for_each(Op::round);
        }
    }
    for op in &ops {
        let v = &op.samples;
        println!("host {} {:.1} {}", op.name, quantile(v, 0.5), op.batch);
        println!(
            "hoststat {} {:.1} {:.1} {:.1} {:.1} {:.1} {}",
            op.name,
            quantile(v, 0.0),
            quantile(v, 0.25),
            quantile(v, 0.5),
            quantile(v, 0.75),
            quantile(v, 1.0),
            v.len()
        );
    }
    for (a, b) in pairs {
        let (Some(x), Some(y)) = (
            ops.iter().find(|o| o.name == *a),
            ops.iter().find(|o| o.name == *b),
        ) else {
            continue;
        };
        let ratios: Vec<f64> = x
            .samples
            .iter()
            .zip(&y.samples)
            .map(|(p, q)| p / q)
            .collect();
        let faster = ratios.iter().filter(|r| **r <= 1.0).count();
        println!(
            "hostratio {a} {b} {:.4} {:.4} {:.4} {faster} {}",
            quantile(&ratios, 0.5),
            quantile(&ratios, 0.25),
            quantile(&ratios, 0.75),
            ratios.len()
        );
    }
}

mod peer;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if peer::main(&args) {
        return;
    }
    if args.get(1).map(String::as_str) == Some("dukpt") {
        // Only the DUKPT group (a quick look while working on it).
        dukpt();
        return;
    }
    if args.get(1).map(String::as_str) == Some("wraps") {
        // Only the KW / KWP group.
        wraps();
        return;
    }
    store();
    wraps();
    dukpt();
}

/// KW / KWP, keyfort and aes-kw, interleaved in one group per KEK size.
fn wraps() {
    let k = [0x11u8; 32];
    let key = [0x5Au8; 32];
    for (klen, tag) in [(16usize, "128"), (32, "256")] {
        let kek_bytes = &k[..klen];
        let data = &key[..klen];
        let Ok(kek) = keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(kek_bytes)
            .map_err(keyfort::wrap::WrapError::from)
            .and_then(|k| Kek::new(&k))
        else {
            return;
        };
        let n = klen + 8;
        // Valid wrapped inputs for the unwraps (each closure owns its buffers).
        let mut kw_in = [0u8; 40];
        let mut kwp_in = [0u8; 40];
        if kw_wrap(&kek, data, &mut kw_in).is_err() || kwp_wrap(&kek, data, &mut kwp_in).is_err() {
            return;
        }
        let kek = &kek;
        let (kw_in, kwp_in) = (&kw_in[..n], &kwp_in[..n]);
        let mut ops = vec![
            Op::new(&format!("kw-wrap-{tag}"), {
                let mut w = [0u8; 40];
                move || {
                    black_box(kw_wrap(kek, black_box(data), &mut w).ok());
                }
            }),
            Op::new(&format!("kw-unwrap-{tag}"), {
                let mut out = [0u8; 40];
                move || {
                    black_box(kw_unwrap(kek, black_box(kw_in), &mut out).ok());
                }
            }),
            Op::new(&format!("kwp-wrap-{tag}"), {
                let mut w = [0u8; 40];
                move || {
                    black_box(kwp_wrap(kek, black_box(data), &mut w).ok());
                }
            }),
            Op::new(&format!("kwp-unwrap-{tag}"), {
                let mut out = [0u8; 40];
                move || {
                    black_box(kwp_unwrap(kek, black_box(kwp_in), &mut out).ok());
                }
            }),
            Op::new(&format!("kw-wrap+ks-{tag}"), {
                let mut w = [0u8; 40];
                move || {
                    if let Ok(kek) = keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(
                        black_box(kek_bytes),
                    )
                    .map_err(keyfort::wrap::WrapError::from)
                    .and_then(|k| Kek::new(&k))
                    {
                        black_box(kw_wrap(&kek, black_box(data), &mut w).ok());
                    }
                }
            }),
        ];
        macro_rules! peer {
            ($kw:ty, $kwp:ty) => {{
                let (Ok(kw), Ok(kwp)) = (
                    <$kw>::new_from_slice(kek_bytes),
                    <$kwp>::new_from_slice(kek_bytes),
                ) else {
                    return;
                };
                let (kw, kwp) = (std::rc::Rc::new(kw), std::rc::Rc::new(kwp));
                ops.push(Op::new(&format!("aeskw-kw-wrap-{tag}"), {
                    let (kw, mut w) = (kw.clone(), [0u8; 40]);
                    move || {
                        black_box(kw.wrap_key(black_box(data), &mut w).is_ok());
                    }
                }));
                ops.push(Op::new(&format!("aeskw-kw-unwrap-{tag}"), {
                    let (kw, mut out) = (kw.clone(), [0u8; 40]);
                    move || {
                        black_box(kw.unwrap_key(black_box(kw_in), &mut out).is_ok());
                    }
                }));
                ops.push(Op::new(&format!("aeskw-kwp-wrap-{tag}"), {
                    let (kwp, mut w) = (kwp.clone(), [0u8; 40]);
                    move || {
                        black_box(kwp.wrap_key(black_box(data), &mut w).is_ok());
                    }
                }));
                ops.push(Op::new(&format!("aeskw-kwp-unwrap-{tag}"), {
                    let (kwp, mut out) = (kwp.clone(), [0u8; 40]);
                    move || {
                        black_box(kwp.unwrap_key(black_box(kwp_in), &mut out).is_ok());
                    }
                }));
                ops.push(Op::new(&format!("aeskw-kw-wrap+ks-{tag}"), {
                    let mut w = [0u8; 40];
                    move || {
                        if let Ok(c) = <$kw>::new_from_slice(black_box(kek_bytes)) {
                            black_box(c.wrap_key(black_box(data), &mut w).is_ok());
                        }
                    }
                }));
            }};
        }
        if klen == 16 {
            peer!(aes_kw::KwAes128, aes_kw::KwpAes128);
        } else {
            peer!(aes_kw::KwAes256, aes_kw::KwpAes256);
        }
        // Check both unwrap inputs are accepted by both implementations before timing.
        let names: Vec<String> = [
            "kw-wrap",
            "kw-unwrap",
            "kwp-wrap",
            "kwp-unwrap",
            "kw-wrap+ks",
        ]
        .iter()
        .map(|o| format!("{o}-{tag}"))
        .collect();
        let peers: Vec<String> = names.iter().map(|n| format!("aeskw-{n}")).collect();
        let pairs: Vec<(&str, &str)> = names
            .iter()
            .zip(&peers)
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        run_group(ops, &pairs);
    }
}

/// DUKPT host derivations, AES and TDES.
fn dukpt() {
    let k = [0x11u8; 32];
    let bdk = keyfort::key::TypedKey::raw_aes(&k[..16])
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k));
    // The X9.24-1 example BDK, as in the Python peers.
    let tdes_bdk = [
        0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32,
        0x10,
    ];
    let tbdk = keyfort::key::TypedKey::raw(&tdes_bdk, keyfort::attributes::Algorithm::Tdes2)
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| TdesBdk::new(&k));
    let mut ops = Vec::new();
    // The bare AES costs DUKPT is made of (the `aes` crate directly, as the standard's
    // unit of work): an AES-128 key schedule and one block.
    let key16: [u8; 16] = [0x11; 16];
    ops.push(Op::new("aes128-key-schedule", move || {
        black_box(aes::Aes128::new(black_box(&key16.into())));
    }));
    let raw = aes::Aes128::new(&key16.into());
    let mut blk = aes::Block::default();
    ops.push(Op::new("aes128-encrypt-block", move || {
        aes::cipher::BlockCipherEncrypt::encrypt_block(&raw, black_box(&mut blk));
    }));
    // AES DUKPT host: BDK + KSN to a PIN working key (initial key, then one derivation per
    // one-bit of the counter, then the working key).
    let ikid = [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56];
    if let Ok(bdk) = &bdk {
        for (counter, label) in [
            (0x0000_0001u32, "1bit"),
            (0x0000_00FF, "8bits"),
            (0x0000_FFFF, "16bits"),
        ] {
            let ksn = AesKsn::new(&ikid, counter);
            ops.push(Op::new(
                &format!("dukpt-aes-host-derive-{label}"),
                move || {
                    let r = bdk.working_key(
                        black_box(&ksn),
                        KeyUsage::PinEncryption,
                        WorkingKeyType::Aes128,
                    );
                    black_box(r.map(|k| k.expose()[0]).ok());
                },
            ));
        }
    }
    // TDES DUKPT host (X9.24-1-2009): BDK + KSN to the PIN key.
    if let Ok(tbdk) = &tbdk {
        for (ksn, label) in [
            (
                [0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0x00, 0x01],
                "1bit",
            ),
            (
                [0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0x00, 0xFF],
                "8bits",
            ),
            (
                [0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0xFF, 0xC0],
                "10bits",
            ),
        ] {
            let Ok(ksn) = TdesKsn::from_bytes(&ksn) else {
                continue;
            };
            ops.push(Op::new(
                &format!("dukpt-tdes-host-derive-{label}"),
                move || {
                    black_box(
                        tbdk.key(black_box(&ksn), TdesVariant::Pin)
                            .map(|k| k.expose()[0])
                            .ok(),
                    );
                },
            ));
        }
    }
    run_group(ops, &[]);
}

/// The store's flash: 8 sectors of 4 KiB (room for N = 16 keys rotated once: the
/// store holds at most `MAX_ENTRIES` = 32 key versions).
type Flash = MockFlash<{ 8 * 4096 }, 4096>;

/// Flash counters of the store's MockFlash.
fn counters(f: &Flash) -> (u64, u64) {
    (f.bytes_written(), f.sectors_erased())
}

/// Prints `store <op>-<n> <ns> <bytes written> <sectors erased> <count>` per operation.
fn store_line(op: &str, n: u16, ns: f64, before: (u64, u64), after: (u64, u64), count: u64) {
    let c = count.max(1) as f64;
    println!(
        "store {op}-n{n} {:.1} {:.1} {:.3} {count}",
        ns / c,
        (after.0 - before.0) as f64 / c,
        (after.1 - before.1) as f64 / c
    );
}

/// Store with N keys on an 8 x 4 KiB MockFlash: format, put (generate), open, get
/// (with_key), rotate; time and flash bytes written / sectors erased per operation.
fn store() {
    for n in [8u16, 16] {
        let t = Instant::now();
        let Ok(mut s) = KeyStore::format((Flash::new(), TestSecret::A, TestRng(1), NoCounter))
        else {
            println!("store-skip format failed");
            return;
        };
        let ns = t.elapsed().as_nanos() as f64;
        store_line("format", n, ns, (0, 0), counters(s.flash()), 1);
        let before = counters(s.flash());
        let t = Instant::now();
        let mut handles = Vec::new();
        for id in 0..n {
            match s.generate(id + 1, b"bench", Algorithm::Aes128, Usage::ENCRYPT, None) {
                Ok(h) => handles.push(h),
                Err(e) => {
                    println!("store-skip put failed at key {id}: {e:?}");
                    return;
                }
            }
        }
        let ns = t.elapsed().as_nanos() as f64;
        store_line("put", n, ns, before, counters(s.flash()), u64::from(n));
        // get: every key once per round.
        let before = counters(s.flash());
        let rounds = 200u64;
        let t = Instant::now();
        for _ in 0..rounds {
            for h in &handles {
                black_box(s.with_key(*h, Usage::ENCRYPT, |k| k[0]).ok());
            }
        }
        let ns = t.elapsed().as_nanos() as f64;
        store_line(
            "get",
            n,
            ns,
            before,
            counters(s.flash()),
            rounds * u64::from(n),
        );
        // open: the image re-opened from a copy (the copy is not timed).
        let image = *s.flash().as_bytes();
        let opens = 20u64;
        let mut total = 0u128;
        let mut flash_delta = (0, 0);
        for _ in 0..opens {
            let mut f = Flash::new();
            f.as_bytes_mut().copy_from_slice(&image);
            let before = counters(&f);
            let t = Instant::now();
            let r = KeyStore::open((f, TestSecret::A, TestRng(2), NoCounter));
            total += t.elapsed().as_nanos();
            if let Ok(st) = r {
                let after = counters(st.flash());
                flash_delta = (after.0 - before.0, after.1 - before.1);
            } else {
                println!("store-skip open failed");
                return;
            }
        }
        store_line(
            "open",
            n,
            total as f64,
            (0, 0),
            (flash_delta.0 * opens, flash_delta.1 * opens),
            opens,
        );
        // rotate: each key once (compactions included when a sector fills).
        let before = counters(s.flash());
        let t = Instant::now();
        for id in 0..n {
            if let Err(e) = s.rotate(id + 1) {
                println!("store-skip rotate failed at key {id}: {e:?}");
                return;
            }
        }
        let ns = t.elapsed().as_nanos() as f64;
        store_line("rotate", n, ns, before, counters(s.flash()), u64::from(n));
    }
}
