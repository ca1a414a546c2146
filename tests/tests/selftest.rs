//! Runs every on-target self-test on the host too.
#[test]
fn all_selftests_pass_on_host() {
    let mut failed = Vec::new();
    let mut n = 0;
    for t in keyfort::selftest::all() {
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
}
