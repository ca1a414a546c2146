//! The Non-secure log (host file `ns.log`) and host-file helpers, over semihosting.
use core::fmt::Write as _;
use semihosting::fs::File;
use semihosting::io::{Read, Seek, SeekFrom, Write};

/// The log file name.
const LOG: &core::ffi::CStr = c"ns.log";

struct Line {
    buf: [u8; 512],
    n: usize,
}

impl core::fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let b = s.as_bytes();
        let end = (self.n + b.len()).min(self.buf.len());
        let take = end - self.n;
        self.buf[self.n..end].copy_from_slice(&b[..take]);
        self.n = end;
        Ok(())
    }
}

/// Appends one line to `ns.log` (512 bytes at most).
pub fn line(args: core::fmt::Arguments<'_>) {
    let mut l = Line {
        buf: [0; 512],
        n: 0,
    };
    let _ = l.write_fmt(args);
    let _ = l.write_str("\n");
    if let Ok(mut f) = open_append(LOG) {
        let _ = f.write_all(&l.buf[..l.n]);
    }
}

/// Opens (or creates) `path` positioned at its end. (Semihosting's append mode is not
/// used: QEMU writes at the file position, which starts at 0.)
pub fn open_append(path: &core::ffi::CStr) -> Result<File, ()> {
    let mut f = match File::options().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(_) => File::options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|_| ())?,
    };
    f.seek(SeekFrom::End(0)).map_err(|_| ())?;
    Ok(f)
}

/// Reads up to `buf.len()` bytes of the host file `path`; returns how many were read.
pub fn read_host_file(path: &core::ffi::CStr, buf: &mut [u8]) -> Result<usize, ()> {
    let mut f = File::open(path).map_err(|_| ())?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return Err(()),
        }
    }
    Ok(n)
}

/// Logs the registers the last Secure call returned with: `REGS <what> <47 hex words>`
/// (r0-r12, APSR, s0-s31, FPSCR).
pub fn regs(what: &str) {
    let r = keyfort_secure_client::abi::dump::last();
    let mut l = Line {
        buf: [0; 512],
        n: 0,
    };
    let _ = write!(l, "REGS {what}");
    for w in r {
        let _ = write!(l, " {w:08x}");
    }
    let _ = l.write_str("\n");
    if let Ok(mut f) = open_append(LOG) {
        let _ = f.write_all(&l.buf[..l.n]);
    }
}

/// Writes all memory the Non-secure world can reach (its SAU regions: the code in SSRAM1's
/// last MiB, SSRAM3) to the host file `ns-memory.bin`, for the host's key scan; returns
/// the bytes written.
pub fn dump_nonsecure_memory() -> usize {
    const REGIONS: [(u32, u32); 2] = [(0x0030_0000, 1 << 20), (0x2820_0000, 2 << 20)];
    let Ok(mut f) = File::create(c"ns-memory.bin") else {
        return 0;
    };
    let mut total = 0;
    let mut buf = [0u8; 256];
    for (start, len) in REGIONS {
        let mut p = start;
        while p < start + len {
            for (i, b) in buf.iter_mut().enumerate() {
                // SAFETY: inside a Non-secure region of this image's memory map
                // (memory.x, the Secure boot's SAU regions): readable; a volatile read.
                *b = unsafe { core::ptr::read_volatile((p + i as u32) as *const u8) };
            }
            if f.write_all(&buf).is_err() {
                return total;
            }
            p += buf.len() as u32;
            total += buf.len();
        }
    }
    total
}
