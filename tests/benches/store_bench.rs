//! Store benchmark (not a test): operations per second on the host with RAM-backed
//! flash, and flash bytes programmed / sectors erased per operation.
//! Run: `cargo bench -p keyfort-tests --bench store_bench`.
#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::integer_division_remainder_used
)]
#[path = "../tests/store_common/mod.rs"]
mod store_common;

use keyfort::attributes::{Algorithm, Usage};
use keyfort::platform::NoCounter;
use keyfort::store::mock_flash::MockFlash;
use keyfort::store::{KeyHandle, KeyStore};
use std::time::Instant;
use store_common::*;

type Flash = MockFlash<{ 8 * 4096 }, 4096>;
type Store = KeyStore<Flash, Dev, TestRng, NoCounter>;

fn measure(name: &str, n: u32, s: &mut Store, mut op: impl FnMut(&mut Store, u32)) {
    let (b0, e0) = (s.flash().bytes_written(), s.flash().sectors_erased());
    let t = Instant::now();
    for i in 0..n {
        op(s, i);
    }
    let dt = t.elapsed().as_secs_f64();
    let (b, e) = (
        s.flash().bytes_written() - b0,
        s.flash().sectors_erased() - e0,
    );
    println!(
        "{name:<28} {:>10.0} ops/s   {:>7.1} bytes programmed/op   {:>6.3} sectors erased/op",
        f64::from(n) / dt,
        b as f64 / f64::from(n),
        e as f64 / f64::from(n)
    );
}

fn main() {
    let mut s = Store::format(Flash::new(), Dev(DEV_A), TestRng(1), NoCounter).unwrap();
    for id in 0..8u16 {
        s.import(
            id,
            b"bench",
            Algorithm::Aes128,
            Usage::ENCRYPT | Usage::DECRYPT,
            &[id as u8; 16],
            None,
        )
        .unwrap();
    }
    s.import(
        100,
        b"limited",
        Algorithm::Aes128,
        Usage::DECRYPT,
        &[1; 16],
        Some(u32::MAX),
    )
    .unwrap();
    measure("with_key (unlimited)", 20_000, &mut s, |s, i| {
        s.with_key(KeyHandle::newest((i % 8) as u16), Usage::ENCRYPT, |k| k[0])
            .unwrap();
    });
    measure("with_key (use-counted)", 5_000, &mut s, |s, _| {
        s.with_key(KeyHandle::newest(100), Usage::DECRYPT, |k| k[0])
            .unwrap();
    });
    measure("put_state (256 bytes)", 5_000, &mut s, |s, i| {
        s.put_state(1, &[i as u8; 256]).unwrap();
    });
    measure("rotate + destroy old", 1_000, &mut s, |s, _| {
        let h = s.rotate(3).unwrap();
        s.destroy(3, Some(h.version.unwrap() - 1)).unwrap();
    });
    measure("generate + destroy", 1_000, &mut s, |s, _| {
        s.generate(50, b"tmp", Algorithm::Aes256, Usage::ENCRYPT, None)
            .unwrap();
        s.destroy(50, None).unwrap();
    });
    let mut f = Some(s.into_flash());
    let mut i = 0;
    let t = Instant::now();
    while i < 2_000 {
        let st = Store::open(f.take().unwrap(), Dev(DEV_A), TestRng(i), NoCounter).unwrap();
        f = Some(st.into_flash());
        i += 1;
    }
    println!(
        "{:<28} {:>10.0} ops/s",
        "open (full MAC scan)",
        f64::from(2_000u32) / t.elapsed().as_secs_f64()
    );
    let mut s = Store::open(f.take().unwrap(), Dev(DEV_A), TestRng(9), NoCounter).unwrap();
    measure("tamper_wipe (8 sectors)", 200, &mut s, |s, _| {
        s.tamper_wipe().unwrap()
    });
}
