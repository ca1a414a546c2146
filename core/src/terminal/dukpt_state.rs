//! The AES DUKPT terminal state as one sealed store state record.
//!
//! The terminal's own encoding ([`AES_STATE_LEN`] bytes: a 24-byte header and 32 register
//! slots of 32 bytes) is packed before it is sealed: the header, then only the registers
//! in use, each at its key length (`dukpt::aes`, which owns the layout, packs and
//! unpacks; this module only moves the packed bytes in and out of the store). For an AES-128 terminal that is at most 24 + 32 x 16 =
//! 536 bytes (about half the flash written per transaction). Unpacking rebuilds the full
//! encoding and hands it to [`AesTerminal::from_state`], which checks its consistency;
//! the store checks its authenticity. The largest packed state, AES-256 right after the
//! initial key load (24 + 32 x 32 = 1048 bytes), fits the store's state record
//! ([`MAX_STATE_LEN`]); [`PACKED_STATE_MAX`] says what fits, and a larger state (a store
//! built with a smaller record) is refused with [`TerminalError::StateTooLarge`] (no key
//! released).

use super::TerminalError;
use crate::attributes::Algorithm;
use crate::dukpt::aes::{
    pack_state, packed_state_len, unpack_state, AesInitialKey, AesTerminal, AES_STATE_LEN,
};
use crate::dukpt::{NoPersist, PersistError, StatePersist, StateView};
use crate::key::IkDerive;
use crate::platform::Platform;
use crate::secret::{Secret, SecretBuf};
use crate::store::{format::MAX_STATE_LEN, Error as StoreError, KeyHandle, KeyStore};

/// The largest packed state a store state record holds.
pub const PACKED_STATE_MAX: usize = if MAX_STATE_LEN < AES_STATE_LEN {
    MAX_STATE_LEN
} else {
    AES_STATE_LEN
};

/// Packs a full state encoding (the layout is `dukpt::aes`'s: see the module docs), its
/// registers unmasked straight into `out`.
#[inline(never)]
fn pack(full: &StateView<'_>, out: &mut SecretBuf<PACKED_STATE_MAX>) -> Result<(), TerminalError> {
    let bad = TerminalError::Dukpt(crate::dukpt::DukptError::StateInconsistent);
    let len = packed_state_len(full).ok_or(bad)?;
    out.set_len(len).ok_or(TerminalError::StateTooLarge)?;
    Ok(pack_state(full, out.expose_mut())?)
}

/// Unpacks a packed state into the full encoding and restores the terminal from it.
#[cfg(test)]
fn unpack(packed: &[u8]) -> Result<AesTerminal, TerminalError> {
    let mut out = None;
    unpack_into(packed, &mut out)?;
    out.ok_or(TerminalError::Dukpt(crate::dukpt::DukptError::StateLength))
}

/// Unpacks a packed state into the full encoding and restores the terminal from it into
/// `out` (left as it is on error).
#[inline(never)]
fn unpack_into(packed: &[u8], out: &mut Option<AesTerminal>) -> Result<(), TerminalError> {
    let mut full = Secret::<AES_STATE_LEN>::zero();
    unpack_state(packed, full.expose_mut())?;
    *out = Some(AesTerminal::from_state(full.expose())?);
    Ok(())
}

/// [`StatePersist`] into the sealed store: each state is packed and written as state
/// record `slot` with [`KeyStore::put_state`], which replaces the previous record
/// atomically and returns when the new one is durable. A packing or store failure is
/// [`PersistError::Io`] (or [`PersistError::Full`]); the terminal then releases no key.
pub struct StoreStatePersist<'a, P: Platform> {
    store: &'a mut KeyStore<P>,
    slot: u16,
    last_error: Option<TerminalError>,
}

impl<'a, P: Platform> StoreStatePersist<'a, P> {
    /// Persists into state record `slot` of `store`.
    pub fn new(store: &'a mut KeyStore<P>, slot: u16) -> Self {
        Self {
            store,
            slot,
            last_error: None,
        }
    }

    /// Why the last persist failed (the trait's error is coarser).
    pub fn last_error(&self) -> Option<TerminalError> {
        self.last_error
    }
}

impl<P: Platform> core::fmt::Debug for StoreStatePersist<'_, P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "StoreStatePersist(slot {})", self.slot)
    }
}

