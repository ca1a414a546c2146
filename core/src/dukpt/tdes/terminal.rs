//! Terminal side (X9.24-1-2009 A.2): 21 future key registers, the 21-bit counter (at
//! most 10 one-bits), persistence before every key release.
//!
//! The state is one [`TDES_STATE_LEN`]-byte [`Secret`], which is also its persisted
//! encoding (version 1):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 2 | magic `"KD"` |
//! | 2 | 1 | version (1) |
//! | 3 | 1 | scheme: 0x10 = TDES |
//! | 4 | 1 | status: 0 = active, 1 = end of life |
//! | 5 | 3 | reserved, zero |
//! | 8 | 10 | KSN whose counter is the next counter to try (zero at end of life) |
//! | 18 | 4 | in-use register bitmap, big-endian (bit i = register i) |
//! | 22 | 21 x 16 | future key registers; erased registers are all zero |
//!
//! In RAM the registers in use are masked (see `dukpt::mask`), as in the AES terminal: a
//! transaction unmasks only the register it uses and masks the ones it writes, and
//! persists a [`StateView`]; [`TdesTerminal::with_state`] and [`TdesTerminal::register`]
//! hand out the plain form only for a closure or in a wiped holder.
//!
//! Register `i` corresponds to counter bit `i` (X9.24-1 numbers them the other way
//! round: its register #1 is bit 20).
use super::derive::{ksnr, scrubbed, Nrkgp};
use super::host::{TdesCurrentKey, TdesIpek, TdesKey};
use super::ksn::TdesKsn;
use super::variants::{LegacyOptions, TdesLegacyVariant, TdesVariant};
use crate::dukpt::counter::Rules;
use crate::dukpt::counter::TDES as RULES;
use crate::dukpt::mask::RegisterMask;
use crate::dukpt::state::{self, EXHAUSTED, STATUS};
use crate::dukpt::{DukptError, StatePersist, StateView};
use crate::secret::Secret;
use zeroize::Zeroize;

const NREG: usize = 21;
const SLOT: usize = 16;
const HDR: usize = 22;
/// Length of a TDES terminal state encoding.
pub const TDES_STATE_LEN: usize = HDR + NREG * SLOT;

const SCHEME: u8 = 0x10;

/// A TDES DUKPT terminal: future key registers, KSN and counter in one wiped buffer. The
/// IPEK is not kept after [`TdesTerminal::load`].
pub struct TdesTerminal {
    /// The state encoding, registers XORed with their masks between calls.
    state: Secret<TDES_STATE_LEN>,
    /// The registers' mask key.
    mask: RegisterMask,
}

/// The keys of one transaction: its KSN and current key, from which the variant keys
/// are made. Released only after the state without this key was persisted.
pub struct TdesTransaction {
    key: TdesCurrentKey,
}

impl TdesTransaction {
    /// The KSN to send with this transaction.
    pub fn ksn(&self) -> &TdesKsn {
        self.key.ksn()
    }
    /// A variant key of this transaction.
    pub fn key(&self, v: TdesVariant) -> TdesKey {
        self.key.variant(v)
    }
    /// A pre-2009 XOR-only data key of this transaction, only with the legacy opt-in
    /// (see [`TdesCurrentKey::legacy_variant`]).
    pub fn legacy_key(
        &self,
        v: TdesLegacyVariant,
        opts: &LegacyOptions,
    ) -> Result<TdesKey, DukptError> {
        self.key.legacy_variant(v, opts)
    }
}

impl core::fmt::Debug for TdesTransaction {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TdesTransaction({:?}, ..)", self.key.ksn())
    }
}

impl TdesTerminal {
    /// Loads an IPEK (X9.24-1 "Load Initial Key"): derives the 21 future keys, sets the
    /// counter to 1 and persists the state.
    pub fn load<P: StatePersist + ?Sized>(
        ipek: &TdesIpek,
        persist: &mut P,
    ) -> Result<Self, DukptError> {
        Self::load_at_counter(ipek, 1, persist)
    }

