//! The one error type of the key store.

/// Why a store operation did not happen. No variant carries data that could hold key
/// material. After [`Error::Flash`] the in-RAM view may be stale: re-open the store.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The flash driver reported an error (a power cut in the test double shows up so).
    /// The operation may or may not have committed; re-open the store to find out.
    Flash,
    /// A previous flash error left the in-RAM view stale: re-open the store.
    NeedsReopen,
    /// The flash geometry is unsupported (not 3 to 65 sectors, sector not a multiple of
    /// 16 from 192 bytes to 64 KiB, or write/read granularity that does not divide 16), or
    /// the root sector records another geometry.
    Geometry,
    /// The flash holds no keyfort store (blank root sector). Call `format`.
    NotFormatted,
    /// The root sector does not authenticate under this device's secret: the image comes
    /// from another device, or the root sector is corrupted.
    RootAuth,
    /// A committed record or sector header fails its MAC or its structure is impossible
    /// (bit flips, truncation, a record moved or copied from elsewhere).
    Corrupt,
    /// The flash was written by an on-flash format version this build does not read.
    FormatVersion,
    /// The flash image is older than the monotonic counter says: a rolled-back image.
    RolledBack,
    /// The flash image claims a counter value ahead of the hardware counter.
    CounterAhead,
    /// The store's data sectors are missing although the counter says operations were
    /// committed after formatting.
    MissingData,
    /// The monotonic counter failed. If it failed after a record committed, the
    /// operation is done on flash; re-open (which retries the increment).
    Counter,
    /// No key (or state record) with this id / version.
    NotFound,
    /// A key with this id already exists (use rotation for a new version).
    AlreadyExists,
    /// The live data does not fit into one sector even after compaction.
    Full,
    /// The RAM index (`MAX_ENTRIES`) or the per-key version limit (`MAX_VERSIONS`) is full.
    Capacity,
    /// A length is wrong: key length does not match the algorithm, label or state blob
    /// too long, empty state blob.
    BadLength,
    /// The key's usage policy does not allow this use.
    UsageDenied,
    /// Encrypt, wrap, MAC generation and derivation need the newest active version.
    NotNewestVersion,
    /// The key version is pre-active: not usable until activated.
    NotYetActive,
    /// The key version is suspended: not usable until reactivated.
    Suspended,
    /// The key version is deactivated (revoked, or past its protect period): decrypt,
    /// unwrap and MAC verification only.
    Deactivated,
    /// The key version is compromised: usable (decrypt, MAC verification) only through
    /// the explicit opt-in of `with_compromised_key`.
    Compromised,
    /// The key version is compromised and this use (anything but decrypt and MAC
    /// verification) is refused even with the opt-in.
    CompromisedUse,
    /// The key version is destroyed: its material is gone (metadata only).
    Destroyed,
    /// The key version's protect period has ended: no encrypt, wrap, MAC generation or
    /// derivation.
    ProtectPeriodEnded,
    /// The key version's process period has ended: no use at all.
    ProcessPeriodEnded,
    /// The standards (SP 800-57 Pt1 Rev5 §7, KMIP 2.1 §3.29) do not allow this state
    /// transition (see `store::state::TRANSITIONS`).
    TransitionRefused,
    /// A cryptoperiod whose protect period exceeds its process period, or is zero.
    BadCryptoperiod,
    /// An epoch message of the wrong length, magic, version or reserved bytes.
    EpochFormat,
    /// An epoch message whose MAC does not verify (forged or altered).
    EpochAuth,
    /// An authentic epoch message for another store.
    EpochWrongStore,
    /// An authentic epoch message not newer than the store's epoch (replayed or old).
    EpochReplayed,
    /// The key named to authenticate epoch messages is not an HMAC-SHA256 key.
    EpochKey,
    /// The key's use-count limit is reached.
    UseLimitReached,
    /// The key is not exportable (no `Usage::EXPORT`).
    NotExportable,
    /// Key wrap or unwrap failed (bad KEK length, wrapped input not authentic).
    Wrap,
    /// A backup blob is malformed (after successful unwrap) or of an unknown version.
    BackupFormat,
    /// The caller's output buffer is too small.
    BufferTooSmall,
    /// After a destroy, something decryptable for that key was still found on flash.
    DestroyVerify,
    /// A sequence number space (record nonce, sector sequence) is exhausted.
    Exhausted,
    /// An internal invariant did not hold (a bug; reported instead of panicking).
    LogicBug,
    /// The stored key named as a key-encryption key is not an AES key (KW/KWP need AES).
    KekAlgorithm,
    /// The key-encryption key is weaker than the key it would import or export (SP 800-57
    /// strength, as for TR-31 import).
    KekTooWeak,
    /// The backup is older than what this store knows of the key: exported before the
    /// key was destroyed, used, changed state or was re-imported (anti-replay).
    BackupReplayed,
    /// The random number generator refused (its entropy source failed a health test or a
    /// due reseed could not be made): no key, salt or mask was made from it. With
    /// [`crate::rng::FailClosed`] this is how a failed DRBG shows.
    Rng,
    /// Not a failure but a tamper response: `open` found a tamper wipe in progress (the
    /// live salt slot killed, see the store manual's "Tamper response") and finished it.
    /// Every key is crypto-erased; the flash holds an empty store whose audit log starts
    /// with a `TamperWipe` event. Open it again to use it.
    TamperWiped,
    /// A TDES key to import collapses to single DES, or is 2-key TDES labelled 3-key
    /// (K1 = K3): [`crate::block::check_tdes_key`], as TR-31 import checks it.
    DegenerateKey,
    /// A usage no key may have: two different purposes united
    /// ([`crate::attributes::Usage::union`]).
    InvalidUsage,
    /// The stored key's algorithm does not fit the use asked of it (e.g. an AES key for
    /// a TDES-only MAC, an HMAC key as a PIN key): [`crate::key::KeyError::WrongAlgorithm`].
    KeyAlgorithm,
}

