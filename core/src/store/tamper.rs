//! Tamper response: crypto-erase, resumable after a power cut (see the module manual).

use super::error::Error;
use super::format::ORIGIN_TAMPER;
use super::root::Root;
use super::KeyStore;
use crate::platform::Platform;

impl<P: Platform> KeyStore<P> {
    /// Crypto-erases the store: marks the wipe durably, destroys the salt (nothing on
    /// flash decrypts from then on), wipes the RAM sealing keys and index, erases every
    /// data sector, increments the counter and starts an empty store whose audit log
    /// holds a `TamperWipe` event. If power is cut on the way, [`KeyStore::open`]
    /// finishes it. Also works on a store whose RAM view is stale after a flash error.
    pub fn tamper_wipe(&mut self) -> Result<(), Error> {
        self.journal.io.broken = false;
        let slot = self.root.slot;
        let next = Root::free_slot_after(&mut self.journal.io, slot)?;
        Root::kill_slot(&mut self.journal.io, slot)?;
        self.finish_wipe(slot, next)
    }

    /// Steps 2.. of the wipe, idempotent.
    pub(crate) fn finish_wipe(&mut self, killed: u32, next: u32) -> Result<(), Error> {
        Root::zero_salt(&mut self.journal.io, killed)?;
        self.seal = None; // masked shares wiped on drop
        self.index.clear();
        self.audit.clear();
        self.journal.reset(self.rollback.hw());
        for s in 1..self.journal.io.count() {
            self.journal.io.erase(s)?;
        }
        self.rollback.step()?;
        let slot = if next < Root::slots(&self.journal.io) {
            next
        } else {
            // Every salt slot used: start a new root (not resumable: a cut here leaves
            // the flash unformatted, with every key already crypto-erased).
            Root::write_header(&mut self.journal.io, &self.dev)?;
            0
        };
        let hw = self.rollback.hw();
        let seal = self.root.create_slot(
            &mut self.journal.io,
            &self.dev,
            &mut self.rng,
            slot,
            ORIGIN_TAMPER,
            hw,
        )?;
        self.seal = Some(seal);
        self.init_empty(ORIGIN_TAMPER)
    }
}
