//! Block-cipher glue every other module uses: AES-128/192/256 and TDES (2-key and 3-key)
//! as single-block operations on `[u8; 16]` / `[u8; 8]`, with key schedules that are
//! wiped on drop (DES and TDES are keyfort's own constant-time DES, `des_ct`, on every
//! target; a degenerate TDES key is refused, [`TdesKeyError`]); dropping one also scrubs
//! the stack below the dropping frame, where key-expansion scratch and per-call copies of
//! the round keys were left, as deep as that cipher's frames reach
//! ([`crate::secret::CIPHER_SCRUB_BYTES`] for AES, 1 KiB for DES).
//!
//! This is the one seam where a faster constant-time block implementation for a given
//! core is swapped in. AES backends:
//! - ARMv7-M / ARMv8-M Mainline (Cortex-M3/M4/M7/M33; `cfg(kf_thumb2)`, set by
//!   `build.rs`): `keyfort-aes`, a fully fixsliced constant-time AES in hand-scheduled
//!   Thumb-2 assembly (about half the instructions of the `aes` crate's fixsliced code).
//! - Other bare-metal ARM (ARMv6-M: Cortex-M0/M0+/M1; `target_arch = "arm"`,
//!   `target_os = "none"`): `keyfort-aes`'s portable fixsliced model, one code path for
//!   all three key sizes (smaller than the `aes` crate's three instantiated sizes, and on
//!   the Cortex-M0 faster: about 0.73x its instructions per block and key schedule).
//! - Everywhere else (hosts): RustCrypto's `aes` crate (AES-NI / ARMv8 crypto extensions
//!   when the CPU has them, its fixsliced software AES otherwise).
//! - And on x86-64 with AES-NI, for chains where every block has a new AES-128 key (the
//!   DUKPT host derivation): `AesLanes128`, keyfort-aes's `lanes` engine, each key
//!   expanded on the fly inside its block, up to eight independent chains in lockstep.
/// The key length given to a block cipher is not one it supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BadKeyLength;

impl core::fmt::Display for BadKeyLength {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("unsupported key length")
    }
}

impl core::error::Error for BadKeyLength {}

/// An AES key schedule of any size. Prints only its size; wiped on drop.
pub struct Aes(backend::Inner);

impl Aes {
    /// Expands `key` (16, 24 or 32 bytes). The length is public.
    // Never inlined: the expansion's temporaries and moved-from copies of the schedule
    // then lie in this function's frame, below the caller's, where the scrub of the
    // eventual drop reaches them (inlined, they would sit in the caller's own frame).
    #[inline(never)]
    pub fn new(key: &[u8]) -> Result<Self, BadKeyLength> {
        Self::new_inlined(key)
    }

    /// [`Aes::new`] inlined into a caller that is itself never inlined (so that its
    /// frame, holding the expansion's temporaries, lies below its own caller's and is
    /// scrubbed by the drop) and that builds a wrapper around the schedule: the schedule
    /// is then expanded straight into the wrapper, without another move through a
    /// `Result` (each ~0.5 KiB copy costs about 10 ns on a host).
    #[inline(always)]
    pub(crate) fn new_inlined(key: &[u8]) -> Result<Self, BadKeyLength> {
        let inner = backend::Inner::new(key);
        // keyfort-aes's expansion ran in a frame below this one, which may hold a
        // moved-from copy of the schedule deeper than the scrub of the eventual drop
        // reaches (memscan found one after a TR-31 import): overwrite it now (768 bytes:
        // the schedule is 488). The `aes` crate's scratch is within the drop's reach.
        #[cfg(kf_thumb2)]
        crate::secret::scrub_stack_bytes::<48>();
        match inner {
            Ok(inner) => Ok(Self(inner)),
            Err(e) => Err(e),
        }
    }

    /// A schedule to expand a key into in place with [`Aes::rekey`] (on Cortex-M no
    /// key's: all round keys zero; on hosts the all-zero AES-128 key's), for a holder
    /// that must not have a schedule moved into it.
    #[inline(always)]
    pub(crate) fn placeholder() -> Self {
        Self(backend::Inner::placeholder())
    }

    /// Expands `key` (16, 24 or 32 bytes; the length is public) into this schedule where
    /// it lies: on Cortex-M keyfort-aes writes the round keys in place, with no ~0.5 KiB
    /// copy through a `Result` and no never-inlined frames holding moved-from copies (as
    /// [`Aes::new`] has). On a bad length the schedule is left as it was.
    #[inline(always)]
    pub(crate) fn rekey(&mut self, key: &[u8]) -> Result<(), BadKeyLength> {
        self.0.rekey(key)
    }

    /// The key length in bytes.
    pub fn key_len(&self) -> usize {
        self.0.key_len()
    }

    /// Encrypts one block in place.
    #[inline]
    pub fn encrypt(&self, block: &mut [u8; 16]) {
        self.0.encrypt(block);
    }

    /// Decrypts one block in place.
    #[inline]
    pub fn decrypt(&self, block: &mut [u8; 16]) {
        self.0.decrypt(block);
    }

    /// Encrypts two independent blocks in place. On Cortex-M this costs what one block
    /// costs (the fixsliced state holds two blocks): use it for work that is parallel.
    #[inline]
    pub fn encrypt2(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
        self.0.encrypt2(b0, b1);
    }

    /// Decrypts two independent blocks in place (see [`Aes::encrypt2`]).
    #[inline]
    pub fn decrypt2(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
        self.0.decrypt2(b0, b1);
    }

