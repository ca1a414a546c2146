//! The board a C program supplies: one struct of function pointers and a context, turned
//! into keyfort's board traits (`NorFlash`, a raw entropy source for the DRBG,
//! [`DeviceSecret`], [`MonotonicCounter`]).
use core::ffi::c_void;
use core::mem::MaybeUninit;

use embedded_storage::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use keyfort::platform::{CounterError, DeviceSecret, MonotonicCounter};
use keyfort::secret::Secret;
use rand_core::{TryCryptoRng, TryRng};
use zeroize::Zeroize;

use crate::status::*;

/// The logical erase sector of the store (bytes). The flash callbacks see erases of whole
/// logical sectors; a flash with smaller physical pages erases every page inside.
pub const KF_SECTOR_SIZE: u32 = 4096;
/// Program granularity: every program call covers whole 16-byte units at 16-byte aligned
/// offsets.
pub const KF_PROGRAM_UNIT: u32 = 16;
/// Smallest flash the store accepts (3 sectors: root and two data sectors).
pub const KF_FLASH_MIN: u32 = 3 * KF_SECTOR_SIZE;
/// Largest flash the store accepts (65 sectors).
pub const KF_FLASH_MAX: u32 = 65 * KF_SECTOR_SIZE;

/// Reads `len` bytes at `offset` (relative to the store's area) into `buf`; returns 0 on
/// success, anything else on failure.
#[allow(non_camel_case_types)]
pub type kf_flash_read_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, offset: u32, buf: *mut u8, len: usize) -> i32>;
/// Programs `len` bytes at `offset` (both multiples of `KF_PROGRAM_UNIT`) with NOR
/// semantics: bits only go from 1 to 0, and a unit already programmed may be programmed
/// again to all zeros (the store kills a salt slot so). Returns 0 on success.
#[allow(non_camel_case_types)]
pub type kf_flash_program_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, offset: u32, data: *const u8, len: usize) -> i32>;
/// Erases `[offset, offset + len)` (whole `KF_SECTOR_SIZE` sectors) to 0xFF. Returns 0 on
/// success.
#[allow(non_camel_case_types)]
pub type kf_flash_erase_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, offset: u32, len: u32) -> i32>;
/// Fills `buf` with `len` bytes of raw entropy (from a TRNG); returns 0 on success. The
/// bytes go through keyfort's SP 800-90B health tests into an HMAC-DRBG.
#[allow(non_camel_case_types)]
pub type kf_entropy_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, buf: *mut u8, len: usize) -> i32>;
/// Writes the 32-byte device-unique secret to `out`; returns 0 on success. keyfort wipes
/// its copy after use.
#[allow(non_camel_case_types)]
pub type kf_device_secret_fn = Option<unsafe extern "C" fn(ctx: *mut c_void, out: *mut u8) -> i32>;
/// Reads (or increments by one and then reads) the monotonic counter into `value`;
/// returns 0 on success.
#[allow(non_camel_case_types)]
pub type kf_counter_fn = Option<unsafe extern "C" fn(ctx: *mut c_void, value: *mut u32) -> i32>;

/// What a board gives keyfort. Copied in by `kf_store_open` / `kf_store_format`; the
/// functions and `ctx` must stay valid until `kf_store_close`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct kf_board_t {
    /// Passed to every callback, never dereferenced by keyfort.
    pub ctx: *mut c_void,
    /// Bytes of flash the store owns: `KF_FLASH_MIN` to `KF_FLASH_MAX`, a multiple of
    /// `KF_SECTOR_SIZE`.
    pub flash_size: u32,
    /// Assumed min-entropy of one byte from `entropy`, in bits: 1, 2, 4 or 8.
    pub entropy_bits_per_byte: u32,
    /// Flash read (required).
    pub flash_read: kf_flash_read_fn,
    /// Flash program (required).
    pub flash_program: kf_flash_program_fn,
    /// Flash erase (required).
    pub flash_erase: kf_flash_erase_fn,
    /// Raw entropy (required).
    pub entropy: kf_entropy_fn,
    /// Device secret (required).
    pub device_secret: kf_device_secret_fn,
    /// Monotonic counter read; NULL together with `counter_increment` for a board without
    /// a counter (rollback of the flash image is then not detected).
    pub counter_read: kf_counter_fn,
    /// Monotonic counter increment.
    pub counter_increment: kf_counter_fn,
}

