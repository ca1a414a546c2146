//! `./x tz-bench`, Secure side: when the device file `tz-mode` says `bench`, the same
//! service operations the Non-secure bench calls through the boundary are first timed
//! here, in-process (the Secure SysTick under `-icount`, calibrated in the same run):
//! defmt lines `bench-calib <n1> <ticks1> <n2> <ticks2>` and
//! `bench-op <name> <reps> <ticks>`.
use crate::api::bench_in_process;

const SYST_CSR: u32 = 0xE000_E010;
const SYST_RVR: u32 = 0xE000_E014;
const SYST_CVR: u32 = 0xE000_E018;

fn reg(addr: u32) -> u32 {
    // SAFETY: the Secure SysTick's registers, read as words.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

fn set(addr: u32, v: u32) {
    // SAFETY: as in `reg`, written.
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}

fn elapsed(t0: u32, t1: u32) -> u32 {
    t0.wrapping_sub(t1) & 0x00FF_FFFF
}

#[inline(never)]
fn spin(n: u32) {
    // SAFETY: a register-only countdown loop.
    unsafe {
        core::arch::asm!("1:", "subs {0}, #1", "bne 1b", inout(reg) n => _, options(nomem, nostack))
    };
}

/// Runs the in-process measurements if the host asked for the bench.
pub fn in_process_if_asked() {
    let mut mode = [0u8; 16];
    let n = keyfort_board_qemu::read_host_file(c"tz-mode", &mut mode).unwrap_or(0);
    if mode.get(..n).map(<[u8]>::trim_ascii) != Some(b"bench".as_slice()) {
        return;
    }
    set(SYST_RVR, 0x00FF_FFFF);
    set(SYST_CVR, 0);
    set(SYST_CSR, 0b101);
    let (n1, n2) = (2_000u32, 12_000u32);
    let t = reg(SYST_CVR);
    spin(n1);
    let a = elapsed(t, reg(SYST_CVR));
    let t = reg(SYST_CVR);
    spin(n2);
    let b = elapsed(t, reg(SYST_CVR));
    defmt::println!("bench-calib {=u32} {=u32} {=u32} {=u32}", n1, a, n2, b);
    bench_in_process(&mut |name, reps, f| {
        let t0 = reg(SYST_CVR);
        for _ in 0..reps {
            f();
        }
        let t1 = reg(SYST_CVR);
        defmt::println!("bench-op {=str} {=u32} {=u32}", name, reps, elapsed(t0, t1));
    });
    set(SYST_CSR, 0);
}