    /// Runs `job` with a block function that encrypts one block (see [`BlockJob`]).
    #[inline]
    pub fn encrypt_job<J: BlockJob>(&self, job: J) {
        self.0.encrypt_job(job);
    }

    /// Runs `job` with a block function that decrypts one block (see [`BlockJob`]).
    #[inline]
    pub fn decrypt_job<J: BlockJob>(&self, job: J) {
        self.0.decrypt_job(job);
    }
}

impl Drop for Aes {
    #[inline(never)]
    fn drop(&mut self) {
        // The schedule itself is wiped by the backend's own drop, right after this. The
        // backend's frames may reach deeper than a holder's (the `aes` crate on hosts).
        crate::secret::scrub_cipher_stack();
    }
}

impl core::fmt::Debug for Aes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Aes{} {{ .. }}", self.key_len() * 8)
    }
}

/// An encryption-only AES key schedule of any size, for the code that never decrypts
/// (DUKPT): no decryption round keys are computed (on AES-NI hosts the `aes` crate's
/// `Aes128Enc` etc.; on Cortex-M keyfort-aes, whose schedule serves both directions). A
/// chain of keys uses [`AesEnc::with_key`] (one local schedule per key, expanded in
/// place). Wiped on drop.
///
/// Unlike [`Aes`], its drop does **not** scrub the stack: its owner calls
/// [`crate::secret::scrub_stack`] (DUKPT: once per derivation, after the whole chain; the
/// expansion temporaries of every step lie in the frames below it). Crate-internal so
/// that only such owners hold one.
pub(crate) struct AesEnc(backend::InnerEnc);

impl AesEnc {
    /// Expands `key` (16, 24 or 32 bytes). The length is public. Inlined, so the schedule
    /// is expanded straight into the caller's variable, not moved there through a
    /// `Result`.
    #[inline(always)]
    pub(crate) fn new(key: &[u8]) -> Result<Self, BadKeyLength> {
        match backend::InnerEnc::new(key) {
            Ok(inner) => Ok(Self(inner)),
            Err(e) => Err(e),
        }
    }

    /// A schedule to expand a key into in place with [`AesEnc::rekey`] (on Cortex-M no
    /// key's: all round keys zero; on hosts the all-zero AES-128 key's), for a holder
    /// that must not have a schedule moved into it.
    #[inline(always)]
    pub(crate) fn placeholder() -> Self {
        Self(backend::InnerEnc::placeholder())
    }

    /// Expands `key` (16, 24 or 32 bytes; the length is public) into this schedule where
    /// it lies: on Cortex-M keyfort-aes writes the round keys in place (no ~0.5 KiB copy
    /// through a `Result`, no moved-from copy left behind). On a bad length the schedule
    /// is left as it was.
    #[inline(always)]
    pub(crate) fn rekey(&mut self, key: &[u8]) -> Result<(), BadKeyLength> {
        self.0.rekey(key)
    }

    /// Expands `key` (16, 24 or 32 bytes) into a schedule local to this call, runs `f`
    /// with it and with `key` (which `f` may overwrite: the schedule no longer needs it),
    /// and wipes the schedule when `f` returns. The schedule is expanded straight into
    /// its local (the `aes` crate's concrete type, no enum or `Result` to move it
    /// through): a chain of keys costs one expansion and one wipe per key and nothing
    /// else. Inlined: the schedule lies in the caller's frame, which its owner scrubs.
    #[inline(always)]
    pub(crate) fn with_key<R>(
        key: &mut [u8],
        f: impl FnOnce(&dyn EncryptBlocks, &mut [u8]) -> R,
    ) -> Result<R, BadKeyLength> {
        backend::with_key(key, f)
    }

    /// Encrypts one block in place.
    #[inline]
    pub(crate) fn encrypt(&self, block: &mut [u8; 16]) {
        self.0.encrypt(block);
    }

    /// Encrypts two independent blocks in place (see [`Aes::encrypt2`]).
    #[inline]
    pub(crate) fn encrypt2(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
        self.0.encrypt2(b0, b1);
    }
}

/// Block encryption by an expanded AES key, [`Aes`] or [`AesEnc`]: for code that only
/// encrypts (DUKPT's DeriveKey) and takes either.
pub(crate) trait EncryptBlocks {
    /// Encrypts one block in place.
    fn encrypt_one(&self, block: &mut [u8; 16]);
    /// Encrypts two independent blocks in place.
    fn encrypt_two(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]);
}

impl EncryptBlocks for Aes {
    #[inline(always)]
    fn encrypt_one(&self, block: &mut [u8; 16]) {
        self.encrypt(block);
    }
    #[inline(always)]
    fn encrypt_two(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
        self.encrypt2(b0, b1);
    }
}

impl EncryptBlocks for AesEnc {
    #[inline(always)]
    fn encrypt_one(&self, block: &mut [u8; 16]) {
        self.encrypt(block);
    }
    #[inline(always)]
    fn encrypt_two(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
        self.encrypt2(b0, b1);
    }
}

impl core::fmt::Debug for AesEnc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AesEnc { .. }")
    }
}

/// Lanes of AES-128 in lockstep, each under its own key, expanded on the fly (no schedule
/// stored): on x86-64 with AES-NI, keyfort-aes's `lanes`; `None` elsewhere (the caller
/// falls back to one [`AesEnc`] per key). For chains where every block has a new key
/// (DUKPT's host batch). Leaves round keys in vector registers and spilled stack: its
/// caller scrubs the stack.
pub(crate) struct AesLanes128(lanes::Engine);

