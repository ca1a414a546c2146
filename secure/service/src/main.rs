//! keyfort as a TrustZone-M Secure key service on mps2-an505 (Cortex-M33): the Secure
//! image. It owns the store (on the board's flash, reached only from here), the DUKPT
//! terminal and every key; the Non-secure application (`secure/app`) calls it through
//! the entries of [`api`], made by one macro ([`entry`]), and holds key ids and
//! ciphertexts only.
//!
//! Run it with its Non-secure application: `./x demo mps2-an505`, `./x test tz`.
//!
//! - [`boot`]: SAU and MPC setup, then `BXNS` to the Non-secure image;
//! - [`entry`]: the entry macro (the Armv8-M rules it follows) and the `TT` checks;
//! - [`api`]: the Secure API, one entry per operation of `keyfort_capi::service`;
//! - [`fault`]: every fault reported (what, where) and the run ended;
//! - [`bench`](mod@bench): `./x tz-bench`'s in-process measurements (only when the host asks).
#![no_std]
#![no_main]

#[allow(unsafe_code)] // the Non-secure-callable entries (nsc_entry!: SG/BXNS stubs in global_asm!)
pub mod api;
pub mod bench;
#[allow(unsafe_code)]
// TrustZone hardware: SAU/MPC registers, TT, SG/BXNS entries, fault handlers (each block says why it is sound)
pub mod boot;
#[allow(unsafe_code)]
// TrustZone hardware: SAU/MPC registers, TT, SG/BXNS entries, fault handlers (each block says why it is sound)
pub mod entry;
#[allow(unsafe_code)]
// TrustZone hardware: SAU/MPC registers, TT, SG/BXNS entries, fault handlers (each block says why it is sound)
pub mod fault;

#[cortex_m_rt::entry]
fn main() -> ! {
    defmt::println!(
        "secure: keyfort service on {=str}; starting the Non-secure image at {=u32:#x}",
        keyfort_board_qemu::MACHINE.name,
        boot::NS_CODE
    );
    bench::in_process_if_asked();
    boot::start_nonsecure()
}
