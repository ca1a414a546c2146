//! Key states and cryptoperiods, as NIST SP 800-57 Part 1 Rev. 5 §7 and KMIP 2.1 §3.29
//! define them: the states, the one table of allowed transitions, and what each state
//! lets a key version do.
//!
//! Revocation maps onto these states as KMIP's Revoke operation does: a revocation for
//! key compromise moves a version to [`KeyState::Compromised`] (or a destroyed one to
//! [`KeyState::DestroyedCompromised`]); any other revocation reason moves it to
//! [`KeyState::Deactivated`] ([`super::KeyStore::revoke`] is the latter).

/// A key version's state (SP 800-57 Pt1 Rev5 §7.1 to §7.6; KMIP 2.1 §3.29 "State").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum KeyState {
    /// Generated or imported ahead of use, not usable (SP 800-57 "pre-activation", KMIP
    /// "Pre-Active").
    PreActive,
    /// Usable within its policy and cryptoperiod.
    Active,
    /// Temporarily unusable; can return to active (SP 800-57 §7.3; KMIP has no such
    /// state).
    Suspended,
    /// Past its protect period or revoked: decrypt, MAC verification and unwrap only,
    /// within its process period.
    Deactivated,
    /// Compromised: decrypt and MAC verification only, with an explicit opt-in per call
    /// ([`super::KeyStore::with_compromised_key`]), every use audited.
    Compromised,
    /// Destroyed: the key material is gone (crypto-erased), the metadata is kept.
    Destroyed,
    /// Destroyed and known compromised (KMIP "Destroyed Compromised").
    DestroyedCompromised,
}

/// Every state, in the order of [`KeyState::code`].
pub const ALL_STATES: [KeyState; 7] = [
    KeyState::Active,
    KeyState::Deactivated,
    KeyState::PreActive,
    KeyState::Suspended,
    KeyState::Compromised,
    KeyState::Destroyed,
    KeyState::DestroyedCompromised,
];

impl KeyState {
    /// The on-flash code (record header byte 14).
    pub const fn code(self) -> u8 {
        match self {
            Self::Active => 1,
            Self::Deactivated => 2,
            Self::PreActive => 3,
            Self::Suspended => 4,
            Self::Compromised => 5,
            Self::Destroyed => 6,
            Self::DestroyedCompromised => 7,
        }
    }

    /// The state of an on-flash code, `None` for an unknown one.
    pub const fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            1 => Self::Active,
            2 => Self::Deactivated,
            3 => Self::PreActive,
            4 => Self::Suspended,
            5 => Self::Compromised,
            6 => Self::Destroyed,
            7 => Self::DestroyedCompromised,
            _ => return None,
        })
    }

    /// Lower-case name, as the CLI and the image tool print it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::PreActive => "pre-active",
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Deactivated => "deactivated",
            Self::Compromised => "compromised",
            Self::Destroyed => "destroyed",
            Self::DestroyedCompromised => "destroyed-compromised",
        }
    }

    /// Whether the key material is gone.
    pub const fn is_destroyed(self) -> bool {
        matches!(self, Self::Destroyed | Self::DestroyedCompromised)
    }

    /// Whether the standards allow a transition from `self` to `to` (a lookup in
    /// [`TRANSITIONS`]).
    pub fn may_become(self, to: Self) -> bool {
        TRANSITIONS.iter().any(|t| t.from == self && t.to == to)
    }
}

/// One allowed transition and where the standards allow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: KeyState,
    /// The state after.
    pub to: KeyState,
    /// The source: SP 800-57 Pt1 Rev5 §7 (Figure 3) section and transition, KMIP 2.1
    /// §3.29 (object state diagram) operation.
    pub source: &'static str,
}

const fn t(from: KeyState, to: KeyState, source: &'static str) -> Transition {
    Transition { from, to, source }
}

