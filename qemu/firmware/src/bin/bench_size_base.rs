//! Size probe for `./x bench` (`xtask/src/bench_target.rs`): the baseline: board, defmt logger, exit; no keyfort call.
//! Inputs come through `black_box`, so nothing is folded away; the section sizes of this
//! ELF minus those of `bench_size_base` are what the feature costs.
#![no_std]
#![no_main]

use core::hint::black_box;
use keyfort_firmware::board;

#[cortex_m_rt::entry]
fn main() -> ! {
    defmt::println!("size probe {=u32}", black_box(0u32));
    board::exit(0)
}
