//! Host side: initial key, derivation key and working keys for any KSN, from the BDK
//! ([`AesBdk`]) or from an initial key ([`AesInitialKey`]).
//!
//! Cost of one working key for a counter with `n` one-bits: `n + 1` AES key expansions
//! (encryption-only: DUKPT never decrypts) and `n + 1` to `2n + 2` block encryptions
//! (plus one block for the initial key when starting from the BDK; the BDK's schedule is
//! expanded once, in [`AesBdk::new`]), and one stack scrub at the end ([`scrubbed`]): the
//! intermediate keys live in wiped holders and each step's schedule is a local wiped when
//! the step ends, so no per-key scrub is needed. On x86-64 with AES-NI an AES-128 chain
//! costs no key expansion at all: it runs as one call of the lane engine, each step's
//! key expanded on the fly and kept in a register. No allocation. Many KSNs at once:
//! [`AesBdk::batch`].
use super::derive::{derivation_step_data, derive, initial_key_data, working_key_data, ChainSteps};
use super::ksn::AesKsn;
use super::types::{BdkType, KeyUsage, WorkingKeyType};
use crate::block::{AesEnc, AesLanes128, EncryptBlocks};
use crate::dukpt::DukptError;
use crate::key::{BdkDerive, IkDerive, TypedKey};
use crate::secret::{scrubbed_to, Secret, SecretBuf, WipedBuf};

/// How deep the scrub after a host derivation on the AES lane engine reaches
/// ([`working_key_on_the_fly`]: no key schedule, the chain's keys in vector registers,
/// the only key holders self-wiping): 512 bytes, past the frame of [`crate::secret::scrubbed_to`]'s frame on this path
/// (0.2 KiB in the release build's `objdump`). The host stack test
/// (`tests/tests/dukpt_stack.rs`) reads the stack back after a derivation: no key of the
/// chain is left (with this scrub removed too; the scrub is a margin for spills another
/// compiler may make), while the schedule path without its scrub fails it.
const ON_THE_FLY_SCRUB_WORDS: usize = 512 >> 4;

/// How deep the one scrub after a host derivation reaches below the frame of the public
/// call: the frame of [`crate::secret::scrubbed_to`]'s closure (the chain's schedules,
/// the key holders, the derivation data) and the `aes` crate's expansion and block calls
/// below it.
/// - Hosts: [`crate::secret::CIPHER_SCRUB_BYTES`] (8 KiB), for the `aes` crate's VAES-512
///   backend's frames (see there). `tests/tests/dukpt_stack.rs`, on a CPU with AVX-512
///   and VAES, found an AES-256 chain key 4.8 KiB below its reading frame with the 2 KiB
///   scrub this was before. On CPUs without AVX-512 the deepest such stack is about
///   1.2 KiB.
/// - Bare-metal Arm: 4 KiB. A host derivation there reaches 1.9 KiB on the Cortex-M3 and
///   2.2 KiB on the Cortex-M0 (the bench firmware's painted stack with the scrubs off,
///   `--cfg keyfort_no_wipe`, `./x bench --board`), and the memory scan found a
///   keyfort-aes schedule of a derivation key left below a 2 KiB scrub.
#[cfg(not(target_os = "none"))]
const DERIVATION_SCRUB_WORDS: usize = crate::secret::CIPHER_SCRUB_BYTES >> 4;
#[cfg(target_os = "none")]
const DERIVATION_SCRUB_WORDS: usize = 4096 >> 4;

