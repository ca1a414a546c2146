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
//! 3. hand the *new* state to [`StatePersist::persist_view`] (see below),
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
//!
//! # The state as the terminal holds it
//! A terminal keeps its registers masked in RAM (`dukpt::mask`) and never unmasks all of
//! them for a transaction. It hands its state to the persister as a [`StateView`]: the
//! encoding with the registers still masked, which [`StateView::read`] unmasks range by
//! range into the persister's own buffer. The sealed store's persister
//! ([`crate::terminal::StoreStatePersist`]) reads each register straight into the
//! buffer it seals; [`NoPersist`] reads nothing; a persister that only implements
//! [`StatePersist::persist`] gets the whole plain encoding (the default
//! [`StatePersist::persist_view`] reads it into a wiped buffer of
//! [`MAX_STATE_LEN`] bytes on the stack).
use super::counter::Rules;
use super::mask::RegisterMask;
use crate::secret::Secret;

/// The longest terminal state encoding (the AES terminal's).
pub const MAX_STATE_LEN: usize = super::aes::AES_STATE_LEN;

/// Where a terminal writes its state before releasing a transaction's keys.
pub trait StatePersist {
    /// Stores `state` (a complete terminal state encoding) so that after a power cut
    /// either the previous state or this one is read back, never a mix. Returns only when
    /// the state is durable.
    fn persist(&mut self, state: &[u8]) -> Result<(), PersistError>;

    /// Stores the state `view` holds, with the same guarantee as
    /// [`StatePersist::persist`]; what the terminals call. The default reads the plain
    /// encoding into a wiped buffer and calls [`StatePersist::persist`]; a persister
    /// that can take the state piece by piece overrides it and reads only what it needs
    /// ([`StateView::read`]).
    fn persist_view(&mut self, view: &StateView<'_>) -> Result<(), PersistError> {
        let mut plain = Secret::<MAX_STATE_LEN>::zero();
        let out = plain
            .expose_mut()
            .get_mut(..view.len())
            .ok_or(PersistError::Io)?;
        view.read(0, out);
        self.persist(out)
    }
}

/// A terminal state encoding as the terminal holds it: the plain header, the registers
/// masked. [`StateView::read`] gives any range of the plain encoding.
pub struct StateView<'a> {
    bytes: &'a [u8],
    masks: Option<Masks<'a>>,
}

/// Where a [`StateView`]'s registers are and how they are masked.
struct Masks<'a> {
    key: &'a RegisterMask,
    rules: Rules,
    /// Offset of register 0, bytes per register slot, key bytes per register.
    regs_at: usize,
    slot: usize,
    key_len: usize,
    in_use: u32,
    next: u64,
}

impl<'a> StateView<'a> {
    /// A plain encoding (nothing masked).
    pub fn plain(bytes: &'a [u8]) -> Self {
        Self { bytes, masks: None }
    }

    /// An encoding whose in-use registers (`slot`-byte slots from `regs_at`, the first
    /// `key_len` bytes of each) are masked under `key` for a terminal whose next counter
    /// is `next`.
    pub(crate) fn masked(
        bytes: &'a [u8],
        key: &'a RegisterMask,
        rules: Rules,
        (regs_at, slot, key_len): (usize, usize, usize),
        in_use: u32,
        next: u64,
    ) -> Self {
        Self {
            bytes,
            masks: Some(Masks {
                key,
                rules,
                regs_at,
                slot,
                key_len,
                in_use,
                next,
            }),
        }
    }

    /// The length of the whole encoding.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the encoding is empty (never for a terminal's).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Copies the plain bytes `at..` of the encoding into `out` (as many as fit, and as
    /// the encoding has: the count is returned), unmasking the register bytes among them.
    /// Secret: wipe `out` after use. Costs one 64-byte mask block (`dukpt::mask`) per
    /// register the range touches, none for the header.
    pub fn read(&self, at: usize, out: &mut [u8]) -> usize {
        let src = self.bytes.get(at..).unwrap_or(&[]);
        let n = src.len().min(out.len());
        let (out, src) = (&mut out[..n], &src[..n]);
        out.copy_from_slice(src);
        let Some(m) = &self.masks else {
            return n;
        };
        let mut stream = m.key.stream();
        for i in 0..m.rules.bits {
            if m.in_use & (1 << i) == 0 {
                continue;
            }
            let start = m.regs_at + i as usize * m.slot;
            let (lo, hi) = (start.max(at), (start + m.key_len).min(at + n));
            if let Some(part) = out.get_mut(lo.wrapping_sub(at)..hi.wrapping_sub(at)) {
                if lo < hi {
                    let pos = i as usize * m.key_len + (lo - start);
                    stream.xor(Rules::parent(m.next, i), pos, part);
                }
            }
        }
        n
    }
}

impl core::fmt::Debug for StateView<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "StateView({} bytes, ..)", self.bytes.len())
    }
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
    fn persist_view(&mut self, _view: &StateView<'_>) -> Result<(), PersistError> {
        Ok(())
    }
}