impl From<crate::key::KeyError> for Error {
    /// A typed holder refused for a stored key (see [`crate::key::TypedKey::new`]).
    fn from(e: crate::key::KeyError) -> Self {
        use crate::key::KeyError as K;
        match e {
            K::UsageDenied => Self::UsageDenied,
            K::WrongAlgorithm => Self::KeyAlgorithm,
            K::DegenerateKey => Self::DegenerateKey,
            _ => Self::Corrupt,
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Flash => "flash error",
            Self::NeedsReopen => "store must be re-opened after a flash error",
            Self::Geometry => "unsupported flash geometry",
            Self::NotFormatted => "flash holds no key store",
            Self::RootAuth => "root sector does not authenticate under this device secret",
            Self::Corrupt => "corrupted store record",
            Self::FormatVersion => "unsupported on-flash format version",
            Self::RolledBack => "flash image rolled back (older than the monotonic counter)",
            Self::CounterAhead => "flash image ahead of the monotonic counter",
            Self::MissingData => "store data missing",
            Self::Counter => "monotonic counter failed",
            Self::NotFound => "no such key",
            Self::AlreadyExists => "key id already exists",
            Self::Full => "store full",
            Self::Capacity => "store capacity exceeded",
            Self::BadLength => "bad length",
            Self::UsageDenied => "usage not allowed by the key's policy",
            Self::NotNewestVersion => "operation needs the newest key version",
            Self::NotYetActive => "key version is pre-active",
            Self::Suspended => "key version is suspended",
            Self::Deactivated => "key version is deactivated (decrypt, unwrap, verify only)",
            Self::Compromised => "key version is compromised (opt-in needed)",
            Self::CompromisedUse => "use not allowed for a compromised key version",
            Self::Destroyed => "key version is destroyed",
            Self::ProtectPeriodEnded => "key version's protect period has ended",
            Self::ProcessPeriodEnded => "key version's process period has ended",
            Self::TransitionRefused => "key state transition not allowed",
            Self::BadCryptoperiod => "bad cryptoperiod",
            Self::EpochFormat => "malformed epoch message",
            Self::EpochAuth => "epoch message not authentic",
            Self::EpochWrongStore => "epoch message for another store",
            Self::EpochReplayed => "epoch message not newer than the store's epoch",
            Self::EpochKey => "epoch key is not an HMAC-SHA256 key",
            Self::UseLimitReached => "key use limit reached",
            Self::NotExportable => "key is not exportable",
            Self::Wrap => "key wrap failed",
            Self::BackupFormat => "malformed backup",
            Self::BufferTooSmall => "output buffer too small",
            Self::DestroyVerify => "destroy verification failed",
            Self::Exhausted => "sequence space exhausted",
            Self::LogicBug => "internal error",
            Self::KekAlgorithm => "key-encryption key is not an AES key",
            Self::KekTooWeak => "key-encryption key weaker than the key it protects",
            Self::BackupReplayed => "backup older than the store's record of the key",
            Self::Rng => "random number generator failed (health test or reseed)",
            Self::TamperWiped => "tamper wipe finished: every key erased (re-open the empty store)",
            Self::DegenerateKey => "TDES key collapses to single DES or fewer keys than its label",
            Self::InvalidUsage => "usage unites two purposes",
            Self::KeyAlgorithm => "key algorithm does not fit this use",
        })
    }
}

impl core::error::Error for Error {}
