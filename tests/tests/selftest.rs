//! Runs every on-target self-test (`keyfort_testkit::selftest`) on the host too.
use keyfort_testkit::selftest::{all, check};

/// As many self-tests as the firmware runs on each board (before the board's own).
const SELFTESTS: usize = 26;

#[test]
fn all_selftests_pass_on_host() {
    let mut failed = Vec::new();
    let mut n = 0;
    for t in all() {
        n += 1;
        if let Err(msg) = (t.run)() {
            failed.push(format!("{}: {msg}", t.name));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {n} self-tests failed: {failed:#?}",
        failed.len()
    );
    // None was dropped on the way (a list left out of `all()` would pass silently).
    assert_eq!(n, SELFTESTS);
}

#[test]
fn check_reports_its_message() {
    // The harness's negative control: a false condition fails with the given message.
    assert_eq!(check(false, "caught"), Err("caught"));
    assert_eq!(check(true, "caught"), Ok(()));
}
