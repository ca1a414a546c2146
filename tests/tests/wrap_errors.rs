//! Every error path of `keyfort::wrap`, and rejection of inputs that fail exactly one of
//! the unwrap checks (built with an independent textbook construction, `wrap_support`).
#![allow(
    clippy::cast_possible_truncation,
    clippy::integer_division_remainder_used,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod wrap_support;

use keyfort::wrap::*;
use wrap_support::{single_check_cases, Alg};

const KEKS: [&[u8]; 3] = [&[0x11; 16], &[0x22; 24], &[0x33; 32]];

#[test]
fn kek_length() {
    for len in [0usize, 1, 8, 15, 17, 20, 23, 25, 31, 33, 48, 64] {
        assert_eq!(
            keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&vec![7u8; len])
                .map_err(keyfort::wrap::WrapError::from)
                .and_then(|k| Kek::new(&k))
                .err(),
            Some(WrapError::KekLength),
            "len {len}"
        );
    }
    for len in [16usize, 24, 32] {
        assert_eq!(
            Kek::new(
                &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&vec![7u8; len])
                    .unwrap()
            )
            .unwrap()
            .key_len(),
            len
        );
    }
}

#[test]
fn kek_debug_is_redacted() {
    let kek = Kek::new(
        &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&[0xAB; 16]).unwrap(),
    )
    .unwrap();
    let s = format!("{kek:?}");
    assert_eq!(s, "Kek(AES-128, ..)");
    assert!(!s.to_lowercase().contains("ab"));
}

#[test]
fn length_helpers() {
    for (len, want) in [(16, Ok(24)), (24, Ok(32)), (4096, Ok(4104))] {
        assert_eq!(kw_wrapped_len(len), want);
    }
    for len in [0usize, 8, 15, 17, 23, 4097, 4104, usize::MAX] {
        assert_eq!(kw_wrapped_len(len), Err(WrapError::InputLength), "{len}");
    }
    for (len, want) in [(24, Ok(16)), (4104, Ok(4096))] {
        assert_eq!(kw_unwrapped_len(len), want);
    }
    for len in [0usize, 7, 8, 16, 23, 25, 4112] {
        assert_eq!(kw_unwrapped_len(len), Err(WrapError::InputLength), "{len}");
    }
    for (len, want) in [
        (1, 16),
        (7, 16),
        (8, 16),
        (9, 24),
        (16, 24),
        (17, 32),
        (4096, 4104),
    ] {
        assert_eq!(kwp_wrapped_len(len), Ok(want), "{len}");
    }
    for len in [0usize, 4097, usize::MAX] {
        assert_eq!(kwp_wrapped_len(len), Err(WrapError::InputLength), "{len}");
    }
    for (len, want) in [(16, 8), (24, 16), (4104, 4096)] {
        assert_eq!(kwp_unwrap_buf_len(len), Ok(want));
    }
    for len in [0usize, 8, 15, 17, 4112] {
        assert_eq!(
            kwp_unwrap_buf_len(len),
            Err(WrapError::InputLength),
            "{len}"
        );
    }
}

#[test]
fn wrap_input_length_and_output_too_small() {
    let kek =
        Kek::new(&keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(KEKS[0]).unwrap())
            .unwrap();
    let mut big = [0u8; 8192];
    for len in [0usize, 8, 12, 4097, 4104] {
        let key = vec![1u8; len];
        assert_eq!(kw_wrap(&kek, &key, &mut big), Err(WrapError::InputLength));
        assert_eq!(
            kw_wrap_in_place(&kek, &mut big, len),
            Err(WrapError::InputLength)
        );
    }
    for len in [0usize, 4097] {
        let key = vec![1u8; len];
        assert_eq!(kwp_wrap(&kek, &key, &mut big), Err(WrapError::InputLength));
        assert_eq!(
            kwp_wrap_in_place(&kek, &mut big, len),
            Err(WrapError::InputLength)
        );
    }
    // Output one byte short: error, output untouched.
    let key = [5u8; 16];
    let mut out = [0xEEu8; 23];
    assert_eq!(
        kw_wrap(&kek, &key, &mut out),
        Err(WrapError::OutputTooSmall)
    );
    assert!(out.iter().all(|&b| b == 0xEE));
    let mut buf = [5u8; 23];
    assert_eq!(
        kw_wrap_in_place(&kek, &mut buf, 16),
        Err(WrapError::OutputTooSmall)
    );
    assert_eq!(buf, [5u8; 23]);
    let mut out = [0xEEu8; 23];
    assert_eq!(
        kwp_wrap(&kek, &[5u8; 9], &mut out),
        Err(WrapError::OutputTooSmall)
    );
    assert!(out.iter().all(|&b| b == 0xEE));
    let mut buf = [5u8; 15];
    assert_eq!(
        kwp_wrap_in_place(&kek, &mut buf, 7),
        Err(WrapError::OutputTooSmall)
    );
    // In-place wrap with a key length larger than the buffer.
    let mut buf = [5u8; 16];
    assert_eq!(
        kw_wrap_in_place(&kek, &mut buf, 24),
        Err(WrapError::OutputTooSmall)
    );
}

