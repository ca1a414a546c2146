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

#[test]
fn aes_batch_matches_single_derivations_and_reports_bad_ksns() {
    // A stream with repeated terminals (cache hits), the X9.24-3 supplement KSN, a KSN
    // with counter 0 and one with 17 one-bits (no device produces those), a comment.
    let bdk = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
    let ksns = [
        "123456789012345600000001",
        "1234567890123456FFFF0000",
        "12345678AAAAAAAA00000003",
        "1234567890123456000000FF",
        "123456789012345600000000",
        "12345678AAAAAAAA0001FFFF",
        "12345678AAAAAAAA00000004",
    ];
    let dir = std::env::temp_dir().join(format!("keyfort-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ksns.txt");
    std::fs::write(&file, format!("# stream\n{}\n\n", ksns.join("\n"))).unwrap();
    for cache in ["0", "2", "4096"] {
        let out = ok_stdout(&[
            "dukpt",
            "aes",
            "batch",
            "--bdk",
            bdk,
            "--ksns",
            file.to_str().unwrap(),
            "--usage",
            "pin-encryption",
            "--key-type",
            "aes128",
            "--cache",
            cache,
        ]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), ksns.len(), "one line per KSN, cache {cache}");
        for (line, ksn) in lines.iter().zip(ksns) {
            let (id, rest) = line.split_once(' ').unwrap();
            assert_eq!(id, ksn);
            if ksn.ends_with("00000000") {
                assert!(
                    rest.starts_with("error: ") && rest.contains("zero"),
                    "{line}"
                );
            } else if ksn.ends_with("0001FFFF") {
                assert!(
                    rest.starts_with("error: ") && rest.contains("one-bits"),
                    "{line}"
                );
            } else {
                // Each key as the single-KSN command derives it.
                let single = ok_stdout(&aes_pin_key(bdk, ksn, "aes128"));
                assert_eq!(rest, single.trim(), "{ksn}, cache {cache}");
            }
        }
        // The supplement's value itself.
        assert_eq!(
            lines[0],
            "123456789012345600000001 AF8CB133A78F8DC2D1359F18527593FB"
        );
    }
    // A malformed line fails the whole run, before any key is printed.
    std::fs::write(&file, "123456789012345600000001\n12345678901234560000\n").unwrap();
    let msg = assert_fails(
        &[
            "dukpt",
            "aes",
            "batch",
            "--bdk",
            bdk,
            "--ksns",
            file.to_str().unwrap(),
            "--usage",
            "pin-encryption",
            "--key-type",
            "aes128",
        ],
        &[bdk],
    );
    assert!(msg.contains("line 2"), "{msg}");
    std::fs::remove_dir_all(&dir).ok();
}
