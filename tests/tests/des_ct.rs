//! Constant-time test of keyfort's DES / TDES and of the TDES secret paths under Valgrind
//! memcheck (the "ctgrind" technique, as `wrap_ct.rs`; helpers in `tests/ct`).
//!
//! Run: `cargo test -p keyfort-tests --test des_ct` (part of `cargo test --workspace`,
//! so of `./x test`'s host tests). Needs `valgrind`; fails, never skips, without it.
//!
//! The binary (`harness = false`) re-executes itself under memcheck. For each operation
//! it runs several cases with the keys (and, for the block operations, the data) marked
//! *undefined*, declassifies only the outputs, and reads memcheck's error count: any
//! branch, memory index or address computed from a secret is an error. DES is keyfort's
//! own (`core/src/block/des_ct.rs`), the same code on every target.
//!
//! Operations: DES key schedule + encrypt + decrypt; 2-key and 3-key TDES, the same;
//! TDES DUKPT on the host (BDK -> IPEK -> current key -> PIN, MAC and data keys) and on
//! the terminal (IPEK load, the 21 future keys, transactions); X9.19 retail MAC
//! verification of right and wrong tags; TR-31 version B unwrap up to its MAC verdict
//! (`tr31::unwrap_ct`: KBPK secret, published blocks and forged ones).
//!
//! Two branches are allowed, each on a verdict the caller receives anyway, and suppressed
//! by name in `tests/ct/des.supp`: the degenerate-key verdict of a TDES key and the tag
//! verdict of a MAC verification. The parent requires that each suppression was used
//! (the path ran with secret data), and counts every other report.
//!
//! Negative control, must be caught: the same DES and TDES operations through
//! RustCrypto's table-based `des` crate (its S-box lookups are indexed by key and data
//! bits).
#![allow(
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use des::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use keyfort::attributes::Algorithm;
use keyfort::block::{Des, Tdes};
use keyfort::dukpt::tdes::{TdesBdk, TdesIpek, TdesKsn, TdesTerminal, TdesVariant};
use keyfort::dukpt::NoPersist;
use keyfort::key::TypedKey;
use keyfort::tr31;
use keyfort::transaction::mac;
use keyfort_ctgrind::cases::{errors_in, same, Op};
use keyfort_ctgrind::{declassify, declassify_usize, mark_secret, parent, running_on_valgrind};
use std::process::ExitCode;

const CHILD_ENV: &str = "KEYFORT_DES_CT_CHILD";
const SUPPRESSIONS: [&str; 2] = ["keyfort-tdes-degenerate-verdict", "keyfort-mac-verdict"];

fn main() -> ExitCode {
    if std::env::var_os(CHILD_ENV).is_some() {
        return child();
    }
    let supp = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ct/des.supp");
    parent("des-ct", CHILD_ENV, &[&supp], &SUPPRESSIONS)
}

/// Deterministic test bytes (xorshift32).
struct Bytes(u32);

impl Bytes {
    fn fill<const N: usize>(&mut self) -> [u8; N] {
        core::array::from_fn(|_| {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 17;
            self.0 ^= self.0 << 5;
            self.0.to_le_bytes()[1]
        })
    }
}

