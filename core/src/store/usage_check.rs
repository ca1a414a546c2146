//! Use checks: what a key version may be used for, right now. The state is checked
//! first ([`check_state`]), then the usage policy ([`check_use`]: purpose and modes by
//! [`Usage::permits`], the one rule shared with [`crate::key`]), then the cryptoperiod
//! ([`check_period`]); each refusal has its own [`Error`] variant.
use super::error::Error;
use super::format::RecHeader;
use super::state::{Cryptoperiod, KeyState, PeriodLeft, PeriodUnit};
use crate::attributes::Usage;

/// Uses that produce something under the key (and so need the newest version, an
/// active state and a running protect period).
pub(crate) const PRODUCING: Usage = Usage::ENCRYPT
    .union(Usage::WRAP)
    .union(Usage::MAC_GENERATE)
    .union(Usage::DERIVE);

/// Uses a deactivated version still allows (SP 800-57 Pt1 Rev5 §7.4: process only).
const DEACTIVATED_OK: Usage = Usage::DECRYPT.union(Usage::UNWRAP).union(Usage::MAC_VERIFY);

/// Uses a compromised version allows with the caller's explicit opt-in (SP 800-57 Pt1
/// Rev5 §7.5: decrypt and verify under very controlled conditions).
const COMPROMISED_OK: Usage = Usage::DECRYPT.union(Usage::MAC_VERIFY);

/// The state of a record header (an unknown code on authentic flash is a bug or a
/// newer build: [`Error::Corrupt`]).
pub(crate) fn state_of(h: &RecHeader) -> Result<KeyState, Error> {
    KeyState::from_code(h.state).ok_or(Error::Corrupt)
}

/// The mode bits of a usage (its purpose is checked by [`check_use`]).
const fn modes(u: Usage) -> u16 {
    u.bits() & Usage::ALL.bits()
}

/// Whether `need` names at least one mode and only modes in `allowed`, whatever its
/// purpose (a deactivated PIN key still decrypts PIN blocks).
fn within(allowed: Usage, need: Usage) -> bool {
    modes(need) != 0 && modes(need) & !modes(allowed) == 0
}

/// Whether the state of the version in `h` allows `need`; `opt_in`: the caller opted in
/// to using a compromised key.
pub(crate) fn check_state(h: &RecHeader, need: Usage, opt_in: bool) -> Result<(), Error> {
    match state_of(h)? {
        KeyState::Active => Ok(()),
        KeyState::PreActive => Err(Error::NotYetActive),
        KeyState::Suspended => Err(Error::Suspended),
        KeyState::Deactivated if within(DEACTIVATED_OK, need) => Ok(()),
        KeyState::Deactivated => Err(Error::Deactivated),
        KeyState::Compromised if !opt_in => Err(Error::Compromised),
        KeyState::Compromised if within(COMPROMISED_OK, need) => Ok(()),
        KeyState::Compromised => Err(Error::CompromisedUse),
        KeyState::Destroyed | KeyState::DestroyedCompromised => Err(Error::Destroyed),
    }
}

/// Whether the usage policy of the version in `h` allows `need`; `newest` says whether
/// it is the newest active version of its key.
pub(crate) fn check_use(h: &RecHeader, need: Usage, newest: bool) -> Result<(), Error> {
    let usage = Usage::from_bits(h.usage).ok_or(Error::Corrupt)?;
    if !usage.permits(need) {
        return Err(Error::UsageDenied);
    }
    if !newest && modes(need) & modes(PRODUCING) != 0 {
        return Err(Error::NotNewestVersion);
    }
    if h.limit != 0 && h.uses >= h.limit {
        return Err(Error::UseLimitReached);
    }
    Ok(())
}

/// The cryptoperiod of `h` and how much of it is used, at store epoch `epoch`.
pub(crate) fn period_used(h: &RecHeader, epoch: u32) -> Option<(Cryptoperiod, u32)> {
    let p = Cryptoperiod::decode(h.period, h.protect, h.process)?;
    let used = match p.unit {
        PeriodUnit::Uses | PeriodUnit::Derivations => h.period_count,
        PeriodUnit::Epochs => epoch.saturating_sub(h.epoch),
    };
    Some((p, used))
}

/// What is left of the cryptoperiod of `h` at store epoch `epoch`.
pub(crate) fn period_left(h: &RecHeader, epoch: u32) -> Option<PeriodLeft> {
    let (p, used) = period_used(h, epoch)?;
    Some(PeriodLeft {
        unit: p.unit,
        protect: p.protect.saturating_sub(used),
        process: p.process.saturating_sub(used),
    })
}

/// Whether the protect period of an active version `h` has ended (it must be
/// deactivated).
pub(crate) fn protect_ended(h: &RecHeader, epoch: u32) -> bool {
    period_used(h, epoch).is_some_and(|(p, used)| used >= p.protect)
}

/// Whether the cryptoperiod of `h` allows `need` at store epoch `epoch`.
pub(crate) fn check_period(h: &RecHeader, need: Usage, epoch: u32) -> Result<(), Error> {
    let Some((p, used)) = period_used(h, epoch) else {
        return Ok(());
    };
    if used >= p.process {
        return Err(Error::ProcessPeriodEnded);
    }
    if modes(need) & modes(PRODUCING) != 0 && used >= p.protect {
        return Err(Error::ProtectPeriodEnded);
    }
    Ok(())
}

/// Whether a use for `need` counts towards the cryptoperiod of `h`.
pub(crate) fn counts_for_period(h: &RecHeader, need: Usage) -> bool {
    match Cryptoperiod::decode(h.period, h.protect, h.process).map(|p| p.unit) {
        Some(PeriodUnit::Uses) => true,
        Some(PeriodUnit::Derivations) => modes(need) & modes(Usage::DERIVE) != 0,
        _ => false,
    }
}
