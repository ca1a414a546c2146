//! A RAM NOR flash for tests (never a product): the store's examples, keyfort's tests,
//! benchmarks, fuzz targets and on-target self-tests run on it.
//!
//! It enforces the NOR rules the store relies on: erase sets a whole sector to 0xFF,
//! programming only clears bits (an attempt to set a bit is an error, so a store bug
//! that rewrites without erasing is caught), writes are `WRITE_SIZE`-aligned. It can cut
//! power after any byte of a program or during an erase: the interrupted byte is left
//! half-programmed and an interrupted erase leaves a mix of erased, untouched and
//! half-erased bytes. After a cut every operation fails until [`MockFlash::power_on`].
//! It counts bytes programmed and sectors erased, and the read, write and erase calls
//! made (as sequential-storage's mock does: [`MockFlash::reads`], [`MockFlash::writes`],
//! [`MockFlash::erases`]). No heap: a fixed `[u8; SIZE]`.
//!
//! It also plays an attacker who writes the flash while the device runs (an interposer on
//! an external SPI flash): [`MockFlash::xor_before_next_call`] changes bytes between two
//! store operations, and [`MockFlash::xor_after_read`] changes them in the middle of one,
//! right after the store has read them. [`MockFlash::as_bytes_mut`] changes a flash no
//! store holds.
//!
//! The plans (a power cut, a write behind the store's back) are set through a shared
//! reference, so a test plans them on the flash a running store holds, through
//! `KeyStore::flash()` (the store has no mutable access to its flash for anyone else):
//!
//! ```
//! use keyfort::platform::NoCounter;
//! use keyfort::attributes::{Algorithm, Usage};
//! use keyfort::store::KeyStore;
//! use keyfort_testkit::{MockFlash, TestRng, TestSecret};
//!
//! let flash = MockFlash::<{ 4 * 1024 }, 1024>::new();
//! let mut s = KeyStore::format((flash, TestSecret::A, TestRng(1), NoCounter)).unwrap();
//! s.flash().cut_after(10); // the power goes at the 11th programmed byte from now
//! assert!(s.import(1, b"k", Algorithm::Aes128, Usage::DECRYPT, &[7; 16], None).is_err());
//! assert!(s.flash().is_cut());
//! ```
// Divisions and remainders act on public addresses and sizes of the test double.
#![allow(
    clippy::integer_division_remainder_used,
    clippy::cast_possible_truncation
)]
use core::cell::Cell;
use embedded_storage::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// Why the mock refused an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MockFlashError {
    /// Power was cut (simulated); the operation was interrupted.
    PowerCut,
    /// Address or length outside the flash.
    OutOfBounds,
    /// Address or length not aligned to the write or erase size.
    NotAligned,
    /// A program tried to set a bit that is 0 (NOR needs an erase first).
    NotErased,
}

impl NorFlashError for MockFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            Self::NotAligned => NorFlashErrorKind::NotAligned,
            _ => NorFlashErrorKind::Other,
        }
    }
}

/// Cut points per sector erase (see [`MockFlash::cut_after`]).
pub const ERASE_STEPS: usize = 4;

/// A NOR flash of `SIZE` bytes in sectors of `SECTOR` bytes, in RAM.
pub struct MockFlash<const SIZE: usize, const SECTOR: usize> {
    mem: [u8; SIZE],
    /// Steps (programmed bytes + erases) left before the cut; `None`: no cut planned.
    cut_in: Cell<Option<u64>>,
    powered: bool,
    steps: u64,
    bytes_written: u64,
    sectors_erased: u64,
    /// Calls made: read, write, erase (refused ones included).
    calls: [u64; 3],
    mix: Cell<u32>,
    /// A planned change behind the store's back (see [`MockFlash::xor_after_read`]).
    tamper: Cell<Option<Tamper>>,
}

/// A planned XOR into 16 bytes, done after the `reads`-th read that touches them; `reads`
/// 0: before the next call of any kind.
#[derive(Clone, Copy, Debug)]
struct Tamper {
    offset: usize,
    mask: [u8; 16],
    reads: u32,
}

