//! A monotonic counter in the UICR's 32 CUSTOMER words: a one-way bit counter.
//!
//! Each increment clears one more bit (flash can only clear bits without an erase), so the
//! value is the number of cleared bits, up to 1024. UICR is erased only by ERASEALL,
//! which also erases all of flash, keys included: rolling the counter back destroys what
//! it protects. It is still writable by any code running on the chip (no write-once
//! lock), so it defends against a replayed flash image, not against code execution.

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
        Ok(uicr
            .customer
            .iter()
            .map(|w| w.read().bits().count_zeros())
            .sum())
    }

    fn increment(&mut self) -> Result<u32, CounterError> {
        let (nvmc, uicr) = Self::regs();
        let Some(word) = uicr.customer.iter().find(|w| w.read().bits() != 0) else {
            return Err(CounterError::Exhausted);
        };
        let old = word.read().bits();
        let new = old & (old - 1); // clear the lowest set bit
        nvmc.config.write(|w| w.wen().wen());
        while nvmc.ready.read().ready().is_busy() {}
        // SAFETY: any 32-bit value is a valid CUSTOMER word.
        word.write(|w| unsafe { w.bits(new) });
        while nvmc.ready.read().ready().is_busy() {}
        nvmc.config.write(|w| w.wen().ren());
        if word.read().bits() != new {
            return Err(CounterError::Hardware);
        }
        self.read()
    }
}
