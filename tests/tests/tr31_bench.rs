//! Host timing of TR-31 unwrap and wrap (a measurement, not a test: `#[ignore]`, no
//! assertion on time). Run: `cargo test --release -p keyfort-tests --test tr31_bench -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]
use std::time::Instant;

use keyfort::tr31;
use keyfort_tests::{load_json, unhex};

#[test]
#[ignore]
fn bench_unwrap() {
    let j = load_json("tr31/tr31_vectors.json");
    for id in ["openemv_t6_D", "openemv_t3_B", "openemv_t9_E"] {
        let v = j["vectors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["id"] == id)
            .unwrap();
        let kbpk = unhex(v["kbpk"].as_str().unwrap());
        let block = v["key_block"].as_str().unwrap().as_bytes();
        let kbpk = tr31::raw_kbpk(&kbpk, block).unwrap();
        let n = 20_000;
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(tr31::unwrap(&kbpk, std::hint::black_box(block)).unwrap());
        }
        let dt = t.elapsed();
        println!(
            "unwrap {id}: {:.1} us/op ({:.0} ops/s)",
            dt.as_secs_f64() * 1e6 / f64::from(n),
            f64::from(n) / dt.as_secs_f64()
        );
    }
}
