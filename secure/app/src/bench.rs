//! Instructions across the boundary (`tz-mode` = `bench`): the Non-secure SysTick under
//! QEMU's `-icount`, calibrated on a two-instruction loop as the bench firmware does
//! (`qemu/firmware/src/bin/bench.rs`). Lines in `ns.log`:
//! - `bench-calib <n1> <ticks1> <n2> <ticks2>`;
//! - `bench-op <name> <reps> <ticks>`.
use keyfort_secure_client::abi::raw;
use keyfort_secure_client::Client;

use crate::log::line;

const SYST_CSR: u32 = 0xE000_E010;
const SYST_RVR: u32 = 0xE000_E014;
const SYST_CVR: u32 = 0xE000_E018;

fn reg(addr: u32) -> u32 {
    // SAFETY: the Non-secure SysTick's registers (the NS view of the system control
    // space), read as words.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

fn set(addr: u32, v: u32) {
    // SAFETY: as in `reg`, written.
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}

/// Ticks of the down-counting 24-bit SysTick between two reads (`t0` earlier).
fn elapsed(t0: u32, t1: u32) -> u32 {
    t0.wrapping_sub(t1) & 0x00FF_FFFF
}

/// `n` iterations of `subs; bne`: exactly 2n instructions.
#[inline(never)]
fn spin(n: u32) {
    // SAFETY: a register-only countdown loop.
    unsafe {
        core::arch::asm!("1:", "subs {0}, #1", "bne 1b", inout(reg) n => _, options(nomem, nostack))
    };
}

fn measure(name: &str, reps: u32, mut f: impl FnMut()) {
    let t0 = reg(SYST_CVR);
    for _ in 0..reps {
        f();
    }
    let t1 = reg(SYST_CVR);
    line(format_args!("bench-op {name} {reps} {}", elapsed(t0, t1)));
}

/// Runs the measurements; returns the exit status.
pub fn run() -> i32 {
    set(SYST_RVR, 0x00FF_FFFF);
    set(SYST_CVR, 0);
    // Enabled, core clock, no interrupt (every measurement stays below one wrap).
    set(SYST_CSR, 0b101);
    let (n1, n2) = (2_000u32, 12_000u32);
    let t = reg(SYST_CVR);
    spin(n1);
    let a = elapsed(t, reg(SYST_CVR));
    let t = reg(SYST_CVR);
    spin(n2);
    let b = elapsed(t, reg(SYST_CVR));
    line(format_args!("bench-calib {n1} {a} {n2} {b}"));
    let Ok(mut kf) = Client::open() else {
        line(format_args!("bench: the store does not open"));
        return 1;
    };
    if kf.dukpt_factory_inject().is_err() {
        line(format_args!("bench: no DUKPT terminal"));
        return 1;
    }
    measure("empty", 100, || {});
    let mut counter = 0u32;
    let out = &mut counter as *mut u32 as u32;
    // The lightest entry: a checked output word and the terminal's counter.
    measure("entry-round-trip-dukpt-status", 100, || {
        // SAFETY: a veneer call; `out` is a live Non-secure word.
        unsafe { raw::kfs_dukpt_status(out) };
    });
    let msg = [0x41u8; 112];
    measure("dukpt-transaction-through-boundary", 10, || {
        let Ok(tx) = kf.dukpt_begin() else { return };
        let (mut blk, mut enc, mut tag) = ([0u8; 16], [0u8; 32], [0u8; 16]);
        let _ = kf.dukpt_encrypt_pin(&tx, b"1234", b"4111111111111111", &mut blk);
        let _ = kf.dukpt_encrypt_data(&tx, &[0; 16], &msg[..32], &mut enc);
        let _ = kf.dukpt_cmac(&tx, &msg, &mut tag);
        let _ = kf.dukpt_end(tx);
    });
    line(format_args!("bench-done"));
    0
}
