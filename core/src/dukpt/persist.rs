//! Terminal state persistence: a counter is never used twice, even across power loss.
//!
//! A DUKPT terminal must never reuse a transaction counter: two transactions under the
//! same key break the scheme's forward secrecy. The terminals in [`crate::dukpt::aes`]
//! and [`crate::dukpt::tdes`] therefore keep their whole state (counter, register flags
//! and registers) in one fixed-size, versioned byte encoding, and for every transaction
//! they
//!
//! 1. pick the transaction's counter and copy out its derivation key,
//! 2. advance the state in RAM (derive the new registers, erase the used one, move the
//!    counter on),
//! 3. hand the *new* state to [`StatePersist::persist`],
//! 4. and only when that returns `Ok` release the transaction's keys to the caller.
//!
//! What happens if power is cut:
//! - **before or during step 3** (the write has not completed): the store still holds the
//!   old state, whose next counter is the one this transaction was about to use. No key
//!   of that counter has left the terminal, so using it after reboot is its first and
//!   only use. This needs [`StatePersist::persist`] to be atomic (old or new state, never
//!   a mix); the sealed key store's journal gives that, and a test double must too.
//! - **after step 3**: the store holds the new state. The interrupted transaction's
//!   counter is skipped (the host sees a gap in the KSN sequence, which DUKPT allows)
//!   and never used again.
//! - **persist fails** (returns `Err`): no key is released and the terminal answers
//!   [`DukptError::PersistFailed`](crate::dukpt::DukptError::PersistFailed). The RAM
//!   state stays advanced, so that counter is burnt; the next transaction persists a
//!   later state. Until a persist succeeds, the store may hold a state whose next
//!   counter was burnt in RAM, which is still safe: its key was never released.
//!
//! The encoding holds secret registers: the store must seal it (encrypt and
//! authenticate). The decoders check length, magic, version and internal consistency,
//! not authenticity.

/// Where a terminal writes its state before releasing a transaction's keys.
pub trait StatePersist {
    /// Stores `state` (a complete terminal state encoding) so that after a power cut
    /// either the previous state or this one is read back, never a mix. Returns only when
    /// the state is durable.
    fn persist(&mut self, state: &[u8]) -> Result<(), PersistError>;
}

/// A state could not be made durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PersistError {
    /// The storage is full.
    Full,
    /// The storage reported a write or verify failure.
    Io,
}

/// For tests and for hosts that simulate a terminal: accepts every state and keeps none.
#[derive(Debug, Default)]
pub struct NoPersist;

impl StatePersist for NoPersist {
    fn persist(&mut self, _state: &[u8]) -> Result<(), PersistError> {
        Ok(())
    }
}