/// The transitions the store allows, and nothing else. Sources: NIST SP 800-57 Part 1
/// Rev. 5 §7 (Figure 3 and §7.1 to §7.6) and OASIS KMIP 2.1 §3.29 (the state
/// transition diagram). SP 800-57 allows destroying a key straight from the active and
/// suspended states (for keys that are replaced or whose cryptoperiod ended, e.g. master
/// keys); KMIP asks for a revocation first; the store follows SP 800-57 there. Destroying
/// a compromised key (SP 800-57 §7.5: compromised to destroyed) lands in KMIP's
/// Destroyed Compromised, so the compromise stays on record. Creation enters
/// pre-active (SP 800-57 transition 1, KMIP Create/Register) or active (KMIP Create
/// with an activation date already reached).
pub const TRANSITIONS: [Transition; 15] = {
    use KeyState::*;
    [
        t(
            PreActive,
            Active,
            "SP 800-57 §7.1 transition 4; KMIP Activate",
        ),
        t(
            PreActive,
            Destroyed,
            "SP 800-57 §7.1 transition 2; KMIP Destroy",
        ),
        t(
            PreActive,
            Compromised,
            "SP 800-57 §7.1 transition 3; KMIP Revoke (compromise)",
        ),
        t(Active, Destroyed, "SP 800-57 §7.2 transition 5"),
        t(
            Active,
            Compromised,
            "SP 800-57 §7.2; KMIP Revoke (compromise)",
        ),
        t(Active, Suspended, "SP 800-57 §7.2 (to §7.3 suspended)"),
        t(
            Active,
            Deactivated,
            "SP 800-57 §7.2; KMIP Revoke / deactivation date",
        ),
        t(Suspended, Destroyed, "SP 800-57 §7.3 transition 9"),
        t(Suspended, Compromised, "SP 800-57 §7.3"),
        t(Suspended, Active, "SP 800-57 §7.3 (restored to active)"),
        t(Suspended, Deactivated, "SP 800-57 §7.3"),
        t(Deactivated, Destroyed, "SP 800-57 §7.4; KMIP Destroy"),
        t(
            Deactivated,
            Compromised,
            "SP 800-57 §7.4; KMIP Revoke (compromise)",
        ),
        t(
            Compromised,
            DestroyedCompromised,
            "SP 800-57 §7.5; KMIP Destroy",
        ),
        t(
            Destroyed,
            DestroyedCompromised,
            "KMIP Revoke (compromise) of a destroyed object",
        ),
    ]
};

/// Why a key version is revoked (KMIP 2.1 Revocation Reason Code, the part the store
/// distinguishes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RevocationReason {
    /// Key compromise (or CA compromise): to [`KeyState::Compromised`].
    Compromise,
    /// Superseded, cessation of operation, affiliation changed, unspecified: to
    /// [`KeyState::Deactivated`].
    NoLongerNeeded,
}

/// What a cryptoperiod is counted in: what a device without a wall clock has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PeriodUnit {
    /// Every use of the version through the store counts one.
    Uses,
    /// Every use for [`crate::attributes::Usage::DERIVE`] (a derived key) counts one.
    Derivations,
    /// Store epochs since activation, advanced by the host through an authenticated
    /// epoch message ([`super::KeyStore::advance_epoch`]).
    Epochs,
}

impl PeriodUnit {
    pub(crate) const fn code(self) -> u8 {
        match self {
            Self::Uses => 1,
            Self::Derivations => 2,
            Self::Epochs => 3,
        }
    }
    pub(crate) const fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            1 => Self::Uses,
            2 => Self::Derivations,
            3 => Self::Epochs,
            _ => return None,
        })
    }
}

const AUTO_ROTATE: u8 = 0x80;

/// A key version's cryptoperiod (SP 800-57 Pt1 Rev5 §5.3): the protect (originator-usage)
/// period, during which it may encrypt, wrap, generate MACs and derive, and the process
/// (recipient-usage) period, during which it may decrypt, unwrap and verify MACs. Both
/// count from activation, in `unit`; `process >= protect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Cryptoperiod {
    /// What the periods are counted in.
    pub unit: PeriodUnit,
    /// The protect period: producing uses while the count is below it.
    pub protect: u32,
    /// The process period: any use while the count is below it.
    pub process: u32,
    /// When the protect period ends: make a new version active and deactivate this one
    /// (otherwise only deactivate it).
    pub auto_rotate: bool,
}

impl Cryptoperiod {
    pub(crate) fn encode(&self) -> u8 {
        self.unit.code() | if self.auto_rotate { AUTO_ROTATE } else { 0 }
    }
    pub(crate) fn decode(byte: u8, protect: u32, process: u32) -> Option<Self> {
        if byte == 0 {
            return None;
        }
        Some(Self {
            unit: PeriodUnit::from_code(byte & 0x0F)?,
            protect,
            process,
            auto_rotate: byte & AUTO_ROTATE != 0,
        })
    }
    pub(crate) fn valid(&self) -> bool {
        self.protect <= self.process && self.process > 0
    }
}

/// What is left of a version's cryptoperiod (in its unit), as the inventory shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PeriodLeft {
    /// The unit.
    pub unit: PeriodUnit,
    /// Left of the protect period (0: ended).
    pub protect: u32,
    /// Left of the process period (0: ended).
    pub process: u32,
}

/// Options for a new key ([`super::KeyStore::generate_with`],
/// [`super::KeyStore::import_with`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyOptions {
    /// A use-count limit over the version's whole life.
    pub use_limit: Option<u32>,
    /// A cryptoperiod, counted from activation.
    pub cryptoperiod: Option<Cryptoperiod>,
    /// Create the key pre-active (activate it with [`super::KeyStore::activate`]).
    pub pre_active: bool,
}
