#![no_std]
#![no_main]
use core::hint::black_box;
use keyfort_firmware::board;

#[inline(never)]
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn prof_marker(x: u32) -> u32 {
    black_box(x)
}

#[cortex_m_rt::entry]
fn main() -> ! {
    const B_KBPK: [u8; 16] = [
        0xDD, 0x75, 0x15, 0xF2, 0xBF, 0xC1, 0x7F, 0x85, 0xCE, 0x48, 0xF3, 0xCA, 0x25, 0xCB, 0x21,
        0xF6,
    ];
    const B_BLOCK: &[u8] =
        b"B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E";
    use keyfort::attributes::Algorithm;
    use keyfort::key::{KbpkUnwrap, TypedKey};
    if let Ok(b_kbpk) = TypedKey::<KbpkUnwrap>::raw(&B_KBPK, Algorithm::Tdes2) {
        prof_marker(1);
        let r = keyfort::tr31::unwrap(black_box(&b_kbpk), black_box(B_BLOCK));
        black_box(r.map(|(_, k)| k.expose().len()).ok());
        prof_marker(2);
    }
    defmt::println!("prof done");
    board::exit(0)
}
