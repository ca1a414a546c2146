//! Constant-time test of key unwrap under Valgrind memcheck (the "ctgrind" technique).
//!
//! Run: `tests/ct/run.sh` (forces the `aes` crate's software backend), or plainly
//! `cargo test -p keyfort-tests --test wrap_ct` (the host's default AES backend, AES-NI on
//! most x86_64). Neither is the Cortex-M AES (keyfort-aes): its portable model is checked
//! by `aes_model_ct.rs`, and the Cortex-M builds by `./x test ct-trace` and `ct-data`. Needs `valgrind` on the PATH; fails (never skips)
//! without it. Deterministic inputs; a few seconds under Valgrind.
//!
//! How it works: this test binary (`harness = false`) re-executes itself under
//! `valgrind --tool=memcheck`. Inside, for each case it builds the KEK and the wrapped input
//! (defined data), marks both *undefined* with memcheck client requests, runs the unwrap
//! through `kw_unwrap_ct` / `kwp_unwrap_ct` (which return the verdict as a `Choice`
//! without branching on it), declassifies only the outputs (verdict, length, output
//! buffer), and reads memcheck's error count. Any conditional jump or memory index that
//! depends on the KEK or the wrapped input (key expansion, AES, W⁻¹, ICV / prefix / MLI /
//! padding checks, the masked zeroing) is a memcheck error.
//!
//! The in-place unwraps (`kw_unwrap_in_place`, `kwp_unwrap_in_place`) run every case too.
//! They return a `Result`, so they end with one branch on the verdict (inside
//! `keyfort::wrap::verdict`), which memcheck reports: the test runs memcheck with
//! `tests/ct/verdict.supp`, which suppresses conditional jumps whose stack passes through
//! that one function and nothing else, and the parent requires (from `-v` output) that
//! the suppression matched, so the in-place cases really reached the verdict with secret
//! inputs. Any other secret-dependent branch or index in them is an error as above.
//!
//! Expected: zero errors for every keyfort case (valid inputs and inputs failing each
//! check, every KEK size, wraps too), and at least one error for each control that must be
//! caught: a deliberately naive early-exit `==` over the recovered ICV, a naive KWP padding
//! check that indexes by MLI, and RustCrypto `aes-kw`'s unwrap (which branches on its
//! checks). A control with zero errors fails the test: the instrument is known to work.
#![allow(
    clippy::cast_possible_truncation,
    clippy::integer_division_remainder_used,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
#![allow(unexpected_cfgs)]

mod wrap_support;

use keyfort::wrap::{
    kw_unwrap_ct, kw_unwrap_in_place, kw_wrap, kwp_unwrap_ct, kwp_unwrap_in_place, kwp_wrap, Kek,
};
use keyfort_ctgrind::cases::errors_in;
use keyfort_ctgrind::{declassify, declassify_usize, mark_secret, parent, running_on_valgrind};
use std::process::ExitCode;
use wrap_support::{raw_wrap, single_check_cases, Alg, ICV1};

const CHILD_ENV: &str = "KEYFORT_CT_CHILD";
const KEKS: [[u8; 32]; 3] = [[0x3C; 32], [0xC3; 32], [0x5A; 32]];
const KEK_SIZES: [usize; 3] = [16, 24, 32];
/// The name of the one suppression in `tests/ct/verdict.supp`.
const VERDICT_SUPP: &str = "keyfort-wrap-verdict-branch";

fn main() -> ExitCode {
    if std::env::var_os(CHILD_ENV).is_some() {
        return child();
    }
    // Parent: re-run this binary under memcheck. The in-place cases must have reached
    // their verdict branch with secret data: the verdict suppression matched.
    let supp = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ct/verdict.supp");
    parent("ct", CHILD_ENV, &[&supp], &[VERDICT_SUPP])
}

