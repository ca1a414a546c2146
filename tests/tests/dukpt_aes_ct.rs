//! Constant-time test of the AES DUKPT host derivation under Valgrind memcheck (the
//! "ctgrind" technique of `wrap_ct.rs`): the BDK is marked undefined, working keys are
//! derived one at a time ([`AesBdk::working_key`]) and in batches ([`AesBdk::batch`]),
//! and only the result is declassified. Any branch or memory index that depends on the
//! BDK or a key of the chain is a memcheck error.
//!
//! On x86-64 with AES-NI an AES-128 BDK runs on keyfort-aes's lane engine (each key
//! expanded on the fly with `AESENCLAST`); the test requires that engine to be present
//! under Valgrind where the CPU has it (else it would only show the fallback) and prints
//! which path ran. AES-192/256 BDKs run on the `aes` crate's schedules. Controls that must
//! be caught: a table S-box AES-128 (`keyfort_ctgrind::leaky`) and an early-exit compare
//! of a derived key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::integer_division_remainder_used
)]

use keyfort::dukpt::aes::{AesBatchKey, AesBdk, AesKeyCacheSlot, AesKsn, KeyUsage, WorkingKeyType};
use keyfort::key::TypedKey;
use keyfort_ctgrind::cases::{errors_in, same, Op};
use keyfort_ctgrind::{declassify, leaky, mark_secret, parent, running_on_valgrind};
use std::process::ExitCode;

const CHILD_ENV: &str = "KEYFORT_DUKPT_AES_CT_CHILD";

fn main() -> ExitCode {
    if std::env::var_os(CHILD_ENV).is_some() {
        return child();
    }
    parent("dukpt-aes-ct", CHILD_ENV, &[], &[])
}

/// KSNs of one terminal and of others, counters with 1 to 16 one-bits.
fn ksns() -> Vec<AesKsn> {
    [
        0x1u32,
        0x3,
        0xFF,
        0x8000_0001,
        0x00FF_FF00,
        0xFFFF,
        0x5555_5555,
        0x2,
    ]
    .iter()
    .enumerate()
    .map(|(i, &c)| AesKsn::new(&[0x12, 0x34, 0x56, 0x78, 0, 0, 0, (i % 3) as u8], c))
    .collect()
}

fn child() -> ExitCode {
    assert!(running_on_valgrind(), "child must run under valgrind");
    #[cfg(target_arch = "x86_64")]
    {
        let engine = keyfort_aes::lanes::AesNiLanes::detect().is_some();
        let cpu = std::is_x86_feature_detected!("aes") && std::is_x86_feature_detected!("ssse3");
        println!(
            "dukpt-aes-ct: AES-128 path: {}",
            if engine {
                "keyfort-aes lane engine (AES-NI)"
            } else {
                "aes crate (no AES-NI)"
            }
        );
        assert_eq!(
            engine, cpu,
            "the lane engine runs under valgrind where the CPU has it"
        );
    }
    let ksns = ksns();
    let mut ops = Vec::new();
    for (name, len, kt) in [
        ("AES-128 BDK: working_key", 16usize, WorkingKeyType::Aes128),
        (
            "AES-128 BDK: working_key, TDES-3 key (two blocks)",
            16,
            WorkingKeyType::Tdes3,
        ),
        ("AES-256 BDK: working_key", 32, WorkingKeyType::Aes256),
    ] {
        let mut op = Op::new(name);
        let bdk_bytes: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37) ^ 0xA5).collect();
        let plain = AesBdk::new(&TypedKey::raw_aes(&bdk_bytes).unwrap()).unwrap();
        for ksn in &ksns {
            let want = plain.working_key(ksn, KeyUsage::PinEncryption, kt).unwrap();
            op.case(&format!("{ksn:?}"), || {
                let b = bdk_bytes.clone();
                mark_secret(&b);
                let bdk = AesBdk::new(&TypedKey::raw_aes(&b).unwrap()).unwrap();
                let k = bdk.working_key(ksn, KeyUsage::PinEncryption, kt).unwrap();
                same(k.expose(), want.expose())
            });
        }
        ops.push(op);
    }
    for (name, len) in [("AES-128 BDK: batch", 16usize), ("AES-256 BDK: batch", 32)] {
        let mut op = Op::new(name);
        let bdk_bytes: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(91) ^ 0x3C).collect();
        let plain = AesBdk::new(&TypedKey::raw_aes(&bdk_bytes).unwrap()).unwrap();
        op.case("8 KSNs, 3 terminals, cache of 8", || {
            let b = bdk_bytes.clone();
            mark_secret(&b);
            let bdk = AesBdk::new(&TypedKey::raw_aes(&b).unwrap()).unwrap();
            let mut slots: Vec<AesKeyCacheSlot> = (0..8).map(|_| AesKeyCacheSlot::new()).collect();
            let mut out: Vec<AesBatchKey> = (0..ksns.len()).map(|_| AesBatchKey::new()).collect();
            let n = bdk
                .batch(&mut slots)
                .working_keys(
                    &ksns,
                    KeyUsage::PinEncryption,
                    WorkingKeyType::Aes128,
                    &mut out,
                )
                .unwrap();
            n == ksns.len()
                && ksns.iter().zip(&out).all(|(ksn, o)| {
                    let want = plain
                        .working_key(ksn, KeyUsage::PinEncryption, WorkingKeyType::Aes128)
                        .unwrap();
                    same(o.key().unwrap(), want.expose())
                })
        });
        ops.push(op);
    }

    // Controls: the same secret BDK through a table S-box AES, and a derived key compared
    // with an early exit.
    let controls = [
        (
            "table S-box AES-128 under the BDK",
            errors_in(|| {
                let k = [0x5Au8; 16];
                mark_secret(&k);
                let mut b = [0u8; 16];
                leaky::table_aes128_encrypt(&k, &mut b);
                declassify(&b);
            }),
        ),
        (
            "early-exit compare of a derived key",
            errors_in(|| {
                let b = [0x11u8; 16];
                mark_secret(&b);
                let bdk = AesBdk::new(&TypedKey::raw_aes(&b).unwrap()).unwrap();
                let k = bdk
                    .working_key(&ksns[0], KeyUsage::PinEncryption, WorkingKeyType::Aes128)
                    .unwrap();
                std::hint::black_box(leaky::early_exit_eq(k.expose(), &[0u8; 16]));
            }),
        ),
    ];

    let mut failures = Vec::new();
    for op in &ops {
        println!("dukpt-aes-ct: {}", op.summary());
        failures.extend(op.failures.iter().cloned());
    }
    for (name, errs) in &controls {
        if *errs == 0 {
            failures.push(format!("control NOT caught: {name}"));
        } else {
            println!("dukpt-aes-ct: control caught as expected: {name}: {errs} memcheck error(s)");
        }
    }
    if failures.is_empty() {
        println!("dukpt-aes-ct: PASS");
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            println!("dukpt-aes-ct: FAIL {f}");
        }
        ExitCode::FAILURE
    }
}
