//! The Secure boot: gives the Non-secure world exactly its memory, then starts it.
//!
//! The split (`boards/qemu/memory/mps2-an505.x` for the Secure image,
//! `secure/app/memory.x` for the Non-secure one):
//!
//! | memory | Secure alias | Non-secure alias | owner |
//! |---|---|---|---|
//! | SSRAM1 0-2 MiB | `0x1000_0000` | - | Secure code, constants |
//! | SSRAM1 2 MiB + 4 KiB | `0x1020_0000` | - | NSC: the entry veneers |
//! | SSRAM1 3-4 MiB | - | `0x0030_0000` | Non-secure code |
//! | SSRAM2 (2 MiB) | `0x3800_0000` | - | Secure RAM: the store, the terminal, the stack |
//! | SSRAM3 (2 MiB) | - | `0x2820_0000` | Non-secure RAM |
//! | peripherals, MPC/PPC, system control | `0x5xxx_xxxx` | - | Secure |
//!
//! Two gates say so and both must agree: the SAU (what the core attributes to each
//! address: three regions, NS code, NS data, NSC; everything else Secure) and the memory
//! protection controllers in front of the RAMs (which block of each RAM answers a
//! Non-secure transaction; they reset to all-Secure and only the Non-secure blocks are
//! opened). Peripherals stay behind their PPCs' reset state (Secure only).
use core::ptr::{read_volatile, write_volatile};

/// Where the Non-secure image starts (its vector table).
pub const NS_CODE: u32 = 0x0030_0000;
const NS_CODE_LEN: u32 = 1 << 20;
/// The Non-secure RAM.
pub const NS_RAM: u32 = 0x2820_0000;
const NS_RAM_LEN: u32 = 2 << 20;
/// The NSC region (the veneers).
pub const NSC: u32 = 0x1020_0000;
const NSC_LEN: u32 = 4096;

/// MPC in front of SSRAM1 (registers, Secure alias) and of SSRAM3.
const MPC_SSRAM1: u32 = 0x5800_7000;
const MPC_SSRAM3: u32 = 0x5800_9000;
const MPC_BLK_CFG: u32 = 0x14;
const MPC_BLK_IDX: u32 = 0x18;
const MPC_BLK_LUT: u32 = 0x1C;
/// Security control: `NSCCFG.CODENSC` lets the SAU's NSC region over code be NSC (the
/// IDAU marks it so); without it `SG` there faults with INVEP.
const NSCCFG: u32 = 0x5008_0014;

const SAU_CTRL: u32 = 0xE000_EDD0;
const SAU_RNR: u32 = 0xE000_EDD8;
const SAU_RBAR: u32 = 0xE000_EDDC;
const SAU_RLAR: u32 = 0xE000_EDE0;
const SHCSR: u32 = 0xE000_ED24;
const NSACR: u32 = 0xE000_ED8C;
/// The Non-secure alias of CPACR and VTOR (system control space, NS view).
const CPACR_NS: u32 = 0xE002_ED88;
const VTOR_NS: u32 = 0xE002_ED08;

fn write(addr: u32, v: u32) {
    // SAFETY: `addr` is one of the system-control, security-control or MPC registers
    // named above (Secure aliases, always mapped on mps2-an505); a 32-bit store is how
    // they are written. Nothing else runs yet.
    unsafe { write_volatile(addr as *mut u32, v) }
}

fn read(addr: u32) -> u32 {
    // SAFETY: as in `write`: a register (or the Non-secure vector table, loaded by QEMU
    // before reset) read as a 32-bit word.
    unsafe { read_volatile(addr as *const u32) }
}

/// Opens the blocks of `[offset, offset + len)` of the RAM behind `mpc` to Non-secure
/// transactions (the range is a whole number of 32-block LUT words).
fn mpc_open(mpc: u32, offset: u32, len: u32) {
    let block = 1u32 << (read(mpc + MPC_BLK_CFG) + 5);
    let per_word = block * 32;
    write(mpc + MPC_BLK_IDX, offset / per_word);
    // CTRL.AUTOINC (the reset value) moves BLK_IDX on after every LUT access.
    for _ in 0..len / per_word {
        write(mpc + MPC_BLK_LUT, 0xFFFF_FFFF);
    }
}

fn sau_region(n: u32, base: u32, len: u32, nsc: bool) {
    write(SAU_RNR, n);
    write(SAU_RBAR, base & !0x1F);
    write(
        SAU_RLAR,
        ((base + len - 1) & !0x1F) | (u32::from(nsc) << 1) | 1,
    );
}

/// Configures the SAU, the MPCs and the fault handlers, then jumps to the Non-secure
/// image's reset handler with `BXNS` (never returns: the Non-secure world calls back
/// through the entries).
pub fn start_nonsecure() -> ! {
    mpc_open(MPC_SSRAM1, 3 << 20, NS_CODE_LEN);
    mpc_open(MPC_SSRAM3, 0, NS_RAM_LEN);
    write(NSCCFG, 1);
    sau_region(0, NS_CODE, NS_CODE_LEN, false);
    sau_region(1, NS_RAM, NS_RAM_LEN, false);
    sau_region(2, NSC, NSC_LEN, true);
    write(SAU_CTRL, 1);
    // MemManage, BusFault, UsageFault and SecureFault enabled (each reported as itself;
    // all taken Secure, AIRCR.BFHFNMINS stays 0).
    write(SHCSR, read(SHCSR) | 0xF << 16);
    // The Non-secure world may use the FPU (CP10, CP11).
    write(NSACR, read(NSACR) | 0b11 << 10);
    write(CPACR_NS, read(CPACR_NS) | 0xF << 20);
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    write(VTOR_NS, NS_CODE);
    let msp = read(NS_CODE);
    let reset = read(NS_CODE + 4) & !1;
    // SAFETY: MSP_NS and the target come from the Non-secure vector table; `bxns` to an
    // address with bit 0 clear switches to the Non-secure state. No Secure value is in a
    // register the Non-secure world can see except these two public words (the store is
    // not open yet: no key has been in any register).
    unsafe {
        core::arch::asm!(
            "msr msp_ns, r4",
            "mov r0, #0",
            "mov r1, #0",
            "mov r2, #0",
            "mov r3, #0",
            "bxns r5",
            in("r4") msp,
            in("r5") reset,
            options(noreturn)
        )
    }
}