/// The callbacks, checked: every required one present.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Board {
    ctx: *mut c_void,
    flash_size: u32,
    read: unsafe extern "C" fn(*mut c_void, u32, *mut u8, usize) -> i32,
    program: unsafe extern "C" fn(*mut c_void, u32, *const u8, usize) -> i32,
    erase: unsafe extern "C" fn(*mut c_void, u32, u32) -> i32,
    entropy: unsafe extern "C" fn(*mut c_void, *mut u8, usize) -> i32,
    secret: unsafe extern "C" fn(*mut c_void, *mut u8) -> i32,
    counter: Option<(
        unsafe extern "C" fn(*mut c_void, *mut u32) -> i32,
        unsafe extern "C" fn(*mut c_void, *mut u32) -> i32,
    )>,
    pub(crate) min_entropy: keyfort::rng::MinEntropy,
}

impl Board {
    /// Checks `b`: required callbacks present, flash size in range, entropy estimate known.
    pub(crate) fn new(b: &kf_board_t) -> Status<Self> {
        let (Some(read), Some(program), Some(erase), Some(entropy), Some(secret)) = (
            b.flash_read,
            b.flash_program,
            b.flash_erase,
            b.entropy,
            b.device_secret,
        ) else {
            return Err(KF_ERROR_INVALID_ARGUMENT);
        };
        let counter = match (b.counter_read, b.counter_increment) {
            (Some(r), Some(i)) => Some((r, i)),
            (None, None) => None,
            _ => return Err(KF_ERROR_INVALID_ARGUMENT),
        };
        if !(KF_FLASH_MIN..=KF_FLASH_MAX).contains(&b.flash_size)
            || b.flash_size % KF_SECTOR_SIZE != 0
        {
            return Err(KF_ERROR_NOT_SUPPORTED);
        }
        use keyfort::rng::MinEntropy;
        let min_entropy = match b.entropy_bits_per_byte {
            1 => MinEntropy::Bits1,
            2 => MinEntropy::Bits2,
            4 => MinEntropy::Bits4,
            8 => MinEntropy::Bits8,
            _ => return Err(KF_ERROR_INVALID_ARGUMENT),
        };
        Ok(Self {
            ctx: b.ctx,
            flash_size: b.flash_size,
            read,
            program,
            erase,
            entropy,
            secret,
            counter,
            min_entropy,
        })
    }

    /// Reads the device secret once and wipes it: a board whose secret callback fails is
    /// refused before anything is derived from it.
    pub(crate) fn probe_secret(&self) -> Status {
        let mut s = Secret::<32>::zero();
        // SAFETY: `secret` is the board's callback (valid until close, the caller's
        // promise); `s` is a live 32-byte buffer the callback may write.
        let rc = unsafe { (self.secret)(self.ctx, s.expose_mut().as_mut_ptr()) };
        if rc == 0 {
            Ok(())
        } else {
            Err(KF_ERROR_HARDWARE_FAILURE)
        }
    }

    pub(crate) fn flash(&self) -> CFlash {
        CFlash(*self)
    }
    pub(crate) fn device(&self) -> CDevice {
        CDevice(*self)
    }
    pub(crate) fn entropy(&self) -> CEntropy {
        CEntropy(*self)
    }
    pub(crate) fn counter(&self) -> CCounter {
        CCounter(*self)
    }
}

/// The flash callbacks as an `embedded-storage` NOR flash.
#[derive(Debug)]
pub struct CFlash(Board);

/// A flash callback failed.
#[derive(Clone, Copy, Debug)]
pub struct FlashError(NorFlashErrorKind);

impl NorFlashError for FlashError {
    fn kind(&self) -> NorFlashErrorKind {
        self.0
    }
}

impl ErrorType for CFlash {
    type Error = FlashError;
}

impl CFlash {
    fn check(&self, offset: u32, len: usize, align: u32) -> Result<(), FlashError> {
        let end = usize::try_from(offset)
            .ok()
            .and_then(|o| o.checked_add(len))
            .ok_or(FlashError(NorFlashErrorKind::OutOfBounds))?;
        if end > self.capacity() {
            return Err(FlashError(NorFlashErrorKind::OutOfBounds));
        }
        if offset % align != 0 || len % (align as usize) != 0 {
            return Err(FlashError(NorFlashErrorKind::NotAligned));
        }
        Ok(())
    }
}

impl ReadNorFlash for CFlash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        self.check(offset, bytes.len(), 1)?;
        // SAFETY: `read` is the board's callback (valid until close); `bytes` is a live,
        // writable buffer of `bytes.len()` bytes, inside the flash area (checked above).
        let rc = unsafe { (self.0.read)(self.0.ctx, offset, bytes.as_mut_ptr(), bytes.len()) };
        if rc == 0 {
            Ok(())
        } else {
            Err(FlashError(NorFlashErrorKind::Other))
        }
    }

    fn capacity(&self) -> usize {
        self.0.flash_size as usize
    }
}