fn child() -> ExitCode {
    assert!(running_on_valgrind(), "child must run under valgrind");
    println!(
        "ct: aes backend: {}",
        if cfg!(aes_backend = "soft") {
            "soft (forced, fixslice)"
        } else {
            "default (runtime-detected; AES-NI if present)"
        }
    );
    let mut failures = Vec::new();
    let mut n_clean = 0;

    for (kek_bytes, size) in KEKS.iter().zip(KEK_SIZES) {
        let kek_bytes = &kek_bytes[..size];
        for case in single_check_cases(kek_bytes) {
            let expect_ok = case.key.is_some();
            let mut verdict = usize::MAX;
            let mut out = vec![0xEEu8; case.wrapped.len()];
            let errs = errors_in(|| {
                let k = kek_bytes.to_vec();
                let w = case.wrapped.clone();
                mark_secret(&k);
                mark_secret(&w);
                let kek = Kek::new(
                    &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&k).unwrap(),
                )
                .unwrap();
                let (ok, len) = match case.alg {
                    Alg::Kw => kw_unwrap_ct(&kek, &w, &mut out),
                    Alg::Kwp => kwp_unwrap_ct(&kek, &w, &mut out),
                }
                .unwrap();
                verdict = declassify_usize(ok.unwrap_u8() as usize);
                let len = declassify_usize(len);
                declassify(&out);
                if expect_ok {
                    assert_eq!(
                        &out[..len],
                        &case.key.as_ref().unwrap()[..],
                        "{}",
                        case.name
                    );
                } else {
                    assert_eq!(len, 0);
                }
            });
            if verdict != usize::from(expect_ok) {
                failures.push(format!("{}: wrong verdict {verdict}", case.name));
            }
            if !expect_ok && out.iter().any(|&b| b != 0) {
                failures.push(format!("{}: output not zeroed", case.name));
            }
            if errs != 0 {
                failures.push(format!("{}: {errs} memcheck error(s)", case.name));
            } else {
                n_clean += 1;
            }
        }
        // The same cases through the in-place unwraps (the wrapped input in the caller's
        // buffer, the key replacing it). Their only secret-dependent branch, the final
        // one on the verdict, is suppressed (see the module docs).
        for case in single_check_cases(kek_bytes) {
            let expect_ok = case.key.is_some();
            let name = format!("{} (in place)", case.name);
            let mut buf = case.wrapped.clone();
            let mut result = None;
            let errs = errors_in(|| {
                let k = kek_bytes.to_vec();
                mark_secret(&k);
                mark_secret(&buf);
                let kek = Kek::new(
                    &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&k).unwrap(),
                )
                .unwrap();
                let n = buf.len();
                let r = match case.alg {
                    Alg::Kw => kw_unwrap_in_place(&kek, &mut buf, n),
                    Alg::Kwp => kwp_unwrap_in_place(&kek, &mut buf, n),
                };
                declassify(&buf);
                result = Some(r);
            });
            match (result.unwrap(), &case.key) {
                (Ok(len), Some(key)) if buf[..len] == key[..] => {}
                (Err(keyfort::wrap::WrapError::Integrity), None) => {
                    if buf.iter().any(|&b| b != 0) {
                        failures.push(format!("{name}: buffer not zeroed"));
                    }
                }
                (r, _) => failures.push(format!(
                    "{name}: wrong result {:?} (expected {})",
                    r.map(|_| "a key"),
                    if expect_ok { "the key" } else { "Integrity" }
                )),
            }
            if errs != 0 {
                failures.push(format!("{name}: {errs} memcheck error(s)"));
            } else {
                n_clean += 1;
            }
        }
        // Wrapping with a secret KEK and secret key data.
        for (alg, klen) in [
            (Alg::Kw, 16usize),
            (Alg::Kw, 40),
            (Alg::Kwp, 5),
            (Alg::Kwp, 8),
            (Alg::Kwp, 21),
        ] {
            let errs = errors_in(|| {
                let k = kek_bytes.to_vec();
                let key = vec![0x77u8; klen];
                mark_secret(&k);
                mark_secret(&key);
                let kek = Kek::new(
                    &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&k).unwrap(),
                )
                .unwrap();
                let mut out = [0u8; 64];
                let n = match alg {
                    Alg::Kw => kw_wrap(&kek, &key, &mut out),
                    Alg::Kwp => kwp_wrap(&kek, &key, &mut out),
                }
                .unwrap();
                declassify(&out[..n]);
            });
            let name = format!("{alg:?}-{} wrap of {klen} bytes", size * 8);
            if errs != 0 {
                failures.push(format!("{name}: {errs} memcheck error(s)"));
            } else {
                n_clean += 1;
            }
        }
    }

    // Controls: code that must be caught.
    let kek16 = &KEKS[0][..16];
    let key = [0x42u8; 24];
    let good = raw_wrap(kek16, ICV1, &key);
    let mut bad = good.clone();
    bad[3] ^= 1;
    let mut controls = Vec::new();
    for (name, w) in [("valid", &good), ("invalid", &bad)] {
        controls.push((
            format!("naive early-exit ICV compare ({name} input)"),
            errors_in(|| {
                let k = kek16.to_vec();
                let w = w.clone();
                mark_secret(&k);
                mark_secret(&w);
                let r = naive::kw_unwrap_early_exit(&k, &w);
                declassify_usize(usize::from(r.is_some()));
            }),
        ));
    }
    controls.push((
        "naive KWP padding check indexed by MLI".into(),
        errors_in(|| {
            let k = kek16.to_vec();
            let mut w = [0u8; 32];
            {
                let kek = Kek::new(
                    &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&k).unwrap(),
                )
                .unwrap();
                kwp_wrap(&kek, &[0x42; 21], &mut w).unwrap();
            }
            mark_secret(&k);
            mark_secret(&w);
            let r = naive::kwp_padding_indexed(&k, &w);
            declassify_usize(usize::from(r));
        }),
    ));
    controls.push((
        "aes-kw 0.3 KwAes128::unwrap_key (branches on its ICV check)".into(),
        errors_in(|| {
            use aes_kw::KeyInit;
            let k = kek16.to_vec();
            let w = bad.clone();
            mark_secret(&k);
            mark_secret(&w);
            let kw = aes_kw::KwAes128::new_from_slice(&k).unwrap();
            let mut out = [0u8; 24];
            let r = kw.unwrap_key(&w, &mut out);
            declassify_usize(usize::from(r.is_ok()));
        }),
    ));
    let mut caught = 0;
    for (name, errs) in &controls {
        if *errs == 0 {
            failures.push(format!("control NOT caught: {name}"));
        } else {
            caught += 1;
            println!("ct: control caught as expected: {name}: {errs} memcheck error(s)");
        }
    }

    println!(
        "ct: keyfort cases without memcheck errors: {n_clean}; controls caught: {caught}/{}",
        controls.len()
    );
    if failures.is_empty() {
        println!("ct: PASS");
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            println!("ct: FAIL {f}");
        }
        ExitCode::FAILURE
    }
}

