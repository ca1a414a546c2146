//! NIST SP 800-90B section 4.4 continuous health tests on raw entropy bytes, and a source
//! adapter that runs every byte through them.
//!
//! # Cut-offs
//!
//! Each sample is one byte of the raw source. The tests need an assumed min-entropy `H`
//! per sample, which the board's integrator states with [`MinEntropy`] (from the source's
//! SP 800-90B assessment or its datasheet; when unsure, keep the default
//! [`MinEntropy::Bits1`], which reads 8x more raw bytes than a full-entropy claim). The
//! false-positive probability is `alpha = 2^-30` per test (SP 800-90B recommends
//! `2^-20 <= alpha <= 2^-40`).
//!
//! - Repetition count test (4.4.1): cut-off `C = 1 + ceil(30 / H)`; fails when one value
//!   occurs `C` times in a row.
//! - Adaptive proportion test (4.4.2): window `W = 512` (non-binary samples); cut-off `C`
//!   is the smallest count with `P[B >= C] <= 2^-30` for `B = 1 + Binomial(W - 1, 2^-H)`
//!   (computed exactly; close to the `CRITBINOM` values of SP 800-90B table 2, which
//!   uses `alpha = 2^-20`); fails when the window's first value occurs `C` times.
//!
//! | `H` (bits/byte) | RCT cut-off | APT cut-off (W = 512) | raw bytes per 256 bits |
//! |---|---|---|---|
//! | 1 | 31 | 325 | 256 |
//! | 2 | 16 | 191 | 128 |
//! | 4 | 9 | 71 | 64 |
//! | 8 | 5 | 17 | 32 |
//!
//! Start-up (4.3 item 9): the first [`STARTUP_SAMPLES`] samples (two APT windows) run
//! through both tests and are discarded before any sample is used.
//!
//! A failure is sticky: every later request fails with
//! [`RngError::HealthTestFailed`] until [`HealthTests::reset`] (an operator decision).
//! The comparisons on sample values are branch-free (`subtle`), so the tests' timing does
//! not tell which samples repeated.
use rand_core::{TryCryptoRng, TryRng};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::{HealthTest, RngError};

/// Samples run through the tests and discarded at start-up (SP 800-90B 4.3 item 9 asks
/// for at least 1024).
pub const STARTUP_SAMPLES: usize = 1024;
const STARTUP_CHUNK: usize = 64;
const STARTUP_CHUNKS: usize = 16;
const _: () = assert!(STARTUP_CHUNK * STARTUP_CHUNKS == STARTUP_SAMPLES);

/// The adaptive proportion test's window (SP 800-90B 4.4.2, non-binary samples).
pub const APT_WINDOW: u16 = 512;

/// The min-entropy per raw byte the source is assessed to deliver (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum MinEntropy {
    /// 1 bit per byte (the conservative default).
    #[default]
    Bits1,
    /// 2 bits per byte.
    Bits2,
    /// 4 bits per byte.
    Bits4,
    /// 8 bits per byte (a full-entropy source).
    Bits8,
}

impl MinEntropy {
    /// `H` in bits per byte.
    pub const fn bits(self) -> usize {
        match self {
            Self::Bits1 => 1,
            Self::Bits2 => 2,
            Self::Bits4 => 4,
            Self::Bits8 => 8,
        }
    }
    /// Repetition count test cut-off for `alpha = 2^-30`.
    pub const fn rct_cutoff(self) -> u16 {
        match self {
            Self::Bits1 => 31,
            Self::Bits2 => 16,
            Self::Bits4 => 9,
            Self::Bits8 => 5,
        }
    }
    /// Adaptive proportion test cut-off for `W = 512`, `alpha = 2^-30`.
    pub const fn apt_cutoff(self) -> u16 {
        match self {
            Self::Bits1 => 325,
            Self::Bits2 => 191,
            Self::Bits4 => 71,
            Self::Bits8 => 17,
        }
    }
    /// Raw bytes needed to collect `bits` bits of min-entropy.
    pub const fn bytes_for(self, bits: usize) -> usize {
        bits.div_ceil(self.bits())
    }
}

/// The state of both continuous tests. Holds the last sample value (wiped on drop).
pub struct HealthTests {
    h: MinEntropy,
    rct_last: u8,
    rct_count: u16,
    apt_first: u8,
    apt_count: u16,
    apt_seen: u16,
    started: bool,
    failed: Option<HealthTest>,
}

impl HealthTests {
    /// Fresh tests for a source assessed at `h`.
    pub fn new(h: MinEntropy) -> Self {
        Self {
            h,
            rct_last: 0,
            rct_count: 0,
            apt_first: 0,
            apt_count: 0,
            apt_seen: 0,
            started: false,
            failed: None,
        }
    }