#[test]
fn unwrap_length_errors_leave_output_untouched() {
    let kek =
        Kek::new(&keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(KEKS[1]).unwrap())
            .unwrap();
    let mut wrapped = [0u8; 24];
    kw_wrap(&kek, &[9u8; 16], &mut wrapped).unwrap();
    for len in [0usize, 8, 16, 23, 25] {
        let input = vec![0xA6u8; len];
        let mut out = [0xEEu8; 64];
        assert_eq!(
            kw_unwrap(&kek, &input, &mut out),
            Err(WrapError::InputLength),
            "{len}"
        );
        assert!(out.iter().all(|&b| b == 0xEE));
    }
    for len in [0usize, 8, 15, 17] {
        let input = vec![0xA6u8; len];
        let mut out = [0xEEu8; 64];
        assert_eq!(
            kwp_unwrap(&kek, &input, &mut out),
            Err(WrapError::InputLength),
            "{len}"
        );
        assert!(out.iter().all(|&b| b == 0xEE));
    }
    // Too long: one semiblock past the bound.
    let long = vec![0u8; MAX_KEY_DATA_LEN + 16];
    let mut out = vec![0u8; MAX_KEY_DATA_LEN + 16];
    assert_eq!(
        kw_unwrap(&kek, &long, &mut out),
        Err(WrapError::InputLength)
    );
    assert_eq!(
        kwp_unwrap(&kek, &long, &mut out),
        Err(WrapError::InputLength)
    );
    // Output one byte short.
    let mut out = [0xEEu8; 15];
    assert_eq!(
        kw_unwrap(&kek, &wrapped, &mut out),
        Err(WrapError::OutputTooSmall)
    );
    assert!(out.iter().all(|&b| b == 0xEE));
    let mut kwp_wrapped = [0u8; 16];
    kwp_wrap(&kek, &[3u8; 5], &mut kwp_wrapped).unwrap();
    let mut out = [0xEEu8; 7];
    assert_eq!(
        kwp_unwrap(&kek, &kwp_wrapped, &mut out),
        Err(WrapError::OutputTooSmall),
        "KWP unwrap needs the padded length even for a 5-byte key"
    );
    // In place: wrapped_len beyond the buffer.
    let mut buf = wrapped;
    assert_eq!(
        kw_unwrap_in_place(&kek, &mut buf, 32),
        Err(WrapError::InputLength)
    );
    assert_eq!(buf, wrapped);
    assert_eq!(
        kwp_unwrap_in_place(&kek, &mut buf, 32),
        Err(WrapError::InputLength)
    );
}

/// The empty-key forgery that some implementations accept: 8 bytes of ICV1 (KW) or an
/// 8-byte KWP block; both are length errors here.
#[test]
fn empty_key_forgery_rejected() {
    let kek =
        Kek::new(&keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(KEKS[0]).unwrap())
            .unwrap();
    let mut out = [0u8; 16];
    assert_eq!(
        kw_unwrap(&kek, &[0xA6; 8], &mut out),
        Err(WrapError::InputLength)
    );
    assert_eq!(
        kwp_unwrap(&kek, &[0xA6, 0x59, 0x59, 0xA6, 0, 0, 0, 0], &mut out),
        Err(WrapError::InputLength)
    );
}