/// How deep the scrub after one terminal transaction reaches (the drop of an
/// `AesTransaction`: its register's key expansion, the new registers' blocks, the masks,
/// and the working keys' blocks under it, all in frames below the caller's). On bare-metal
/// Arm 1.5 KiB: a transaction with its PIN key reaches at most 884 bytes below the caller
/// on the Cortex-M3 and 1,120 on the Cortex-M0 (the bench firmware's painted stack, built
/// with the scrubs off, `--cfg keyfort_no_wipe`). A terminal runs where RAM is smallest (a
/// 16 KiB micro:bit with the C API's store below the stack), so it does not take the host
/// derivation's 4 KiB. Shown on target by memscan's live-terminal scan and the AES DUKPT
/// workload (0 register or key found). On hosts [`crate::secret::CIPHER_SCRUB_BYTES`]
/// (8 KiB), for the `aes` crate's VAES-512 backend's frames.
#[cfg(target_os = "none")]
pub(crate) const TERMINAL_SCRUB_WORDS: usize = 1536 >> 4;
#[cfg(not(target_os = "none"))]
pub(crate) const TERMINAL_SCRUB_WORDS: usize = crate::secret::CIPHER_SCRUB_BYTES >> 4;

/// Runs `f` in a never-inlined frame below the caller's, then overwrites the stack below
/// the caller once ([`crate::secret::scrub_stack_bytes`]): every key schedule, moved-from
/// copy and expansion temporary of the whole derivation lies there. This is the one scrub
/// of a derivation (the holders inside wipe themselves: [`WipedBuf`], the `aes` crate's
/// schedules), instead of one per dropped schedule and holder.
#[inline(always)]
pub(crate) fn scrubbed<R>(f: impl FnOnce() -> R) -> R {
    scrubbed_to::<DERIVATION_SCRUB_WORDS, R>(f)
}

/// Expands an encryption-only schedule (DUKPT never decrypts) straight into the caller's
/// variable (inlined: no move of the schedule through another `Result`).
#[inline(always)]
fn expand_enc(key: &[u8]) -> Result<AesEnc, DukptError> {
    match AesEnc::new(key) {
        Ok(s) => Ok(s),
        Err(_) => Err(DukptError::BadKeyLength),
    }
}

/// Parses an 8-byte initial key ID.
fn ikid_from(ikid: &[u8]) -> Result<[u8; 8], DukptError> {
    ikid.try_into()
        .map_err(|_| DukptError::BadInitialKeyIdLength)
}

/// Walks the derivation chain along `counter`'s one-bits, most significant first, from
/// the initial key in `key`, and returns `finish` of the derivation key's schedule (`key`
/// then holds the derivation key's bytes). One key expansion and one DeriveKey per
/// one-bit; each step's schedule is a fresh local expanded in place and wiped when the
/// step ends ([`AesEnc::with_key`]: no schedule moved or reassigned); an AES-128 chain on
/// a lane engine runs in one call instead ([`chain_on_the_fly`]). The counter is public
/// (it travels in the KSN), so the loop may depend on it.
#[inline(always)]
pub(crate) fn walk<R>(
    kind: BdkType,
    ikid: &[u8; 8],
    counter: u32,
    key: &mut WipedBuf<32>,
    finish: impl FnOnce(&dyn EncryptBlocks) -> R,
) -> Result<R, DukptError> {
    if kind == BdkType::Aes128 {
        if let Some(engine) = AesLanes128::detect() {
            let k = chain_on_the_fly(&engine, key.expose_mut(), None, kind, ikid, counter)?;
            return Ok(finish(&engine.with_key(k)));
        }
    }
    for step in ChainSteps::to(counter) {
        let data = derivation_step_data(kind, ikid, step);
        AesEnc::with_key(key.expose_mut(), |schedule, key| {
            derive(schedule, &data, key)
        })
        .map_err(|_| DukptError::BadKeyLength)?;
    }
    AesEnc::with_key(key.expose_mut(), |schedule, _| finish(schedule))
        .map_err(|_| DukptError::BadKeyLength)
}

