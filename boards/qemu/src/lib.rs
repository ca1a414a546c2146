//! keyfort on QEMU's Cortex-M machines (`microbit`, `mps2-an385`, `mps2-an386`,
//! `mps2-an505`), one machine per thumb target.
//!
//! What each of keyfort's platform seams is bound to here:
//!
//! | seam | type | backed by |
//! |---|---|---|
//! | storage (`NorFlash`) | [`flash::SemihostFlash`] | a host file, with real NOR rules |
//! | entropy (`TryRng + TryCryptoRng`) | [`entropy::HostEntropy`] | the host's `/dev/urandom` |
//! | device secret (`DeviceSecret`) | [`secret::TestDeviceSecret`] | a host file: **TEST ONLY** |
//! | anti-rollback (`MonotonicCounter`) | [`counter::FileCounter`] | a host file: stand-in |
//! | tamper line (`InputPin`) | [`tamper::HostTamperPin`] | a host file the test writes |
//!
//! All host files are opened through Arm semihosting, relative to QEMU's working directory,
//! which the runner (`./x`, see `xtask/src/qemu.rs`) sets to the *device directory*: one
//! directory per simulated device, kept across runs, so a second QEMU run is a power cycle
//! of the same device. See [`Board::take`] for the one line of setup, and
//! `examples/minimal.rs` for a firmware to copy.
//!
//! Semihosting goes through the `semihosting` crate; the only `unsafe` here is the stack
//! high-water mark in [`stack`] and the free-stack wipe in [`ram`] (raw reads and writes
//! of the unused stack), commented.
#![no_std]
#![deny(unsafe_code)]

#[cfg(feature = "logger")]
use defmt_semihosting as _;
// The critical-section implementation defmt-semihosting needs (single core).
use cortex_m as _;

pub mod counter;
pub mod entropy;
pub mod flash;
pub mod machine;
pub mod probe;
#[allow(unsafe_code)]
pub mod ram;
pub mod secret;
#[allow(unsafe_code)]
pub mod stack;
pub mod tamper;

#[cfg(feature = "panic-exit")]
mod panic;

#[cfg(feature = "_selftest")]
pub mod selftest;

pub use machine::{Machine, MACHINE};

/// Exit status of a firmware whose tests failed.
pub const EXIT_FAILED: i32 = 1;
/// Exit status after a panic.
pub const EXIT_PANIC: i32 = 101;

/// Ends the QEMU run with `status` (0 = success). Semihosting's extended exit carries
/// the status to QEMU's own exit status.
pub fn exit(status: i32) -> ! {
    semihosting::process::exit(status)
}

/// The file names inside the device directory. The runner provisions them.
pub mod files {
    use core::ffi::CStr;
    /// The NOR flash image ([`crate::flash::SemihostFlash`]).
    pub const FLASH: &CStr = c"flash.bin";
    /// The test-only device secret, 32 bytes ([`crate::secret::TestDeviceSecret`]).
    pub const DEVICE_SECRET: &CStr = c"device-secret.bin";
    /// The monotonic counter, 4 bytes little-endian ([`crate::counter::FileCounter`]).
    pub const COUNTER: &CStr = c"counter.bin";
    /// The tamper line: first byte `1` means asserted ([`crate::tamper::HostTamperPin`]).
    pub const TAMPER: &CStr = c"tamper";
    /// A scratch flash image for the board's own self-tests (never the store's).
    pub const SCRATCH_FLASH: &CStr = c"scratch-flash.bin";
}

/// Size of the store's flash region: 16 sectors of 4 KiB.
pub const FLASH_SIZE: u32 = 64 * 1024;

/// Everything a keyfort firmware needs from this board.
pub struct Board {
    /// Persistent NOR flash for the key store.
    pub flash: flash::SemihostFlash,
    /// Raw entropy (feed it through keyfort's health tests before use).
    pub entropy: entropy::HostEntropy,
    /// TEST-ONLY stand-in for a hardware unique key.
    pub device_secret: secret::TestDeviceSecret,
    /// Anti-rollback counter stand-in.
    pub counter: counter::FileCounter,
    /// Tamper input, active high.
    pub tamper: tamper::HostTamperPin,
}

/// The sealed key store on this board's peripherals, borrowed from a [`Board`] (which
/// keeps them): the type a helper function names, `fn provision(store: &mut Store<'_>)`.
/// Open it with `keyfort::store::KeyStore::open_or_format((&mut board.flash, /// &board.device_secret, rng, &mut board.counter))`; see the firmware template
/// (`templates/firmware/src/main.rs`).
pub type Store<'a> = keyfort::store::KeyStore<(
    &'a mut flash::SemihostFlash,
    &'a secret::TestDeviceSecret,
    StoreRng<'a>,
    &'a mut counter::FileCounter,
)>;

/// The store's random generator: keyfort's health-tested CSPRNG over the board's raw
/// entropy, `keyfort::rng::Csprng::new(&mut board.entropy, ..)`.
pub type StoreRng<'a> = keyfort::rng::Csprng<&'a mut entropy::HostEntropy>;

/// Why the board could not be set up (a host file is missing or unreadable).
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
#[non_exhaustive]
pub enum BoardError {
    /// The flash image could not be opened or created.
    Flash,
    /// `/dev/urandom` could not be opened.
    Entropy,
    /// The device secret file is missing or shorter than 32 bytes.
    DeviceSecret,
    /// The counter file could not be opened or created.
    Counter,
    /// Another host file could not be opened or read.
    HostFile,
}

impl Board {
    /// Opens every peripheral in the device directory. The runner creates the device
    /// secret; the flash image and the counter are created on first use.
    pub fn take() -> Result<Self, BoardError> {
        Ok(Board {
            flash: flash::SemihostFlash::open(files::FLASH, FLASH_SIZE)
                .map_err(|_| BoardError::Flash)?,
            entropy: entropy::HostEntropy::open().map_err(|_| BoardError::Entropy)?,
            device_secret: secret::TestDeviceSecret::load(files::DEVICE_SECRET)
                .map_err(|_| BoardError::DeviceSecret)?,
            counter: counter::FileCounter::open(files::COUNTER).map_err(|_| BoardError::Counter)?,
            tamper: tamper::HostTamperPin::new(files::TAMPER),
        })
    }
}

/// Reads up to `buf.len()` bytes of the host file `path` (relative to the device
/// directory); returns how many were read.
pub fn read_host_file(path: &core::ffi::CStr, buf: &mut [u8]) -> Result<usize, BoardError> {
    use semihosting::io::Read;
    let mut f = semihosting::fs::File::open(path).map_err(|_| BoardError::HostFile)?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return Err(BoardError::HostFile),
        }
    }
    Ok(n)
}