/// Each check on its own: a valid input unwraps to its key, and an input failing just one
/// check (KW: ICV; KWP: prefix, MLI too large / too small / huge, first or last padding
/// byte) gives `Integrity`, with the whole caller buffer (also the bytes beyond the key)
/// zeroed; the `_ct` form gives a false verdict and length 0.
#[test]
fn each_check_rejects_and_zeroes() {
    let mut n_valid = 0;
    let mut n_bad = 0;
    for k in KEKS {
        let kek =
            Kek::new(&keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(k).unwrap())
                .unwrap();
        for case in single_check_cases(k) {
            let name = &case.name;
            let mut out = vec![0xEEu8; case.wrapped.len() + 16];
            let r = case.alg.unwrap(&kek, &case.wrapped, &mut out);
            let mut buf = vec![0xEEu8; case.wrapped.len() + 16];
            buf[..case.wrapped.len()].copy_from_slice(&case.wrapped);
            let r2 = case.alg.unwrap_in_place(&kek, &mut buf, case.wrapped.len());
            let mut out3 = vec![0xEEu8; case.wrapped.len() + 16];
            let (ok, len) = case.alg.unwrap_ct(&kek, &case.wrapped, &mut out3).unwrap();
            match &case.key {
                Some(key) => {
                    n_valid += 1;
                    assert_eq!(r, Ok(key.len()), "{name}");
                    assert_eq!(&out[..key.len()], &key[..], "{name}");
                    assert_eq!(r2, Ok(key.len()), "{name}");
                    assert_eq!(&buf[..key.len()], &key[..], "{name}");
                    assert!(ok, "{name}");
                    assert_eq!(len, key.len(), "{name}");
                    // Bytes past the padded length are the caller's and stay.
                    let plen = case.wrapped.len() - 8;
                    assert!(out[plen..].iter().all(|&b| b == 0xEE), "{name}");
                    assert!(out[key.len()..plen].iter().all(|&b| b == 0), "{name}");
                }
                None => {
                    n_bad += 1;
                    assert_eq!(r, Err(WrapError::Integrity), "{name}");
                    assert!(out.iter().all(|&b| b == 0), "{name}: out not zeroed");
                    assert_eq!(r2, Err(WrapError::Integrity), "{name}");
                    assert!(buf.iter().all(|&b| b == 0), "{name}: buf not zeroed");
                    assert!(!ok, "{name}");
                    assert_eq!(len, 0, "{name}");
                    assert!(out3.iter().all(|&b| b == 0), "{name}: ct out not zeroed");
                }
            }
        }
    }
    println!("single-check cases: {n_valid} valid accepted, {n_bad} failing one check rejected");
    assert!(n_valid >= 18 && n_bad >= 50);
}

/// Every single-bit flip of a wrapped key is rejected (KW and KWP, n = 1 and n = 3).
#[test]
fn every_bit_flip_rejected() {
    let kek =
        Kek::new(&keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(KEKS[2]).unwrap())
            .unwrap();
    let mut kw = [0u8; 32];
    kw_wrap(&kek, &[0x5A; 24], &mut kw).unwrap();
    let mut kwp1 = [0u8; 16];
    kwp_wrap(&kek, &[0x5A; 6], &mut kwp1).unwrap();
    let mut kwp3 = [0u8; 32];
    kwp_wrap(&kek, &[0x5A; 21], &mut kwp3).unwrap();
    for (alg, w) in [
        (Alg::Kw, &kw[..]),
        (Alg::Kwp, &kwp1[..]),
        (Alg::Kwp, &kwp3[..]),
    ] {
        for bit in 0..w.len() * 8 {
            let mut m = w.to_vec();
            m[bit / 8] ^= 1 << (bit % 8);
            let mut out = [0xEEu8; 40];
            assert_eq!(
                alg.unwrap(&kek, &m, &mut out),
                Err(WrapError::Integrity),
                "{alg:?} bit {bit}"
            );
            assert_eq!(out, [0u8; 40]);
        }
    }
}

/// Unwrapping under the wrong KEK (same size, and another size) fails.
#[test]
fn wrong_kek_rejected() {
    let kek =
        Kek::new(&keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(KEKS[0]).unwrap())
            .unwrap();
    let mut w = [0u8; 40];
    let n = kwp_wrap(&kek, &[1u8; 30], &mut w).unwrap();
    for other in [&[0x12u8; 16][..], KEKS[1], KEKS[2]] {
        let other = Kek::new(
            &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(other).unwrap(),
        )
        .unwrap();
        let mut out = [0xEEu8; 32];
        assert_eq!(
            kwp_unwrap(&other, &w[..n], &mut out),
            Err(WrapError::Integrity)
        );
        assert_eq!(out, [0u8; 32]);
    }
}

#[test]
fn error_display_is_one_fixed_line() {
    for e in [
        WrapError::KekLength,
        WrapError::InputLength,
        WrapError::OutputTooSmall,
        WrapError::Integrity,
    ] {
        let s = e.to_string();
        assert!(!s.is_empty() && !s.contains('\n'));
    }
}
