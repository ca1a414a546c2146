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