impl<const SIZE: usize, const SECTOR: usize> MockFlash<SIZE, SECTOR> {
    /// A fully erased flash.
    pub fn new() -> Self {
        Self {
            mem: [0xFF; SIZE],
            cut_in: Cell::new(None),
            powered: true,
            steps: 0,
            bytes_written: 0,
            sectors_erased: 0,
            calls: [0; 3],
            mix: Cell::new(0x9E37_79B9),
            tamper: Cell::new(None),
        }
    }

    /// Plans a write behind the store's back: right after the `reads`-th read (1 = the
    /// first) that touches any of the 16 bytes at `offset` has returned its data, `mask`
    /// is XORed into those bytes (ignoring NOR rules, as an attacker's own programmer
    /// would). `reads` 0 is 1. One plan at a time; [`MockFlash::tamper_done`] says whether
    /// it happened.
    pub fn xor_after_read(&self, offset: u32, mask: [u8; 16], reads: u32) {
        self.tamper.set(Some(Tamper {
            offset: offset as usize,
            mask,
            reads: reads.max(1),
        }));
    }

    /// Plans a write behind the store's back between two of its operations: `mask` is
    /// XORed into the 16 bytes at `offset` (ignoring NOR rules) before the next read,
    /// write or erase call, whatever its address: what the store sees is what it would see
    /// had the attacker written now. One plan at a time (it replaces a planned
    /// [`MockFlash::xor_after_read`]); [`MockFlash::tamper_done`] says whether it happened.
    pub fn xor_before_next_call(&self, offset: u32, mask: [u8; 16]) {
        self.tamper.set(Some(Tamper {
            offset: offset as usize,
            mask,
            reads: 0,
        }));
    }

    /// Whether the change planned by [`MockFlash::xor_after_read`] or
    /// [`MockFlash::xor_before_next_call`] has been made (or none was planned).
    pub fn tamper_done(&self) -> bool {
        self.tamper.get().is_none()
    }

    /// Cuts power when `steps` more steps have run: a step is one programmed byte or one
    /// of the [`ERASE_STEPS`] points of a sector erase; that byte or erase is left partial.
    pub fn cut_after(&self, steps: u64) {
        self.cut_in.set(Some(steps));
    }

    /// Seeds the pattern of half-programmed bits and partial erases.
    pub fn set_mix_seed(&self, seed: u32) {
        self.mix.set(seed | 1);
    }

    /// Restores power and cancels any planned cut.
    pub fn power_on(&mut self) {
        self.powered = true;
        self.cut_in.set(None);
    }

    /// Whether a cut has happened since the last [`MockFlash::power_on`].
    pub fn is_cut(&self) -> bool {
        !self.powered
    }

    /// Steps (programmed bytes + erase points) since creation: the cut points of a
    /// workload.
    pub fn steps(&self) -> u64 {
        self.steps
    }
    /// Bytes programmed since creation.
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }
    /// Sectors erased (fully or partially) since creation.
    pub fn sectors_erased(&self) -> u64 {
        self.sectors_erased
    }

    /// `read` calls made since creation (refused ones included).
    pub fn reads(&self) -> u64 {
        self.calls[0]
    }
    /// `write` calls made since creation (refused ones included).
    pub fn writes(&self) -> u64 {
        self.calls[1]
    }
    /// `erase` calls made since creation (refused ones included).
    pub fn erases(&self) -> u64 {
        self.calls[2]
    }

    /// The raw content (what an attacker dumping the chip sees).
    pub fn as_bytes(&self) -> &[u8; SIZE] {
        &self.mem
    }
    /// The raw content, writable without NOR rules (to corrupt it in tests).
    pub fn as_bytes_mut(&mut self) -> &mut [u8; SIZE] {
        &mut self.mem
    }

    fn rand(&mut self) -> u32 {
        // xorshift32: only shapes partial writes/erases, nothing secret.
        let mut x = self.mix.get();
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.mix.set(x);
        x
    }

    /// Counts one step; `true` if power is cut at this step.
    fn step(&mut self) -> bool {
        self.steps = self.steps.wrapping_add(1);
        match self.cut_in.get() {
            Some(0) => {
                self.cut_in.set(None);
                self.powered = false;
                true
            }
            Some(n) => {
                self.cut_in.set(Some(n - 1));
                false
            }
            None => false,
        }
    }

    /// XORs the planned change's mask into its 16 bytes.
    fn strike(&mut self, t: Tamper) {
        self.tamper.set(None);
        if let Some(m) = self.mem.get_mut(t.offset..t.offset + 16) {
            for (b, x) in m.iter_mut().zip(t.mask.iter()) {
                *b ^= x;
            }
        }
    }

    /// Counts a call of kind `i` (read, write, erase) and makes a change planned for
    /// before it.
    fn call(&mut self, i: usize) {
        self.calls[i] += 1;
        if let Some(t) = self.tamper.get().filter(|t| t.reads == 0) {
            self.strike(t);
        }
    }

    fn range(&self, offset: u32, len: usize) -> Result<core::ops::Range<usize>, MockFlashError> {
        let start = usize::try_from(offset).map_err(|_| MockFlashError::OutOfBounds)?;
        let end = start.checked_add(len).ok_or(MockFlashError::OutOfBounds)?;
        if end > SIZE {
            return Err(MockFlashError::OutOfBounds);
        }
        Ok(start..end)
    }
}

