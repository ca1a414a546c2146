//! Size probe for `./x bench` (`xtask/src/bench_target.rs`): the peer, RustCrypto aes-kw 0.3: KW and KWP wrap and unwrap with AES-128, -192 and -256 (keyfort's `Kek` takes all three).
//! Inputs come through `black_box`, so nothing is folded away; the section sizes of this
//! ELF minus those of `bench_size_base` are what the feature costs.
#![no_std]
#![no_main]

use core::hint::black_box;
use keyfort_firmware::board;

use aes_kw::{KeyInit, KwAes128, KwAes192, KwAes256, KwpAes128, KwpAes192, KwpAes256};

macro_rules! roundtrip {
    ($kw:ty, $kwp:ty, $k:expr, $w:expr, $out:expr) => {{
        let a = <$kw>::new_from_slice($k).is_ok_and(|c| {
            c.wrap_key(black_box(&[0x22; 32]), $w).is_ok()
                && c.unwrap_key(black_box(&$w[..]), $out).is_ok()
        });
        let b = <$kwp>::new_from_slice($k).is_ok_and(|c| {
            c.wrap_key(black_box(&[0x22; 20]), $w).is_ok()
                && c.unwrap_key(black_box(&$w[..32]), $out).is_ok()
        });
        a && b
    }};
}

#[cortex_m_rt::entry]
fn main() -> ! {
    let k = black_box([0x11u8; 32]);
    let klen = black_box(32usize);
    let mut w = [0u8; 40];
    let mut out = [0u8; 40];
    let ok = match klen {
        16 => roundtrip!(KwAes128, KwpAes128, &k[..16], &mut w, &mut out),
        24 => roundtrip!(KwAes192, KwpAes192, &k[..24], &mut w, &mut out),
        _ => roundtrip!(KwAes256, KwpAes256, &k[..], &mut w, &mut out),
    };
    defmt::println!("size probe {=bool}", black_box(ok));
    board::exit(0)
}