/// Blocks per [`AesLanes128::encrypt`] call.
pub(crate) const AES_LANES: usize = 8;

impl AesLanes128 {
    /// The engine, if this CPU has one.
    pub(crate) fn detect() -> Option<Self> {
        lanes::Engine::detect().map(Self)
    }

    /// `blocks[i] = AES-128(keys[i], blocks[i])` for every lane (any number of lanes;
    /// [`AES_LANES`] keeps the unit busy).
    #[inline]
    pub(crate) fn encrypt<const N: usize>(&self, keys: &[[u8; 16]; N], blocks: &mut [[u8; 16]; N]) {
        self.0.encrypt(keys, blocks);
    }

    /// `key = AES-128(key, d)` for every `d` of `data` in order: a chain of one-block
    /// derivations, each under the key the one before made (DUKPT's AES-128 chain), its
    /// intermediate keys kept in registers.
    #[inline]
    pub(crate) fn chain(&self, key: &mut [u8; 16], data: impl IntoIterator<Item = [u8; 16]>) {
        self.0.chain(key, data);
    }

    /// Encryption under one AES-128 `key`, expanded anew at every call (for a key used
    /// for one or two blocks: a DUKPT chain step).
    pub(crate) fn with_key<'a>(&'a self, key: &'a [u8; 16]) -> Aes128OnTheFly<'a> {
        Aes128OnTheFly { engine: self, key }
    }
}

/// An AES-128 key on an [`AesLanes128`] engine ([`AesLanes128::with_key`]): no schedule.
pub(crate) struct Aes128OnTheFly<'a> {
    engine: &'a AesLanes128,
    key: &'a [u8; 16],
}