/// The working key of `counter` from an AES-128 BDK on a lane engine: the initial key and
/// every derivation key in one chain ([`chain_on_the_fly`]), then the working key under
/// the last (run inside [`scrubbed_to`] with [`ON_THE_FLY_SCRUB_WORDS`]).
#[inline(always)]
fn working_key_on_the_fly(
    engine: &AesLanes128,
    bdk: &Secret<16>,
    ikid: &[u8; 8],
    counter: u32,
    usage: KeyUsage,
    key_type: WorkingKeyType,
) -> Result<AesWorkingKey, DukptError> {
    let mut key = WipedBuf::<16>::from_slice(bdk.expose()).ok_or(DukptError::BadKeyLength)?;
    let kind = BdkType::Aes128;
    let first = Some(initial_key_data(kind, ikid));
    let k = chain_on_the_fly(engine, key.expose_mut(), first, kind, ikid, counter)?;
    working_key_under(&engine.with_key(k), ikid, counter, usage, key_type)
}

/// Runs `key` (16 bytes) through the AES-128 chain to `counter` on a lane engine, after
/// the step with derivation data `first` if given (the initial key's, from the BDK): the
/// whole chain in one call ([`AesLanes128::chain`]), each step's key expanded on the fly
/// and the intermediate keys kept in registers (no schedule built or wiped, no key stored
/// but the last, in `key`).
#[inline(always)]
fn chain_on_the_fly<'k>(
    engine: &AesLanes128,
    key: &'k mut [u8],
    first: Option<[u8; 16]>,
    kind: BdkType,
    ikid: &[u8; 8],
    counter: u32,
) -> Result<&'k [u8; 16], DukptError> {
    let k: &mut [u8; 16] = key.try_into().map_err(|_| DukptError::BadKeyLength)?;
    let steps = ChainSteps::to(counter).map(|step| derivation_step_data(kind, ikid, step));
    engine.chain(k, first.into_iter().chain(steps));
    Ok(k)
}

/// The working key of `usage` / `key_type` under the derivation key `schedule` of
/// `counter`.
#[inline(always)]
pub(crate) fn working_key_under(
    schedule: &(impl EncryptBlocks + ?Sized),
    ikid: &[u8; 8],
    counter: u32,
    usage: KeyUsage,
    key_type: WorkingKeyType,
) -> Result<AesWorkingKey, DukptError> {
    let mut key = SecretBuf::new();
    key.set_len(key_type.key_len())
        .ok_or(DukptError::BadKeyLength)?;
    derive(
        schedule,
        &working_key_data(usage, key_type, ikid, counter),
        key.expose_mut(),
    );
    Ok(AesWorkingKey {
        key,
        key_type,
        usage,
    })
}

/// The working key of `counter` from the initial key `ik` (checks done by the caller;
/// run inside [`scrubbed`]).
#[inline(always)]
fn working_key_from_initial(
    kind: BdkType,
    ikid: &[u8; 8],
    ik: &[u8],
    counter: u32,
    usage: KeyUsage,
    key_type: WorkingKeyType,
) -> Result<AesWorkingKey, DukptError> {
    let mut key = WipedBuf::<32>::from_slice(ik).ok_or(DukptError::BadKeyLength)?;
    walk(kind, ikid, counter, &mut key, |schedule| {
        working_key_under(schedule, ikid, counter, usage, key_type)
    })?
}

/// A base derivation key, ready for use: an AES-128 BDK on a CPU with an AES lane engine
/// is kept as its 16 bytes and expanded on the fly at each use (no schedule to build or
/// scrub); any other is expanded once (encryption only). Lives only on the host (or an
/// HSM).
pub struct AesBdk {
    key: BdkKey,
    kind: BdkType,
}

/// The BDK as the derivations use it (which form depends only on its size and the CPU).
// No heap to box the schedule into: the holder is a schedule's size either way.
#[allow(clippy::large_enum_variant)]
enum BdkKey {
    /// An AES-128 key on a lane engine ([`AesLanes128::with_key`] at each use).
    OnTheFly(AesLanes128, Secret<16>),
    /// An expanded encryption-only schedule.
    Schedule(AesEnc),
}

