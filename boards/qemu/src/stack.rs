//! Stack high-water mark: paint the unused stack with a pattern at start-up, then count
//! how much of the pattern the program overwrote. The firmware prints it after the
//! self-tests, so a test that eats the Cortex-M0's 16 KiB shows up (and a fully used stack
//! fails the run).
//!
//! The stack region is cortex-m-rt's `_stack_end` (just above `.bss`/`.uninit`) up to
//! `_stack_start` (top of RAM); the stack grows down from the top.

const PAINT: u32 = 0x5A5A_A5A5;
/// Left unpainted below the current stack pointer (the painter's own frame).
const MARGIN: usize = 256;

extern "C" {
    static _stack_start: u32;
    static _stack_end: u32;
}

fn bounds() -> (usize, usize) {
    // Only the symbols' addresses are taken; they are never read through.
    (
        core::ptr::addr_of!(_stack_end) as usize,
        core::ptr::addr_of!(_stack_start) as usize,
    )
}

/// Total stack size in bytes.
pub fn size() -> usize {
    let (end, start) = bounds();
    start - end
}

/// Paints the free stack below the current stack pointer. Call once, first thing in `main`.
#[inline(never)]
pub fn paint() {
    let (end, _) = bounds();
    let sp = cortex_m::register::msp::read() as usize;
    let mut p = end;
    while p + 4 <= sp.saturating_sub(MARGIN) {
        // SAFETY: `p` lies between `_stack_end` and the current stack pointer minus a
        // margin: stack memory that no live frame or static uses (statics end at
        // `_stack_end`, frames live above SP). It is 4-aligned (`_stack_end` is, by
        // cortex-m-rt's linker script) and inside RAM.
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// Bytes of stack used since [`paint`] (the deepest point reached).
pub fn used() -> usize {
    let (end, start) = bounds();
    let mut p = end;
    // SAFETY: reads 4-aligned words of the stack region below its top; nothing else
    // writes the unused part while this runs (single thread, no interrupts in use).
    while p < start && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    start - p
}
