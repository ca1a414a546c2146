//! Terminal side (X9.24-3 6.5): the 32 intermediate derivation key registers, the
//! counter rules, and persistence before every key release.
//!
//! The terminal's whole state lives in one [`AES_STATE_LEN`]-byte secret buffer (held as
//! words, so that its registers are masked a word at a time), which is also its persisted
//! encoding (version 1):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 2 | magic `"KD"` |
//! | 2 | 1 | version (1) |
//! | 3 | 1 | scheme: 1 = AES-128, 2 = AES-192, 3 = AES-256 |
//! | 4 | 1 | status: 0 = active, 1 = end of life |
//! | 5 | 3 | reserved, zero |
//! | 8 | 8 | initial key ID |
//! | 16 | 4 | next counter to try, big-endian (0 at end of life) |
//! | 20 | 4 | in-use register bitmap, big-endian (bit i = register i) |
//! | 24 | 32 x 32 | registers; register i holds a key in its first 16/24/32 bytes, the rest zero; erased registers are all zero |
//!
//! In RAM the key bytes of every register in use are masked (see `dukpt::mask`): the
//! buffer holds `key ^ mask` and the terminal a mask key. A transaction unmasks only the
//! register it uses (into a wiped local) and masks the registers it writes, with masks
//! no register had before; the others stay as they are. It persists the state as a
//! [`StateView`] (registers still masked; the persister unmasks what it reads, range by
//! range). [`AesTerminal::with_state`] (the whole plain encoding, for a closure; then a
//! new mask key) and [`AesTerminal::register`] (a wiped holder) are the only ways to the
//! plain registers.
use super::derive::{derivation_step_data, derive_each};
use super::host::{working_key_under, AesInitialKey, AesWorkingKey, TERMINAL_SCRUB_WORDS};
use super::ksn::AesKsn;
use super::types::{BdkType, KeyUsage, WorkingKeyType};
use crate::block::AesEnc;
use crate::dukpt::counter::Rules;
use crate::dukpt::counter::AES as RULES;
use crate::dukpt::mask::RegisterMask;
use crate::dukpt::state::{self, EXHAUSTED, STATUS};
use crate::dukpt::{DukptError, StatePersist, StateView};
use crate::secret::{scrub_cipher_stack, scrub_stack_bytes, Secret, SecretBuf, SecretWords};
use zeroize::Zeroize;

/// Number of intermediate derivation key registers.
const NREG: usize = 32;
/// Bytes per register slot.
const SLOT: usize = 32;
/// Header length.
const HDR: usize = 24;
/// Length of an AES terminal state encoding (fixed for every key size).
pub const AES_STATE_LEN: usize = HDR + NREG * SLOT;
/// The state encoding in words (header and slots are whole words).
const STATE_WORDS: usize = AES_STATE_LEN >> 2;

/// An AES DUKPT terminal: registers, counter and initial key ID, in one wiped buffer,
/// the registers masked between calls. The initial key itself is not kept: after
/// [`AesTerminal::load`] only the registers exist.
// Word-aligned (the state is words): a terminal moved unaligned (as the payload of the
// `Result` a constructor returns, or into the caller's `Option`) would be a byte-shifting
// `memcpy` of its 1 KiB, about 3,900 Cortex-M3 instructions a move; aligned it is a word
// copy (`./x bench`, "load initial key").
pub struct AesTerminal {
    /// The state encoding, register key bytes XORed with their masks between calls.
    state: SecretWords<STATE_WORDS>,
    /// The registers' mask key.
    mask: RegisterMask,
}

/// The keys of one transaction: its KSN and its derivation key, expanded once (by
/// [`AesTerminal::next_transaction`], which derives the new registers under the same
/// schedule), from which every working key of the transaction is derived. Released only
/// after the terminal state that no longer contains this key was persisted. Wiped on
/// drop, which also scrubs the stack once.
pub struct AesTransaction {
    /// The derivation key's schedule (encryption only), expanded in place in
    /// `next_transaction` (never moved through a `Result`).
    schedule: AesEnc,
    kind: BdkType,
    ksn: AesKsn,
}

impl AesTransaction {
    /// The KSN to send with this transaction.
    pub fn ksn(&self) -> &AesKsn {
        &self.ksn
    }

