//! Helpers shared by the CLI integration tests: run the `keyfort` binary and check the
//! failure contract (exit status 1, one line on stderr, nothing on stdout, no secret).
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]
use std::process::{Command, Output};

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

/// Asserts that `keyfort args` fails with exit status 1, exactly one line on stderr,
/// nothing on stdout, and no trace of the given secret hex strings in the message (in
/// either case). Returns the message.
pub fn assert_fails(args: &[&str], secrets: &[&str]) -> String {
    let o = keyfort(args);
    assert_eq!(o.status.code(), Some(1), "{args:?}");
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
