//! keyfort's QEMU firmware: the on-target test runner (`selftest`) and the demo (`demo`).
//! Both run on every QEMU machine through `keyfort-board-qemu`; `./x test` and `./x demo`
//! build and run them.
#![no_std]
#![deny(unsafe_code)]

pub use keyfort_board_qemu as board;

pub mod board_selftest;
pub mod cut_flash;

/// The store of the memory-scan and tamper firmware: the board's flash behind the
/// probe that parks or cuts it where the host asks, the test device secret, the DRBG
/// over the host entropy file, the file counter.
pub type ProbedStore = keyfort::store::KeyStore<(
    board::probe::ProbedFlash<board::flash::SemihostFlash>,
    board::secret::TestDeviceSecret,
    keyfort::rng::Csprng<board::entropy::HostEntropy>,
    board::counter::FileCounter,
)>;