    /// A working key of this transaction.
    ///
    /// No stack scrub of its own: the one block call under the already expanded schedule
    /// leaves its scratch below the caller, which the returned key's drop and this
    /// transaction's drop each scrub; memscan's live-terminal scan and AES DUKPT workload
    /// check it (0 keys found).
    pub fn working_key(
        &self,
        usage: KeyUsage,
        key_type: WorkingKeyType,
    ) -> Result<AesWorkingKey, DukptError> {
        if !key_type.allowed_under(self.kind) {
            return Err(DukptError::KeyTypeNotAllowed);
        }
        let ikid = self.ksn.initial_key_id();
        working_key_under(&self.schedule, &ikid, self.ksn.counter(), usage, key_type)
    }
}

impl Drop for AesTransaction {
    #[inline(never)]
    fn drop(&mut self) {
        // The schedule wipes itself right after this; its expansion's temporaries and
        // moved-from copies lie in the frames `next_transaction` left below its caller.
        scrub_stack_bytes::<TERMINAL_SCRUB_WORDS>();
    }
}

impl core::fmt::Debug for AesTransaction {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "AesTransaction({:?}, ..)", self.ksn)
    }
}

impl AesTerminal {
    fn blank(kind: BdkType, ikid: &[u8; 8]) -> Self {
        let mut t = Self {
            state: SecretWords::zero(),
            mask: RegisterMask::unset(),
        };
        let s = t.state.expose_mut();
        state::write_header(s, kind.code());
        s[8..16].copy_from_slice(ikid);
        t
    }

    /// Loads an initial key (X9.24-3 Load_Initial_Key): derives all 32 registers, sets
    /// the counter to 1 and persists the state. The caller then wipes its copy of the
    /// initial key (drop it).
    pub fn load<P: StatePersist + ?Sized>(
        ik: &AesInitialKey,
        persist: &mut P,
    ) -> Result<Self, DukptError> {
        Self::load_at_counter(ik, 1, persist)
    }

    /// Loads an initial key and positions the terminal at `counter`, as if every earlier
    /// counter had been used (they are never issued by this terminal). For tests of the
    /// end of life, and to resume a terminal whose state was lost but whose last KSN is
    /// known (pass a counter after it). `counter` must be one a device uses.
    pub fn load_at_counter<P: StatePersist + ?Sized>(
        ik: &AesInitialKey,
        counter: u32,
        persist: &mut P,
    ) -> Result<Self, DukptError> {
        AesKsn::new(ik.initial_key_id(), counter).check_device_counter()?;
        let kind = ik.kind();
        let ikid = *ik.initial_key_id();
        let mut t = Self::blank(kind, &ikid);
        let c = u64::from(counter);
        let map = RULES.expected_in_use(c);
        if counter == 1 {
            // The standard's load, in a frame below this one; then the stack below this
            // frame is scrubbed (the schedule's frame and the expansion's scratch, as
            // the `Aes` drop this replaces did: memscan's live-terminal scan).
            t.derive_every_register(ik)?;
            scrub_cipher_stack();
        } else {
            for i in 0..NREG {
                if map & (1 << i) == 0 {
                    continue;
                }
                let above = if i + 1 >= 32 {
                    0
                } else {
                    counter >> (i + 1) << (i + 1)
                };
                let dk = ik.derivation_key_any_counter(above | (1u32 << i))?;
                t.reg_mut(i, kind.key_len()).copy_from_slice(dk.expose());
            }
        }
        t.set_counter(counter);
        t.set_in_use(map);
        t.mask.reseed(ik.expose());
        t.xor_masks(NREG);
        persist
            .persist_view(&t.view())
            .map_err(|_| DukptError::PersistFailed)?;
        Ok(t)
    }

    /// The standard's load: every register from the initial key directly. The 32
    /// derivations are independent: paired into two-block calls. The schedule is
    /// expanded where it stays (`AesEnc::rekey`, no ~0.5 KiB move out of a `Result`; the
    /// same `derive_each` as the transaction's) and wiped when it drops. Never inlined:
    /// the schedule lies in this frame, below the caller's, which holds the terminal, so
    /// the caller's scrub starts above it (in one frame, the terminal's 1 KiB and the
    /// schedule's 0.5 KiB put the load's scrub 2.2 KiB deep on the Cortex-M3, a QEMU
    /// `-d cpu` trace).
    #[inline(never)]
    fn derive_every_register(&mut self, ik: &AesInitialKey) -> Result<(), DukptError> {
        let kind = ik.kind();
        let ikid = *ik.initial_key_id();
        let mut sched = AesEnc::placeholder();
        sched
            .rekey(ik.expose())
            .map_err(|_| DukptError::BadKeyLength)?;
        let klen = kind.key_len();
        derive_each(
            &sched,
            (0..NREG).zip(self.slots_mut()).map(|(i, slot)| {
                let data = derivation_step_data(kind, &ikid, 1u32 << i);
                (data, slot.get_mut(..klen).unwrap_or(&mut []))
            }),
        );
        Ok(())
    }