    /// Loads an IPEK and positions the terminal at `counter` as if every earlier counter
    /// had been used (see [`crate::dukpt::aes::AesTerminal::load_at_counter`]).
    pub fn load_at_counter<P: StatePersist + ?Sized>(
        ipek: &TdesIpek,
        counter: u32,
        persist: &mut P,
    ) -> Result<Self, DukptError> {
        let iksn = *ipek.initial_ksn();
        let ksn = iksn.with_counter(counter);
        if ksn.counter() != counter {
            return Err(DukptError::TooManyOneBits);
        }
        ksn.check_device_counter()?;
        let mut t = Self {
            state: Secret::zero(),
            mask: RegisterMask::seeded(ipek.expose()),
        };
        {
            let s = t.state.expose_mut();
            state::write_header(s, SCHEME);
            s[8..18].copy_from_slice(ksn.as_bytes());
        }
        let map = RULES.expected_in_use(u64::from(counter));
        let base = iksn.right8();
        if counter == 1 {
            scrubbed(|| {
                let n = Nrkgp::new(ipek.expose());
                for i in 0..NREG {
                    n.derive(&ksnr(&base, 1u32 << i), t.slot_mut(i));
                }
            });
        } else {
            for i in 0..NREG {
                if map & (1 << i) == 0 {
                    continue;
                }
                let above = counter >> (i + 1) << (i + 1);
                let ck = ipek.current_key(above | (1u32 << i))?;
                t.slot_mut(i).copy_from_slice(ck.expose());
            }
        }
        t.set_in_use(map);
        t.xor_masks(NREG);
        persist
            .persist_view(&t.view())
            .map_err(|_| DukptError::PersistFailed)?;
        Ok(t)
    }

    /// Restores a terminal from its persisted encoding (length, magic, version, scheme
    /// and consistency checked; authenticity is the sealing store's job).
    pub fn from_state(bytes: &[u8]) -> Result<Self, DukptError> {
        let mut t = Self {
            state: Secret::from_slice(bytes).ok_or(DukptError::StateLength)?,
            mask: RegisterMask::unset(),
        };
        let status = state::check_header(t.state.expose(), |b| b == SCHEME)?;
        let map = t.in_use();
        let expected = state::expected_in_use(RULES, status, u64::from(t.ksn().counter()))?;
        if map != expected || map >> NREG != 0 {
            return Err(DukptError::StateInconsistent);
        }
        // Erased registers must be zero (a TDES key fills its whole slot).
        let regs = t.state.expose().get(HDR..).unwrap_or(&[]);
        if state::stray_bytes(regs, SLOT, SLOT, map) {
            t.state.expose_mut().zeroize();
            return Err(DukptError::StateInconsistent);
        }
        // Seeded from the lowest register in use (none at end of life: nothing to mask).
        let first = (0..NREG).find(|i| map & (1 << i) != 0).unwrap_or(0);
        let mut seed = [0u8; 16];
        seed.copy_from_slice(t.slot(first).get(..16).unwrap_or(&[0; 16]));
        t.mask.reseed(&seed);
        seed.zeroize();
        t.xor_masks(NREG);
        Ok(t)
    }

    /// Runs `f` with the plain state encoding (secret: registers included; seal it
    /// before it leaves RAM). The registers are unmasked in place for the call and masked
    /// again under a new mask key afterwards (to persist, [`TdesTerminal::view`] is
    /// cheaper).
    pub fn with_state<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> T {
        self.xor_masks(NREG);
        let out = f(self.state.expose());
        self.mask.ratchet();
        self.xor_masks(NREG);
        out
    }

