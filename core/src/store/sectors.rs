//! The flash as the store sees it: `n` equal erase sectors (sector 0 the root, the rest
//! data sectors), read, programmed and erased through one place that remembers a
//! failure (after one, the RAM view may be stale and the store must be re-opened).
use embedded_storage::nor_flash::MultiwriteNorFlash;

use super::error::Error;
use super::format::{blank, u32f, ROOT_HDR_LEN, SLOT_LEN, UNIT};

/// The store's flash with its geometry.
pub(crate) struct Sectors<F> {
    flash: F,
    sector_size: u32,
    count: u32,
    /// A flash operation failed (or a write was refused half-way): re-open.
    pub(crate) broken: bool,
}

impl<F: MultiwriteNorFlash> Sectors<F> {
    /// Checks the geometry the format needs (see the manual's "Layout").
    #[allow(clippy::integer_division_remainder_used)] // the flash geometry and public offsets
    pub(crate) fn new(flash: F) -> Result<Self, Error> {
        let sector = F::ERASE_SIZE;
        if sector == 0
            || sector > 65536
            || sector % UNIT != 0
            || F::WRITE_SIZE == 0
            || UNIT % F::WRITE_SIZE != 0
            || F::READ_SIZE == 0
            || UNIT % F::READ_SIZE != 0
            || sector < ROOT_HDR_LEN + 2 * SLOT_LEN
        {
            return Err(Error::Geometry);
        }
        let count = flash.capacity() / sector;
        if !(3..=65).contains(&count) {
            return Err(Error::Geometry);
        }
        Ok(Self {
            flash,
            sector_size: u32f(sector),
            count: u32::try_from(count).map_err(|_| Error::Geometry)?,
            broken: false,
        })
    }

    pub(crate) fn into_flash(self) -> F {
        self.flash
    }

    pub(crate) fn flash(&self) -> &F {
        &self.flash
    }

    /// Bytes per sector.
    pub(crate) fn size(&self) -> u32 {
        self.sector_size
    }

    /// Sectors, root included.
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// The first byte of sector `s`.
    pub(crate) fn base(&self, s: u32) -> u32 {
        s * self.sector_size
    }

    /// One past the last byte of sector `s`.
    pub(crate) fn end(&self, s: u32) -> u32 {
        self.base(s) + self.sector_size
    }

    /// The sector holding byte `off`.
    #[allow(clippy::integer_division_remainder_used)] // the flash geometry and public offsets
    pub(crate) fn of(&self, off: u32) -> u32 {
        off / self.sector_size
    }

    pub(crate) fn read(&mut self, off: u32, buf: &mut [u8]) -> Result<(), Error> {
        self.flash.read(off, buf).map_err(|_| {
            self.broken = true;
            Error::Flash
        })
    }

    pub(crate) fn program(&mut self, off: u32, buf: &[u8]) -> Result<(), Error> {
        self.flash.write(off, buf).map_err(|_| {
            self.broken = true;
            Error::Flash
        })
    }

    pub(crate) fn erase(&mut self, s: u32) -> Result<(), Error> {
        let (from, to) = (self.base(s), self.end(s));
        self.flash.erase(from, to).map_err(|_| {
            self.broken = true;
            Error::Flash
        })
    }

    /// Whether `[from, to)` is erased.
    pub(crate) fn is_blank(&mut self, from: u32, to: u32) -> Result<bool, Error> {
        let mut off = from;
        let mut buf = [0u8; 64];
        while off < to {
            let n = core::cmp::min(64, (to - off) as usize);
            let b = buf.get_mut(..n).ok_or(Error::LogicBug)?;
            self.read(off, b)?;
            if !blank(b) {
                return Ok(false);
            }
            off += u32f(n);
        }
        Ok(true)
    }

    /// Whether sector `s` is erased.
    pub(crate) fn sector_blank(&mut self, s: u32) -> Result<bool, Error> {
        self.is_blank(self.base(s), self.end(s))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use keyfort_testkit::MockFlash;

    #[test]
    fn geometry_is_checked() {
        assert!(Sectors::new(MockFlash::<{ 3 * 256 }, 256>::new()).is_ok());
        // Two sectors: no room for a root and a current sector plus one to compact into.
        assert_eq!(
            Sectors::new(MockFlash::<{ 2 * 256 }, 256>::new()).err(),
            Some(Error::Geometry)
        );
        // A sector too small for the root header and two salt slots.
        assert_eq!(
            Sectors::new(MockFlash::<{ 4 * 176 }, 176>::new()).err(),
            Some(Error::Geometry)
        );
        let s = Sectors::new(MockFlash::<{ 4 * 256 }, 256>::new()).unwrap();
        assert_eq!(
            (s.count(), s.size(), s.base(2), s.end(2)),
            (4, 256, 512, 768)
        );
        assert_eq!(s.of(511), 1);
    }

    #[test]
    fn blank_checks_and_failures_mark_broken() {
        let mut s = Sectors::new(MockFlash::<{ 3 * 256 }, 256>::new()).unwrap();
        assert!(s.sector_blank(1).unwrap());
        s.program(256 + 128, &[0xFE, 0xFF, 0xFF, 0xFF]).unwrap();
        assert!(!s.sector_blank(1).unwrap());
        assert!(s.is_blank(256, 256 + 128).unwrap());
        assert!(!s.is_blank(256 + 100, 256 + 200).unwrap());
        assert!(s.sector_blank(2).unwrap());
        s.erase(1).unwrap();
        assert!(s.sector_blank(1).unwrap());
        assert!(!s.broken);
        // A misaligned program is refused by the flash: the store must re-open.
        assert_eq!(s.program(3, &[0; 4]), Err(Error::Flash));
        assert!(s.broken);
    }
}