    /// Restores a terminal from its persisted encoding, checking length, magic, version,
    /// scheme and consistency (register flags against the counter, erased registers
    /// zero). Authenticity is the sealing store's job.
    pub fn from_state(bytes: &[u8]) -> Result<Self, DukptError> {
        let mut t = Self {
            state: SecretWords::from_slice(bytes).ok_or(DukptError::StateLength)?,
            mask: RegisterMask::unset(),
        };
        let s = t.state.expose();
        let status = state::check_header(s, |b| BdkType::from_code(b).is_some())?;
        let kind = BdkType::from_code(s[3]).ok_or(DukptError::StateVersion)?;
        let map = t.in_use();
        if map != state::expected_in_use(RULES, status, u64::from(t.counter()))? {
            return Err(DukptError::StateInconsistent);
        }
        // Erased registers and the unused tail of every slot must be zero.
        let regs = t.state.expose().get(HDR..).unwrap_or(&[]);
        if state::stray_bytes(regs, SLOT, kind.key_len(), map) {
            t.state.expose_mut().zeroize();
            return Err(DukptError::StateInconsistent);
        }
        // Seeded from the lowest register in use (none at end of life: then there is
        // nothing to mask).
        let first = (0..NREG).find(|i| map & (1 << i) != 0).unwrap_or(0);
        let mut seed = [0u8; 16];
        seed.copy_from_slice(t.slot(first).and_then(|s| s.get(..16)).unwrap_or(&[0; 16]));
        t.mask.reseed(&seed);
        seed.zeroize();
        t.xor_masks(NREG);
        Ok(t)
    }

    /// Runs `f` with the plain state encoding (secret: registers included; seal it
    /// before it leaves RAM). The registers are unmasked in place for the call and masked
    /// again under a new mask key afterwards (a pass over every register: to persist,
    /// [`AesTerminal::view`] is cheaper).
    pub fn with_state<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> T {
        self.xor_masks(NREG);
        let out = f(self.state.expose());
        self.mask.ratchet();
        self.xor_masks(NREG);
        out
    }

