//! A NOR flash wrapper for tamper and power-cut tests: counts what the store does to the
//! flash (sectors erased, bytes programmed, mutating operations) and can *park* the
//! firmware right after its `n`-th mutating operation, printing a marker line first, so
//! the host can cut the power (kill QEMU, `./x run --cut-at TEXT`) at an exact point of a
//! multi-step operation such as a tamper wipe. Test tooling; it adds nothing to security.

use core::cell::Cell;
use embedded_storage::nor_flash::{ErrorType, MultiwriteNorFlash, NorFlash, ReadNorFlash};

/// The line printed when the park point is reached (followed by the operation number).
pub const PARK_MARKER: &str = "flash probe: parked after mutating operation";

/// Counts and optionally parks (see the module docs).
pub struct ProbedFlash<F> {
    inner: F,
    // Cells: a test resets the counts and sets the park point through a shared reference,
    // on the flash a running store holds (`KeyStore::flash`).
    erased_sectors: Cell<u32>,
    programmed_bytes: Cell<u32>,
    ops: Cell<u32>,
    park_after: Cell<Option<u32>>,
}

impl<F: NorFlash> ProbedFlash<F> {
    /// Wraps `inner`; counts start at zero, no park point.
    pub fn new(inner: F) -> Self {
        ProbedFlash {
            inner,
            erased_sectors: Cell::new(0),
            programmed_bytes: Cell::new(0),
            ops: Cell::new(0),
            park_after: Cell::new(None),
        }
    }

    /// Parks after the `n`-th mutating operation from now (`None`: never). Resets counts.
    pub fn park_after(&self, n: Option<u32>) {
        self.reset();
        self.park_after.set(n);
    }

    /// Resets the counts.
    pub fn reset(&self) {
        self.erased_sectors.set(0);
        self.programmed_bytes.set(0);
        self.ops.set(0);
    }

    /// Sectors erased since the last reset.
    pub fn erased_sectors(&self) -> u32 {
        self.erased_sectors.get()
    }

    /// Bytes programmed since the last reset.
    pub fn programmed_bytes(&self) -> u32 {
        self.programmed_bytes.get()
    }

    /// Mutating operations (erase or program calls) since the last reset.
    pub fn ops(&self) -> u32 {
        self.ops.get()
    }

    fn after_op(&mut self) {
        let ops = self.ops.get() + 1;
        self.ops.set(ops);
        if self.park_after.get() == Some(ops) {
            defmt::println!("{=str} {=u32}", PARK_MARKER, ops);
            loop {
                cortex_m::asm::delay(1_000_000);
            }
        }
    }
}

impl<F: NorFlash> ErrorType for ProbedFlash<F> {
    type Error = F::Error;
}

impl<F: NorFlash> ReadNorFlash for ProbedFlash<F> {
    const READ_SIZE: usize = F::READ_SIZE;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), F::Error> {
        self.inner.read(offset, bytes)
    }

    fn capacity(&self) -> usize {
        self.inner.capacity()
    }
}

impl<F: NorFlash> NorFlash for ProbedFlash<F> {
    const WRITE_SIZE: usize = F::WRITE_SIZE;
    const ERASE_SIZE: usize = F::ERASE_SIZE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), F::Error> {
        let r = self.inner.erase(from, to);
        if r.is_ok() {
            let n = (to.saturating_sub(from) as usize) / F::ERASE_SIZE;
            self.erased_sectors
                .set(self.erased_sectors.get() + n as u32);
        }
        self.after_op();
        r
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), F::Error> {
        let r = self.inner.write(offset, bytes);
        if r.is_ok() {
            self.programmed_bytes
                .set(self.programmed_bytes.get() + bytes.len() as u32);
        }
        self.after_op();
        r
    }
}

/// Counting changes nothing about re-programming: as the wrapped flash.
impl<F: MultiwriteNorFlash> MultiwriteNorFlash for ProbedFlash<F> {}