impl EncryptBlocks for BdkKey {
    #[inline(always)]
    fn encrypt_one(&self, block: &mut [u8; 16]) {
        match self {
            Self::OnTheFly(engine, key) => engine.with_key(key.expose()).encrypt_one(block),
            Self::Schedule(s) => s.encrypt(block),
        }
    }
    #[inline(always)]
    fn encrypt_two(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
        match self {
            Self::OnTheFly(engine, key) => engine.with_key(key.expose()).encrypt_two(b0, b1),
            Self::Schedule(s) => s.encrypt2(b0, b1),
        }
    }
}

impl AesBdk {
    /// Takes an AES-128, -192 or -256 BDK (a key admitted as a `B0` key; another AES or
    /// TDES algorithm is [`DukptError::WrongAlgorithm`]).
    pub fn new(bdk: &TypedKey<'_, BdkDerive>) -> Result<Self, DukptError> {
        let kind = BdkType::from_algorithm(bdk.algorithm()).ok_or(DukptError::WrongAlgorithm)?;
        let bdk = bdk.expose();
        if let (Some(engine), Ok(k)) = (AesLanes128::detect(), <[u8; 16]>::try_from(bdk)) {
            return Ok(Self {
                key: BdkKey::OnTheFly(engine, Secret::new(k)),
                kind,
            });
        }
        scrubbed(|| {
            Ok(Self {
                key: BdkKey::Schedule(expand_enc(bdk)?),
                kind,
            })
        })
    }

    /// The BDK's type.
    pub fn kind(&self) -> BdkType {
        self.kind
    }

    /// The BDK's block encryption (the batch derivation's initial keys).
    pub(crate) fn blocks(&self) -> &(impl EncryptBlocks + '_) {
        &self.key
    }

    /// The initial key of the device with this initial key ID (8 bytes).
    pub fn initial_key(&self, initial_key_id: &[u8]) -> Result<AesInitialKey, DukptError> {
        let ikid = ikid_from(initial_key_id)?;
        scrubbed(|| {
            let mut key = SecretBuf::new();
            key.set_len(self.kind.key_len())
                .ok_or(DukptError::BadKeyLength)?;
            derive(
                &self.key,
                &initial_key_data(self.kind, &ikid),
                key.expose_mut(),
            );
            Ok(AesInitialKey {
                key,
                kind: self.kind,
                ikid,
            })
        })
    }

    /// The derivation key of a KSN a device may have produced (counter non-zero, at
    /// most 16 one-bits).
    pub fn derivation_key(&self, ksn: &AesKsn) -> Result<AesDerivationKey, DukptError> {
        ksn.check_device_counter()?;
        self.derivation_key_any_counter(ksn)
    }

    /// The derivation key of any counter, including ones no device uses (zero: the
    /// initial key itself; more than 16 one-bits). For the X9.24-3 supplement's values and
    /// the update key; use [`AesBdk::derivation_key`] for transactions.
    pub fn derivation_key_any_counter(&self, ksn: &AesKsn) -> Result<AesDerivationKey, DukptError> {
        self.initial_key(&ksn.initial_key_id())?
            .derivation_key_any_counter(ksn.counter())
    }

    /// The working key of `usage` and `key_type` for a KSN a device may have produced.
    /// The initial key, the derivation keys and their schedules stay in wiped holders
    /// inside; the stack is scrubbed once, at the end.
    pub fn working_key(
        &self,
        ksn: &AesKsn,
        usage: KeyUsage,
        key_type: WorkingKeyType,
    ) -> Result<AesWorkingKey, DukptError> {
        if !key_type.allowed_under(self.kind) {
            return Err(DukptError::KeyTypeNotAllowed);
        }
        ksn.check_device_counter()?;
        let ikid = ksn.initial_key_id();
        if let BdkKey::OnTheFly(engine, bdk) = &self.key {
            return scrubbed_to::<ON_THE_FLY_SCRUB_WORDS, _>(|| {
                working_key_on_the_fly(engine, bdk, &ikid, ksn.counter(), usage, key_type)
            });
        }
        scrubbed(|| {
            let mut ik =
                WipedBuf::<32>::zeroed(self.kind.key_len()).ok_or(DukptError::BadKeyLength)?;
            derive(
                &self.key,
                &initial_key_data(self.kind, &ikid),
                ik.expose_mut(),
            );
            working_key_from_initial(
                self.kind,
                &ikid,
                ik.expose(),
                ksn.counter(),
                usage,
                key_type,
            )
        })
    }

