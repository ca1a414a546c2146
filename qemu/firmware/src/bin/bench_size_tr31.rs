//! Size probe for `./x bench` (`xtask/src/bench_target.rs`): TR-31 key block unwrap (versions B and D).
//! Inputs come through `black_box`, so nothing is folded away; the section sizes of this
//! ELF minus those of `bench_size_base` are what the feature costs.
#![no_std]
#![no_main]

use core::hint::black_box;
use keyfort_firmware::board;

#[cortex_m_rt::entry]
fn main() -> ! {
    let kbpk = black_box([0x11u8; 32]);
    let len = black_box(32usize);
    let block = black_box([b'0'; 112]);
    let ok = keyfort::tr31::raw_kbpk(&kbpk[..len], &block)
        .and_then(|k| keyfort::tr31::unwrap(&k, &block))
        .is_ok_and(|(_, k)| black_box(k.expose().len()) == 16);
    defmt::println!("size probe {=bool}", black_box(ok));
    board::exit(0)
}