impl NorFlash for CFlash {
    const WRITE_SIZE: usize = KF_PROGRAM_UNIT as usize;
    const ERASE_SIZE: usize = KF_SECTOR_SIZE as usize;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        let len = to
            .checked_sub(from)
            .ok_or(FlashError(NorFlashErrorKind::OutOfBounds))?;
        self.check(from, len as usize, KF_SECTOR_SIZE)?;
        // SAFETY: `erase` is the board's callback (valid until close); it receives only
        // integers, a whole-sector range inside the flash area (checked above).
        let rc = unsafe { (self.0.erase)(self.0.ctx, from, len) };
        if rc == 0 {
            Ok(())
        } else {
            Err(FlashError(NorFlashErrorKind::Other))
        }
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        self.check(offset, bytes.len(), KF_PROGRAM_UNIT)?;
        // SAFETY: `program` is the board's callback (valid until close); `bytes` is a
        // live buffer of `bytes.len()` bytes, whole units inside the flash area (checked).
        let rc = unsafe { (self.0.program)(self.0.ctx, offset, bytes.as_ptr(), bytes.len()) };
        if rc == 0 {
            Ok(())
        } else {
            Err(FlashError(NorFlashErrorKind::Other))
        }
    }
}

/// The `kf_flash_program_fn` contract (`keyfort.h`) allows programming a unit again to
/// clear more bits, which is what the store does when it kills a salt slot.
impl MultiwriteNorFlash for CFlash {}

/// The device secret callback as keyfort's [`DeviceSecret`].
#[derive(Debug)]
pub struct CDevice(Board);

impl DeviceSecret for CDevice {
    fn with_secret<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> R {
        let mut s = Secret::<32>::zero();
        // SAFETY: `secret` is the board's callback (valid until close); `s` is a live
        // 32-byte buffer.
        let rc = unsafe { (self.0.secret)(self.0.ctx, s.expose_mut().as_mut_ptr()) };
        if rc != 0 {
            // The trait cannot fail (the callback was probed at open). Should it fail
            // now, derive from unknowable bytes instead: what gets sealed then opens
            // under no secret anyone has (fail closed), never under a predictable one.
            let mut e = CEntropy(self.0);
            if e.try_fill_bytes(s.expose_mut()).is_err() {
                s.expose_mut().fill(0xA5);
            }
        }
        f(s.expose())
    }
}

/// The counter callbacks as keyfort's [`MonotonicCounter`] (reads 0 and never moves
/// without them, like `keyfort::platform::NoCounter`).
#[derive(Debug)]
pub struct CCounter(Board);

impl CCounter {
    fn call(
        f: unsafe extern "C" fn(*mut c_void, *mut u32) -> i32,
        ctx: *mut c_void,
    ) -> Result<u32, CounterError> {
        let mut v = MaybeUninit::<u32>::zeroed();
        // SAFETY: `f` is one of the board's counter callbacks (valid until close); `v` is
        // a live, aligned u32 it may write.
        let rc = unsafe { f(ctx, v.as_mut_ptr()) };
        if rc != 0 {
            return Err(CounterError::Hardware);
        }
        // SAFETY: `v` was zero-initialised, so it is a valid u32 whatever the callback did.
        Ok(unsafe { v.assume_init() })
    }
}

impl MonotonicCounter for CCounter {
    fn read(&mut self) -> Result<u32, CounterError> {
        match self.0.counter {
            Some((r, _)) => Self::call(r, self.0.ctx),
            None => Ok(0),
        }
    }
    fn increment(&mut self) -> Result<u32, CounterError> {
        match self.0.counter {
            Some((_, i)) => Self::call(i, self.0.ctx),
            None => Ok(0),
        }
    }
}

/// The entropy callback as a raw `rand_core` source (for keyfort's health-tested DRBG).
#[derive(Debug)]
pub struct CEntropy(Board);

/// The entropy callback failed.
#[derive(Clone, Copy, Debug)]
pub struct EntropyError;

impl core::fmt::Display for EntropyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("entropy source failed")
    }
}
impl core::error::Error for EntropyError {}

impl TryRng for CEntropy {
    type Error = EntropyError;
    fn try_next_u32(&mut self) -> Result<u32, EntropyError> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, EntropyError> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), EntropyError> {
        // SAFETY: `entropy` is the board's callback (valid until close); `dst` is a live,
        // writable buffer of `dst.len()` bytes.
        let rc = unsafe { (self.0.entropy)(self.0.ctx, dst.as_mut_ptr(), dst.len()) };
        if rc == 0 {
            Ok(())
        } else {
            dst.zeroize();
            Err(EntropyError)
        }
    }
}

impl TryCryptoRng for CEntropy {}
