//! The `keyfort kw` / `keyfort kwp` commands, run as a process: RFC 3394 / RFC 5649
//! examples in and out (upper-case hex), and the failure contract (one line on stderr,
//! nothing on stdout, exit status 3 for a failed integrity check, 1 for bad input).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
use common::{
    assert_fails, assert_fails_with, ok_stdout, CT_4_1, CT_5649, KEK_4_1, KEK_5649, KEY_4_1,
    KEY_5649,
};

#[test]
fn kw_rfc3394_4_1() {
    assert_eq!(
        ok_stdout(&["kw", "wrap", "--kek", KEK_4_1, "--key", KEY_4_1]),
        format!("{CT_4_1}\n")
    );
    assert_eq!(
        ok_stdout(&["kw", "unwrap", "--kek", KEK_4_1, "--wrapped", CT_4_1]),
        format!("{KEY_4_1}\n")
    );
    // Lower-case hex is accepted too.
    assert_eq!(
        ok_stdout(&[
            "kw",
            "unwrap",
            "--kek",
            &KEK_4_1.to_lowercase(),
            "--wrapped",
            &CT_4_1.to_lowercase()
        ]),
        format!("{KEY_4_1}\n")
    );
}

#[test]
fn kwp_rfc5649_7_octets() {
    assert_eq!(
        ok_stdout(&["kwp", "wrap", "--kek", KEK_5649, "--key", KEY_5649]),
        format!("{CT_5649}\n")
    );
    assert_eq!(
        ok_stdout(&["kwp", "unwrap", "--kek", KEK_5649, "--wrapped", CT_5649]),
        format!("{KEY_5649}\n")
    );
}

#[test]
fn failed_unwrap_is_one_line_exit_3() {
    let mut bad = CT_4_1.to_string();
    bad.replace_range(0..2, "1E");
    let e = assert_fails_with(
        &["kw", "unwrap", "--kek", KEK_4_1, "--wrapped", &bad],
        &[KEK_4_1, KEY_4_1, &bad],
        3,
    );
    assert!(e.contains("integrity"), "{e}");
    let e2 = assert_fails_with(
        &[
            "kwp",
            "unwrap",
            "--kek",
            KEK_5649,
            "--wrapped",
            "aebeb0f07dfbf5419200f2ccb50bb24f",
        ],
        &[KEK_5649, KEY_5649],
        3,
    );
    // The message does not depend on which check failed or on the input.
    assert_eq!(e.replace("kw ", "kwp "), e2);
    // Wrong KEK.
    assert_fails_with(
        &["kw", "unwrap", "--kek", KEK_5649, "--wrapped", CT_4_1],
        &[KEK_5649],
        3,
    );
}

#[test]
fn bad_arguments_fail_cleanly() {
    // Bad hex, bad KEK length, bad key length, bad wrapped length.
    assert_fails(&["kw", "wrap", "--kek", "zz", "--key", KEY_4_1], &[KEY_4_1]);
    assert_fails(
        &["kw", "wrap", "--kek", "0011", "--key", KEY_4_1],
        &[KEY_4_1],
    );
    assert_fails(
        &["kw", "wrap", "--kek", KEK_4_1, "--key", "0011223344556677"],
        &[],
    );
    assert_fails(&["kwp", "wrap", "--kek", KEK_4_1, "--key", ""], &[]);
    assert_fails(
        &[
            "kw",
            "unwrap",
            "--kek",
            KEK_4_1,
            "--wrapped",
            "a6a6a6a6a6a6a6a6",
        ],
        &[],
    );
    assert_fails(&["kwp", "unwrap", "--kek", KEK_4_1, "--wrapped", "00"], &[]);
}