    /// The state encoding with the registers still masked, for a persister
    /// ([`StatePersist::persist_view`]).
    pub fn view(&self) -> StateView<'_> {
        StateView::masked(
            self.state.expose(),
            &self.mask,
            RULES,
            (HDR, SLOT, SLOT),
            self.in_use(),
            u64::from(self.ksn().counter()),
        )
    }

    /// Folds 16 fresh random bytes from `rng` into the registers' mask key and masks
    /// every register anew (see [`crate::dukpt::aes::AesTerminal::remask`]).
    pub fn remask<R: rand_core::CryptoRng + ?Sized>(&mut self, rng: &mut R) {
        let mut fresh = Secret::<16>::zero();
        rng.fill_bytes(fresh.expose_mut());
        self.xor_masks(NREG);
        self.mask.mix(fresh.expose());
        self.xor_masks(NREG);
    }

    /// XORs the masks into (or out of: the same operation) the registers in use below
    /// `below`, for the next counter in the state.
    fn xor_masks(&mut self, below: usize) {
        let (map, next) = (self.in_use(), u64::from(self.ksn().counter()));
        let mut stream = self.mask.stream();
        let regs = self.state.expose_mut().get_mut(HDR..).unwrap_or(&mut []);
        for (i, slot) in (0u32..).zip(regs.chunks_exact_mut(SLOT)).take(below) {
            if map & (1 << i) != 0 {
                stream.apply(Rules::parent(next, i), i as usize, SLOT, slot);
            }
        }
    }

    /// Whether the counter is used up.
    pub fn is_exhausted(&self) -> bool {
        self.state.expose()[STATUS] == EXHAUSTED
    }

    /// The next counter the terminal will try (`None` at end of life).
    pub fn next_counter(&self) -> Option<u32> {
        (!self.is_exhausted()).then(|| self.ksn().counter())
    }

    /// The initial KSN (counter zero).
    pub fn initial_ksn(&self) -> TdesKsn {
        self.ksn().initial()
    }

    /// Future key register `i` (0..21, for counter bit `i`), unmasked into a wiped
    /// holder; `None` if erased. For test vectors and diagnostics.
    pub fn register(&self, i: usize) -> Option<Secret<16>> {
        if i >= NREG || self.in_use() & (1 << i) == 0 {
            return None;
        }
        let mut r = Secret::<16>::from_slice(self.slot(i))?;
        let parent = Rules::parent(u64::from(self.ksn().counter()), u32::try_from(i).ok()?);
        self.mask.stream().apply(parent, i, SLOT, r.expose_mut());
        Some(r)
    }

    /// Starts a transaction: picks the next counter, derives the future keys the
    /// following counters need, erases the used register, persists the new state and
    /// only then returns the transaction's keys. Errors: [`DukptError::Exhausted`],
    /// [`DukptError::PersistFailed`] (no key released; the counter is burnt).
    ///
    /// Masking as in [`crate::dukpt::aes::AesTerminal::next_transaction`]: one register
    /// unmasked into the transaction's key holder, the new ones masked.
    pub fn next_transaction<P: StatePersist + ?Sized>(
        &mut self,
        persist: &mut P,
    ) -> Result<TdesTransaction, DukptError> {
        if self.is_exhausted() {
            return Err(DukptError::Exhausted);
        }
        let ksn0 = self.ksn();
        let base = ksn0.initial().right8();
        let Some((c, k)) = RULES.next_in_use(u64::from(ksn0.counter()), self.in_use()) else {
            return self.end_of_life(persist);
        };
        let c32 = u32::try_from(c).map_err(|_| DukptError::StateInconsistent)?;
        let ki = k as usize;
        let mut cur: Secret<16> =
            Secret::from_slice(self.slot(ki)).ok_or(DukptError::StateInconsistent)?;
        let parent = Rules::parent(u64::from(ksn0.counter()), k);
        self.mask.stream().apply(parent, ki, SLOT, cur.expose_mut());
        let (next, derive_children) = RULES.after(c);
        let mut map = self.in_use();
        if derive_children && ki > 0 {
            scrubbed(|| {
                let n = Nrkgp::new(cur.expose());
                for i in (0..ki).rev() {
                    n.derive(&ksnr(&base, c32 | (1u32 << i)), self.slot_mut(i));
                    map |= 1 << i;
                }
            });
        }
        self.slot_mut(ki).zeroize();
        map &= !(1u32 << k);
        self.set_in_use(map);
        let used = ksn0.with_counter(c32);
        match u32::try_from(next) {
            Ok(n) if next < RULES.limit() => {
                let nk = ksn0.with_counter(n);
                self.state.expose_mut()[8..18].copy_from_slice(nk.as_bytes());
            }
            _ => self.wipe_to_end_of_life(),
        }
        if derive_children {
            // The new registers 0..ki, whose parent is `c`.
            self.xor_masks(ki);
        }
        persist
            .persist_view(&self.view())
            .map_err(|_| DukptError::PersistFailed)?;
        Ok(TdesTransaction {
            key: TdesCurrentKey::from_parts(cur, used),
        })
    }

    fn end_of_life<P: StatePersist + ?Sized>(
        &mut self,
        persist: &mut P,
    ) -> Result<TdesTransaction, DukptError> {
        self.wipe_to_end_of_life();
        let _ = persist.persist_view(&self.view());
        Err(DukptError::Exhausted)
    }

    fn wipe_to_end_of_life(&mut self) {
        let iksn = self.ksn().initial();
        let s = self.state.expose_mut();
        s[STATUS] = EXHAUSTED;
        s[8..18].copy_from_slice(iksn.as_bytes());
        s[18..].zeroize();
    }

    fn ksn(&self) -> TdesKsn {
        let mut b = [0u8; 10];
        b.copy_from_slice(&self.state.expose()[8..18]);
        TdesKsn::from_array(b)
    }
    fn in_use(&self) -> u32 {
        let s = self.state.expose();
        u32::from_be_bytes([s[18], s[19], s[20], s[21]])
    }
    fn set_in_use(&mut self, m: u32) {
        self.state.expose_mut()[18..22].copy_from_slice(&m.to_be_bytes());
    }
    fn slot(&self, i: usize) -> &[u8] {
        self.state
            .expose()
            .get(HDR + i * SLOT..HDR + (i + 1) * SLOT)
            .unwrap_or(&[])
    }
    fn slot_mut(&mut self, i: usize) -> &mut [u8] {
        self.state
            .expose_mut()
            .get_mut(HDR + i * SLOT..HDR + (i + 1) * SLOT)
            .unwrap_or(&mut [])
    }
}

impl core::fmt::Debug for TdesTerminal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "TdesTerminal(next counter {:?}, ..)",
            self.next_counter()
        )
    }
}