fn child() -> ExitCode {
    assert!(running_on_valgrind(), "child must run under valgrind");
    let mut rng = Bytes(0x9e37_79b9);
    let mut ops = Vec::new();

    // DES: key schedule, encrypt, decrypt; key and block secret.
    let mut op = Op::new("DES new+encrypt+decrypt");
    for i in 0..8 {
        let (key, pt) = (rng.fill::<8>(), rng.fill::<8>());
        let mut want = pt;
        des::Des::new(&key.into()).encrypt_block((&mut want).into());
        op.case(&format!("case {i}"), || {
            let (k, mut b) = (key, pt);
            mark_secret(&k);
            mark_secret(&b);
            let d = Des::new(&k);
            d.encrypt(&mut b);
            let enc_ok = same(&b, &want);
            d.decrypt(&mut b);
            enc_ok && same(&b, &pt)
        });
    }
    ops.push(op);

    // TDES, 2-key and 3-key.
    for (name, len) in [
        ("TDES-2 new+encrypt+decrypt", 16usize),
        ("TDES-3 new+encrypt+decrypt", 24),
    ] {
        let mut op = Op::new(name);
        for i in 0..6 {
            let key = rng.fill::<24>();
            let pt = rng.fill::<8>();
            let mut want = pt;
            if len == 16 {
                des::TdesEde2::new_from_slice(&key[..16])
                    .unwrap()
                    .encrypt_block((&mut want).into());
            } else {
                des::TdesEde3::new_from_slice(&key)
                    .unwrap()
                    .encrypt_block((&mut want).into());
            }
            op.case(&format!("case {i}"), || {
                let (k, mut b) = (key[..len].to_vec(), pt);
                mark_secret(&k);
                mark_secret(&b);
                let t = Tdes::new(&k).unwrap();
                t.encrypt(&mut b);
                let enc_ok = same(&b, &want);
                t.decrypt(&mut b);
                enc_ok && same(&b, &pt)
            });
        }
        ops.push(op);
    }

    // TDES DUKPT, host side: BDK secret; KSN public.
    let bdk_bytes: [u8; 16] = [
        0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32,
        0x10,
    ];
    let iksn =
        TdesKsn::from_bytes(&[0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0, 0]).unwrap();
    let mut op = Op::new("TDES DUKPT host derivation (BDK -> IPEK -> current key -> variants)");
    for counter in [1u32, 2, 0x2A, 0x1F_0000, 0x0F_0F00] {
        let ksn = iksn.with_counter(counter);
        if ksn.counter() != counter {
            continue;
        }
        let reference: Vec<[u8; 16]> = {
            let bdk = TdesBdk::new(
                &keyfort::key::TypedKey::raw(&bdk_bytes, keyfort::attributes::Algorithm::Tdes2)
                    .unwrap(),
            )
            .unwrap();
            [
                TdesVariant::Pin,
                TdesVariant::MacRequest,
                TdesVariant::DataRequest,
            ]
            .iter()
            .map(|&v| *bdk.key(&ksn, v).unwrap().expose())
            .collect()
        };
        op.case(&format!("counter {counter:#x}"), || {
            let b = bdk_bytes.to_vec();
            mark_secret(&b);
            let bdk = TdesBdk::new(
                &keyfort::key::TypedKey::raw(&b, keyfort::attributes::Algorithm::Tdes2).unwrap(),
            )
            .unwrap();
            let mut right = true;
            for (v, want) in [
                TdesVariant::Pin,
                TdesVariant::MacRequest,
                TdesVariant::DataRequest,
            ]
            .iter()
            .zip(&reference)
            {
                let k = bdk.key(&ksn, *v).unwrap();
                right &= same(k.expose(), want);
            }
            right
        });
    }
    ops.push(op);

    // TDES DUKPT, terminal side: IPEK secret; load (21 future keys), transactions.
    let mut op = Op::new("TDES DUKPT terminal (IPEK load, future keys, transactions)");
    let ipek_bytes = *TdesBdk::new(
        &keyfort::key::TypedKey::raw(&bdk_bytes, keyfort::attributes::Algorithm::Tdes2).unwrap(),
    )
    .unwrap()
    .ipek(&iksn)
    .expose();
    for i in 0..2 {
        op.case(&format!("load + 3 transactions, run {i}"), || {
            let k = ipek_bytes.to_vec();
            mark_secret(&k);
            let ipek = TdesIpek::new(
                &keyfort::key::TypedKey::raw(&k, keyfort::attributes::Algorithm::Tdes2).unwrap(),
                &iksn,
            )
            .unwrap();
            let mut term = TdesTerminal::load(&ipek, &mut NoPersist).unwrap();
            let mut right = true;
            for _ in 0..3 {
                let tx = term.next_transaction(&mut NoPersist).unwrap();
                let pin = tx.key(TdesVariant::Pin);
                let host =
                    keyfort::key::TypedKey::raw(&bdk_bytes, keyfort::attributes::Algorithm::Tdes2)
                        .map_err(keyfort::dukpt::DukptError::from)
                        .and_then(|k| TdesBdk::new(&k))
                        .unwrap()
                        .key(tx.ksn(), TdesVariant::Pin)
                        .unwrap();
                right &= same(pin.expose(), host.expose());
            }
            right
        });
    }
    ops.push(op);

    // X9.19 retail MAC verification: key and data secret; right and wrong tags.
    let mut op = Op::new("X9.19 retail MAC verify");
    for i in 0..4 {
        let key = rng.fill::<16>();
        let data = rng.fill::<29>();
        let tag = mac::retail_mac(&TypedKey::raw(&key, Algorithm::Tdes2).unwrap(), &data).unwrap();
        for (what, flip) in [("right tag", 0u8), ("wrong tag", 0x40)] {
            let mut t = tag;
            t[7] ^= flip;
            op.case(&format!("case {i}, {what}"), || {
                let (k, d) = (key.to_vec(), data.to_vec());
                mark_secret(&k);
                mark_secret(&d);
                // The holder's TDES check runs on the secret key too (constant-time).
                let r = TypedKey::raw(&k, Algorithm::Tdes2)
                    .map_err(keyfort::transaction::OpsError::from)
                    .and_then(|k| mac::verify_retail_mac(&k, &d, &t));
                let ok = declassify_usize(usize::from(r.is_ok())) == 1;
                ok == (flip == 0)
            });
        }
    }
    ops.push(op);

    // TR-31 version B unwrap up to the MAC verdict: KBPK secret; published blocks, and
    // the same blocks with one MAC character changed.
    let mut op = Op::new("TR-31 version B unwrap (constant-time core)");
    let json = keyfort_tests::load_json("tr31/tr31_vectors.json");
    let blocks: Vec<(Vec<u8>, String)> = json["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| {
            v["expect"] == "ok" && v["key_block"].as_str().is_some_and(|b| b.starts_with('B'))
        })
        .map(|v| {
            (
                keyfort_tests::unhex(v["kbpk"].as_str().unwrap()),
                v["key_block"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(!blocks.is_empty(), "no version B vectors");
    for (kbpk, block) in &blocks {
        let mut forged = block.clone().into_bytes();
        let last = forged.len() - 1;
        forged[last] = if forged[last] == b'0' { b'1' } else { b'0' };
        for (what, b, want) in [
            ("published", block.as_bytes(), 1usize),
            ("forged MAC", &forged[..], 0),
        ] {
            op.case(&format!("{what} {}", &block[..16]), || {
                let k = kbpk.clone();
                mark_secret(&k);
                let ok = tr31::unwrap_ct::<64>(&k, b, &tr31::UnwrapOptions::default()).unwrap();
                declassify_usize(usize::from(ok.unwrap_u8())) == want
            });
        }
    }
    ops.push(op);

    // Negative controls: the `des` crate's table-based DES and TDES.
    let mut controls = Vec::new();
    let (key, pt) = (rng.fill::<24>(), rng.fill::<8>());
    controls.push((
        "des crate 0.9 Des (S-box tables indexed by key and data)",
        errors_in(|| {
            let (k, mut b) = (key, pt);
            mark_secret(&k);
            mark_secret(&b);
            let mut k8 = [0u8; 8];
            k8.copy_from_slice(&k[..8]);
            let d = des::Des::new(&k8.into());
            d.encrypt_block((&mut b).into());
            declassify(&b);
        }),
    ));
    controls.push((
        "des crate 0.9 TdesEde3",
        errors_in(|| {
            let (k, mut b) = (key, pt);
            mark_secret(&k);
            mark_secret(&b);
            let d = des::TdesEde3::new_from_slice(&k).unwrap();
            d.decrypt_block((&mut b).into());
            declassify(&b);
        }),
    ));

    let mut failures = Vec::new();
    for op in &ops {
        println!("des-ct: {}", op.summary());
        failures.extend(op.failures.iter().cloned());
    }
    let mut caught = 0;
    for (name, errs) in &controls {
        if *errs == 0 {
            failures.push(format!("control NOT caught: {name}"));
        } else {
            caught += 1;
            println!("des-ct: control caught as expected: {name}: {errs} memcheck error(s)");
        }
    }
    println!("des-ct: controls caught: {caught}/{}", controls.len());
    if failures.is_empty() {
        println!("des-ct: PASS");
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            println!("des-ct: FAIL {f}");
        }
        ExitCode::FAILURE
    }
}
