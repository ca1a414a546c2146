//! The QEMU machines keyfort runs on: one per thumb target.

/// A QEMU machine and the target triple built for it.
#[derive(Debug)]
pub struct Board {
    /// QEMU's `-machine` name.
    pub machine: &'static str,
    /// The core, for people.
    pub core: &'static str,
    /// Rust target triple.
    pub target: &'static str,
}

/// Every QEMU board, smallest core first.
pub const BOARDS: &[Board] = &[
    Board {
        machine: "microbit",
        core: "Cortex-M0",
        target: "thumbv6m-none-eabi",
    },
    Board {
        machine: "mps2-an385",
        core: "Cortex-M3",
        target: "thumbv7m-none-eabi",
    },
    Board {
        machine: "mps2-an386",
        core: "Cortex-M4F",
        target: "thumbv7em-none-eabihf",
    },
    Board {
        machine: "mps2-an505",
        core: "Cortex-M33",
        target: "thumbv8m.main-none-eabihf",
    },
];

/// The real chip's target (built, not run): `boards/nrf52840`.
pub const NRF52840_TARGET: &str = "thumbv7em-none-eabihf";

/// Every thumb target to install.
pub fn targets() -> Vec<&'static str> {
    BOARDS.iter().map(|b| b.target).collect()
}

/// The board named `name` (QEMU machine name).
pub fn find(name: &str) -> Option<&'static Board> {
    BOARDS.iter().find(|b| b.machine == name)
}
