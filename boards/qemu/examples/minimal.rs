//! A firmware to copy: take the board, use its seams, exit.
//!
//! Run it with `./x run <machine> --example minimal` (for example `./x run mps2-an385
//! --example minimal`); `./x` picks the target, builds, starts QEMU in a device directory
//! and decodes the defmt log.
#![no_std]
#![no_main]

use embedded_hal::digital::InputPin;
use embedded_storage::nor_flash::ReadNorFlash;
use keyfort::platform::MonotonicCounter;
use keyfort_board_qemu::{exit, Board, MACHINE};
use rand_core::TryRng;

#[cortex_m_rt::entry]
fn main() -> ! {
    defmt::println!("hello from {=str} ({=str})", MACHINE.name, MACHINE.core);
    let Ok(mut board) = Board::take() else {
        defmt::println!("board setup failed: is the device directory provisioned?");
        exit(1)
    };
    let mut nonce = [0u8; 8];
    let entropy_ok = board.entropy.try_fill_bytes(&mut nonce).is_ok();
    let tampered = board.tamper.is_high().unwrap_or(true);
    let boots = board.counter.increment().unwrap_or(0);
    defmt::println!(
        "flash: {=usize} bytes; entropy ok: {=bool}; tamper asserted: {=bool}; boot #{=u32}",
        board.flash.capacity(),
        entropy_ok,
        tampered,
        boots
    );
    exit(0)
}
