//! First boot: open the store, or create it when the flash has never held one
//! ([`KeyStore::open_or_format`]).

use super::error::Error;
use super::format::{u32f, ORIGIN_FORMAT, ROOT_HDR_LEN};
use super::root::{Root, RootState};
use super::KeyStore;
use crate::platform::Platform;

impl<P: Platform> KeyStore<P> {
    /// Every boot's one call: [`KeyStore::open`], or, on a flash that has never held a
    /// store, [`KeyStore::format`], with the same peripherals (nothing has to be taken
    /// twice).
    ///
    /// It formats only a flash on which nothing can have been sealed: no live salt slot
    /// in the root sector (blank, or a first format cut before its salt slot went live),
    /// every data sector erased, and the monotonic counter at 0. Anything else is opened
    /// as by [`KeyStore::open`], so a damaged or tampered image gives a typed error and
    /// is never overwritten:
    ///
    /// | flash | result |
    /// |---|---|
    /// | blank (or a first format cut before its salt went live), counter 0 | formatted |
    /// | a store | opened, keys intact |
    /// | root sector blank, a data sector not | [`Error::Corrupt`] |
    /// | blank, counter above 0 (a used store was erased) | [`Error::MissingData`] |
    /// | root sector of another device, or bit-flipped | [`Error::RootAuth`] |
    /// | any other damage | what [`KeyStore::open`] reports |
    ///
    /// Whether to format after such an error is the firmware's decision (call
    /// [`KeyStore::format`]). With [`crate::platform::NoCounter`] an erased store cannot
    /// be told from a new one and is formatted. Shown by `tests/tests/store_first_boot.rs`.
    ///
    /// ```
    /// use keyfort::platform::{DeviceSecret, NoCounter};
    /// use keyfort::attributes::{Algorithm, Usage};
    /// use keyfort::store::{KeyHandle, KeyStore};
    /// use keyfort_testkit::MockFlash; // a RAM NOR flash (repository test kit)
    /// # struct Dev; impl DeviceSecret for Dev { fn with_secret<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> R { f(&[7; 32]) } }
    /// # struct Rng(u64);
    /// # impl rand_core::TryRng for Rng { type Error = core::convert::Infallible;
    /// #   fn try_next_u32(&mut self) -> Result<u32, Self::Error> { Ok(self.try_next_u64()? as u32) }
    /// #   fn try_next_u64(&mut self) -> Result<u64, Self::Error> { self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); Ok(self.0 >> 11) }
    /// #   fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> { for b in d { *b = self.try_next_u64()? as u8; } Ok(()) } }
    /// # impl rand_core::TryCryptoRng for Rng {}
    /// // The board's peripherals, borrowed: they stay with the board after a reboot.
    /// let (mut flash, dev, mut counter) = (MockFlash::<{ 4 * 1024 }, 1024>::new(), Dev, NoCounter);
    /// // First boot: a blank flash is formatted.
    /// let mut store = KeyStore::open_or_format((&mut flash, &dev, Rng(1), &mut counter))?;
    /// store.generate(1, b"pin-key", Algorithm::Aes128, Usage::ENCRYPT, None)?;
    /// drop(store);
    /// // Next boot: the same call opens it.
    /// let mut store = KeyStore::open_or_format((&mut flash, &dev, Rng(2), &mut counter))?;
    /// assert_eq!(store.with_key(KeyHandle::newest(1), Usage::ENCRYPT, |k| k.len())?, 16);
    /// # Ok::<(), keyfort::store::Error>(())
    /// ```
    pub fn open_or_format(platform: P) -> Result<Self, Error> {
        let mut s = Self::new(platform)?;
        s.open_or_format_existing()?;
        Ok(s)
    }

    /// [`KeyStore::open_or_format`], building the store in `slot` (set on success, `None`
    /// on any error), for small stacks as [`KeyStore::open_in`].
    pub fn open_or_format_in(slot: &mut Option<Self>, platform: P) -> Result<(), Error> {
        let s = Self::place(slot, platform)?;
        let r = s.open_or_format_existing();
        if r.is_err() {
            *slot = None;
        }
        r
    }

    /// Writes an empty store over the whole flash (the body of [`KeyStore::format`]).
    pub(super) fn format_in_place(&mut self) -> Result<(), Error> {
        let io = &mut self.journal.io;
        for i in 1..io.count() {
            io.erase(i)?;
        }
        Root::write_header(io, &self.dev)?;
        let hw = self.rollback.hw();
        let seal = self
            .root
            .create_slot(io, &self.dev, &mut self.rng, 0, ORIGIN_FORMAT, hw)?;
        self.seal = Some(seal);
        self.init_empty(ORIGIN_FORMAT)
    }

    fn open_or_format_existing(&mut self) -> Result<(), Error> {
        let no_live_slot = match Root::read(&mut self.journal.io, &self.dev) {
            Ok(RootState::Unformatted) => true,
            // A root header that does not authenticate, with nothing after it in the
            // root sector: a first format cut while programming the header.
            Err(Error::RootAuth) => {
                let io = &mut self.journal.io;
                if !io.is_blank(u32f(ROOT_HDR_LEN), io.size())? {
                    return Err(Error::RootAuth);
                }
                true
            }
            Ok(_) => false,
            Err(e) => return Err(e),
        };
        if !no_live_slot {
            return self.open_existing();
        }
        // Data sectors are written only under a live salt slot.
        for i in 1..self.journal.io.count() {
            if !self.journal.io.sector_blank(i)? {
                return Err(Error::Corrupt);
            }
        }
        // Formatting steps the counter (its first snapshot is a compaction): a blank
        // flash on a counter above 0 is a used store that was erased.
        if self.rollback.hw() != 0 {
            return Err(Error::MissingData);
        }
        self.format_in_place()
    }
}
