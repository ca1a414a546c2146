//! Usage checks: what a key version may be used for, right now. The purpose and modes
//! are checked by [`Usage::permits`] (the one rule, shared with [`crate::key`]).
use super::error::Error;
use super::format::{RecHeader, STATE_ACTIVE, STATE_REVOKED};
use crate::attributes::Usage;

/// Uses that produce something under the key (and so need the newest version).
const PRODUCING: Usage = Usage::ENCRYPT
    .union(Usage::WRAP)
    .union(Usage::MAC_GENERATE)
    .union(Usage::DERIVE);

/// Whether the key version in `h` may be used for `need`; `newest` says whether it is
/// the newest active version of its key.
pub(crate) fn check_use(h: &RecHeader, need: Usage, newest: bool) -> Result<(), Error> {
    if h.state == STATE_REVOKED {
        return Err(Error::Revoked);
    }
    if h.state != STATE_ACTIVE {
        return Err(Error::Corrupt);
    }
    let usage = Usage::from_bits(h.usage).ok_or(Error::Corrupt)?;
    if !usage.permits(need) {
        return Err(Error::UsageDenied);
    }
    if !newest && need.bits() & PRODUCING.bits() != 0 {
        return Err(Error::NotNewestVersion);
    }
    if h.limit != 0 && h.uses >= h.limit {
        return Err(Error::UseLimitReached);
    }
    Ok(())
}
