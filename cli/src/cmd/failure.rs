//! Why a command failed, and the exit status that says so.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | bad input: a malformed, out-of-range or missing value (hex, a length, a name, a file or variable that cannot be read, a key block or KSN that does not parse, a counter no device produces) |
//! | 2 | command-line usage: unknown option, missing argument (from the argument parser) |
//! | 3 | integrity: a MAC or key-wrap integrity check failed (wrong key or altered data), a store record or root sector does not authenticate, or a KCV differs from the expected one |
//! | 4 | refused or environment: the input is well-formed and authentic but not allowed (a key's policy), or the system failed (writing a file, the random source) |
//!
//! The message (one line on standard error) never contains key material.

/// The documented exit statuses (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 1: bad input.
    BadInput = 1,
    /// 3: an integrity check failed.
    Integrity = 3,
    /// 4: refused by policy, or a system failure.
    Refused = 4,
}

/// A failed command: the exit status and a one-line, key-free message.
#[derive(Debug)]
pub struct Failure {
    /// The exit status.
    pub exit: Exit,
    /// The message.
    pub msg: String,
}

impl Failure {
    /// An integrity failure (exit status 3).
    pub fn integrity(msg: impl Into<String>) -> Self {
        Self {
            exit: Exit::Integrity,
            msg: msg.into(),
        }
    }

    /// A refusal or system failure (exit status 4).
    pub fn refused(msg: impl Into<String>) -> Self {
        Self {
            exit: Exit::Refused,
            msg: msg.into(),
        }
    }
}

/// Plain messages are bad input (exit status 1).
impl From<String> for Failure {
    fn from(msg: String) -> Self {
        Self {
            exit: Exit::BadInput,
            msg,
        }
    }
}

impl From<&str> for Failure {
    fn from(msg: &str) -> Self {
        msg.to_string().into()
    }
}

/// A key-store error, classified: authentication failures are integrity failures, policy
/// refusals are refusals, the rest bad input.
pub fn store(e: keyfort::store::Error) -> Failure {
    use keyfort::store::Error as E;
    let msg = format!("store: {e}");
    match e {
        E::RootAuth | E::Corrupt | E::RolledBack | E::Wrap => Failure::integrity(msg),
        E::UsageDenied
        | E::NotExportable
        | E::NotYetActive
        | E::Suspended
        | E::Deactivated
        | E::Compromised
        | E::CompromisedUse
        | E::Destroyed
        | E::ProtectPeriodEnded
        | E::ProcessPeriodEnded
        | E::TransitionRefused
        | E::UseLimitReached
        | E::NotNewestVersion
        | E::KekAlgorithm
        | E::KekTooWeak
        | E::Flash
        | E::Full
        | E::Capacity => Failure::refused(msg),
        _ => msg.into(),
    }
}

/// A key-wrap error: a failed integrity check is exit status 3, the rest bad input.
pub fn wrap(what: &str, e: keyfort::wrap::WrapError) -> Failure {
    let msg = format!("{what}: {e}");
    if e == keyfort::wrap::WrapError::Integrity {
        Failure::integrity(msg)
    } else {
        msg.into()
    }
}
