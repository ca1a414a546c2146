//! Which QEMU machine this build is for (fixed by the target triple in `build.rs`).

/// A QEMU machine keyfort runs on.
#[derive(Clone, Copy, Debug, defmt::Format)]
pub struct Machine {
    /// QEMU's `-machine` name.
    pub name: &'static str,
    /// The core it emulates.
    pub core: &'static str,
}

/// The machine of this build.
#[cfg(kf_machine = "microbit")]
pub const MACHINE: Machine = Machine {
    name: "microbit",
    core: "Cortex-M0",
};
/// The machine of this build.
#[cfg(kf_machine = "mps2-an385")]
pub const MACHINE: Machine = Machine {
    name: "mps2-an385",
    core: "Cortex-M3",
};
/// The machine of this build.
#[cfg(kf_machine = "mps2-an386")]
pub const MACHINE: Machine = Machine {
    name: "mps2-an386",
    core: "Cortex-M4F",
};
/// The machine of this build.
#[cfg(kf_machine = "mps2-an505")]
pub const MACHINE: Machine = Machine {
    name: "mps2-an505",
    core: "Cortex-M33",
};
/// The machine of this build (a host build, for clippy and docs only).
#[cfg(not(any(
    kf_machine = "microbit",
    kf_machine = "mps2-an385",
    kf_machine = "mps2-an386",
    kf_machine = "mps2-an505"
)))]
pub const MACHINE: Machine = Machine {
    name: "host",
    core: "none",
};
