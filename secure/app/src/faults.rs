//! The Non-secure world touching the Secure world directly (`./x test tz`, faults): a
//! load, a store, a jump at a Secure address the host names. Each must fault (the Secure
//! fault handler reports it and ends the run); the lines after the access are printed
//! only if it did not.
use crate::log::line;

/// Runs one access; returns (only if it did not fault) the failing exit status.
pub fn run(kind: &str, addr: u32) -> i32 {
    line(format_args!("ns: {kind} at {addr:#010x}"));
    match kind {
        "fault-read" => {
            // SAFETY: none: this load is meant to fault (SecureFault); if it does not,
            // the value is reported and the test fails.
            let v = unsafe { core::ptr::read_volatile(addr as *const u32) };
            line(format_args!("ns: READ RETURNED {v:#010x}"));
        }
        "fault-write" => {
            // SAFETY: none: this store is meant to fault; if it does not, it is reported.
            unsafe { core::ptr::write_volatile(addr as *mut u32, 0x5EC0_DE00) };
            line(format_args!("ns: WRITE RETURNED"));
        }
        _ => {
            // SAFETY: none: this jump into Secure code that is not an entry is meant to
            // fault (INVEP); if it returns, it is reported.
            let f: extern "C" fn() = unsafe { core::mem::transmute((addr | 1) as usize) };
            f();
            line(format_args!("ns: JUMP RETURNED"));
        }
    }
    1
}
