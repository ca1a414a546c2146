//! Wiping RAM that held secrets, for the tamper response (and after a workload).
//!
//! keyfort's secret holders wipe themselves on drop, but the compiler is free to leave
//! copies where a value was *moved* from, and the cipher code keeps temporaries
//! (key-schedule scratch, a per-call widened copy of the round keys) in stack frames that
//! are gone once the call returns. Those bytes stay in RAM until something overwrites
//! them. [`wipe_free_stack`] overwrites all of the stack below the current frame: every
//! frame that has returned.
//!
//! [`dump_in_use`] writes the RAM in use to a host file, for the host to search it for
//! keys after a tamper wipe. The `unsafe` here is raw volatile access: writes to memory no
//! live frame uses, reads of the RAM between `.data` and the stack top; keyfort's core
//! crate stays free of `unsafe`.
//!
//! Not wiped: the live frames above the caller (call it from a shallow frame, after the
//! work that handled secrets has returned), statics (`.data`/`.bss`: live objects wipe
//! themselves when dropped) and CPU registers.

use core::sync::atomic::{compiler_fence, Ordering};

/// The value written over free stack: the high-water mark's paint ([`crate::stack`]), so a
/// wipe does not count as stack use. A constant, independent of any secret.
const FILL: u32 = 0x5A5A_A5A5;
/// Bytes left alone just below the stack pointer read on entry (this function's own
/// frame, however the compiler places its prologue).
const MARGIN: usize = 64;

extern "C" {
    static _stack_end: u32;
    static __sdata: u32;
    static _stack_start: u32;
}

/// Writes the RAM in use (from the start of `.data` to the top of the stack) to the host
/// file `path`; returns the bytes written (0 if the file could not be written).
#[inline(never)]
pub fn dump_in_use(path: &core::ffi::CStr) -> usize {
    use semihosting::{fs::File, io::Write};
    // Only the symbols' addresses are taken.
    let start = core::ptr::addr_of!(__sdata) as usize;
    let end = core::ptr::addr_of!(_stack_start) as usize;
    let Ok(mut f) = File::create(path) else {
        return 0;
    };
    let mut buf = [0u8; 256];
    let mut p = start;
    while p < end {
        let n = (end - p).min(buf.len());
        for (i, b) in buf[..n].iter_mut().enumerate() {
            // SAFETY: `p + i` lies in RAM between the start of `.data` and the top of the
            // stack (linker symbols), readable memory on every board; a volatile byte
            // read of memory this program may also use through other names, never
            // written here.
            *b = unsafe { core::ptr::read_volatile((p + i) as *const u8) };
        }
        if f.write_all(&buf[..n]).is_err() {
            return 0;
        }
        p += n;
    }
    end - start
}

/// Overwrites the whole free stack (from the bottom of the stack region up to 64 bytes
/// below the current stack pointer: this function's own frame) and returns how many
/// bytes it wrote. Constant time for a given
/// stack depth: about one store per word (at most the stack size; 8 KiB on the micro:bit,
/// 4 MiB on the MPS2 boards, where the region is the rest of RAM: see [`wipe_free_stack_at_most`]).
#[inline(never)]
pub fn wipe_free_stack() -> usize {
    wipe_free_stack_at_most(usize::MAX)
}

/// Like [`wipe_free_stack`], but only the `max` bytes just below the current stack
/// pointer (where returned frames were): bounded time on boards whose stack region is
/// large. Returns the bytes written.
#[inline(never)]
pub fn wipe_free_stack_at_most(max: usize) -> usize {
    // Only the symbol's address is taken; it is never read through.
    let end = core::ptr::addr_of!(_stack_end) as usize;
    let sp = cortex_m::register::msp::read() as usize;
    // The compiler may push this function's own frame *after* reading SP (shrink-wrapped
    // prologue: seen on thumbv7m, where a wipe right up to SP overwrote the saved return
    // address), so stop MARGIN bytes below it.
    let top = sp.saturating_sub(MARGIN) & !3;
    let bottom = end.max(top.saturating_sub(max));
    let mut p = bottom;
    while p + 4 <= top {
        // SAFETY: `p` lies between `_stack_end` (the bottom of the stack region, above
        // every static) and MARGIN bytes below the stack pointer read on entry: memory
        // that no live frame and no static uses (frames live at and above SP, and this
        // function's own pushes fit in MARGIN; nothing runs concurrently, and no
        // interrupt handler is enabled by this board). It is 4-aligned (both bounds are)
        // and inside RAM.
        unsafe { core::ptr::write_volatile(p as *mut u32, FILL) };
        p += 4;
    }
    // Keep the writes ordered before whatever the caller does next (e.g. signal the host).
    compiler_fence(Ordering::SeqCst);
    top - bottom
}
