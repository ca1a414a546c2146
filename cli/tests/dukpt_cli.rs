//! The `keyfort dukpt` commands through the binary, against published vectors.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;
use common::{assert_fails, ok_stdout};

/// `keyfort dukpt aes working-key` arguments for a PIN-encryption key.
fn aes_pin_key<'a>(bdk: &'a str, ksn: &'a str, key_type: &'a str) -> [&'a str; 11] {
    [
        "dukpt",
        "aes",
        "working-key",
        "--bdk",
        bdk,
        "--ksn",
        ksn,
        "--usage",
        "pin-encryption",
        "--key-type",
        key_type,
    ]
}

#[test]
fn aes_initial_and_working_key_match_x924_3_supplement() {
    // X9.24-3-2017 supplement (AES-128 BDK), as in ../shared/vectors aes-0001 / aes-0018.
    let out = ok_stdout(&[
        "dukpt",
        "aes",
        "initial-key",
        "--bdk",
        "FEDCBA9876543210F1F1F1F1F1F1F1F1",
        "--ikid",
        "1234567890123456",
    ]);
    assert_eq!(out.trim(), "1273671EA26AC29AFA4D1084127652A1");
    let out = ok_stdout(&aes_pin_key(
        "FEDCBA9876543210F1F1F1F1F1F1F1F1",
        "123456789012345600000001",
        "aes128",
    ));
    assert_eq!(out.trim(), "AF8CB133A78F8DC2D1359F18527593FB");
}

#[test]
fn tdes_ipek_and_pin_key_match_x924_1_annex_a() {
    // X9.24-1-2009 A.4 (vectors tdes-0001 and tdes-0257).
    let out = ok_stdout(&[
        "dukpt",
        "tdes",
        "ipek",
        "--bdk",
        "0123456789ABCDEFFEDCBA9876543210",
        "--ksn",
        "FFFF9876543210E00000",
    ]);
    assert_eq!(out.trim(), "6AC292FAA1315B4D858AB3A3D7D5933A");
    let out = ok_stdout(&[
        "dukpt",
        "tdes",
        "key",
        "--bdk",
        "0123456789ABCDEFFEDCBA9876543210",
        "--ksn",
        "FFFF9876543210E00001",
        "--variant",
        "pin",
    ]);
    assert_eq!(out.trim(), "042666B49184CF5C68DE9628D0397B36");
}

#[test]
fn errors_are_one_line_without_key_material() {
    let bdk = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
    let err = assert_fails(
        &aes_pin_key(bdk, "12345678901234560001FFFF", "aes128"),
        &[bdk],
    );
    assert!(err.contains("one-bits"), "{err}");
    let err = assert_fails(
        &aes_pin_key(bdk, "123456789012345600000001", "aes256"),
        &[bdk],
    );
    assert!(err.contains("stronger"), "{err}");
    assert_fails(
        &[
            "dukpt",
            "tdes",
            "ipek",
            "--bdk",
            "00",
            "--ksn",
            "FFFF9876543210E00000",
        ],
        &[],
    );
}
