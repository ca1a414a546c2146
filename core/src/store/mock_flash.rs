//! A RAM NOR flash for tests (feature `_mock-flash`; for host tests, never a product;
//! exempt from semver): the store's examples run on it, and so can your own tests of code
//! that uses the store.
//!
//! It enforces the NOR rules the store relies on: erase sets a whole sector to 0xFF,
//! programming only clears bits (an attempt to set a bit is an error, so a store bug
//! that rewrites without erasing is caught), writes are `WRITE_SIZE`-aligned. It can cut
//! power after any byte of a program or during an erase: the interrupted byte is left
//! half-programmed and an interrupted erase leaves a mix of erased, untouched and
//! half-erased bytes. After a cut every operation fails until [`MockFlash::power_on`].
//! It counts bytes programmed and sectors erased. No heap: a fixed `[u8; SIZE]`.
//!
//! It also plays an attacker who writes the flash while the device runs (an interposer on
//! an external SPI flash): [`MockFlash::as_bytes_mut`] changes bytes between two store
//! operations, and [`MockFlash::xor_after_read`] changes them in the middle of one, right
//! after the store has read them.
// Divisions and remainders act on public addresses and sizes of the test double.
#![allow(
    clippy::integer_division_remainder_used,
    clippy::cast_possible_truncation
)]
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
    cut_in: Option<u64>,
    powered: bool,
    steps: u64,
    bytes_written: u64,
    sectors_erased: u64,
    mix: u32,
    /// A planned change behind the store's back (see [`MockFlash::xor_after_read`]).
    tamper: Option<Tamper>,
}

/// A planned XOR into 16 bytes, done after the `reads`-th read that touches them.
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
            cut_in: None,
            powered: true,
            steps: 0,
            bytes_written: 0,
            sectors_erased: 0,
            mix: 0x9E37_79B9,
            tamper: None,
        }
    }

    /// Plans a write behind the store's back: right after the `reads`-th read (1 = the
    /// first) that touches any of the 16 bytes at `offset` has returned its data, `mask`
    /// is XORed into those bytes (ignoring NOR rules, as an attacker's own programmer
    /// would). One plan at a time; [`MockFlash::tamper_done`] says whether it happened.
    pub fn xor_after_read(&mut self, offset: u32, mask: [u8; 16], reads: u32) {
        self.tamper = Some(Tamper {
            offset: offset as usize,
            mask,
            reads,
        });
    }

    /// Whether the change planned by [`MockFlash::xor_after_read`] has been made (or none
    /// was planned).
    pub fn tamper_done(&self) -> bool {
        self.tamper.is_none()
    }

    /// Cuts power when `steps` more steps have run: a step is one programmed byte or one
    /// of the [`ERASE_STEPS`] points of a sector erase; that byte or erase is left partial.
    pub fn cut_after(&mut self, steps: u64) {
        self.cut_in = Some(steps);
    }

    /// Seeds the pattern of half-programmed bits and partial erases.
    pub fn set_mix_seed(&mut self, seed: u32) {
        self.mix = seed | 1;
    }

    /// Restores power and cancels any planned cut.
    pub fn power_on(&mut self) {
        self.powered = true;
        self.cut_in = None;
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
        let mut x = self.mix;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.mix = x;
        x
    }

    /// Counts one step; `true` if power is cut at this step.
    fn step(&mut self) -> bool {
        self.steps = self.steps.wrapping_add(1);
        match self.cut_in {
            Some(0) => {
                self.cut_in = None;
                self.powered = false;
                true
            }
            Some(n) => {
                self.cut_in = Some(n - 1);
                false
            }
            None => false,
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
        if !self.powered {
            return Err(MockFlashError::PowerCut);
        }
        let r = self.range(offset, bytes.len())?;
        bytes.copy_from_slice(&self.mem[r.clone()]);
        if let Some(t) = self.tamper.as_mut() {
            if r.start < t.offset + 16 && t.offset < r.end {
                t.reads = t.reads.saturating_sub(1);
                if t.reads == 0 {
                    let t = *t;
                    self.tamper = None;
                    if let Some(m) = self.mem.get_mut(t.offset..t.offset + 16) {
                        for (b, x) in m.iter_mut().zip(t.mask.iter()) {
                            *b ^= x;
                        }
                    }
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
