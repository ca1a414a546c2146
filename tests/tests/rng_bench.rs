//! Host throughput of the HMAC-DRBG (a measurement, not a test: `#[ignore]`). Run:
//! `cargo test --release -p keyfort-tests --test rng_bench -- --ignored --nocapture`.
#![allow(clippy::unwrap_used)]
use std::time::Instant;

use keyfort::rng::HmacDrbg;

#[test]
#[ignore]
fn bench_generate() {
    let mut d = HmacDrbg::instantiate(&[7u8; 32], &[9u8; 16], b"bench").unwrap();
    for len in [32usize, 4096] {
        let mut out = vec![0u8; len];
        let n = 20_000u32;
        let t = Instant::now();
        for _ in 0..n {
            d.generate(&mut out, b"").unwrap();
        }
        let dt = t.elapsed();
        println!(
            "HMAC-DRBG generate {len} bytes: {:.2} us/request, {:.1} MB/s",
            dt.as_secs_f64() * 1e6 / f64::from(n),
            (len as f64 * f64::from(n)) / dt.as_secs_f64() / 1e6
        );
    }
}