impl<const SIZE: usize, const SECTOR: usize> Default for MockFlash<SIZE, SECTOR> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const SIZE: usize, const SECTOR: usize> ErrorType for MockFlash<SIZE, SECTOR> {
    type Error = MockFlashError;
}

impl<const SIZE: usize, const SECTOR: usize> ReadNorFlash for MockFlash<SIZE, SECTOR> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.call(0);
        if !self.powered {
            return Err(MockFlashError::PowerCut);
        }
        let r = self.range(offset, bytes.len())?;
        bytes.copy_from_slice(&self.mem[r.clone()]);
        if let Some(mut t) = self.tamper.get() {
            if r.start < t.offset + 16 && t.offset < r.end {
                t.reads = t.reads.saturating_sub(1);
                if t.reads == 0 {
                    self.strike(t);
                } else {
                    self.tamper.set(Some(t));
                }
            }
        }
        Ok(())
    }

    fn capacity(&self) -> usize {
        SIZE
    }
}

impl<const SIZE: usize, const SECTOR: usize> NorFlash for MockFlash<SIZE, SECTOR> {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = SECTOR;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        self.call(2);
        if !self.powered {
            return Err(MockFlashError::PowerCut);
        }
        let len = to.checked_sub(from).ok_or(MockFlashError::OutOfBounds)?;
        let r = self.range(from, len as usize)?;
        if r.start % SECTOR != 0 || r.end % SECTOR != 0 {
            return Err(MockFlashError::NotAligned);
        }
        let mut s = r.start;
        while s < r.end {
            self.sectors_erased += 1;
            // ERASE_STEPS cut points per sector: a cut at point j leaves the first j
            // parts erased, part j a mix of erased, untouched and half-erased bytes, and
            // the rest untouched.
            let part = SECTOR / ERASE_STEPS;
            for j in 0..ERASE_STEPS {
                if self.step() {
                    self.mem[s..s + j * part].fill(0xFF);
                    for i in s + j * part..s + (j + 1) * part {
                        let v = self.rand();
                        self.mem[i] = match v % 4 {
                            0 | 1 => 0xFF,
                            2 => self.mem[i],
                            _ => self.mem[i] | (v >> 8) as u8,
                        };
                    }
                    return Err(MockFlashError::PowerCut);
                }
            }
            self.mem[s..s + SECTOR].fill(0xFF);
            s += SECTOR;
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        self.call(1);
        if !self.powered {
            return Err(MockFlashError::PowerCut);
        }
        let r = self.range(offset, bytes.len())?;
        if r.start % Self::WRITE_SIZE != 0 || bytes.len() % Self::WRITE_SIZE != 0 {
            return Err(MockFlashError::NotAligned);
        }
        for (i, &b) in r.zip(bytes.iter()) {
            if b & !self.mem[i] != 0 {
                return Err(MockFlashError::NotErased);
            }
            self.bytes_written += 1;
            if self.step() {
                // Half-programmed: only some of the bits to clear are cleared.
                let keep = self.rand() as u8;
                self.mem[i] &= b | keep;
                return Err(MockFlashError::PowerCut);
            }
            self.mem[i] &= b;
        }
        Ok(())
    }
}