impl EncryptBlocks for Aes128OnTheFly<'_> {
    #[inline(always)]
    fn encrypt_one(&self, block: &mut [u8; 16]) {
        self.engine.encrypt(
            core::array::from_ref(self.key),
            core::array::from_mut(block),
        );
    }
    #[inline(always)]
    fn encrypt_two(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
        let mut b = [*b0, *b1];
        #[cfg_attr(keyfort_no_wipe, allow(unused_mut))]
        let mut keys = [*self.key, *self.key];
        self.engine.encrypt(&keys, &mut b);
        *b0 = b[0];
        *b1 = b[1];
        #[cfg(not(keyfort_no_wipe))]
        {
            zeroize::Zeroize::zeroize(&mut b);
            zeroize::Zeroize::zeroize(&mut keys);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod lanes {
    use keyfort_aes::lanes::AesNiLanes;
    const _: () = assert!(keyfort_aes::lanes::LANES == super::AES_LANES);

    pub(super) struct Engine(AesNiLanes);

    impl Engine {
        pub(super) fn detect() -> Option<Self> {
            AesNiLanes::detect().map(Self)
        }
        #[inline(always)]
        pub(super) fn encrypt<const N: usize>(
            &self,
            keys: &[[u8; 16]; N],
            blocks: &mut [[u8; 16]; N],
        ) {
            self.0.encrypt128(keys, blocks);
        }
        #[inline(always)]
        pub(super) fn chain(&self, key: &mut [u8; 16], data: impl IntoIterator<Item = [u8; 16]>) {
            self.0.chain128(key, data);
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod lanes {
    /// No engine on this target: never constructed.
    pub(super) enum Engine {}

    impl Engine {
        pub(super) fn detect() -> Option<Self> {
            None
        }
        pub(super) fn encrypt<const N: usize>(&self, _: &[[u8; 16]; N], _: &mut [[u8; 16]; N]) {
            match *self {}
        }
        pub(super) fn chain(&self, _: &mut [u8; 16], _: impl IntoIterator<Item = [u8; 16]>) {
            match *self {}
        }
    }
}

/// One single-block operation of a cipher whose backend is already set up (see
/// [`BlockJob`]).
pub trait BlockFn {
    /// Encrypts or decrypts `block` in place.
    fn apply(&self, block: &mut [u8; 16]);
}

/// A sequential computation over many single AES blocks (a key wrap's W, say), run by
/// [`Aes::encrypt_job`] / [`Aes::decrypt_job`] with the cipher's backend set up once for
/// all of its blocks instead of once per block: on AES-NI hosts this saves reloading the
/// round keys and re-checking the CPU features at every block. The block function is
/// the same constant-time code as [`Aes::encrypt`] / [`Aes::decrypt`].
pub trait BlockJob {
    /// Runs the job; `f` transforms one block.
    fn run<F: BlockFn>(self, f: &F);
}

/// `keyfort-aes` on bare-metal ARM: its assembly on ARMv7-M / ARMv8-M Mainline, its
/// portable model on ARMv6-M.
#[cfg(any(kf_thumb2, all(target_arch = "arm", target_os = "none")))]
mod backend {
    use super::{BadKeyLength, BlockFn, BlockJob, EncryptBlocks};

    pub(super) struct Inner(keyfort_aes::Aes);

    impl EncryptBlocks for keyfort_aes::Aes {
        #[inline(always)]
        fn encrypt_one(&self, block: &mut [u8; 16]) {
            self.encrypt(block);
        }
        #[inline(always)]
        fn encrypt_two(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
            self.encrypt2(b0, b1);
        }
    }

    /// See [`super::AesEnc::with_key`].
    #[inline(always)]
    pub(super) fn with_key<R>(
        key: &mut [u8],
        f: impl FnOnce(&dyn EncryptBlocks, &mut [u8]) -> R,
    ) -> Result<R, BadKeyLength> {
        let s = keyfort_aes::Aes::new(key).map_err(|_| BadKeyLength)?;
        Ok(f(&s, key))
    }

    /// keyfort-aes's schedule serves both directions: the encryption-only form is the
    /// same schedule.
    pub(super) type InnerEnc = Inner;

    struct EncFn<'a>(&'a keyfort_aes::Aes);
    struct DecFn<'a>(&'a keyfort_aes::Aes);

    impl BlockFn for EncFn<'_> {
        #[inline(always)]
        fn apply(&self, block: &mut [u8; 16]) {
            self.0.encrypt(block);
        }
    }

    impl BlockFn for DecFn<'_> {
        #[inline(always)]
        fn apply(&self, block: &mut [u8; 16]) {
            self.0.decrypt(block);
        }
    }

    impl Inner {
        /// Inlined, and a `match` rather than `map`: keyfort-aes's `new` writes its
        /// schedule into the caller's slot, and no further move follows.
        #[inline(always)]
        pub(super) fn new(key: &[u8]) -> Result<Self, BadKeyLength> {
            match keyfort_aes::Aes::new(key) {
                Ok(s) => Ok(Self(s)),
                Err(_) => Err(BadKeyLength),
            }
        }
        #[inline(always)]
        pub(super) fn placeholder() -> Self {
            Self(keyfort_aes::Aes::zeroed())
        }
        #[inline(always)]
        pub(super) fn rekey(&mut self, key: &[u8]) -> Result<(), BadKeyLength> {
            self.0.rekey(key).map_err(|_| BadKeyLength)
        }
        pub(super) fn key_len(&self) -> usize {
            self.0.key_len()
        }
        #[inline(always)]
        pub(super) fn encrypt(&self, b: &mut [u8; 16]) {
            self.0.encrypt(b);
        }
        #[inline(always)]
        pub(super) fn decrypt(&self, b: &mut [u8; 16]) {
            self.0.decrypt(b);
        }
        #[inline(always)]
        pub(super) fn encrypt2(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
            self.0.encrypt2(b0, b1);
        }
        #[inline(always)]
        pub(super) fn decrypt2(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
            self.0.decrypt2(b0, b1);
        }
        #[inline(always)]
        pub(super) fn encrypt_job<J: BlockJob>(&self, job: J) {
            job.run(&EncFn(&self.0));
        }
        #[inline(always)]
        pub(super) fn decrypt_job<J: BlockJob>(&self, job: J) {
            job.run(&DecFn(&self.0));
        }
    }
}

/// RustCrypto's `aes` crate everywhere else (hosts: AES-NI / ARMv8 crypto extensions).
#[cfg(not(any(kf_thumb2, all(target_arch = "arm", target_os = "none"))))]
mod backend {
    use super::{BadKeyLength, BlockFn, BlockJob, EncryptBlocks};
    use aes::{Aes128, Aes128Enc, Aes192, Aes192Enc, Aes256, Aes256Enc};
    use cipher::{
        consts::U16, BlockCipherDecBackend as DecBackend, BlockCipherDecClosure,
        BlockCipherDecrypt, BlockCipherEncBackend as EncBackend, BlockCipherEncClosure,
        BlockCipherEncrypt, BlockSizeUser, KeyInit,
    };

    /// The schedules wipe themselves on drop (the `aes` crate's `zeroize` feature).
    pub(super) enum Inner {
        Aes128(Aes128),
        Aes192(Aes192),
        Aes256(Aes256),
    }

    struct EncJob<J>(J);
    struct DecJob<J>(J);
    struct EncFn<'a, B>(&'a B);
    struct DecFn<'a, B>(&'a B);

    impl<J> BlockSizeUser for EncJob<J> {
        type BlockSize = U16;
    }
    impl<J> BlockSizeUser for DecJob<J> {
        type BlockSize = U16;
    }

    impl<J: BlockJob> BlockCipherEncClosure for EncJob<J> {
        #[inline(always)]
        fn call<B: EncBackend<BlockSize = U16>>(self, backend: &B) {
            self.0.run(&EncFn(backend));
        }
    }

    impl<J: BlockJob> BlockCipherDecClosure for DecJob<J> {
        #[inline(always)]
        fn call<B: DecBackend<BlockSize = U16>>(self, backend: &B) {
            self.0.run(&DecFn(backend));
        }
    }

    impl<B: EncBackend<BlockSize = U16>> BlockFn for EncFn<'_, B> {
        #[inline(always)]
        fn apply(&self, block: &mut [u8; 16]) {
            let b: &mut cipher::Block<B> = block.into();
            EncBackend::encrypt_block(self.0, b.into());
        }
    }

    impl<B: DecBackend<BlockSize = U16>> BlockFn for DecFn<'_, B> {
        #[inline(always)]
        fn apply(&self, block: &mut [u8; 16]) {
            let b: &mut cipher::Block<B> = block.into();
            DecBackend::decrypt_block(self.0, b.into());
        }
    }

    /// Copies the two result blocks out of the multi-block call's contiguous copy and
    /// wipes it.
    #[inline(always)]
    fn unpack2(bs: &mut [cipher::Block<Aes128>; 2], b0: &mut [u8; 16], b1: &mut [u8; 16]) {
        let [x, y] = bs;
        b0.copy_from_slice(x);
        b1.copy_from_slice(y);
        zeroize::Zeroize::zeroize(x.as_mut_slice());
        zeroize::Zeroize::zeroize(y.as_mut_slice());
    }

    macro_rules! each {
        ($s:expr, $c:ident => $e:expr) => {
            match $s {
                Inner::Aes128($c) => $e,
                Inner::Aes192($c) => $e,
                Inner::Aes256($c) => $e,
            }
        };
    }

    /// Encryption-only schedules (no decryption round keys), wiped on drop.
    pub(super) enum InnerEnc {
        Aes128(Aes128Enc),
        Aes192(Aes192Enc),
        Aes256(Aes256Enc),
    }

    macro_rules! encrypt_blocks {
        ($($t:ty),*) => {$(
            impl EncryptBlocks for $t {
                #[inline(always)]
                fn encrypt_one(&self, block: &mut [u8; 16]) {
                    self.encrypt_block(block.into());
                }
                #[inline(always)]
                fn encrypt_two(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
                    let mut bs = [cipher::Block::<Aes128>::from(*b0), (*b1).into()];
                    self.encrypt_blocks(&mut bs);
                    unpack2(&mut bs, b0, b1);
                }
            }
        )*};
    }
    encrypt_blocks!(Aes128Enc, Aes192Enc, Aes256Enc);

    /// See [`super::AesEnc::with_key`]: each size's concrete schedule type, expanded
    /// into a local (the `aes` crate's `new` writes its result in place).
    #[inline(always)]
    pub(super) fn with_key<R>(
        key: &mut [u8],
        f: impl FnOnce(&dyn EncryptBlocks, &mut [u8]) -> R,
    ) -> Result<R, BadKeyLength> {
        if let Ok(k) = <&[u8; 16]>::try_from(&*key) {
            let s = Aes128Enc::new(k.into());
            Ok(f(&s, key))
        } else if let Ok(k) = <&[u8; 24]>::try_from(&*key) {
            let s = Aes192Enc::new(k.into());
            Ok(f(&s, key))
        } else if let Ok(k) = <&[u8; 32]>::try_from(&*key) {
            let s = Aes256Enc::new(k.into());
            Ok(f(&s, key))
        } else {
            Err(BadKeyLength)
        }
    }

    impl InnerEnc {
        #[inline(always)]
        pub(super) fn new(key: &[u8]) -> Result<Self, BadKeyLength> {
            if let Ok(k) = <&[u8; 16]>::try_from(key) {
                Ok(Self::Aes128(Aes128Enc::new(k.into())))
            } else if let Ok(k) = <&[u8; 24]>::try_from(key) {
                Ok(Self::Aes192(Aes192Enc::new(k.into())))
            } else if let Ok(k) = <&[u8; 32]>::try_from(key) {
                Ok(Self::Aes256(Aes256Enc::new(k.into())))
            } else {
                Err(BadKeyLength)
            }
        }
        /// The all-zero AES-128 key's schedule (the `aes` crate has no empty one).
        pub(super) fn placeholder() -> Self {
            Self::Aes128(Aes128Enc::new(&[0u8; 16].into()))
        }
        /// A new schedule assigned over this one (the old one wipes itself on drop).
        pub(super) fn rekey(&mut self, key: &[u8]) -> Result<(), BadKeyLength> {
            *self = Self::new(key)?;
            Ok(())
        }
        #[inline(always)]
        pub(super) fn encrypt(&self, block: &mut [u8; 16]) {
            match self {
                Self::Aes128(c) => c.encrypt_block(block.into()),
                Self::Aes192(c) => c.encrypt_block(block.into()),
                Self::Aes256(c) => c.encrypt_block(block.into()),
            }
        }
        #[inline(always)]
        pub(super) fn encrypt2(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
            let mut bs = [cipher::Block::<Aes128>::from(*b0), (*b1).into()];
            match self {
                Self::Aes128(c) => c.encrypt_blocks(&mut bs),
                Self::Aes192(c) => c.encrypt_blocks(&mut bs),
                Self::Aes256(c) => c.encrypt_blocks(&mut bs),
            }
            unpack2(&mut bs, b0, b1);
        }
    }

    impl Inner {
        /// The key is converted to its fixed-size array (the length is public) before
        /// the expansion, which then writes straight into the returned value: no
        /// `Result` of the `aes` crate's schedule to unpack and move into the enum (each
        /// move is a ~1 KiB copy, as the enum is sized for the software AES-256
        /// schedule, and leaves another copy on the stack).
        #[inline(always)]
        pub(super) fn new(key: &[u8]) -> Result<Self, BadKeyLength> {
            if let Ok(k) = <&[u8; 16]>::try_from(key) {
                Ok(Self::Aes128(Aes128::new(k.into())))
            } else if let Ok(k) = <&[u8; 24]>::try_from(key) {
                Ok(Self::Aes192(Aes192::new(k.into())))
            } else if let Ok(k) = <&[u8; 32]>::try_from(key) {
                Ok(Self::Aes256(Aes256::new(k.into())))
            } else {
                Err(BadKeyLength)
            }
        }
        /// The all-zero AES-128 key's schedule (the `aes` crate has no empty one).
        pub(super) fn placeholder() -> Self {
            Self::Aes128(Aes128::new(&[0u8; 16].into()))
        }
        /// A new schedule assigned over this one (the old one wipes itself on drop).
        pub(super) fn rekey(&mut self, key: &[u8]) -> Result<(), BadKeyLength> {
            *self = Self::new(key)?;
            Ok(())
        }
        pub(super) fn key_len(&self) -> usize {
            match self {
                Self::Aes128(_) => 16,
                Self::Aes192(_) => 24,
                Self::Aes256(_) => 32,
            }
        }
        #[inline(always)]
        pub(super) fn encrypt(&self, block: &mut [u8; 16]) {
            each!(self, c => c.encrypt_block(block.into()))
        }
        #[inline(always)]
        pub(super) fn decrypt(&self, block: &mut [u8; 16]) {
            each!(self, c => c.decrypt_block(block.into()))
        }
        #[inline(always)]
        pub(super) fn encrypt2(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
            let mut bs = [cipher::Block::<Aes128>::from(*b0), (*b1).into()];
            each!(self, c => c.encrypt_blocks(&mut bs));
            unpack2(&mut bs, b0, b1);
        }
        #[inline(always)]
        pub(super) fn decrypt2(&self, b0: &mut [u8; 16], b1: &mut [u8; 16]) {
            let mut bs = [cipher::Block::<Aes128>::from(*b0), (*b1).into()];
            each!(self, c => c.decrypt_blocks(&mut bs));
            unpack2(&mut bs, b0, b1);
        }
        #[inline(always)]
        pub(super) fn encrypt_job<J: BlockJob>(&self, job: J) {
            each!(self, c => c.encrypt_with_backend(EncJob(job)))
        }
        #[inline(always)]
        pub(super) fn decrypt_job<J: BlockJob>(&self, job: J) {
            each!(self, c => c.decrypt_with_backend(DecJob(job)))
        }
    }
}

