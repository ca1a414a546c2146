//! The `keyfort dukpt` commands through the binary, against published vectors.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::process::Command;

fn keyfort(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_keyfort"))
        .args(args)
        .output()
        .expect("run keyfort");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    )
}

#[test]
fn aes_initial_and_working_key_match_x924_3_supplement() {
    // X9.24-3-2017 supplement (AES-128 BDK), as in ../shared/vectors aes-0001 / aes-0018.
    let (ok, out, _) = keyfort(&[
        "dukpt",
        "aes",
        "initial-key",
        "--bdk",
        "FEDCBA9876543210F1F1F1F1F1F1F1F1",
        "--ikid",
        "1234567890123456",
    ]);
    assert!(ok);
    assert_eq!(out, "1273671EA26AC29AFA4D1084127652A1");
    let (ok, out, _) = keyfort(&[
        "dukpt",
        "aes",
        "working-key",
        "--bdk",
        "FEDCBA9876543210F1F1F1F1F1F1F1F1",
        "--ksn",
        "123456789012345600000001",
        "--usage",
        "pin-encryption",
        "--key-type",
        "aes128",
    ]);
    assert!(ok);
    assert_eq!(out, "AF8CB133A78F8DC2D1359F18527593FB");
}

#[test]
fn tdes_ipek_and_pin_key_match_x924_1_annex_a() {
    // X9.24-1-2009 A.4 (vectors tdes-0001 and tdes-0257).
    let (ok, out, _) = keyfort(&[
        "dukpt",
        "tdes",
        "ipek",
        "--bdk",
        "0123456789ABCDEFFEDCBA9876543210",
        "--ksn",
        "FFFF9876543210E00000",
    ]);
    assert!(ok);
    assert_eq!(out, "6AC292FAA1315B4D858AB3A3D7D5933A");
    let (ok, out, _) = keyfort(&[
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
    assert!(ok);
    assert_eq!(out, "042666B49184CF5C68DE9628D0397B36");
}

#[test]
fn errors_are_one_line_without_key_material() {
    let bdk = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
    let (ok, out, err) = keyfort(&[
        "dukpt",
        "aes",
        "working-key",
        "--bdk",
        bdk,
        "--ksn",
        "12345678901234560001FFFF",
        "--usage",
        "pin-encryption",
        "--key-type",
        "aes128",
    ]);
    assert!(!ok);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("one-bits"), "{err}");
    assert!(!err.contains(bdk) && !err.to_lowercase().contains(&bdk.to_lowercase()));
    let (ok, _, err) = keyfort(&[
        "dukpt",
        "aes",
        "working-key",
        "--bdk",
        bdk,
        "--ksn",
        "123456789012345600000001",
        "--usage",
        "pin-encryption",
        "--key-type",
        "aes256",
    ]);
    assert!(!ok);
    assert!(err.contains("stronger"), "{err}");
    let (ok, _, err) = keyfort(&[
        "dukpt",
        "tdes",
        "ipek",
        "--bdk",
        "00",
        "--ksn",
        "FFFF9876543210E00000",
    ]);
    assert!(!ok);
    assert_eq!(err.lines().count(), 1, "{err}");
}
