//! Errors of the random bit generator.

/// Why an [`HmacDrbg`](super::HmacDrbg) call failed (SP 800-90A error indications).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DrbgError {
    /// The entropy input is shorter than the 256-bit security strength requires
    /// (32 bytes at instantiate together with the nonce: 48 bytes; 32 bytes at reseed),
    /// or longer than the SP 800-90A maximum.
    EntropyLength,
    /// The personalisation string or additional input is longer than supported.
    InputTooLong,
    /// More bytes were requested in one call than SP 800-90A allows (65 536 bytes).
    RequestTooLarge,
    /// The reseed counter passed the reseed interval: reseed before generating.
    ReseedRequired,
}

impl core::fmt::Display for DrbgError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::EntropyLength => "entropy input length out of range",
            Self::InputTooLong => "personalisation or additional input too long",
            Self::RequestTooLarge => "request too large",
            Self::ReseedRequired => "reseed required",
        })
    }
}

impl core::error::Error for DrbgError {}

/// Why seeding or generating from a [`Csprng`](super::Csprng) failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RngError {
    /// The raw entropy source reported an error of its own.
    SourceFailed,
    /// An SP 800-90B health test failed on the raw entropy (which one is said). The
    /// failure is sticky: the source gives nothing more until
    /// [`HealthTests::reset`](super::HealthTests::reset) after an operator action.
    HealthTestFailed(HealthTest),
    /// The DRBG refused the request.
    Drbg(DrbgError),
}

impl core::fmt::Display for RngError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::SourceFailed => f.write_str("entropy source failed"),
            Self::HealthTestFailed(HealthTest::RepetitionCount) => {
                f.write_str("entropy health test failed: repetition count")
            }
            Self::HealthTestFailed(HealthTest::AdaptiveProportion) => {
                f.write_str("entropy health test failed: adaptive proportion")
            }
            Self::Drbg(e) => write!(f, "drbg: {e}"),
        }
    }
}

impl core::error::Error for RngError {}

/// Which SP 800-90B health test tripped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum HealthTest {
    /// Repetition count test (SP 800-90B 4.4.1): one value repeated too often in a row.
    RepetitionCount,
    /// Adaptive proportion test (SP 800-90B 4.4.2): one value too frequent in a window.
    AdaptiveProportion,
}

impl From<DrbgError> for RngError {
    fn from(e: DrbgError) -> Self {
        Self::Drbg(e)
    }
}