/// Constant-time DES: the single-DES core of [`Des`] and [`Tdes`] (see its docs).
mod des_ct;

pub(crate) use des_ct::KeyMask as DesKeyMask;
use des_ct::{Dir, RoundKeys};

/// Why a key was refused for TDES.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TdesKeyError {
    /// Not 16 (2-key) or 24 (3-key) bytes.
    BadLength,
    /// The key collapses to single DES (56 bits), parity bits ignored: K1 = K2 in a
    /// 2-key key; K1 = K2 or K2 = K3 in a 3-key key.
    Degenerate,
}

impl core::fmt::Display for TdesKeyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::BadLength => "TDES key must be 16 or 24 bytes",
            Self::Degenerate => "TDES key collapses to single DES",
        })
    }
}

impl core::error::Error for TdesKeyError {}

/// Checks a TDES key: 16 or 24 bytes, and not one that collapses to single DES (parity
/// bits, the low bit of each byte, ignored): for 2-key K1 ≠ K2, for 3-key K1 ≠ K2 and
/// K2 ≠ K3. A 3-key key with K1 = K3 is 2-key TDES (keying option 2 written out in 24
/// bytes): accepted here, and rated as 2-key by [`tdes_strength_bits`]. The comparisons
/// are constant-time (`subtle`); the length and the verdict are the only things that
/// decide the result. Every place that takes a TDES key from outside calls this, through
/// [`Tdes::new`] or directly (TR-31 KBPK and import, DUKPT BDK and IPEK, retail MAC).
pub fn check_tdes_key(key: &[u8]) -> Result<(), TdesKeyError> {
    classify(key).map(|_| ())
}

