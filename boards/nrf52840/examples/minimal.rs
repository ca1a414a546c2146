//! A firmware to copy for the nRF52840: bind the board, read the tamper pin, use entropy
//! and the counter. Build: `./x build-nrf52840` (or, in `qemu/`,
//! `cargo build -p keyfort-board-nrf52840 --example minimal --target thumbv7em-none-eabihf`).
#![no_std]
#![no_main]

use defmt_rtt as _;
use embedded_hal::digital::InputPin;
use keyfort::platform::MonotonicCounter;
use keyfort_board_nrf52840::{hal, hal::pac, Board};
use rand_core::TryRng;

#[cortex_m_rt::entry]
fn main() -> ! {
    let Some(p) = pac::Peripherals::take() else {
        panic!("peripherals taken twice")
    };
    let mut board = Board::new(p.NVMC, p.RNG);
    // Tamper switch on P0.11, closed = low; pulled up, so an opened case reads high.
    let port0 = hal::gpio::p0::Parts::new(p.P0);
    let mut tamper = port0.p0_11.into_pullup_input().degrade();
    let mut nonce = [0u8; 8];
    let _ = board.entropy.try_fill_bytes(&mut nonce);
    let boots = board.counter.read().unwrap_or(0);
    defmt::println!(
        "boot #{=u32}, tamper asserted: {=bool}",
        boots,
        tamper.is_high().unwrap_or(true)
    );
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    cortex_m::asm::udf()
}
