//! Faults, all taken Secure (`AIRCR.BFHFNMINS` = 0): reported and the run ended. A fault
//! the Non-secure world caused stacks its frame on the Non-secure stack; the report names
//! the stacked PC from there (QEMU does not set SFAR: `SFSR.SFARVALID` stays 0).
use core::ptr::read_volatile;

const SFSR: u32 = 0xE000_EDE4;
const CFSR: u32 = 0xE000_ED28;
const HFSR: u32 = 0xE000_ED2C;
const BFAR: u32 = 0xE000_ED38;
/// Exit status of a run that ended in a fault.
pub const EXIT_FAULT: i32 = 4;

fn reg(addr: u32) -> u32 {
    // SAFETY: a fault status register of the system control space, read as a word.
    unsafe { read_volatile(addr as *const u32) }
}

/// Prints what faulted and ends the run with [`EXIT_FAULT`].
pub fn report(kind: &str) -> ! {
    let msp_ns: u32;
    // SAFETY: reads the Non-secure main stack pointer (a register; no memory access).
    unsafe { core::arch::asm!("mrs {}, msp_ns", out(reg) msp_ns, options(nomem, nostack)) };
    // The stacked PC of the Non-secure frame, if MSP_NS points into Non-secure RAM.
    let pc = if crate::entry::ns::check(msp_ns, 32, false).is_ok() {
        // SAFETY: the 32-byte frame lies in Non-secure-readable RAM (checked above).
        unsafe { read_volatile((msp_ns + 24) as *const u32) }
    } else {
        0
    };
    defmt::println!(
        "fault: {=str} SFSR={=u32:#x} CFSR={=u32:#x} HFSR={=u32:#x} BFAR={=u32:#x} NS-stacked-PC={=u32:#x}",
        kind,
        reg(SFSR),
        reg(CFSR),
        reg(HFSR),
        reg(BFAR),
        pc
    );
    keyfort_board_qemu::exit(EXIT_FAULT)
}

#[cortex_m_rt::exception]
fn SecureFault() {
    report("SecureFault")
}

#[cortex_m_rt::exception]
fn BusFault() {
    report("BusFault")
}

#[cortex_m_rt::exception]
fn UsageFault() {
    report("UsageFault")
}

#[cortex_m_rt::exception]
fn MemoryManagement() {
    report("MemManage")
}

#[cortex_m_rt::exception]
unsafe fn HardFault(_: &cortex_m_rt::ExceptionFrame) -> ! {
    report("HardFault")
}

/// A panic in the Secure image (the panic handler is keyfort-capi's, which calls this):
/// no message (it could carry data), the run ends with the board's panic status.
#[no_mangle]
extern "C" fn keyfort_capi_on_panic() -> ! {
    defmt::println!("secure: PANIC (no details: a message could carry data)");
    keyfort_board_qemu::exit(keyfort_board_qemu::EXIT_PANIC)
}