/// The security strength of a TDES key in bits (SP 800-57 part 1): 112 for a 3-key key
/// with three distinct DES keys, 80 for a 2-key key and for a 3-key key with K1 = K3;
/// a key that collapses to single DES is refused ([`TdesKeyError::Degenerate`]).
pub fn tdes_strength_bits(key: &[u8]) -> Result<u16, TdesKeyError> {
    Ok(if classify(key)? { 112 } else { 80 })
}

/// Whether `key` is a true 3-key key (K1 ≠ K3), after the single-DES check.
fn classify(key: &[u8]) -> Result<bool, TdesKeyError> {
    use subtle::ConstantTimeEq;
    // Each DES key without its parity bits, as one word.
    let part = |i: usize| -> u64 {
        key.get(8 * i..8 * i + 8).map_or(0, |k| {
            k.iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b & 0xFE))
        })
    };
    let (k1, k2, k3) = (part(0), part(1), part(2));
    // The verdicts are combined as integers, not as `Choice | Choice` (whose
    // `debug_assert!` branches on the secret byte in debug builds).
    let eq = |a: u64, b: u64| a.ct_eq(&b).unwrap_u8();
    let (single, two_key) = match key.len() {
        16 => (eq(k1, k2), 1),
        24 => (eq(k1, k2) | eq(k2, k3), eq(k1, k3)),
        _ => return Err(TdesKeyError::BadLength),
    };
    tdes_verdict(single, two_key)
}

/// The one place the (constant-time) verdicts on a TDES key become branches; their
/// outcome is public (the caller learns it from the error or the strength). Never
/// inlined, so that the constant-time test (`tests/tests/des_ct.rs`) can name it. Each
/// arm's whole result passes through `black_box`: otherwise the compiler recomputes the
/// result's discriminant from the verdict after the branch (seen on x86_64), the verdict
/// flows on into the caller's `?`, and every caller branches on it instead of this one
/// function.
#[inline(never)]
fn tdes_verdict(single_des: u8, two_key: u8) -> Result<bool, TdesKeyError> {
    use core::hint::black_box;
    if single_des != 0 {
        black_box(Err(TdesKeyError::Degenerate))
    } else if two_key != 0 {
        black_box(Ok(false))
    } else {
        black_box(Ok(true))
    }
}

/// A TDES (TDEA) key schedule, 2-key (16 bytes) or 3-key (24 bytes): single-DES round
/// keys K1, K2 and, for 3-key, K3 (2-key uses K1 again), run as
/// encrypt-decrypt-encrypt with keyfort's constant-time DES (no table indexed by a
/// secret, no secret-dependent branch, on every target). IP and IP⁻¹ run once per
/// block. Wiped on drop; prints only its size.
pub struct Tdes {
    k1: RoundKeys,
    k2: RoundKeys,
    k3: Option<RoundKeys>,
}

