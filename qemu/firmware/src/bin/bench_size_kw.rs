//! Size probe for `./x bench` (`xtask/src/bench_target.rs`): AES-KW wrap and unwrap, KEK of any size.
//! Inputs come through `black_box`, so nothing is folded away; the section sizes of this
//! ELF minus those of `bench_size_base` are what the feature costs.
#![no_std]
#![no_main]

use core::hint::black_box;
use keyfort_firmware::board;

use keyfort::wrap::{kw_unwrap, kw_wrap, Kek};

#[cortex_m_rt::entry]
fn main() -> ! {
    let k = black_box([0x11u8; 32]);
    let klen = black_box(32usize);
    let mut w = [0u8; 40];
    let mut out = [0u8; 32];
    let ok = keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&k[..klen])
        .map_err(keyfort::wrap::WrapError::from)
        .and_then(|k| Kek::new(&k))
        .is_ok_and(|kek| {
            kw_wrap(&kek, black_box(&[0x22; 32]), &mut w).is_ok()
                && kw_unwrap(&kek, black_box(&w), &mut out).is_ok()
        });
    defmt::println!("size probe {=bool}", black_box(ok));
    board::exit(0)
}
