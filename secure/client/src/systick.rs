//! The SysTick as an instruction counter under QEMU's `-icount`, for the boundary bench
//! (`./x tz-bench`): each world has its own SysTick at the same address, so the
//! Non-secure application and the Secure service's in-process bench share this code.
//! Measurements stay below one wrap of the 24-bit counter.

const CSR: u32 = 0xE000_E010;
const RVR: u32 = 0xE000_E014;
const CVR: u32 = 0xE000_E018;

fn reg(addr: u32) -> u32 {
    // SAFETY: the calling world's SysTick registers, read as words.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

fn set(addr: u32, v: u32) {
    // SAFETY: as in `reg`, written.
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}

/// Starts the counter free-running on the core clock, no interrupt.
pub fn start() {
    set(RVR, 0x00FF_FFFF);
    set(CVR, 0);
    set(CSR, 0b101);
}

/// Stops the counter.
pub fn stop() {
    set(CSR, 0);
}

/// The counter now (it counts down).
pub fn now() -> u32 {
    reg(CVR)
}

/// Ticks between two reads (`t0` earlier).
pub fn elapsed(t0: u32, t1: u32) -> u32 {
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

/// Ticks of `f` run `reps` times.
pub fn ticks(reps: u32, mut f: impl FnMut()) -> u32 {
    let t0 = now();
    for _ in 0..reps {
        f();
    }
    elapsed(t0, now())
}

/// The calibration: `[n1, ticks of n1 loop turns, n2, ticks of n2 loop turns]` (one turn is
/// two instructions), printed as the `bench-calib` line; the host fits ticks per
/// instruction from it.
pub fn calibrate() -> [u32; 4] {
    let (n1, n2) = (2_000u32, 12_000u32);
    let a = ticks(1, || spin(n1));
    let b = ticks(1, || spin(n2));
    [n1, a, n2, b]
}