    /// The DUKPT update key (X9.24-3 supplement): the key-encryption key derived at
    /// counter `0xFFFFFFFF`, under which a new initial key is sent to the device.
    pub fn update_key(
        &self,
        initial_key_id: &[u8],
        key_type: WorkingKeyType,
    ) -> Result<AesWorkingKey, DukptError> {
        self.initial_key(initial_key_id)?.update_key(key_type)
    }
}

impl Drop for AesBdk {
    #[inline(never)]
    fn drop(&mut self) {
        // The schedule or key wipes itself right after this (the `aes` crate's own drop,
        // `Secret`'s); a schedule's moved-from copies may lie on the stack.
        if matches!(self.key, BdkKey::Schedule(_)) {
            crate::secret::scrub_cipher_stack();
        }
    }
}

impl core::fmt::Debug for AesBdk {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "AesBdk({:?}, ..)", self.kind)
    }
}

/// A device's initial key (the key injected into the terminal), with its initial key ID.
pub struct AesInitialKey {
    key: SecretBuf<32>,
    kind: BdkType,
    ikid: [u8; 8],
}

impl AesInitialKey {
    /// Takes an AES initial key (a key admitted as a `B1` key; a TDES one is
    /// [`DukptError::WrongAlgorithm`]) and its 8-byte initial key ID.
    pub fn new(key: &TypedKey<'_, IkDerive>, initial_key_id: &[u8]) -> Result<Self, DukptError> {
        let kind = BdkType::from_algorithm(key.algorithm()).ok_or(DukptError::WrongAlgorithm)?;
        let ikid = ikid_from(initial_key_id)?;
        let key = SecretBuf::from_slice(key.expose()).ok_or(DukptError::BadKeyLength)?;
        Ok(Self { key, kind, ikid })
    }

    /// The key bytes, for injection into a terminal. Keep the borrow short.
    pub fn expose(&self) -> &[u8] {
        self.key.expose()
    }

    /// The key's type (that of the BDK).
    pub fn kind(&self) -> BdkType {
        self.kind
    }

    /// The initial key ID.
    pub fn initial_key_id(&self) -> &[u8; 8] {
        &self.ikid
    }

    /// The derivation key for a counter a device may use.
    pub fn derivation_key(&self, counter: u32) -> Result<AesDerivationKey, DukptError> {
        AesKsn::new(&self.ikid, counter).check_device_counter()?;
        self.derivation_key_any_counter(counter)
    }

    /// The derivation key for any counter (see [`AesBdk::derivation_key_any_counter`]).
    pub fn derivation_key_any_counter(&self, counter: u32) -> Result<AesDerivationKey, DukptError> {
        scrubbed(|| {
            let mut key =
                WipedBuf::<32>::from_slice(self.key.expose()).ok_or(DukptError::BadKeyLength)?;
            walk(self.kind, &self.ikid, counter, &mut key, |_| ())?;
            // The chain's last schedule was local to the walk: expanded again to keep.
            Ok(AesDerivationKey {
                schedule: expand_enc(key.expose())?,
                key,
                kind: self.kind,
                ksn: AesKsn::new(&self.ikid, counter),
            })
        })
    }

