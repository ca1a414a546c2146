//! Helpers shared by the CLI integration tests: run the `keyfort` binary and check the
//! failure contract (exit status 1, one line on stderr, nothing on stdout, no secret).
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]
use std::process::{Command, Output};

// RFC 3394 section 4.1 and RFC 5649 section 6 (second example), in upper case as keyfort
// prints hex.
/// RFC 3394 4.1: KEK.
pub const KEK_4_1: &str = "000102030405060708090A0B0C0D0E0F";
/// RFC 3394 4.1: key data.
pub const KEY_4_1: &str = "00112233445566778899AABBCCDDEEFF";
/// RFC 3394 4.1: wrapped key.
pub const CT_4_1: &str = "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5";
/// RFC 5649 6: KEK.
pub const KEK_5649: &str = "5840DF6E29B02AF1AB493B705BF16EA1AE8338F4DCC176A8";
/// RFC 5649 6: 7-byte key.
pub const KEY_5649: &str = "466F7250617369";
/// RFC 5649 6: wrapped key.
pub const CT_5649: &str = "AFBEB0F07DFBF5419200F2CCB50BB24F";

/// A TR-31 key block protection key (AES-256) of the tr31 tests.
pub const TR31_KBPK: &str = "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6";
/// The key the tr31 tests wrap.
pub const TR31_KEY: &str = "0123456789ABCDEFFEDCBA9876543210";
/// `keyfort tr31 wrap` of [`TR31_KEY`] under [`TR31_KBPK`] as a B1 (initial DUKPT key)
/// block; `WRAP_B1[6..]` is the header part.
pub const WRAP_B1: [&str; 14] = [
    "tr31",
    "wrap",
    "--kbpk",
    TR31_KBPK,
    "--key",
    TR31_KEY,
    "--usage",
    "B1",
    "--algorithm",
    "A",
    "--mode",
    "X",
    "--exportability",
    "N",
];

/// Runs `keyfort` with `args`.
pub fn keyfort(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keyfort"))
        .args(args)
        .output()
        .expect("run keyfort")
}

/// Runs `keyfort` with `args`: (success, stdout, stderr), output as (lossy) text.
pub fn run(args: &[&str]) -> (bool, String, String) {
    let o = keyfort(args);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Runs `keyfort` with `args`, asserts success and returns stdout.
pub fn ok_stdout(args: &[&str]) -> String {
    let o = keyfort(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Asserts that `keyfort args` fails with exit status 1 (bad input), exactly one line on
/// stderr, nothing on stdout, and no trace of the given secret hex strings in the message
/// (in either case). Returns the message.
pub fn assert_fails(args: &[&str], secrets: &[&str]) -> String {
    assert_fails_with(args, secrets, 1)
}

/// [`assert_fails`] with exit status `code` (3: integrity failure, 4: refused).
pub fn assert_fails_with(args: &[&str], secrets: &[&str], code: i32) -> String {
    let o = keyfort(args);
    assert_eq!(
        o.status.code(),
        Some(code),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.is_empty(), "{args:?}: stdout not empty");
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
    assert!(err.ends_with('\n'));
    for s in secrets {
        assert!(!err.contains(s), "{args:?}: message contains input: {err}");
        assert!(
            !err.to_lowercase().contains(&s.to_lowercase()),
            "{args:?}: message contains input: {err}"
        );
    }
    err
}