    /// The state encoding with the registers still masked, for a persister
    /// ([`StatePersist::persist_view`]; [`StateView::read`] unmasks what it reads).
    pub fn view(&self) -> StateView<'_> {
        StateView::masked(
            self.state.expose(),
            &self.mask,
            RULES,
            (HDR, SLOT, self.kind().key_len()),
            self.in_use(),
            u64::from(self.counter()),
        )
    }

    /// Folds 16 fresh random bytes from `rng` into the registers' mask key and masks
    /// every register anew (the terminal's own masks need no RNG; call this where there
    /// is one, e.g. after [`AesTerminal::from_state`], and now and then against SRAM
    /// imprinting of registers that stay unused for long: a transaction re-masks only
    /// the registers it writes).
    pub fn remask<R: rand_core::CryptoRng + ?Sized>(&mut self, rng: &mut R) {
        let mut fresh = Secret::<16>::zero();
        rng.fill_bytes(fresh.expose_mut());
        self.xor_masks(NREG);
        self.mask.mix(fresh.expose());
        self.xor_masks(NREG);
    }

    /// XORs the masks into (or out of: the same operation) the key bytes of the
    /// registers in use below `below`, for the next counter in the state.
    fn xor_masks(&mut self, below: usize) {
        let klen = self.kind().key_len();
        let (map, next) = (self.in_use(), u64::from(self.counter()));
        let mut stream = self.mask.stream();
        let regs = self
            .state
            .words_mut()
            .get_mut(HDR >> 2..)
            .unwrap_or(&mut []);
        for (i, slot) in (0u32..).zip(regs.chunks_exact_mut(SLOT >> 2)).take(below) {
            if map & (1 << i) != 0 {
                let key = slot.get_mut(..klen >> 2).unwrap_or(&mut []);
                stream.apply_words(Rules::parent(next, i), i as usize, klen, key);
            }
        }
    }

    /// The derivation key type.
    pub fn kind(&self) -> BdkType {
        // Checked in every constructor.
        BdkType::from_code(self.state.expose()[3]).unwrap_or(BdkType::Aes128)
    }

    /// The initial key ID.
    pub fn initial_key_id(&self) -> [u8; 8] {
        let mut id = [0u8; 8];
        id.copy_from_slice(&self.state.expose()[8..16]);
        id
    }

    /// Whether the counter is used up (no more transactions).
    pub fn is_exhausted(&self) -> bool {
        self.state.expose()[STATUS] == EXHAUSTED
    }

    /// The next counter the terminal will try (`None` at end of life).
    pub fn next_counter(&self) -> Option<u32> {
        (!self.is_exhausted()).then(|| self.counter())
    }

    /// Register `i` (0..32): the derivation key for counter bit `i`, unmasked into a
    /// wiped holder; `None` if erased. For test vectors and diagnostics.
    pub fn register(&self, i: usize) -> Option<SecretBuf<SLOT>> {
        if i >= NREG || self.in_use() & (1 << i) == 0 {
            return None;
        }
        let klen = self.kind().key_len();
        let mut r = SecretBuf::from_slice(self.slot(i)?.get(..klen)?)?;
        let parent = Rules::parent(u64::from(self.counter()), u32::try_from(i).ok()?);
        self.mask.stream().apply(parent, i, klen, r.expose_mut());
        Some(r)
    }

    /// Starts a transaction (X9.24-3 Generate_Working_Keys): picks the next counter,
    /// derives the registers the following counters need, erases the used register,
    /// persists the new state and only then returns the transaction's keys.
    ///
    /// Errors: [`DukptError::Exhausted`] at end of life, [`DukptError::PersistFailed`]
    /// if `persist` failed (no key released; that counter is burnt).
    ///
    /// Masking: the used register is unmasked into a wiped local (one mask block), the
    /// new registers are masked with their parent's fresh masks (about one block); the
    /// state is persisted as a [`StateView`].
    pub fn next_transaction<P: StatePersist + ?Sized>(
        &mut self,
        persist: &mut P,
    ) -> Result<AesTransaction, DukptError> {
        if self.is_exhausted() {
            return Err(DukptError::Exhausted);
        }
        let kind = self.kind();
        let ikid = self.initial_key_id();
        let Some((c, k)) = RULES.next_in_use(u64::from(self.counter()), self.in_use()) else {
            return self.end_of_life(persist);
        };
        let c32 = u32::try_from(c).map_err(|_| DukptError::StateInconsistent)?;
        let ki = k as usize;
        let klen = kind.key_len();
        // The used register, unmasked in its slot (erased below, before the state is
        // persisted; masked again if its key cannot be taken).
        let parent = Rules::parent(u64::from(self.counter()), k);
        let mask = &self.mask;
        let reg = self
            .state
            .expose_mut()
            .get_mut(HDR + ki * SLOT..HDR + ki * SLOT + klen)
            .ok_or(DukptError::StateInconsistent)?;
        mask.stream().apply(parent, ki, klen, reg);
        // The transaction's one key schedule, expanded in place in the transaction
        // (`AesEnc::rekey`): no schedule moved into it through a `Result`.
        let mut tx = AesTransaction {
            schedule: AesEnc::placeholder(),
            kind,
            ksn: AesKsn::new(&ikid, c32),
        };
        if tx.schedule.rekey(reg).is_err() {
            mask.stream().apply(parent, ki, klen, reg);
            return Err(DukptError::BadKeyLength);
        }
        let (next, derive_children) = RULES.after(c);
        let mut map = self.in_use();
        if derive_children {
            // Registers 0..ki from this key: independent derivations, paired into
            // two-block calls (masked below, once the counter is the next one).
            derive_each(
                &tx.schedule,
                (0..ki).zip(self.slots_mut()).map(|(i, slot)| {
                    let data = derivation_step_data(kind, &ikid, c32 | (1u32 << i));
                    (data, slot.get_mut(..klen).unwrap_or(&mut []))
                }),
            );
            for i in 0..ki {
                map |= 1 << i;
            }
        }
        if let Some(slot) = self.slot_mut(ki) {
            // The rest of the slot is zero already.
            slot.get_mut(..klen).unwrap_or(&mut []).zeroize();
        }
        map &= !(1u32 << k);
        self.set_in_use(map);
        match u32::try_from(next) {
            Ok(n) if next < RULES.limit() => self.set_counter(n),
            _ => self.wipe_to_end_of_life(),
        }
        if derive_children {
            // The new registers 0..ki, whose parent is `c`.
            self.xor_masks(ki);
        }
        persist
            .persist_view(&self.view())
            .map_err(|_| DukptError::PersistFailed)?;
        Ok(tx)
    }

    fn end_of_life<P: StatePersist + ?Sized>(
        &mut self,
        persist: &mut P,
    ) -> Result<AesTransaction, DukptError> {
        self.wipe_to_end_of_life();
        // Best effort: the state is already unusable in RAM.
        let _ = persist.persist_view(&self.view());
        Err(DukptError::Exhausted)
    }

    fn wipe_to_end_of_life(&mut self) {
        let s = self.state.expose_mut();
        s[STATUS] = EXHAUSTED;
        s[16..].zeroize();
    }

    fn counter(&self) -> u32 {
        let s = self.state.expose();
        u32::from_be_bytes([s[16], s[17], s[18], s[19]])
    }
    fn set_counter(&mut self, c: u32) {
        self.state.expose_mut()[16..20].copy_from_slice(&c.to_be_bytes());
    }
    fn in_use(&self) -> u32 {
        let s = self.state.expose();
        u32::from_be_bytes([s[20], s[21], s[22], s[23]])
    }
    fn set_in_use(&mut self, m: u32) {
        self.state.expose_mut()[20..24].copy_from_slice(&m.to_be_bytes());
    }
    fn slot(&self, i: usize) -> Option<&[u8]> {
        self.state
            .expose()
            .get(HDR + i * SLOT..HDR + (i + 1) * SLOT)
    }
    fn slot_mut(&mut self, i: usize) -> Option<&mut [u8]> {
        self.state
            .expose_mut()
            .get_mut(HDR + i * SLOT..HDR + (i + 1) * SLOT)
    }
    /// The first `len` bytes of register `i` (empty if out of range: never with our
    /// loop bounds).
    fn reg_mut(&mut self, i: usize, len: usize) -> &mut [u8] {
        self.state
            .expose_mut()
            .get_mut(HDR + i * SLOT..HDR + i * SLOT + len)
            .unwrap_or(&mut [])
    }
    /// The 32 register slots, in order.
    fn slots_mut(&mut self) -> core::slice::ChunksExactMut<'_, u8> {
        self.state
            .expose_mut()
            .get_mut(HDR..)
            .unwrap_or(&mut [])
            .chunks_exact_mut(SLOT)
    }
}

