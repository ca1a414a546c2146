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
        crate::transaction::selftest::TESTS,
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

/// TEST-ONLY: the store's tag, as the root sector's are made (HMAC-SHA256 over `parts`
/// under `key`, truncated to 128 bits), for the on-target data-address check
/// (`./x test ct-data`), which traces [`store_tag_check`] on it and on forged tags.
pub fn store_tag(key: &[u8], parts: &[&[u8]]) -> [u8; crate::store::format::TAG_LEN] {
    use zeroize::Zeroize;
    let mut full = crate::store::seal::hmac(key, parts);
    let mut t = [0u8; crate::store::format::TAG_LEN];
    t.copy_from_slice(&full[..crate::store::format::TAG_LEN]);
    full.zeroize();
    t
}

/// TEST-ONLY: the store's tag check as every record, sector header and root slot is
/// verified: [`store_tag`] recomputed and compared with the store's own constant-time
/// comparison (`store::seal::tag_eq`, `subtle`).
pub fn store_tag_check(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    crate::store::seal::tag_eq(&store_tag(key, parts), tag)
}
