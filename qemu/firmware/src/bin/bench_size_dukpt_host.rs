//! Size probe for `./x bench` (`xtask/src/bench_target.rs`): AES DUKPT host: BDK and KSN to a working key.
//! Inputs come through `black_box`, so nothing is folded away; the section sizes of this
//! ELF minus those of `bench_size_base` are what the feature costs.
#![no_std]
#![no_main]

use core::hint::black_box;
use keyfort_firmware::board;

use keyfort::dukpt::aes::{AesBdk, AesKsn, KeyUsage, WorkingKeyType};

#[cortex_m_rt::entry]
fn main() -> ! {
    let bdk = black_box([0x11u8; 32]);
    let len = black_box(16usize);
    let ksn = AesKsn::new(&black_box([0x12; 8]), black_box(7));
    let ok = keyfort::key::TypedKey::raw_aes(&bdk[..len])
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k))
        .is_ok_and(|b| {
            b.working_key(&ksn, KeyUsage::PinEncryption, WorkingKeyType::Aes128)
                .is_ok_and(|k| black_box(k.expose()[0]) == 1)
        });
    defmt::println!("size probe {=bool}", black_box(ok));
    board::exit(0)
}
