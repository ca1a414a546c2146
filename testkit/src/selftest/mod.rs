//! On-target self-tests: the same tests run on every QEMU board (through the firmware in
//! `qemu/`) and on the host (`cargo test`, through `tests/tests/selftest.rs`). They use
//! keyfort's public API only; tests that need keyfort's internals are unit tests in core.
//!
//! To add one, put a `fn() -> Result<(), &'static str>` into the `TESTS` list of the
//! module (for example `selftest/wrap.rs`). The message is a fixed string: it never
//! carries key bytes. Buffers stay small: the Cortex-M0 board has little stack.
pub mod aes;
pub mod block;
pub mod dukpt;
pub mod ops;
pub mod rng;
pub mod store;
pub mod tr31;
pub mod wrap;

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
        block::TESTS,
        wrap::TESTS,
        dukpt::TESTS,
        ops::TESTS,
        tr31::TESTS,
        rng::TESTS,
        store::TESTS,
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
