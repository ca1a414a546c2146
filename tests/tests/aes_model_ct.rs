//! Constant-time test of keyfort-aes's PORTABLE MODEL (`aes-fixslice/src/model.rs`, what
//! the Cortex-M0 runs; on hosts `keyfort_aes::Aes` is the model) under Valgrind memcheck,
//! the ctgrind technique of `wrap_ct.rs`: key and block marked undefined, key schedule,
//! encryption and decryption run, outputs declassified; any branch or memory index that
//! depends on them is a memcheck error. Expected: zero errors for every key size, and at
//! least one for the NEGATIVE CONTROL, AES-128 with a table S-box
//! (`keyfort_ctgrind::leaky::table_aes128_encrypt`), which must be caught.
//!
//! Run: `cargo test -p keyfort-tests --test aes_model_ct` (needs `valgrind`; fails without).
#![allow(
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use keyfort_ctgrind::cases::errors_in;
use keyfort_ctgrind::{declassify, leaky, mark_secret, parent, running_on_valgrind};
use std::process::ExitCode;

const CHILD_ENV: &str = "KEYFORT_AES_CT_CHILD";

fn main() -> ExitCode {
    if std::env::var_os(CHILD_ENV).is_some() {
        return child();
    }
    parent("aes-model-ct", CHILD_ENV, &[], &[])
}

fn child() -> ExitCode {
    assert!(running_on_valgrind(), "child must run under valgrind");
    let mut failures = Vec::new();
    for len in [16usize, 24, 32] {
        for seed in [0x00u8, 0x5a, 0xff] {
            let key: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(29) ^ seed).collect();
            let mut block: [u8; 16] = core::array::from_fn(|i| (i as u8).wrapping_add(seed));
            let errs = errors_in(|| {
                mark_secret(&key);
                mark_secret(&block);
                let aes = keyfort_aes::Aes::new(&key).unwrap();
                let mut b = block;
                aes.encrypt(&mut b);
                aes.decrypt(&mut b);
                declassify(&b);
                declassify(&block);
                assert_eq!(b, block, "AES-{} round trip", len * 8);
                block = b;
            });
            println!(
                "aes-model-ct: keyfort-aes model AES-{} seed {seed:#04x}: {errs} memcheck error(s)",
                len * 8
            );
            if errs != 0 {
                failures.push(format!("AES-{} seed {seed:#04x}", len * 8));
            }
        }
    }
    let key = [0x3cu8; 16];
    let mut block = [0xa5u8; 16];
    let control = errors_in(|| {
        mark_secret(&key);
        mark_secret(&block);
        leaky::table_aes128_encrypt(&key, &mut block);
        declassify(&block);
    });
    println!(
        "aes-model-ct: CONTROL table S-box AES-128: {control} memcheck error(s) (must be > 0)"
    );
    if control == 0 {
        failures.push("control table S-box AES NOT caught".to_string());
    }
    if failures.is_empty() {
        println!("aes-model-ct: PASS");
        ExitCode::SUCCESS
    } else {
        println!("aes-model-ct: FAIL {failures:?}");
        ExitCode::FAILURE
    }
}
