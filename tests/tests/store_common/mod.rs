//! Shared helpers of the store tests: a test device secret, a deterministic test RNG
//! (NOT cryptographic: only for reproducible tests) and a shared monotonic counter that
//! survives a simulated reboot.
#![allow(dead_code)]

pub mod counter_steps;
use keyfort::platform::{CounterError, DeviceSecret, MonotonicCounter};
use std::cell::Cell;
use std::rc::Rc;

/// A device secret stand-in.
pub struct Dev(pub [u8; 32]);
impl DeviceSecret for Dev {
    fn with_secret<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> R {
        f(&self.0)
    }
}

/// xorshift64*: reproducible, not secure; tests only.
pub struct TestRng(pub u64);
impl rand_core::TryRng for TestRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut x = self.0 | 1;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        Ok(x.wrapping_mul(0x2545_F491_4F6C_DD1D))
    }
    fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> {
        for c in d.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for TestRng {}

/// A monotonic counter shared across "reboots". `frozen` makes it behave like
/// `NoCounter` (always 0), to run the same workload without rollback detection.
#[derive(Clone, Default)]
pub struct SharedCounter(pub Rc<Cell<u32>>, pub bool);
impl SharedCounter {
    /// A counter that never moves (like `NoCounter`).
    pub fn frozen() -> Self {
        Self(Rc::default(), true)
    }
    /// A fresh counter of the same kind.
    pub fn same_kind(&self) -> Self {
        Self(Rc::default(), self.1)
    }
}
impl MonotonicCounter for SharedCounter {
    fn read(&mut self) -> Result<u32, CounterError> {
        Ok(self.0.get())
    }
    fn increment(&mut self) -> Result<u32, CounterError> {
        if self.1 {
            return Ok(0);
        }
        let v = self.0.get().checked_add(1).ok_or(CounterError::Exhausted)?;
        self.0.set(v);
        Ok(v)
    }
}

pub const DEV_A: [u8; 32] = [0xA5; 32];
pub const DEV_B: [u8; 32] = [0x5B; 32];

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}
