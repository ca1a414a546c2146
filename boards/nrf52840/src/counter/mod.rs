//! A monotonic counter in the UICR's 32 CUSTOMER words: a one-way counter of 64 steps.
//!
//! Each increment programs one more half of a word (flash can only clear bits without an
//! erase), so that no word is written more than twice between erases: the chip's limit
//! (nWRITE = 2, see [`steps`] for the encoding, the source and the budget,
//! [`steps::BUDGET`] = 64 steps). The store steps the counter on its lifecycle events
//! (see the keyfort manual, "Rollback"): 64 steps is a budget to plan for, and
//! `increment` returns `CounterError::Exhausted` once it is spent. UICR is erased only by ERASEALL,
//! which also erases all of flash, keys included: rolling the counter back destroys what
//! it protects. It is still writable by any code running on the chip (no write-once
//! lock), so it defends against a replayed flash image, not against code execution.

pub mod steps;

use keyfort::platform::{CounterError, MonotonicCounter};
use nrf52840_hal::pac;

/// The UICR counter (see the module docs).
pub struct UicrCounter(());

impl UicrCounter {
    pub(crate) fn new() -> Self {
        UicrCounter(())
    }

    fn regs() -> (
        &'static pac::nvmc::RegisterBlock,
        &'static pac::uicr::RegisterBlock,
    ) {
        // SAFETY: both register blocks exist at fixed addresses for the chip's lifetime.
        // NVMC is shared with the key store's `Nvmc` driver; the counter only changes
        // CONFIG while no flash operation runs (both are driven from one thread through
        // `&mut`), and restores read-only mode before returning.
        unsafe { (&*pac::NVMC::ptr(), &*pac::UICR::ptr()) }
    }
}

impl MonotonicCounter for UicrCounter {
    fn read(&mut self) -> Result<u32, CounterError> {
        let (_, uicr) = Self::regs();
        Ok(steps::value(uicr.customer.iter().map(|w| w.read().bits())))
    }

    fn increment(&mut self) -> Result<u32, CounterError> {
        let (nvmc, uicr) = Self::regs();
        // The first word with a write left (at most nWRITE = 2 writes per word).
        let (i, new) = steps::plan(uicr.customer.iter().map(|w| w.read().bits()))
            .ok_or(CounterError::Exhausted)?;
        let word = uicr.customer.get(i).ok_or(CounterError::Hardware)?;
        let want = steps::word_steps(new);
        nvmc.config.write(|w| w.wen().wen());
        while nvmc.ready.read().ready().is_busy() {}
        // SAFETY: any 32-bit value is a valid CUSTOMER word.
        word.write(|w| unsafe { w.bits(new) });
        while nvmc.ready.read().ready().is_busy() {}
        nvmc.config.write(|w| w.wen().ren());
        if steps::word_steps(word.read().bits()) != want {
            return Err(CounterError::Hardware);
        }
        self.read()
    }
}