impl Tdes {
    /// Expands `key` (16 or 24 bytes; parity bits are ignored). Refuses a key that
    /// collapses to single DES ([`TdesKeyError::Degenerate`], see [`check_tdes_key`]).
    pub fn new(key: &[u8]) -> Result<Self, TdesKeyError> {
        check_tdes_key(key)?;
        Self::from_derived(key)
    }

    /// Expands a key that a protocol derived (a DUKPT variant, a TR-31 KBEK / KBAK)
    /// without the degeneracy check: the protocol fixes the key, and a degenerate one
    /// turns up with probability about 2^-56. Length checked only.
    pub(crate) fn from_derived(key: &[u8]) -> Result<Self, TdesKeyError> {
        let mut t = Self::placeholder();
        t.rekey_derived(key)?;
        Ok(t)
    }

    /// A schedule to expand a derived key into in place ([`Tdes::rekey_derived`]): all
    /// round keys zero, two-key.
    pub(crate) const fn placeholder() -> Self {
        Self {
            k1: RoundKeys::zeroed(),
            k2: RoundKeys::zeroed(),
            k3: None,
        }
    }

    /// Expands a derived key (16 or 24 bytes, length checked only, see
    /// [`Tdes::from_derived`]) over this schedule where it lies (no ~0.4 KiB schedule
    /// moved through a `Result` and the frames that build it). On a bad length the
    /// schedule is left as it was.
    pub(crate) fn rekey_derived(&mut self, key: &[u8]) -> Result<(), TdesKeyError> {
        let part = |at: usize| {
            key.get(at..at + 8)
                .and_then(|k| <&[u8; 8]>::try_from(k).ok())
                .ok_or(TdesKeyError::BadLength)
        };
        let (k1, k2) = (part(0)?, part(8)?);
        let k3 = match key.len() {
            16 => None,
            24 => Some(part(16)?),
            _ => return Err(TdesKeyError::BadLength),
        };
        self.k1.rekey(k1);
        self.k2.rekey(k2);
        match (k3, &mut self.k3) {
            (Some(k), Some(rk)) => rk.rekey(k),
            (Some(k), slot) => *slot = Some(RoundKeys::new(k)),
            (None, slot) => *slot = None,
        }
        Ok(())
    }

    /// The key length in bytes.
    pub fn key_len(&self) -> usize {
        if self.k3.is_some() {
            24
        } else {
            16
        }
    }

    /// K3: K1 for 2-key TDES (the key length is public).
    fn k3(&self) -> &RoundKeys {
        self.k3.as_ref().unwrap_or(&self.k1)
    }

    /// Encrypts one block in place.
    pub fn encrypt(&self, block: &mut [u8; 8]) {
        let mut lr = des_ct::ip(block);
        des_ct::rounds(&mut lr, &self.k1, Dir::Encrypt);
        des_ct::rounds(&mut lr, &self.k2, Dir::Decrypt);
        des_ct::rounds(&mut lr, self.k3(), Dir::Encrypt);
        des_ct::fp(lr, block);
        zeroize::Zeroize::zeroize(&mut lr);
    }

    /// Encrypts `a` under `self` and `b` under `other`, the passes of the two blocks
    /// interleaved (`des_ct::rounds_pair`).
    pub(crate) fn encrypt_pair(&self, a: &mut [u8; 8], other: &Self, b: &mut [u8; 8]) {
        let (mut x, mut y) = (des_ct::ip(a), des_ct::ip(b));
        des_ct::rounds_pair(&mut x, &self.k1, &mut y, &other.k1, Dir::Encrypt);
        des_ct::rounds_pair(&mut x, &self.k2, &mut y, &other.k2, Dir::Decrypt);
        des_ct::rounds_pair(&mut x, self.k3(), &mut y, other.k3(), Dir::Encrypt);
        des_ct::fp(x, a);
        des_ct::fp(y, b);
        zeroize::Zeroize::zeroize(&mut x);
        zeroize::Zeroize::zeroize(&mut y);
    }

    /// Decrypts one block in place.
    pub fn decrypt(&self, block: &mut [u8; 8]) {
        let mut lr = des_ct::ip(block);
        des_ct::rounds(&mut lr, self.k3(), Dir::Decrypt);
        des_ct::rounds(&mut lr, &self.k2, Dir::Encrypt);
        des_ct::rounds(&mut lr, &self.k1, Dir::Decrypt);
        des_ct::fp(lr, block);
        zeroize::Zeroize::zeroize(&mut lr);
    }
}

impl Drop for Tdes {
    #[inline(never)]
    fn drop(&mut self) {
        // The round keys wipe themselves right after this; DES's frames are small
        // (`secret::DES_SCRUB_BYTES`).
        crate::secret::scrub_des_stack();
    }
}

impl core::fmt::Debug for Tdes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Tdes{} {{ .. }}", self.key_len() * 8)
    }
}

/// Single DES (only as the building block of the X9.19 retail MAC and TDES DUKPT's
/// non-reversible key generation), keyfort's constant-time DES. Wiped on drop, and the
/// stack below the dropping frame is scrubbed (1 KiB: DES's frames are small).
pub struct Des(DesSchedule);