impl<P: Platform> StatePersist for StoreStatePersist<'_, P> {
    fn persist(&mut self, state: &[u8]) -> Result<(), PersistError> {
        self.persist_view(&StateView::plain(state))
    }

    /// Packs the view, each register unmasked straight into the buffer that is sealed
    /// (no whole plain state on the stack).
    fn persist_view(&mut self, view: &StateView<'_>) -> Result<(), PersistError> {
        let mut packed = SecretBuf::<PACKED_STATE_MAX>::new();
        let r = pack(view, &mut packed)
            .and_then(|()| Ok(self.store.put_state(self.slot, packed.expose())?));
        match r {
            Ok(()) => Ok(()),
            Err(e) => {
                self.last_error = Some(e);
                Err(match e {
                    TerminalError::Store(StoreError::Full | StoreError::Capacity)
                    | TerminalError::StateTooLarge => PersistError::Full,
                    _ => PersistError::Io,
                })
            }
        }
    }
}

/// Loads the AES DUKPT initial key `ik` (a stored key whose policy allows
/// [`crate::attributes::Usage::IK_DERIVE`]: a `B1` key, and whose label is its initial
/// key ID in hex, as [`super::import_tr31`] stores it) into a new terminal, and persists
/// the terminal's state as state record `slot` before returning it. The initial key is
/// used only inside the store's closure; destroy it from the store afterwards (the
/// terminal never needs it again).
pub fn load_initial_key<P: Platform>(
    store: &mut KeyStore<P>,
    ik: KeyHandle,
    slot: u16,
) -> Result<AesTerminal, TerminalError> {
    let mut out = None;
    load_initial_key_into(store, ik, slot, &mut out)?;
    out.ok_or(TerminalError::Dukpt(
        crate::dukpt::DukptError::PersistFailed,
    ))
}

/// [`load_initial_key`], building the terminal in `out` (set only on success, left
/// `None` on any error). For small stacks: the terminal (about 1 KiB) is not returned
/// by value through nested results, each a copy on the caller's stack.
pub fn load_initial_key_into<P: Platform>(
    store: &mut KeyStore<P>,
    ik: KeyHandle,
    slot: u16,
    out: &mut Option<AesTerminal>,
) -> Result<(), TerminalError> {
    *out = None;
    let info = store
        .inventory()
        .find(|k| k.id == ik.id && ik.version.is_none_or(|v| v == k.version))
        .ok_or(TerminalError::Store(StoreError::NotFound))?;
    if !matches!(
        info.algorithm,
        Algorithm::Aes128 | Algorithm::Aes192 | Algorithm::Aes256
    ) {
        return Err(TerminalError::NotAesKey);
    }
    let ikid = super::hex8(info.label()).ok_or(TerminalError::NoInitialKeyId)?;
    derive_terminal(store, ik, &ikid, out)?;
    let persisted = match out.as_mut() {
        Some(t) => persist_now(store, slot, t),
        None => Err(TerminalError::Dukpt(
            crate::dukpt::DukptError::PersistFailed,
        )),
    };
    if persisted.is_err() {
        *out = None; // wiped on drop: no terminal whose state is not sealed
    }
    persisted
}

/// The terminal from the initial key, inside the store's closure, built in `out`. Its
/// own frame (not inlined), and the closure returns only a small result: the terminal is
/// never copied through the nested results, which keeps the peak stack small enough for
/// a Cortex-M0 with 16 KiB of RAM.
#[inline(never)]
fn derive_terminal<P: Platform>(
    store: &mut KeyStore<P>,
    ik: KeyHandle,
    ikid: &[u8; 8],
    out: &mut Option<AesTerminal>,
) -> Result<(), TerminalError> {
    store.with_typed_key::<IkDerive, _>(ik, |key| -> Result<(), TerminalError> {
        let ik = AesInitialKey::new(key, ikid)?;
        // Persisted by the caller, through the store (the closure cannot reach it).
        *out = Some(AesTerminal::load(&ik, &mut NoPersist)?);
        Ok(())
    })?
}

/// Seals `terminal`'s state as state record `slot` (its own frame, as above).
#[inline(never)]
fn persist_now<P: Platform>(
    store: &mut KeyStore<P>,
    slot: u16,
    terminal: &mut AesTerminal,
) -> Result<(), TerminalError> {
    let mut p = StoreStatePersist::new(store, slot);
    match p.persist_view(&terminal.view()) {
        Ok(()) => Ok(()),
        Err(_) => Err(p.last_error().unwrap_or(TerminalError::Dukpt(
            crate::dukpt::DukptError::PersistFailed,
        ))),
    }
}