/// Deliberately non-constant-time unwraps, to show that the harness catches them.
mod naive {
    use aes_kw::aes::Aes128;
    use aes_kw::cipher::{BlockCipherDecrypt, KeyInit};

    /// W⁻¹ (RFC 3394 2.2.2), then the ICV compared byte by byte with an early exit.
    pub fn kw_unwrap_early_exit(kek: &[u8], w: &[u8]) -> Option<Vec<u8>> {
        let (a, r) = w_inv(kek, w);
        for (x, y) in a.iter().zip([0xA6u8; 8]) {
            if *x != y {
                return None;
            }
        }
        Some(r)
    }

    /// KWP unwrap whose padding check slices at the secret MLI.
    pub fn kwp_padding_indexed(kek: &[u8], w: &[u8]) -> bool {
        let (a, r) = w_inv(kek, w);
        let mli = u32::from_be_bytes(a[4..8].try_into().unwrap()) as usize;
        let mli = mli.min(r.len());
        r[mli..].iter().fold(0u8, |acc, b| acc | b) == 0
    }

    fn w_inv(kek: &[u8], w: &[u8]) -> ([u8; 8], Vec<u8>) {
        let aes = Aes128::new_from_slice(kek).unwrap();
        let n = w.len() / 8 - 1;
        let mut a: [u8; 8] = w[..8].try_into().unwrap();
        let mut r = w[8..].to_vec();
        for j in (0..6).rev() {
            for i in (1..=n).rev() {
                let t = (n * j + i) as u64;
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&(u64::from_be_bytes(a) ^ t).to_be_bytes());
                b[8..].copy_from_slice(&r[(i - 1) * 8..i * 8]);
                aes.decrypt_block((&mut b).into());
                a.copy_from_slice(&b[..8]);
                r[(i - 1) * 8..i * 8].copy_from_slice(&b[8..]);
            }
        }
        (a, r)
    }
}