impl Des {
    /// Expands an 8-byte key.
    pub fn new(key: &[u8; 8]) -> Self {
        Self(DesSchedule::new(key))
    }
    /// Encrypts one block in place.
    pub fn encrypt(&self, block: &mut [u8; 8]) {
        self.0.run(block, Dir::Encrypt);
    }
    /// Decrypts one block in place.
    pub fn decrypt(&self, block: &mut [u8; 8]) {
        self.0.run(block, Dir::Decrypt);
    }
}

/// A single-DES key schedule that wipes its round keys on drop but leaves the stack to
/// its user: for a derivation that expands many and scrubs the stack once after all of
/// them (TDES DUKPT's non-reversible key generation, `dukpt::tdes::derive`), where a
/// scrub per schedule would cost more than the DES work.
pub(crate) struct DesSchedule(RoundKeys);

impl DesSchedule {
    /// Expands an 8-byte key.
    pub(crate) fn new(key: &[u8; 8]) -> Self {
        Self(RoundKeys::new(key))
    }

    /// The schedule of this key XOR `mask`'s key (the schedule is linear: 32 XORs).
    pub(crate) fn xor_mask(&self, mask: &DesKeyMask) -> Self {
        Self(self.0.xor_mask(mask))
    }

    /// Encrypts `a` under `self` and `b` under `other`, the two DES passes interleaved.
    pub(crate) fn encrypt_pair(&self, a: &mut [u8; 8], other: &Self, b: &mut [u8; 8]) {
        let (mut x, mut y) = (des_ct::ip(a), des_ct::ip(b));
        des_ct::rounds_pair(&mut x, &self.0, &mut y, &other.0, Dir::Encrypt);
        des_ct::fp(x, a);
        des_ct::fp(y, b);
        zeroize::Zeroize::zeroize(&mut x);
        zeroize::Zeroize::zeroize(&mut y);
    }

    fn run(&self, block: &mut [u8; 8], dir: Dir) {
        let mut lr = des_ct::ip(block);
        des_ct::rounds(&mut lr, &self.0, dir);
        des_ct::fp(lr, block);
        zeroize::Zeroize::zeroize(&mut lr);
    }
}

impl core::fmt::Debug for DesSchedule {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("DesSchedule { .. }")
    }
}

impl Drop for Des {
    #[inline(never)]
    fn drop(&mut self) {
        crate::secret::scrub_des_stack();
    }
}

impl core::fmt::Debug for Des {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Des { .. }")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::cast_possible_truncation)]
mod tests {
    use super::*;
    use cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};

    #[test]
    fn aes128_fips197() {
        // FIPS-197 appendix C.1.
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let mut b: [u8; 16] = core::array::from_fn(|i| (i as u8) * 0x11);
        let a = Aes::new(&key).unwrap();
        a.encrypt(&mut b);
        assert_eq!(
            b,
            [
                0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4,
                0xc5, 0x5a
            ]
        );
        a.decrypt(&mut b);
        assert_eq!(b[1], 0x11);
        assert!(Aes::new(&[0u8; 17]).is_err());
    }

    #[test]
    fn tdes_matches_des_crate_ede2_and_ede3() {
        // Differential against the `des` crate's own TDES types, both key sizes, both
        // directions, chained over a few blocks.
        use des::{TdesEde2, TdesEde3};
        let key: [u8; 24] = core::array::from_fn(|i| (i as u8).wrapping_mul(29) ^ 0x5c);
        let t2 = Tdes::new(&key[..16]).unwrap();
        let t3 = Tdes::new(&key).unwrap();
        assert_eq!((t2.key_len(), t3.key_len()), (16, 24));
        let r2 = TdesEde2::new_from_slice(&key[..16]).unwrap();
        let r3 = TdesEde3::new_from_slice(&key).unwrap();
        let mut b = [0x3au8; 8];
        for _ in 0..4 {
            let (mut x, mut y) = (b, b);
            t2.encrypt(&mut x);
            r2.encrypt_block((&mut y).into());
            assert_eq!(x, y, "ede2 encrypt");
            t2.decrypt(&mut x);
            assert_eq!(x, b, "ede2 decrypt");
            let (mut x, mut y) = (b, b);
            t3.encrypt(&mut x);
            r3.encrypt_block((&mut y).into());
            assert_eq!(x, y, "ede3 encrypt");
            let mut z = x;
            t3.decrypt(&mut x);
            r3.decrypt_block((&mut z).into());
            assert_eq!((x, z), (b, b), "ede3 decrypt");
            b = y;
        }
        assert!(Tdes::new(&[0u8; 8]).is_err());
        assert!(Tdes::new(&[0u8; 17]).is_err());
    }

    #[test]
    fn two_blocks_match_single_blocks() {
        // encrypt2 / decrypt2 against two single-block calls, every key size.
        let key: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(7) ^ 0x3c);
        for len in [16, 24, 32] {
            let a = Aes::new(&key[..len]).unwrap();
            let (x0, y0): ([u8; 16], [u8; 16]) = (
                core::array::from_fn(|i| i as u8),
                core::array::from_fn(|i| 0xF0 ^ i as u8),
            );
            let (mut x1, mut y1) = (x0, y0);
            a.encrypt(&mut x1);
            a.encrypt(&mut y1);
            let (mut x2, mut y2) = (x0, y0);
            a.encrypt2(&mut x2, &mut y2);
            assert_eq!((x2, y2), (x1, y1), "encrypt2, AES-{}", len * 8);
            assert_ne!(x2, y2);
            a.decrypt2(&mut x2, &mut y2);
            assert_eq!((x2, y2), (x0, y0), "decrypt2, AES-{}", len * 8);
        }
    }
}