/// The packed form of a state encoding, what a store seals: the header, then only the
/// registers in use, each at its key length (in a consistent state the rest of every
/// slot and every erased register is zero, so nothing is lost). An AES-128 terminal
/// packs into at most 24 + 32 x 16 = 536 bytes, an AES-256 one into 24 + 32 x 32.
///
/// Key length and in-use register map of a (full or packed) encoding; `None` if the
/// header is too short or names no AES scheme.
fn packed_shape(state: &[u8]) -> Option<(usize, u32)> {
    let key_len = BdkType::from_code(*state.get(3)?)?.key_len();
    let m = state.get(20..HDR)?;
    Some((key_len, u32::from_be_bytes([m[0], m[1], m[2], m[3]])))
}

/// The header of `full` (no register bytes in it: nothing unmasked); `None` if `full`
/// is not a whole AES terminal encoding.
fn view_header(full: &StateView<'_>) -> Option<[u8; HDR]> {
    let mut h = [0u8; HDR];
    (full.len() == AES_STATE_LEN && full.read(0, &mut h) == HDR).then_some(h)
}

/// The length of the packed form of `full` (see [`packed_shape`]); `None` if `full` is
/// not a whole encoding naming an AES scheme.
pub(crate) fn packed_state_len(full: &StateView<'_>) -> Option<usize> {
    let (key_len, map) = packed_shape(&view_header(full)?)?;
    Some(HDR + map.count_ones() as usize * key_len)
}

/// Packs the whole encoding `full` into `out`, which is [`packed_state_len`] long
/// ([`DukptError::StateInconsistent`] otherwise), each register unmasked straight into
/// `out` (one mask block per register; no plain copy of the whole state).
pub(crate) fn pack_state(full: &StateView<'_>, out: &mut [u8]) -> Result<(), DukptError> {
    let bad = DukptError::StateInconsistent;
    if packed_state_len(full) != Some(out.len()) {
        return Err(bad);
    }
    let header = view_header(full).ok_or(bad)?;
    let (key_len, map) = packed_shape(&header).ok_or(bad)?;
    out.get_mut(..HDR).ok_or(bad)?.copy_from_slice(&header);
    let mut at = HDR;
    for i in (0..NREG).filter(|i| map & (1 << i) != 0) {
        let dst = out.get_mut(at..at + key_len).ok_or(bad)?;
        if full.read(HDR + i * SLOT, dst) != key_len {
            return Err(bad);
        }
        at += key_len;
    }
    Ok(())
}