    /// The assessed min-entropy.
    pub fn min_entropy(&self) -> MinEntropy {
        self.h
    }

    /// The test that failed, if one did (sticky).
    pub fn failure(&self) -> Option<HealthTest> {
        self.failed
    }

    /// Clears a failure and restarts both tests, including the start-up test. Call only
    /// after an operator decision (SP 800-90B 4.3 item 5).
    pub fn reset(&mut self) {
        *self = Self::new(self.h);
    }

    /// Runs one sample through both tests.
    pub fn feed(&mut self, sample: u8) -> Result<(), HealthTest> {
        if let Some(f) = self.failed {
            return Err(f);
        }
        // Repetition count test: count = same ? count + 1 : 1 (branch-free).
        let same = u16::from(sample.ct_eq(&self.rct_last).unwrap_u8());
        let first = u16::from(self.rct_count == 0);
        let same = same & (1 - first);
        self.rct_count = same * self.rct_count + 1;
        self.rct_last = sample;
        // Adaptive proportion test: the window's first sample sets A, B starts at 1.
        if self.apt_seen == 0 {
            self.apt_first = sample;
            self.apt_count = 1;
        } else {
            self.apt_count += u16::from(sample.ct_eq(&self.apt_first).unwrap_u8());
        }
        self.apt_seen += 1;
        let rct_fail = self.rct_count >= self.h.rct_cutoff();
        let apt_fail = self.apt_count >= self.h.apt_cutoff();
        if self.apt_seen >= APT_WINDOW {
            self.apt_seen = 0;
        }
        if rct_fail {
            self.failed = Some(HealthTest::RepetitionCount);
        } else if apt_fail {
            self.failed = Some(HealthTest::AdaptiveProportion);
        }
        match self.failed {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }
}

impl Drop for HealthTests {
    #[inline(never)]
    fn drop(&mut self) {
        self.rct_last.zeroize();
        self.apt_first.zeroize();
    }
}

impl core::fmt::Debug for HealthTests {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HealthTests")
            .field("h", &self.h)
            .field("started", &self.started)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// A raw entropy source whose every byte goes through [`HealthTests`]; the first
/// [`STARTUP_SAMPLES`] bytes are tested and discarded before the first byte is delivered.
/// It is itself a `TryRng + TryCryptoRng` with [`RngError`] as its error. `Debug` shows
/// the tests' state, never the source (which may buffer raw samples).
pub struct HealthTestedSource<S> {
    source: S,
    tests: HealthTests,
}

impl<S> core::fmt::Debug for HealthTestedSource<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HealthTestedSource")
            .field("tests", &self.tests)
            .finish_non_exhaustive()
    }
}

impl<S: TryRng + TryCryptoRng> HealthTestedSource<S> {
    /// Wraps `source`, assessed at `h` bits of min-entropy per byte.
    pub fn new(source: S, h: MinEntropy) -> Self {
        Self {
            source,
            tests: HealthTests::new(h),
        }
    }

    /// The tests' state (to read a failure or reset after an operator decision).
    pub fn tests_mut(&mut self) -> &mut HealthTests {
        &mut self.tests
    }

    /// The assessed min-entropy per byte.
    pub fn min_entropy(&self) -> MinEntropy {
        self.tests.h
    }

    /// Runs the start-up test now (it also runs on the first fill).
    pub fn startup(&mut self) -> Result<(), RngError> {
        if self.tests.started {
            return Ok(());
        }
        let mut buf = [0u8; STARTUP_CHUNK];
        for _ in 0..STARTUP_CHUNKS {
            self.raw_tested(&mut buf)?;
        }
        buf.zeroize();
        self.tests.started = true;
        Ok(())
    }

    /// Fills `out` with health-tested raw bytes. On error `out` is zeroed.
    pub fn fill(&mut self, out: &mut [u8]) -> Result<(), RngError> {
        let r = self.startup().and_then(|()| self.raw_tested(out));
        if r.is_err() {
            out.zeroize();
        }
        r
    }

    fn raw_tested(&mut self, out: &mut [u8]) -> Result<(), RngError> {
        if let Some(f) = self.tests.failed {
            return Err(RngError::HealthTestFailed(f));
        }
        self.source
            .try_fill_bytes(out)
            .map_err(|_| RngError::SourceFailed)?;
        for &b in out.iter() {
            self.tests.feed(b).map_err(RngError::HealthTestFailed)?;
        }
        Ok(())
    }
}

impl<S: TryRng + TryCryptoRng> TryRng for HealthTestedSource<S> {
    type Error = RngError;
    fn try_next_u32(&mut self) -> Result<u32, RngError> {
        let mut b = [0u8; 4];
        self.fill(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, RngError> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), RngError> {
        self.fill(dst)
    }
}

impl<S: TryRng + TryCryptoRng> TryCryptoRng for HealthTestedSource<S> {}
