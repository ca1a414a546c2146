//! On-target self-tests: the same tests run on every QEMU board (through the firmware in
//! `qemu/`) and on the host (`cargo test`, through `tests/tests/selftest.rs`).
//!
//! To add one, put a `fn() -> Result<(), &'static str>` into the `TESTS` list of the
//! module's `selftest.rs` (for example `wrap/selftest.rs`). The message is a fixed
//! string: it never carries key bytes.

/// One self-test.
pub struct Test {
    /// Shown in the runner's output, `module::name`.
    pub name: &'static str,
    /// Runs the test.
    pub run: fn() -> Result<(), &'static str>,
}

/// Every self-test of every module.
pub fn all() -> impl Iterator<Item = &'static Test> {
    [
        crate::block::selftest::TESTS,
        crate::wrap::selftest::TESTS,
        crate::dukpt::selftest::TESTS,
        crate::ops::selftest::TESTS,
        crate::tr31::selftest::TESTS,
        crate::rng::selftest::TESTS,
        crate::store::selftest::TESTS,
    ]
    .into_iter()
    .flatten()
}

/// Fails with `msg` unless `cond` holds.
pub fn check(cond: bool, msg: &'static str) -> Result<(), &'static str> {
    if cond {
        Ok(())
    } else {
        Err(msg)
    }
}