/// Rebuilds the whole encoding from a packed one into `full` (zeroed first);
/// [`DukptError::StateLength`] if `packed` is not as long as its header says. The result
/// is checked by [`AesTerminal::from_state`].
pub(crate) fn unpack_state(
    packed: &[u8],
    full: &mut [u8; AES_STATE_LEN],
) -> Result<(), DukptError> {
    let bad = DukptError::StateLength;
    full.zeroize();
    let (key_len, map) = packed_shape(packed).ok_or(bad)?;
    if packed.len() != HDR + map.count_ones() as usize * key_len {
        return Err(bad);
    }
    full[..HDR].copy_from_slice(packed.get(..HDR).ok_or(bad)?);
    let mut at = HDR;
    for i in (0..NREG).filter(|i| map & (1 << i) != 0) {
        let src = packed.get(at..at + key_len).ok_or(bad)?;
        full.get_mut(HDR + i * SLOT..HDR + i * SLOT + key_len)
            .ok_or(bad)?
            .copy_from_slice(src);
        at += key_len;
    }
    Ok(())
}

impl core::fmt::Debug for AesTerminal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "AesTerminal({:?}, next counter {:?}, ..)",
            self.kind(),
            self.next_counter()
        )
    }
}

#[cfg(test)]
#[cfg(not(keyfort_no_wipe))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::dukpt::aes::AesBdk;
    use crate::dukpt::NoPersist;

    /// The mask each in-use register has in RAM now (masked slot XOR plain register).
    fn masks_in_ram(t: &AesTerminal) -> [Option<[u8; 32]>; NREG] {
        let klen = t.kind().key_len();
        core::array::from_fn(|i| {
            let plain = t.register(i)?;
            let mut m = [0u8; 32];
            for ((m, s), p) in m.iter_mut().zip(&t.slot(i)?[..klen]).zip(plain.expose()) {
                *m = s ^ p;
            }
            Some(m)
        })
    }

    #[test]
    fn registers_masked_in_ram_fresh_per_write_and_the_view_reads_plain() {
        let bdk = AesBdk::new(&crate::key::TypedKey::raw_aes(&[0x11; 32]).unwrap()).unwrap();
        let ik = bdk.initial_key(&[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        let mut t = AesTerminal::load(&ik, &mut NoPersist).unwrap();
        let mut before = masks_in_ram(&t);
        let mut rewritten = 0;
        for _ in 0..40 {
            let tx = t.next_transaction(&mut NoPersist).unwrap();
            let c = tx.ksn().counter();
            let now = masks_in_ram(&t);
            for (i, (m, b)) in now.iter().zip(&before).enumerate() {
                let Some(m) = m else { continue };
                // Never held in the clear (a zero mask), no two registers alike.
                assert_ne!(*m, [0; 32], "counter {c}, register {i}");
                for (j, o) in now.iter().enumerate().take(i) {
                    assert_ne!(Some(*m), *o, "registers {i} and {j}");
                }
                // Written by this transaction: a mask it never had; else unchanged.
                if i < c.trailing_zeros() as usize {
                    rewritten += 1;
                    assert_ne!(Some(*m), *b, "counter {c}, rewritten register {i}");
                } else {
                    assert_eq!(Some(*m), *b, "counter {c}, untouched register {i}");
                }
            }
            before = now;
            // The view (what a persister reads) is the plain encoding, in one read and
            // in odd-sized pieces that cut registers.
            let mut viewed = [0u8; AES_STATE_LEN];
            assert_eq!(t.view().read(0, &mut viewed), AES_STATE_LEN);
            let mut pieces = [0u8; AES_STATE_LEN];
            for (n, piece) in pieces.chunks_mut(13).enumerate() {
                t.view().read(n * 13, piece);
            }
            assert_eq!(pieces, viewed);
            assert!(t.with_state(|s| s == viewed));
            // with_state moved the mask key on: every register has a new mask.
            let after = masks_in_ram(&t);
            assert!(after
                .iter()
                .zip(&before)
                .all(|(a, b)| a.is_none() || a != b));
            before = after;
        }
        assert!(rewritten > 30);
    }
}
