//! Power cuts at flash operations, for the on-target power-cut campaign
//! (`bin/persistence.rs`, `./x test` step "persistence", `./x campaign`).
//!
//! [`CutFlash`] wraps a board's [`NorFlash`] and counts its program and erase calls from
//! boot. At the call the runner chose ([`CutPlan::at`]), it leaves that operation half
//! done, as NOR flash does when the supply fails, and stops the machine at once
//! ([`CUT_EXIT`]), keeping the flash image:
//! - a program: the first words done, the next word with only some of its bits cleared
//!   (a random subset of the bits the write would clear), the rest untouched;
//! - an erase: every bit the erase would set to 1 set with a probability (a quarter to
//!   nearly all, from the seed), the others left as they were.
//!
//! Test tooling only: the library and the board crate know nothing of it.
use core::cell::Cell;
use embedded_storage::nor_flash::{ErrorType, NorFlash, ReadNorFlash};

/// The exit status of a run stopped by an injected power cut.
pub const CUT_EXIT: i32 = 3;

/// Where the firmware is when the power goes (for the figures: a cut while the store
/// opens after a cut is a double fault).
#[derive(Clone, Copy, PartialEq, Eq, Debug, defmt::Format)]
pub enum Phase {
    /// `KeyStore::open`: finishes an interrupted destroy, counter step or tamper wipe.
    Open,
    /// The boot's first store operation: after a torn write its first append compacts
    /// the torn sector away (the rest of the recovery).
    FirstOp,
    /// The rest of the workload.
    Work,
}

/// Which flash operation to cut (set by the runner in the plan file).
#[derive(Clone, Copy, Debug, Default)]
pub struct CutPlan {
    /// Cut at this program or erase call, counted from boot from 1 (0: never), among the
    /// operations the flags below select.
    pub at: u32,
    /// Chooses how much of the cut operation is done.
    pub seed: u32,
    /// Count only the operations of [`Phase::Work`] (the recovery runs uncut).
    pub work_only: bool,
    /// Count only erases.
    pub erase_only: bool,
}

/// A flash that loses power at a chosen operation (see the module docs).
pub struct CutFlash<F> {
    inner: F,
    plan: CutPlan,
    ops: u32,
    erases: u32,
    counted: u32,
    /// Set through a shared reference: the firmware marks its phase on the flash a
    /// running store holds (`KeyStore::flash`).
    phase: Cell<Phase>,
    rng: u32,
}

impl<F: NorFlash> CutFlash<F> {
    /// Wraps `inner`; counting starts now, in [`Phase::Open`].
    pub fn new(inner: F, plan: CutPlan) -> Self {
        CutFlash {
            inner,
            plan,
            ops: 0,
            erases: 0,
            counted: 0,
            phase: Cell::new(Phase::Open),
            rng: plan.seed | 1,
        }
    }

    /// Program and erase calls so far.
    pub fn ops(&self) -> u32 {
        self.ops
    }

    /// Erase calls so far.
    pub fn erases(&self) -> u32 {
        self.erases
    }

    /// Marks where the firmware is now.
    pub fn set_phase(&self, phase: Phase) {
        self.phase.set(phase);
    }

    fn next_rand(&mut self) -> u32 {
        // xorshift32: public test randomness, reproducible from the runner's seed.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }

    /// Counts one operation; true if the power goes during it.
    fn tick(&mut self, erase: bool) -> bool {
        self.ops += 1;
        self.erases += u32::from(erase);
        let selected = (!self.plan.work_only || self.phase.get() == Phase::Work)
            && (!self.plan.erase_only || erase);
        if selected {
            self.counted += 1;
        }
        selected && self.plan.at != 0 && self.counted == self.plan.at
    }

    fn power_off(&self, what: &str, offset: u32, len: usize, done: usize) -> ! {
        defmt::println!(
            "cut: flash op {=u32} {=str} at {=u32} len {=usize} phase {} (torn: {=usize} bytes done)",
            self.ops,
            what,
            offset,
            len,
            self.phase.get(),
            done
        );
        keyfort_board_qemu::exit(CUT_EXIT)
    }

    /// A program cut part-way: `words` whole words done, then one word half done.
    fn torn_program(&mut self, offset: u32, bytes: &[u8]) -> Result<(), F::Error> {
        let w = F::WRITE_SIZE.max(1);
        let words = bytes.len() / w;
        let done = if words == 0 {
            0
        } else {
            (self.next_rand() as usize % words) * w
        };
        self.inner.write(offset, &bytes[..done])?;
        if let Some(word) = bytes.get(done..done + w) {
            let mut part = [0xFFu8; 16];
            for (p, b) in part.iter_mut().zip(word) {
                // Only the bits in the random mask are programmed (cleared) yet.
                let clear_now = self.next_rand() as u8;
                *p = *b | !clear_now;
            }
            self.inner.write(offset + done as u32, &part[..w.min(16)])?;
        }
        self.power_off("program", offset, bytes.len(), done)
    }

    /// An erase cut part-way: the sectors before the one in progress erased, that one
    /// with each bit the erase sets reaching 1 with a probability, the rest untouched.
    fn torn_erase(&mut self, from: u32, to: u32) -> Result<(), F::Error> {
        let sector = F::ERASE_SIZE as u32;
        let sectors = ((to - from) / sector).max(1);
        let first = from + (self.next_rand() % sectors) * sector;
        if first > from {
            self.inner.erase(from, first)?;
        }
        let level = self.next_rand() % 4;
        let mut buf = [0u8; SECTOR_BUF];
        if let Some(old) = buf.get_mut(..F::ERASE_SIZE) {
            self.inner.read(first, old)?;
            for b in old.iter_mut() {
                let r = self.next_rand();
                let (a, c) = (r as u8, (r >> 8) as u8);
                // Bits that reached 1: density 1/4, 1/2, 3/4 or 15/16 by level.
                *b |= match level {
                    0 => a & c,
                    1 => a,
                    2 => a | c,
                    _ => a | c | (r >> 16) as u8 | (r >> 24) as u8,
                };
            }
            // Setting bits takes an erase: erase, then program back the bits still 0.
            self.inner.erase(first, first + sector)?;
            self.inner.write(first, old)?;
        }
        self.power_off("erase", from, (to - from) as usize, (first - from) as usize)
    }
}

/// The largest sector [`CutFlash`] tears part-way (a larger one is left untouched).
const SECTOR_BUF: usize = 4096;

impl<F: NorFlash> ErrorType for CutFlash<F> {
    type Error = F::Error;
}

impl<F: NorFlash> ReadNorFlash for CutFlash<F> {
    const READ_SIZE: usize = F::READ_SIZE;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), F::Error> {
        self.inner.read(offset, bytes)
    }

    fn capacity(&self) -> usize {
        self.inner.capacity()
    }
}

impl<F: NorFlash> NorFlash for CutFlash<F> {
    const WRITE_SIZE: usize = F::WRITE_SIZE;
    const ERASE_SIZE: usize = F::ERASE_SIZE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), F::Error> {
        if self.tick(true) {
            self.torn_erase(from, to)?;
        }
        self.inner.erase(from, to)
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), F::Error> {
        if self.tick(false) {
            self.torn_program(offset, bytes)?;
        }
        self.inner.write(offset, bytes)
    }
}

/// Re-programming a written word (clearing more bits) is what the wrapped flash allows; a cut
/// one leaves it as torn as any other program.
impl<F: embedded_storage::nor_flash::MultiwriteNorFlash>
    embedded_storage::nor_flash::MultiwriteNorFlash for CutFlash<F>
{
}
