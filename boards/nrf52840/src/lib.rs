//! keyfort on the nRF52840 (Nordic; Cortex-M4F, 1 MiB flash), through the maintained
//! `nrf52840-hal`. Builds for `thumbv7em-none-eabihf`; see README.md for what was and was
//! not tested (it has not run on hardware).
//!
//! | seam | type | backed by |
//! |---|---|---|
//! | storage (`NorFlash`) | [`Flash`] = `nrf52840_hal::nvmc::Nvmc` | the last 64 KiB of flash (see `memory.x`) |
//! | entropy (`TryRng + TryCryptoRng`) | [`HwEntropy`] | the RNG peripheral, bias correction on |
//! | device secret | [`secret::FlashDeviceSecret`] | **TEST-ONLY**: a page of plain flash |
//! | anti-rollback | [`counter::UicrCounter`] | UICR CUSTOMER words as a one-way counter of 64 steps (nWRITE) |
//! | tamper line (`InputPin`) | any `nrf52840_hal::gpio::Pin<Input<_>>` | a GPIO |
#![no_std]

pub use nrf52840_hal as hal;

pub mod counter;
pub mod secret;

use hal::pac;
use keyfort::rng::RandCore09;

/// Start of keyfort's key-store region (kept out of the program by `memory.x`).
pub const STORE_ADDR: usize = 0xF_0000;
/// Size of the key-store region: 15 pages of 4 KiB.
pub const STORE_SIZE: usize = 60 * 1024;
/// The page holding the TEST-ONLY device secret stand-in.
pub const SECRET_ADDR: usize = 0xF_F000;

/// The key store's flash: the HAL's NVMC driver (word writes, 4 KiB page erase), which
/// implements `embedded_storage`'s `NorFlash` and `MultiwriteNorFlash`.
pub type Flash = hal::nvmc::Nvmc<pac::NVMC>;

/// Everything a keyfort firmware needs from this chip.
pub struct Board {
    /// The key store's flash region.
    pub flash: Flash,
    /// Raw entropy (feed it through keyfort's health tests before use).
    pub entropy: HwEntropy,
    /// TEST-ONLY device secret stand-in.
    pub device_secret: secret::FlashDeviceSecret,
    /// Anti-rollback counter in UICR.
    pub counter: counter::UicrCounter,
}

impl Board {
    /// Binds the peripherals. Call once at start-up: the key store region is handed out as
    /// a `&'static mut` slice, and a second call would alias it.
    pub fn new(nvmc: pac::NVMC, rng: pac::RNG) -> Self {
        // SAFETY: `memory.x` keeps STORE_ADDR..STORE_ADDR+STORE_SIZE out of the program, so
        // nothing else refers to it; `Board::new` takes the NVMC peripheral by value, which
        // exists once (svd2rust's `take()`), so this slice is created once.
        let store: &'static mut [u8] =
            unsafe { core::slice::from_raw_parts_mut(STORE_ADDR as *mut u8, STORE_SIZE) };
        Board {
            flash: hal::nvmc::Nvmc::new(nvmc, store),
            entropy: RandCore09::new(hal::rng::Rng::new(rng)),
            device_secret: secret::FlashDeviceSecret::new(),
            counter: counter::UicrCounter::new(),
        }
    }
}

/// The RNG peripheral (with the HAL's bias correction), as raw entropy: the HAL's
/// `rand_core` 0.9 driver through keyfort's one adapter (`keyfort::rng::RandCore09`,
/// feature `rand_core_0_9`), so this crate writes none of its own. It cannot fail, so its
/// error type is `Infallible`.
pub type HwEntropy = RandCore09<hal::rng::Rng>;
