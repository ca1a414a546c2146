//! Tamper response: crypto-erase, resumable after a power cut (see the module manual).
use embedded_storage::nor_flash::NorFlash;
use rand_core::TryCryptoRng;

use super::error::Error;
use super::format::ORIGIN_TAMPER;
use super::KeyStore;
use crate::platform::{DeviceSecret, MonotonicCounter};

impl<F, D, R, C> KeyStore<F, D, R, C>
where
    F: NorFlash,
    D: DeviceSecret,
    R: TryCryptoRng,
    C: MonotonicCounter,
{
    /// Crypto-erases the store: marks the wipe durably, destroys the salt (nothing on
    /// flash decrypts from then on), wipes the RAM sealing keys and index, erases every
    /// data sector, increments the counter and starts an empty store whose audit log
    /// holds a `TamperWipe` event. If power is cut on the way, [`KeyStore::open`]
    /// finishes it. Also works on a store whose RAM view is stale after a flash error.
    pub fn tamper_wipe(&mut self) -> Result<(), Error> {
        self.broken = false;
        let slot = self.salt_slot;
        let next = self.free_slot_after(slot)?;
        self.kill_slot(slot)?;
        self.finish_wipe(slot, next)
    }

    /// Steps 2.. of the wipe, idempotent.
    pub(crate) fn finish_wipe(&mut self, killed: u32, next: u32) -> Result<(), Error> {
        self.zero_salt(killed)?;
        self.keys = None; // masked shares wiped on drop
        self.index.clear();
        self.audit.clear();
        self.last_tag = [0; super::format::TAG_LEN];
        for s in 1..self.sectors {
            self.flash_erase(s)?;
        }
        self.counter_high_water = self.counter.increment().map_err(|_| Error::Counter)?;
        let slot = if next < self.slots() {
            next
        } else {
            // Every salt slot used: start a new root (not resumable: a cut here leaves
            // the flash unformatted, with every key already crypto-erased).
            self.write_root_header()?;
            0
        };
        self.create_slot(slot, ORIGIN_TAMPER)?;
        self.max_seq = 0;
        self.init_empty(ORIGIN_TAMPER)
    }
}
