//! The traits a board implements, next to the ecosystem's `NorFlash`
//! (`embedded-storage`) and `rand_core`'s `TryRng + TryCryptoRng` for raw entropy. The
//! tamper line is the board's business (the board crates read it as an `embedded-hal`
//! `InputPin`); keyfort only needs the call to
//! [`KeyStore::tamper_wipe`](crate::store::KeyStore::tamper_wipe) when it fires.
//! [`Platform`] bundles what the store takes from a board into one bound.

use embedded_storage::nor_flash::MultiwriteNorFlash;
use rand_core::TryCryptoRng;

/// A device-unique secret (a hardware unique key, or a test stand-in). keyfort uses it
/// only as input to a key derivation; it never stores or logs it.
pub trait DeviceSecret {
    /// Runs `f` with the 32-byte device secret. Implementations that read it from a
    /// peripheral should wipe their copy after `f` returns.
    fn with_secret<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> R;
}

/// A counter that only goes up and survives power loss (OTP fuses, a secure element's
/// counter, a replay-protected memory block). It lets the store detect a rolled-back
/// flash image.
pub trait MonotonicCounter {
    /// The current value.
    fn read(&mut self) -> Result<u32, CounterError>;
    /// Increments by one and returns the new value.
    fn increment(&mut self) -> Result<u32, CounterError>;
}

/// A monotonic counter failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CounterError {
    /// The counter cannot go higher.
    Exhausted,
    /// The hardware did not answer or reported a fault.
    Hardware,
}

/// For boards without a monotonic counter: always reads 0 and cannot increment. A store
/// opened with it cannot detect rollback, and says so (see the store docs).
#[derive(Debug, Default)]
pub struct NoCounter;

impl MonotonicCounter for NoCounter {
    fn read(&mut self) -> Result<u32, CounterError> {
        Ok(0)
    }
    fn increment(&mut self) -> Result<u32, CounterError> {
        Ok(0)
    }
}

/// A borrowed device secret is one: a store can take `&board.secret` and leave the
/// secret with the board.
impl<T: DeviceSecret + ?Sized> DeviceSecret for &T {
    fn with_secret<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> R {
        (**self).with_secret(f)
    }
}

/// A borrowed device secret is one (see the `&T` impl).
impl<T: DeviceSecret + ?Sized> DeviceSecret for &mut T {
    fn with_secret<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> R {
        (**self).with_secret(f)
    }
}

/// A mutably borrowed counter is one: a store can take `&mut board.counter`.
impl<T: MonotonicCounter + ?Sized> MonotonicCounter for &mut T {
    fn read(&mut self) -> Result<u32, CounterError> {
        (**self).read()
    }
    fn increment(&mut self) -> Result<u32, CounterError> {
        (**self).increment()
    }
}

/// Everything the key store takes from a board, as one bound: the flash it keeps its
/// sectors on, the device secret its sealing keys derive from, a generator for keys,
/// salts and masks (it may refuse: the store then fails closed), and the monotonic
/// counter against rollback ([`NoCounter`] if the board has none).
///
/// The flash must be a [`MultiwriteNorFlash`]: a tamper wipe programs words the store
/// wrote before a second time (it kills the live salt slot by programming its live
/// block to zero, then zeroes the salt), clearing only bits that are set. The store
/// programs each such word at most twice between erases (the nRF52's `nWRITE` limit),
/// unless a kill is torn and repeated.
///
/// A tuple `(flash, secret, rng, counter)` is a platform, so a store opens with
/// `KeyStore::open((flash, secret, rng, counter))`; a board crate may implement it for
/// its own struct instead.
///
/// ```
/// use keyfort::platform::{DeviceSecret, NoCounter, Platform};
///
/// // A generic helper over any board: one bound instead of four.
/// fn sectors<P: Platform>(store: &keyfort::store::KeyStore<P>) -> u32 {
///     store.sector_count()
/// }
/// ```
pub trait Platform {
    /// The store's flash.
    type Flash: MultiwriteNorFlash;
    /// The device-unique secret.
    type Secret: DeviceSecret;
    /// The generator (keys, salts, masks).
    type Rng: TryCryptoRng;
    /// The anti-rollback counter.
    type Counter: MonotonicCounter;
    /// Hands the parts to the store.
    fn into_parts(self) -> (Self::Flash, Self::Secret, Self::Rng, Self::Counter);
}

/// `(flash, secret, rng, counter)`.
impl<F, D, R, C> Platform for (F, D, R, C)
where
    F: MultiwriteNorFlash,
    D: DeviceSecret,
    R: TryCryptoRng,
    C: MonotonicCounter,
{
    type Flash = F;
    type Secret = D;
    type Rng = R;
    type Counter = C;
    fn into_parts(self) -> (F, D, R, C) {
        self
    }
}
