//! Size probe for `./x bench` (`xtask/src/bench_target.rs`): AES DUKPT terminal: resume from a state, next transaction, PIN working key.
//! Inputs come through `black_box`, so nothing is folded away; the section sizes of this
//! ELF minus those of `bench_size_base` are what the feature costs.
#![no_std]
#![no_main]

use core::hint::black_box;
use keyfort_firmware::board;

use keyfort::dukpt::aes::{AesTerminal, KeyUsage, WorkingKeyType};
use keyfort::dukpt::NoPersist;

#[cortex_m_rt::entry]
fn main() -> ! {
    let state = black_box([0u8; 600]);
    let len = black_box(600usize);
    let ok = AesTerminal::from_state(&state[..len]).is_ok_and(|mut t| {
        t.next_transaction(&mut NoPersist).is_ok_and(|tx| {
            tx.working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128)
                .is_ok_and(|k| black_box(k.expose()[0]) == 1)
        })
    });
    defmt::println!("size probe {=bool}", black_box(ok));
    board::exit(0)
}