/// Restores the terminal from state record `slot`; `Ok(None)` if there is none yet.
pub fn resume<P: Platform>(
    store: &mut KeyStore<P>,
    slot: u16,
) -> Result<Option<AesTerminal>, TerminalError> {
    let mut out = None;
    resume_into(store, slot, &mut out)?;
    Ok(out)
}

/// [`resume`], restoring the terminal in `out` (`None` if there is no state record yet
/// or on any error). For small stacks: the terminal (about 1 KiB) is not returned by
/// value through nested results.
pub fn resume_into<P: Platform>(
    store: &mut KeyStore<P>,
    slot: u16,
    out: &mut Option<AesTerminal>,
) -> Result<(), TerminalError> {
    *out = None;
    let mut packed = SecretBuf::<PACKED_STATE_MAX>::new();
    if !read_state(store, slot, &mut packed)? {
        return Ok(());
    }
    unpack_into(packed.expose(), out)
}

/// Reads state record `slot` into `packed`; `false` if there is none.
#[inline(never)]
fn read_state<P: Platform>(
    store: &mut KeyStore<P>,
    slot: u16,
    packed: &mut SecretBuf<PACKED_STATE_MAX>,
) -> Result<bool, TerminalError> {
    packed
        .set_len(PACKED_STATE_MAX)
        .ok_or(TerminalError::StateTooLarge)?;
    let n = match store.get_state(slot, packed.expose_mut()) {
        Ok(n) => n,
        Err(StoreError::NotFound) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    packed.set_len(n).ok_or(TerminalError::StateTooLarge)?;
    Ok(true)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::dukpt::aes::AesBdk;

    #[test]
    fn pack_unpack_round_trip_through_transactions() {
        let bdk = AesBdk::new(&crate::key::TypedKey::raw_aes(&[0x11; 16]).unwrap()).unwrap();
        let ik = bdk.initial_key(&[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        let mut t = AesTerminal::load(&ik, &mut NoPersist).unwrap();
        for _ in 0..40 {
            let mut p = SecretBuf::<PACKED_STATE_MAX>::new();
            pack(&t.view(), &mut p).unwrap();
            assert!(p.len() < AES_STATE_LEN);
            // The masked view packs to what the plain encoding packs to.
            let mut q = SecretBuf::<PACKED_STATE_MAX>::new();
            t.with_state(|s| pack(&StateView::plain(s), &mut q))
                .unwrap();
            assert_eq!(p.expose(), q.expose());
            let mut back = unpack(p.expose()).unwrap();
            let back = back.with_state(<[u8]>::to_vec);
            assert_eq!(back, t.with_state(<[u8]>::to_vec));
            t.next_transaction(&mut NoPersist).unwrap();
        }
    }

    #[test]
    fn unpack_refuses_wrong_lengths() {
        let bdk = AesBdk::new(&crate::key::TypedKey::raw_aes(&[0x11; 16]).unwrap()).unwrap();
        let ik = bdk.initial_key(&[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        let t = AesTerminal::load(&ik, &mut NoPersist).unwrap();
        let mut p = SecretBuf::<PACKED_STATE_MAX>::new();
        pack(&t.view(), &mut p).unwrap();
        let n = p.len();
        assert!(unpack(&p.expose()[..n - 1]).is_err());
        assert!(unpack(&p.expose()[..10]).is_err());
    }

    #[test]
    fn aes256_initial_state_fits_exactly_when_the_record_allows_it() {
        let bdk = AesBdk::new(&crate::key::TypedKey::raw_aes(&[0x11; 32]).unwrap()).unwrap();
        let ik = bdk.initial_key(&[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        let t = AesTerminal::load(&ik, &mut NoPersist).unwrap();
        let mut p = SecretBuf::<PACKED_STATE_MAX>::new();
        let (r, need) = (
            pack(&t.view(), &mut p),
            packed_state_len(&t.view()).unwrap(),
        );
        assert_eq!(need, 24 + 32 * 32);
        if need > PACKED_STATE_MAX {
            assert_eq!(r, Err(TerminalError::StateTooLarge));
        } else {
            assert!(r.is_ok());
        }
    }
}
