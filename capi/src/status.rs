//! The one list of status codes every entry point returns, and where each core error lands.
//!
//! Values follow the PSA Certified Crypto API's `psa_status_t` where PSA has a code that
//! means the same thing (`KF_ERROR_INVALID_ARGUMENT` = `PSA_ERROR_INVALID_ARGUMENT` =
//! -135, ...); keyfort's own conditions (rollback, a revoked key, DUKPT exhaustion) have
//! their own codes from -200 down. No code carries data.
use keyfort::dukpt::DukptError;
use keyfort::store::Error as StoreError;
use keyfort::terminal::TerminalError;
use keyfort::tr31::Tr31Error;
use keyfort::transaction::OpsError;
use keyfort::wrap::WrapError;

/// A status code (`kf_status_t`, an `int32_t` in C). `KF_SUCCESS` (0) or a negative error.
#[allow(non_camel_case_types)]
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum kf_status_t {
    /// The operation succeeded.
    KF_SUCCESS = 0,
    /// An error that fits no other code (PSA_ERROR_GENERIC_ERROR).
    KF_ERROR_GENERIC_ERROR = -132,
    /// The key's usage policy, or keyfort's rules (a too-weak wrapping key, a
    /// non-exportable key), do not allow this (PSA_ERROR_NOT_PERMITTED).
    KF_ERROR_NOT_PERMITTED = -133,
    /// A parameter value keyfort does not implement: a key type or size, an algorithm, a
    /// volatile lifetime, a flash geometry (PSA_ERROR_NOT_SUPPORTED).
    KF_ERROR_NOT_SUPPORTED = -134,
    /// A NULL pointer, overlapping buffers, an absurd length, unknown flag bits, a bad
    /// PIN or PAN (PSA_ERROR_INVALID_ARGUMENT).
    KF_ERROR_INVALID_ARGUMENT = -135,
    /// The store object is not open (never opened, closed, or killed by a contained
    /// panic), or is misaligned (PSA_ERROR_INVALID_HANDLE).
    KF_ERROR_INVALID_HANDLE = -136,
    /// The call is not valid now: no DUKPT terminal loaded, no transaction begun, a
    /// store that must be re-opened after a flash error (PSA_ERROR_BAD_STATE).
    KF_ERROR_BAD_STATE = -137,
    /// An output buffer is too small; it was zeroed (PSA_ERROR_BUFFER_TOO_SMALL).
    KF_ERROR_BUFFER_TOO_SMALL = -138,
    /// A key with this id already exists (PSA_ERROR_ALREADY_EXISTS).
    KF_ERROR_ALREADY_EXISTS = -139,
    /// No key (or version) with this id (PSA_ERROR_DOES_NOT_EXIST).
    KF_ERROR_DOES_NOT_EXIST = -140,
    /// The store's key table or a key's version list is full
    /// (PSA_ERROR_INSUFFICIENT_MEMORY).
    KF_ERROR_INSUFFICIENT_MEMORY = -141,
    /// The live data does not fit into a flash sector (PSA_ERROR_INSUFFICIENT_STORAGE).
    KF_ERROR_INSUFFICIENT_STORAGE = -142,
    /// A flash callback failed; the operation may or may not have committed: re-open
    /// the store (PSA_ERROR_STORAGE_FAILURE).
    KF_ERROR_STORAGE_FAILURE = -146,
    /// The device secret or monotonic counter callback failed (PSA_ERROR_HARDWARE_FAILURE).
    KF_ERROR_HARDWARE_FAILURE = -147,
    /// The entropy callback failed or its output failed the health tests
    /// (PSA_ERROR_INSUFFICIENT_ENTROPY).
    KF_ERROR_INSUFFICIENT_ENTROPY = -148,
    /// A MAC or key-wrap integrity check failed: a forged, altered or wrongly keyed
    /// TR-31 block or wrapped key (PSA_ERROR_INVALID_SIGNATURE).
    KF_ERROR_INVALID_SIGNATURE = -149,
    /// keyfort caught an internal error (a contained panic or a broken invariant); the
    /// store object was wiped and closed (PSA_ERROR_CORRUPTION_DETECTED).
    KF_ERROR_CORRUPTION_DETECTED = -151,
    /// Stored data failed authentication or is impossible: bit flips, a record moved
    /// or copied (PSA_ERROR_DATA_CORRUPT).
    KF_ERROR_DATA_CORRUPT = -152,
    /// Input data is malformed: a TR-31 block that does not parse, a header that
    /// cannot be mapped onto a policy, a wrong-length key (PSA_ERROR_DATA_INVALID).
    KF_ERROR_DATA_INVALID = -153,
    /// The flash holds no keyfort store: call `kf_store_format` (keyfort).
    KF_ERROR_NOT_FORMATTED = -200,
    /// The flash image is older (or newer) than the monotonic counter says: a
    /// rolled-back image (keyfort).
    KF_ERROR_ROLLED_BACK = -201,
    /// The root sector does not authenticate under this device's secret: an image from
    /// another device (keyfort).
    KF_ERROR_FOREIGN_DEVICE = -202,
    /// The key version is revoked (keyfort).
    KF_ERROR_KEY_REVOKED = -203,
    /// The key's use-count limit is reached (keyfort).
    KF_ERROR_USE_LIMIT_REACHED = -204,
    /// Encrypt, wrap, MAC generation and derivation need the newest active version
    /// (keyfort).
    KF_ERROR_NOT_NEWEST_VERSION = -205,
    /// The DUKPT terminal has used its last counter value (keyfort).
    KF_ERROR_DUKPT_EXHAUSTED = -206,
    /// After a destroy, something decryptable for the key was still found on flash
    /// (keyfort).
    KF_ERROR_DESTROY_VERIFY = -207,
}

