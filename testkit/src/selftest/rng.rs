//! On-target self-tests of `rng` (see [`super`]).
use super::{check, Test};
use keyfort::rng::{HealthTest, HealthTests, HmacDrbg, MinEntropy};

/// The tests of this module.
pub const TESTS: &[Test] = &[
    Test {
        name: "rng::hmac_drbg_cavp",
        run: hmac_drbg_cavp,
    },
    Test {
        name: "rng::health_stuck_source",
        run: health_stuck_source,
    },
];

/// NIST CAVP HMAC_DRBG.rsp, [SHA-256] no reseed, no personalisation, COUNT = 0:
/// instantiate, generate 1024 bits twice; the second output's first and last 16 bytes.
fn hmac_drbg_cavp() -> Result<(), &'static str> {
    const ENTROPY: [u8; 32] = [
        0xca, 0x85, 0x19, 0x11, 0x34, 0x93, 0x84, 0xbf, 0xfe, 0x89, 0xde, 0x1c, 0xbd, 0xc4, 0x6e,
        0x68, 0x31, 0xe4, 0x4d, 0x34, 0xa4, 0xfb, 0x93, 0x5e, 0xe2, 0x85, 0xdd, 0x14, 0xb7, 0x1a,
        0x74, 0x88,
    ];
    const NONCE: [u8; 16] = [
        0x65, 0x9b, 0xa9, 0x6c, 0x60, 0x1d, 0xc6, 0x9f, 0xc9, 0x02, 0x94, 0x08, 0x05, 0xec, 0x0c,
        0xa8,
    ];
    const HEAD: [u8; 16] = [
        0xe5, 0x28, 0xe9, 0xab, 0xf2, 0xde, 0xce, 0x54, 0xd4, 0x7c, 0x7e, 0x75, 0xe5, 0xfe, 0x30,
        0x21,
    ];
    const TAIL: [u8; 16] = [
        0x1f, 0x50, 0xd4, 0x76, 0xaa, 0x04, 0x58, 0xbd, 0xab, 0xa8, 0x06, 0xf4, 0x8b, 0xe9, 0xdc,
        0xb8,
    ];
    let mut d = HmacDrbg::instantiate(&ENTROPY, &NONCE, &[]).map_err(|_| "instantiate")?;
    let mut out = [0u8; 128];
    d.generate(&mut out, &[]).map_err(|_| "generate 1")?;
    d.generate(&mut out, &[]).map_err(|_| "generate 2")?;
    check(out.get(..16) == Some(&HEAD[..]), "output head")?;
    check(out.get(112..) == Some(&TAIL[..]), "output tail")
}

/// A stuck source trips the repetition count test at its cut-off, and stays failed.
fn health_stuck_source() -> Result<(), &'static str> {
    let mut t = HealthTests::new(MinEntropy::Bits1);
    let c = MinEntropy::Bits1.rct_cutoff();
    for _ in 1..c {
        check(t.feed(0x55).is_ok(), "tripped early")?;
    }
    check(
        t.feed(0x55) == Err(HealthTest::RepetitionCount),
        "not tripped",
    )?;
    check(t.feed(0x11).is_err(), "not sticky")
}
