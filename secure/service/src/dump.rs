//! The tamper response's evidence: the Secure RAM written to a host file, for the host to
//! search for keys (`./x test tz`, the scan after tamper).
use semihosting::{fs::File, io::Write};

extern "C" {
    static __sdata: u32;
    static _stack_start: u32;
}

/// Writes the Secure RAM (from the start of `.data` to the top of the Secure stack) to the
/// host file `path`; returns the bytes written (0 if the file could not be written).
pub fn secure_ram(path: &core::ffi::CStr) -> usize {
    // Only the symbols' addresses are taken (the bounds of the Secure RAM in use).
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
            // SAFETY: `p + i` lies in Secure RAM between `.data` and the stack top,
            // readable; a volatile byte read, never a write.
            *b = unsafe { core::ptr::read_volatile((p + i) as *const u8) };
        }
        if f.write_all(&buf[..n]).is_err() {
            return 0;
        }
        p += n;
    }
    end - start
}