    /// A working key for a counter a device may use.
    pub fn working_key(
        &self,
        counter: u32,
        usage: KeyUsage,
        key_type: WorkingKeyType,
    ) -> Result<AesWorkingKey, DukptError> {
        if !key_type.allowed_under(self.kind) {
            return Err(DukptError::KeyTypeNotAllowed);
        }
        AesKsn::new(&self.ikid, counter).check_device_counter()?;
        scrubbed(|| {
            working_key_from_initial(
                self.kind,
                &self.ikid,
                self.key.expose(),
                counter,
                usage,
                key_type,
            )
        })
    }

    /// The update key (see [`AesBdk::update_key`]).
    pub fn update_key(&self, key_type: WorkingKeyType) -> Result<AesWorkingKey, DukptError> {
        if !key_type.allowed_under(self.kind) {
            return Err(DukptError::KeyTypeNotAllowed);
        }
        self.derivation_key_any_counter(u32::MAX)?
            .working_key(KeyUsage::KeyEncryption, key_type)
    }
}

impl core::fmt::Debug for AesInitialKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "AesInitialKey({:?}, ..)", self.kind)
    }
}

/// The intermediate derivation key of one KSN, expanded: the source of every working
/// key of that transaction.
///
/// Wiped on drop, which also scrubs the stack once.
pub struct AesDerivationKey {
    schedule: AesEnc,
    key: WipedBuf<32>,
    kind: BdkType,
    ksn: AesKsn,
}

impl AesDerivationKey {
    /// The KSN this key belongs to.
    pub fn ksn(&self) -> &AesKsn {
        &self.ksn
    }

    /// The derivation key's type.
    pub fn kind(&self) -> BdkType {
        self.kind
    }

    /// The key bytes (for test vectors and diagnostics). Keep the borrow short.
    pub fn expose(&self) -> &[u8] {
        self.key.expose()
    }

    /// The working key of `usage` and `key_type` for this KSN.
    ///
    /// No stack scrub of its own: the one block call under the already expanded schedule
    /// leaves its scratch below the caller, which the returned key's drop and this
    /// derivation key's drop each scrub (the latter to a cipher's depth,
    /// [`crate::secret::CIPHER_SCRUB_BYTES`]); memscan's
    /// live-terminal scan and AES DUKPT workload check it (0 keys found).
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

impl Drop for AesDerivationKey {
    #[inline(never)]
    fn drop(&mut self) {
        // The schedule and the key bytes wipe themselves right after this.
        crate::secret::scrub_cipher_stack();
    }
}

impl core::fmt::Debug for AesDerivationKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "AesDerivationKey({:?}, {:?}, ..)", self.kind, self.ksn)
    }
}

/// A working key: its bytes, type and usage. Wiped on drop.
pub struct AesWorkingKey {
    key: SecretBuf<32>,
    key_type: WorkingKeyType,
    usage: KeyUsage,
}

impl AesWorkingKey {
    /// The key bytes (16, 24 or 32). Keep the borrow short.
    pub fn expose(&self) -> &[u8] {
        self.key.expose()
    }
    /// The key type.
    pub fn key_type(&self) -> WorkingKeyType {
        self.key_type
    }
    /// The usage it was derived for.
    pub fn usage(&self) -> KeyUsage {
        self.usage
    }

    /// The key admitted for the role `R` under the policy its derivation fixed
    /// ([`KeyUsage::policy`] with its type): a PIN working key is a PIN key for both
    /// ends (the terminal encrypts, the host decrypts), a MAC working key is bound to
    /// CMAC (TDES and AES types) or HMAC (HMAC types), a data working key is a general
    /// data key. Another role is [`crate::key::KeyError::UsageDenied`].
    pub fn typed<R: crate::key::Role>(
        &self,
    ) -> Result<crate::key::TypedKey<'_, R>, crate::key::KeyError> {
        let (alg, usage) = self.usage.policy(self.key_type);
        crate::key::TypedKey::new(self.key.expose(), alg, usage)
    }
}

impl core::fmt::Debug for AesWorkingKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "AesWorkingKey({:?}, {:?}, ..)",
            self.key_type, self.usage
        )
    }
}