/// Programming a word again only clears more bits (an attempt to set one is
/// [`MockFlashError::NotErased`]), as on NOR flash that allows it.
impl<const SIZE: usize, const SECTOR: usize> MultiwriteNorFlash for MockFlash<SIZE, SECTOR> {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nor_rules_and_cuts() {
        let mut f = MockFlash::<256, 64>::new();
        f.write(0, &[0x0F, 0xF0, 0xFF, 0x00]).unwrap();
        assert_eq!(
            f.write(0, &[0xFF, 0xFF, 0xFF, 0xFF]),
            Err(MockFlashError::NotErased)
        );
        assert_eq!(f.write(2, &[0; 4]), Err(MockFlashError::NotAligned));
        f.cut_after(2);
        assert_eq!(f.write(4, &[0, 0, 0, 0]), Err(MockFlashError::PowerCut));
        assert_eq!(f.as_bytes()[4..6], [0, 0]);
        assert_eq!(f.as_bytes()[7], 0xFF);
        assert!(f.read(0, &mut [0u8; 4]).is_err());
        f.power_on();
        f.erase(0, 64).unwrap();
        assert!(f.as_bytes()[..64].iter().all(|&b| b == 0xFF));
        assert_eq!(f.sectors_erased(), 1);
    }

    #[test]
    fn counts_calls() {
        let mut f = MockFlash::<256, 64>::new();
        assert_eq!((f.reads(), f.writes(), f.erases()), (0, 0, 0));
        f.write(0, &[0; 8]).unwrap();
        f.write(8, &[0; 4]).unwrap();
        assert!(f.write(1, &[0; 4]).is_err()); // refused, still a call
        f.read(0, &mut [0u8; 16]).unwrap();
        f.erase(0, 128).unwrap();
        assert_eq!((f.reads(), f.writes(), f.erases()), (1, 3, 1));
        assert_eq!((f.bytes_written(), f.sectors_erased()), (12, 2));
    }

    #[test]
    fn xor_before_next_call_changes_bytes_before_any_call() {
        let mut f = MockFlash::<256, 64>::new();
        let shared = &f;
        shared.xor_before_next_call(32, [0x0F; 16]);
        assert!(!f.tamper_done());
        assert_eq!(f.as_bytes()[32], 0xFF, "not before a call");
        // A call elsewhere: the change is made before it.
        f.read(128, &mut [0u8; 4]).unwrap();
        assert!(f.tamper_done());
        let mut b = [0u8; 16];
        f.read(32, &mut b).unwrap();
        assert_eq!(b, [0xF0; 16]);
        assert_eq!(f.as_bytes()[31], 0xFF);
        assert_eq!(f.as_bytes()[48], 0xFF);
    }

    #[test]
    fn plans_set_through_a_shared_reference_cut_where_planned() {
        let mut f = MockFlash::<256, 64>::new();
        let shared = &f;
        shared.set_mix_seed(5);
        shared.cut_after(6);
        f.write(0, &[0; 4]).unwrap();
        assert_eq!(f.write(4, &[0; 4]), Err(MockFlashError::PowerCut));
        assert_eq!(f.as_bytes()[4..6], [0, 0]);
        assert_eq!(f.as_bytes()[7], 0xFF);
        assert_eq!(f.steps(), 7);
    }

    #[test]
    fn xor_after_read_changes_bytes_after_the_planned_read() {
        let mut f = MockFlash::<256, 64>::new();
        f.xor_after_read(32, [0x0F; 16], 2);
        let mut b = [0u8; 8];
        f.read(0, &mut b).unwrap(); // does not touch 32..48
        f.read(40, &mut b).unwrap(); // first read that touches it
        assert!(!f.tamper_done());
        assert_eq!(b, [0xFF; 8]);
        f.read(28, &mut b).unwrap(); // second: returns the old bytes, then the change
        assert_eq!(b, [0xFF; 8]);
        assert!(f.tamper_done());
        f.read(32, &mut b).unwrap();
        assert_eq!(b, [0xF0; 8]);
        assert_eq!(f.as_bytes()[31], 0xFF);
        assert_eq!(f.as_bytes()[48], 0xFF);
    }
}