pub use kf_status_t::*;

/// Result of the service layer.
pub type Status<T = ()> = Result<T, kf_status_t>;

impl From<StoreError> for kf_status_t {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Flash => KF_ERROR_STORAGE_FAILURE,
            StoreError::NeedsReopen => KF_ERROR_BAD_STATE,
            StoreError::Geometry | StoreError::FormatVersion => KF_ERROR_NOT_SUPPORTED,
            StoreError::NotFormatted => KF_ERROR_NOT_FORMATTED,
            StoreError::RootAuth => KF_ERROR_FOREIGN_DEVICE,
            StoreError::Corrupt | StoreError::MissingData => KF_ERROR_DATA_CORRUPT,
            StoreError::RolledBack | StoreError::CounterAhead => KF_ERROR_ROLLED_BACK,
            StoreError::Counter => KF_ERROR_HARDWARE_FAILURE,
            StoreError::NotFound => KF_ERROR_DOES_NOT_EXIST,
            StoreError::AlreadyExists => KF_ERROR_ALREADY_EXISTS,
            StoreError::Full | StoreError::Exhausted => KF_ERROR_INSUFFICIENT_STORAGE,
            StoreError::Capacity => KF_ERROR_INSUFFICIENT_MEMORY,
            StoreError::BadLength | StoreError::BackupFormat => KF_ERROR_INVALID_ARGUMENT,
            StoreError::UsageDenied | StoreError::NotExportable => KF_ERROR_NOT_PERMITTED,
            StoreError::KeyAlgorithm => KF_ERROR_NOT_PERMITTED,
            StoreError::DegenerateKey | StoreError::InvalidUsage => KF_ERROR_INVALID_ARGUMENT,
            StoreError::NotNewestVersion => KF_ERROR_NOT_NEWEST_VERSION,
            StoreError::Revoked => KF_ERROR_KEY_REVOKED,
            StoreError::UseLimitReached => KF_ERROR_USE_LIMIT_REACHED,
            StoreError::Wrap => KF_ERROR_INVALID_SIGNATURE,
            StoreError::BufferTooSmall => KF_ERROR_BUFFER_TOO_SMALL,
            StoreError::DestroyVerify => KF_ERROR_DESTROY_VERIFY,
            StoreError::LogicBug => KF_ERROR_CORRUPTION_DETECTED,
            _ => KF_ERROR_GENERIC_ERROR,
        }
    }
}

impl From<Tr31Error> for kf_status_t {
    fn from(e: Tr31Error) -> Self {
        match e {
            Tr31Error::Unauthentic => KF_ERROR_INVALID_SIGNATURE,
            Tr31Error::WeakKbpk | Tr31Error::KeyComponent => KF_ERROR_NOT_PERMITTED,
            Tr31Error::BadKbpk => KF_ERROR_NOT_SUPPORTED,
            Tr31Error::UnsupportedVersion
            | Tr31Error::UnsupportedUsage
            | Tr31Error::UnsupportedAlgorithm
            | Tr31Error::ModeNotAllowed => KF_ERROR_NOT_SUPPORTED,
            _ => KF_ERROR_DATA_INVALID,
        }
    }
}

impl From<DukptError> for kf_status_t {
    fn from(e: DukptError) -> Self {
        match e {
            DukptError::Exhausted => KF_ERROR_DUKPT_EXHAUSTED,
            DukptError::PersistFailed => KF_ERROR_STORAGE_FAILURE,
            DukptError::BadKeyLength | DukptError::KeyTypeNotAllowed => KF_ERROR_NOT_SUPPORTED,
            DukptError::StateLength | DukptError::StateVersion | DukptError::StateInconsistent => {
                KF_ERROR_DATA_CORRUPT
            }
            _ => KF_ERROR_INVALID_ARGUMENT,
        }
    }
}

impl From<TerminalError> for kf_status_t {
    fn from(e: TerminalError) -> Self {
        match e {
            TerminalError::Store(e) => e.into(),
            TerminalError::KeyBlock(e) => e.into(),
            TerminalError::Dukpt(e) => e.into(),
            TerminalError::NoInitialKeyId => KF_ERROR_DATA_INVALID,
            TerminalError::NotAesKey => KF_ERROR_NOT_SUPPORTED,
            TerminalError::StateTooLarge => KF_ERROR_INSUFFICIENT_STORAGE,
            _ => KF_ERROR_GENERIC_ERROR,
        }
    }
}

impl From<WrapError> for kf_status_t {
    fn from(e: WrapError) -> Self {
        match e {
            WrapError::Integrity => KF_ERROR_INVALID_SIGNATURE,
            WrapError::OutputTooSmall => KF_ERROR_BUFFER_TOO_SMALL,
            WrapError::KekLength => KF_ERROR_NOT_SUPPORTED,
            _ => KF_ERROR_INVALID_ARGUMENT,
        }
    }
}

impl From<keyfort::key::KeyError> for kf_status_t {
    fn from(e: keyfort::key::KeyError) -> Self {
        OpsError::from(e).into()
    }
}

impl From<OpsError> for kf_status_t {
    fn from(e: OpsError) -> Self {
        match e {
            OpsError::MacMismatch => KF_ERROR_INVALID_SIGNATURE,
            OpsError::UsageDenied | OpsError::WrongAlgorithm => KF_ERROR_NOT_PERMITTED,
            OpsError::BadKeyLength => KF_ERROR_NOT_SUPPORTED,
            _ => KF_ERROR_INVALID_ARGUMENT,
        }
    }
}
