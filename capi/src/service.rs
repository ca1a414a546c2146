//! The by-handle operation set, once, in safe Rust: what every binding calls.
//!
//! [`Service`] holds a [`KeyStore`], the DUKPT terminal restored from it and the current
//! transaction, and offers each operation over key ids ([`kf_key_id_t`]), checked
//! attributes and plain slices, returning a [`kf_status_t`] on failure. The C binding
//! ([`crate::ffi`]) checks C pointers and lengths and calls it; a TrustZone Non-secure
//! binding would check its pointers with `TT` and call the same functions, so both speak
//! one surface with one set of status codes.
//!
//! Rules every operation keeps: an output slice is zeroed on any failure (never a partial
//! key, MAC or ciphertext left behind); plaintext keys exist only inside the store's
//! closures and in wiped holders; policies are the store's (usage, newest version, use
//! limits, revocation) plus, for wrapping, "the wrapping key is at least as strong as the
//! key it wraps".
use keyfort::attributes::{Algorithm, Usage};
use keyfort::block::{Aes, Tdes};
use keyfort::dukpt::aes::{AesTerminal, AesTransaction, KeyUsage, WorkingKeyType};
use keyfort::dukpt::StatePersist;
use keyfort::key::{KekRole, KeyUnwrap, KeyWrap};
use keyfort::platform::{DeviceSecret, MonotonicCounter, Platform};
use keyfort::store::backup::WrapScheme;
use keyfort::store::{Error as StoreError, KeyInfo, KeyStore};
use keyfort::terminal::{self, StoreStatePersist};
use keyfort::transaction::{data, mac, pin};
use keyfort::wrap::Kek;

use embedded_storage::nor_flash::MultiwriteNorFlash;
use rand_core::CryptoRng;
use zeroize::Zeroize;

use crate::status::*;
use crate::types::*;

/// Key bytes a plain import takes at most.
pub const KF_MAX_KEY_DATA: usize = 32;
/// Wrapped key bytes an unwrap takes at most (KW/KWP of a 32-byte key: 40 bytes).
pub const KF_MAX_WRAPPED: usize = 48;
/// A TR-31 key block's largest length (a 4-digit length field).
pub const KF_MAX_TR31_BLOCK: usize = 9992;
/// Data bytes one DUKPT MAC or encryption call takes at most.
pub const KF_MAX_DATA: usize = 65536;
/// A DUKPT KSN: 8-byte initial key ID and 4-byte counter.
pub const KF_KSN_SIZE: usize = 12;
/// An ISO 9564 format 4 PIN block.
pub const KF_PIN_BLOCK_SIZE: usize = 16;
/// The largest backup blob (`kf_export_backup`'s output needs this many bytes).
pub const KF_BACKUP_MAX_SIZE: usize = 128;
const _: () = assert!(KF_BACKUP_MAX_SIZE == keyfort::store::backup::MAX_BACKUP_LEN);

/// The by-handle service over one store. See the [module docs](self).
pub struct Service<F, D, R, C>
where
    (F, D, R, C): Platform,
{
    /// The state slot the DUKPT terminal's state is sealed in (the integrator's layout).
    dukpt_slot: u16,
    store: Option<KeyStore<(F, D, R, C)>>,
    rng: Option<R>,
    terminal: Option<AesTerminal>,
    tx: Option<AesTransaction>,
}

impl<F, D, R, C> core::fmt::Debug for Service<F, D, R, C>
where
    (F, D, R, C): Platform,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Service")
            .field("open", &self.store.is_some())
            .field("terminal", &self.terminal.is_some())
            .field("transaction", &self.tx.is_some())
            .finish()
    }
}

/// Where a factory left a key to inject ([`Service::dukpt_factory_inject`]): the
/// integrator's factory layout (the demo's is `keyfort_testkit::demo::factory`).
#[derive(Clone, Copy, Debug)]
pub struct Injection {
    /// Key id of the key block protection key the factory sealed.
    pub kbpk_id: u16,
    /// Key id the initial key gets between its import and the terminal's first load.
    pub initial_key_id: u16,
    /// State slot holding the TR-31 key block (ASCII), then `done`.
    pub slot: u16,
    /// What the slot holds once the block was imported.
    pub done: &'static [u8],
}

/// The key-wrap scheme of `alg` (`KF_ALG_AES_KW` or `KF_ALG_AES_KWP`).
fn scheme(alg: u32) -> Status<WrapScheme> {
    match alg {
        KF_ALG_AES_KW => Ok(WrapScheme::Kw),
        KF_ALG_AES_KWP => Ok(WrapScheme::Kwp),
        _ => Err(KF_ERROR_NOT_SUPPORTED),
    }
}

/// Zeroes `out` if `r` is an error; passes `r` on.
fn wipe_on_err<T>(r: Status<T>, out: &mut [u8]) -> Status<T> {
    if r.is_err() {
        out.zeroize();
    }
    r
}

impl<F, D, R, C> Service<F, D, R, C>
where
    (F, D, R, C): Platform,
{
    /// A closed service whose DUKPT terminal keeps its state in state slot `dukpt_slot`
    /// (a slot the integrator's other state records do not use).
    pub const fn new(dukpt_slot: u16) -> Self {
        Self {
            dukpt_slot,
            store: None,
            rng: None,
            terminal: None,
            tx: None,
        }
    }

    /// Drops (and so wipes) the store's RAM state, the terminal and any transaction.
    pub fn close(&mut self) {
        self.tx = None;
        self.terminal = None;
        self.rng = None;
        self.store = None;
    }

    /// Whether a store is open.
    pub fn is_open(&self) -> bool {
        self.store.is_some()
    }
}

impl<F, D, R, C> Service<F, D, R, C>
where
    F: MultiwriteNorFlash,
    D: DeviceSecret,
    R: CryptoRng,
    C: MonotonicCounter,
{
    /// Opens the store on `flash` and restores the DUKPT terminal if it has state.
    /// `rng` is the store's, `op_rng` the operations' (PIN block fill).
    pub fn open(&mut self, flash: F, dev: D, rng: R, op_rng: R, counter: C) -> Status {
        self.close();
        KeyStore::open_in(&mut self.store, (flash, dev, rng, counter))?;
        self.rng = Some(op_rng);
        let r = self.resume();
        if r.is_err() {
            self.close();
        }
        r
    }

    /// Formats `flash` as an empty store (factory provisioning: erases everything).
    pub fn format(&mut self, flash: F, dev: D, rng: R, op_rng: R, counter: C) -> Status {
        self.close();
        KeyStore::format_in(&mut self.store, (flash, dev, rng, counter))?;
        self.rng = Some(op_rng);
        Ok(())
    }

    fn resume(&mut self) -> Status {
        let store = self.store.as_mut().ok_or(KF_ERROR_INVALID_HANDLE)?;
        terminal::resume_into(store, self.dukpt_slot, &mut self.terminal)?;
        Ok(())
    }

    fn store(&mut self) -> Status<&mut KeyStore<(F, D, R, C)>> {
        self.store.as_mut().ok_or(KF_ERROR_INVALID_HANDLE)
    }

    fn info(&mut self, key: kf_key_id_t) -> Status<KeyInfo> {
        let h = handle(key)?;
        let store = self.store()?;
        let newest = |k: &KeyInfo| k.state == keyfort::store::KeyState::Active;
        match h.version {
            Some(v) => store.inventory().find(|k| k.id == h.id && k.version == v),
            None => store
                .inventory()
                .filter(|k| k.id == h.id && newest(k))
                .max_by_key(|k| k.version),
        }
        .ok_or(KF_ERROR_DOES_NOT_EXIST)
    }

    /// Imports a plain key (`psa_import_key`); returns its key id (version 1).
    pub fn import_key(&mut self, attr: &kf_key_attributes_t, key: &[u8]) -> Status<kf_key_id_t> {
        let n = attr.new_key()?;
        if key.len() != n.algorithm.key_len() {
            return Err(KF_ERROR_INVALID_ARGUMENT);
        }
        let h = self
            .store()?
            .import(n.id, n.label, n.algorithm, n.usage, key, n.use_limit)?;
        Ok(key_id(h.id, h.version.unwrap_or(1)))
    }

    /// Generates a key from the store's DRBG (`psa_generate_key`).
    pub fn generate_key(&mut self, attr: &kf_key_attributes_t) -> Status<kf_key_id_t> {
        let n = attr.new_key()?;
        let h = self
            .store()?
            .generate(n.id, n.label, n.algorithm, n.usage, n.use_limit)?;
        Ok(key_id(h.id, h.version.unwrap_or(1)))
    }

    /// A new version of key `key`'s id with a fresh random key and the same policy.
    pub fn rotate_key(&mut self, key: kf_key_id_t) -> Status<kf_key_id_t> {
        let h = handle(key)?;
        let h = self.store()?.rotate(h.id)?;
        Ok(key_id(h.id, h.version.unwrap_or(0)))
    }

    /// Revokes one version (version 0: the newest active one).
    pub fn revoke_key(&mut self, key: kf_key_id_t) -> Status {
        let k = self.info(key)?;
        Ok(self.store()?.revoke(k.id, k.version)?)
    }

    /// Destroys every version (version 0) or one version (`psa_destroy_key`), then checks
    /// that nothing decryptable of it is left on flash.
    pub fn destroy_key(&mut self, key: kf_key_id_t) -> Status {
        let h = handle(key)?;
        Ok(self.store()?.destroy(h.id, h.version)?)
    }

    /// The attributes of a key version (`psa_get_key_attributes`).
    pub fn key_attributes(&mut self, key: kf_key_id_t) -> Status<kf_key_attributes_t> {
        Ok(kf_key_attributes_t::from_info(&self.info(key)?))
    }

    /// Every key version's attributes into `out`; returns how many there are
    /// (`KF_ERROR_BUFFER_TOO_SMALL` if `out` cannot take all of them).
    pub fn inventory(&mut self, out: &mut [kf_key_attributes_t]) -> Status<usize> {
        let store = self.store()?;
        let mut n = 0;
        for k in store.inventory() {
            let slot = out.get_mut(n).ok_or(KF_ERROR_BUFFER_TOO_SMALL)?;
            *slot = kf_key_attributes_t::from_info(&k);
            n += 1;
        }
        Ok(n)
    }

    /// The audit ring, oldest first, into `out`; returns how many events there are.
    pub fn audit(&mut self, out: &mut [kf_audit_event_t]) -> Status<usize> {
        let store = self.store()?;
        let mut n = 0;
        for e in store.audit() {
            let slot = out.get_mut(n).ok_or(KF_ERROR_BUFFER_TOO_SMALL)?;
            *slot = e.into();
            n += 1;
        }
        Ok(n)
    }

    /// Unwraps `wrapped` (AES-KW or AES-KWP) under the stored key `wrapping_key` (usage
    /// UNWRAP, at least as strong as the new key) and stores the result as a new key with
    /// the attributes `attr`.
    pub fn unwrap_key(
        &mut self,
        attr: &kf_key_attributes_t,
        wrapping_key: kf_key_id_t,
        alg: u32,
        wrapped: &[u8],
    ) -> Status<kf_key_id_t> {
        let n = attr.new_key()?;
        let kek = self.info(wrapping_key)?;
        if kek.algorithm.strength_bits() < n.algorithm.strength_bits() {
            return Err(KF_ERROR_NOT_PERMITTED);
        }
        if wrapped.len() > KF_MAX_WRAPPED {
            return Err(KF_ERROR_INVALID_ARGUMENT);
        }
        // The store's audited import (`ImportedWrapped` in the audit log).
        let h = self
            .store()?
            .import_wrapped_under(
                handle(wrapping_key)?,
                n.id,
                n.label,
                n.algorithm,
                n.usage,
                scheme(alg)?,
                wrapped,
                n.use_limit,
            )
            .map_err(|e| match e {
                // The input length was checked above: this is the unwrapped key's length
                // not matching the attributes.
                StoreError::BadLength => KF_ERROR_DATA_INVALID,
                e => e.into(),
            })?;
        Ok(key_id(h.id, h.version.unwrap_or(1)))
    }

    /// Wraps the stored key `key` (usage EXPORT) under the stored key `wrapping_key`
    /// (usage WRAP, at least as strong) with AES-KW or AES-KWP into `out`; returns the
    /// wrapped length. `out` is zeroed on failure.
    pub fn wrap_key(
        &mut self,
        wrapping_key: kf_key_id_t,
        alg: u32,
        key: kf_key_id_t,
        out: &mut [u8],
    ) -> Status<usize> {
        let r = self.wrap_key_inner(wrapping_key, alg, key, out);
        wipe_on_err(r, out)
    }

    fn wrap_key_inner(
        &mut self,
        wrapping_key: kf_key_id_t,
        alg: u32,
        key: kf_key_id_t,
        out: &mut [u8],
    ) -> Status<usize> {
        scheme(alg)?;
        let kek = self.info(wrapping_key)?;
        let k = self.info(key)?;
        if kek.algorithm.strength_bits() < k.algorithm.strength_bits() {
            return Err(KF_ERROR_NOT_PERMITTED);
        }
        // The store's audited export (`Exported` in the audit log, before the key is read).
        Ok(self.store()?.export_wrapped_under(
            handle(wrapping_key)?,
            handle(key)?,
            scheme(alg)?,
            out,
        )?)
    }

    /// A key check value of the stored key `key` into `out`: `KF_KCV_CMAC` (5 bytes, AES
    /// or TDEA) or `KF_KCV_LEGACY` (3 bytes). Reading it is a use of the key (counted if
    /// the key has a use limit).
    pub fn key_check_value(
        &mut self,
        key: kf_key_id_t,
        method: u32,
        out: &mut [u8],
    ) -> Status<usize> {
        let r = self.kcv_inner(key, method, out);
        wipe_on_err(r, out)
    }

    fn kcv_inner(&mut self, key: kf_key_id_t, method: u32, out: &mut [u8]) -> Status<usize> {
        let info = self.info(key)?;
        let n = match method {
            KF_KCV_CMAC => 5,
            KF_KCV_LEGACY => 3,
            _ => return Err(KF_ERROR_NOT_SUPPORTED),
        };
        let dst = out.get_mut(..n).ok_or(KF_ERROR_BUFFER_TOO_SMALL)?;
        let aes = matches!(
            info.algorithm,
            Algorithm::Aes128 | Algorithm::Aes192 | Algorithm::Aes256
        );
        let tdes = matches!(info.algorithm, Algorithm::Tdes2 | Algorithm::Tdes3);
        if !aes && !tdes {
            return Err(KF_ERROR_NOT_SUPPORTED);
        }
        // The store releases a key only for a use its policy names: ask for a use that
        // any version may have (verification-side first), so an older active version's
        // check value can be read too.
        // Of the key's own purpose (a PIN key's decrypt mode is PIN decryption).
        let purpose = info.usage.purpose().ok_or(KF_ERROR_CORRUPTION_DETECTED)?;
        let need = [
            Usage::DECRYPT,
            Usage::UNWRAP,
            Usage::MAC_VERIFY,
            Usage::EXPORT,
            Usage::ENCRYPT,
            Usage::WRAP,
            Usage::MAC_GENERATE,
            Usage::DERIVE,
        ]
        .into_iter()
        .map(|u| u.bound(purpose))
        .find(|u| info.usage.permits(*u))
        .ok_or(KF_ERROR_NOT_PERMITTED)?;
        let store = self.store()?;
        store.with_key(handle(key)?, need, |k| -> Status {
            // A check value, not a MAC: keyfort's KCV module, not a MAC key's operation.
            use keyfort::kcv::{self, KcvLen};
            let kcv = match (method, aes) {
                (KF_KCV_CMAC, true) => kcv::aes_cmac(
                    &Aes::new(k).map_err(|_| KF_ERROR_NOT_SUPPORTED)?,
                    KcvLen::Five,
                ),
                (KF_KCV_CMAC, false) => kcv::tdes_cmac(
                    &Tdes::new(k).map_err(|_| KF_ERROR_NOT_SUPPORTED)?,
                    KcvLen::Five,
                ),
                (_, true) => kcv::aes_legacy(&Aes::new(k).map_err(|_| KF_ERROR_NOT_SUPPORTED)?),
                (_, false) => kcv::tdes_legacy(&Tdes::new(k).map_err(|_| KF_ERROR_NOT_SUPPORTED)?),
            };
            dst.copy_from_slice(
                kcv.as_bytes()
                    .get(..n)
                    .ok_or(KF_ERROR_CORRUPTION_DETECTED)?,
            );
            Ok(())
        })??;
        Ok(n)
    }

    /// Imports the TR-31 key block `block` as key `id`, unwrapped under the stored KBPK
    /// `kbpk` (usage UNWRAP, purpose TR-31 KBPK, an algorithm that fits the block's
    /// version) with the policy its header grants; returns the new key's
    /// attributes.
    pub fn tr31_import(
        &mut self,
        kbpk: kf_key_id_t,
        block: &[u8],
        id: u16,
    ) -> Status<kf_key_attributes_t> {
        if id == 0 || block.len() > KF_MAX_TR31_BLOCK {
            return Err(KF_ERROR_INVALID_ARGUMENT);
        }
        let h = handle(kbpk)?;
        let inj = terminal::import_tr31(self.store()?, h, block, id)?;
        self.key_attributes(key_id(inj.handle.id, inj.handle.version.unwrap_or(1)))
    }

    /// Loads the stored AES DUKPT initial key `ik` (usage DERIVE, purpose DUKPT IK, labelled with its
    /// initial key ID in hex, as a TR-31 `B1` import stores it) into the terminal and seals
    /// the terminal's state. Destroy the initial key afterwards (`kf_destroy_key`).
    pub fn dukpt_load_initial_key(&mut self, ik: kf_key_id_t) -> Status {
        self.tx = None;
        let h = handle(ik)?;
        let store = self.store.as_mut().ok_or(KF_ERROR_INVALID_HANDLE)?;
        terminal::load_initial_key_into(store, h, self.dukpt_slot, &mut self.terminal)?;
        Ok(())
    }

    /// The terminal's next counter and initial key ID (`KF_ERROR_BAD_STATE` without a
    /// terminal); the counter is 0 once exhausted.
    pub fn dukpt_status(&mut self) -> Status<(u32, [u8; 8])> {
        let t = self.terminal.as_ref().ok_or(KF_ERROR_BAD_STATE)?;
        Ok((t.next_counter().unwrap_or(0), t.initial_key_id()))
    }

    /// Starts the next DUKPT transaction: the terminal's state without this
    /// transaction's key is sealed first; returns the KSN to send.
    pub fn dukpt_begin(&mut self) -> Status<[u8; KF_KSN_SIZE]> {
        self.tx = None;
        let t = self.terminal.as_mut().ok_or(KF_ERROR_BAD_STATE)?;
        let store = self.store.as_mut().ok_or(KF_ERROR_INVALID_HANDLE)?;
        let mut p = StoreStatePersist::new(store, self.dukpt_slot);
        let tx = match t.next_transaction(&mut p as &mut dyn StatePersist) {
            Ok(tx) => tx,
            Err(e) => {
                return Err(p.last_error().map_or_else(|| e.into(), kf_status_t::from));
            }
        };
        let ksn = *tx.ksn().as_bytes();
        self.tx = Some(tx);
        Ok(ksn)
    }

    /// The current transaction's working key of `usage` and `ty`, admitted for the role
    /// `K` under the policy its derivation fixed.
    fn working_key<K: keyfort::key::Role, T>(
        &self,
        usage: KeyUsage,
        ty: WorkingKeyType,
        f: impl FnOnce(&keyfort::key::TypedKey<'_, K>) -> Status<T>,
    ) -> Status<T> {
        let tx = self.tx.as_ref().ok_or(KF_ERROR_BAD_STATE)?;
        let k = tx.working_key(usage, ty)?;
        f(&k.typed()?)
    }

    /// The current transaction's ISO 9564 format 4 PIN block (AES-128 PIN encryption
    /// working key, random fill from the DRBG) into `out` (16 bytes).
    pub fn dukpt_encrypt_pin(
        &mut self,
        pin_digits: &[u8],
        pan: &[u8],
        out: &mut [u8],
    ) -> Status<usize> {
        let r = (|| {
            let dst = out
                .get_mut(..KF_PIN_BLOCK_SIZE)
                .ok_or(KF_ERROR_BUFFER_TOO_SMALL)?;
            let tx = self.tx.as_ref().ok_or(KF_ERROR_BAD_STATE)?;
            let rng = self.rng.as_mut().ok_or(KF_ERROR_INVALID_HANDLE)?;
            let k = tx.working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128)?;
            let b = pin::format4_encrypt(&k.typed()?, pin_digits, pan, rng)?;
            dst.copy_from_slice(&b);
            Ok(KF_PIN_BLOCK_SIZE)
        })();
        wipe_on_err(r, out)
    }

    /// The current transaction's MAC of `msg` into `out`: `KF_ALG_CMAC` (AES-128 MAC
    /// generation working key, 16 bytes) or `KF_ALG_HMAC_SHA_256` (HMAC-128 working key,
    /// 32 bytes).
    pub fn dukpt_mac(&mut self, alg: u32, msg: &[u8], out: &mut [u8]) -> Status<usize> {
        let r = (|| {
            if msg.len() > KF_MAX_DATA {
                return Err(KF_ERROR_INVALID_ARGUMENT);
            }
            match alg {
                KF_ALG_CMAC => {
                    self.working_key(KeyUsage::MacGeneration, WorkingKeyType::Aes128, |k| {
                        let t = mac::aes_cmac(k, msg)?;
                        out.get_mut(..16)
                            .ok_or(KF_ERROR_BUFFER_TOO_SMALL)?
                            .copy_from_slice(&t);
                        Ok(16)
                    })
                }
                KF_ALG_HMAC_SHA_256 => {
                    self.working_key(KeyUsage::MacGeneration, WorkingKeyType::Hmac128, |k| {
                        let t = mac::hmac_sha256(k, msg)?;
                        out.get_mut(..32)
                            .ok_or(KF_ERROR_BUFFER_TOO_SMALL)?
                            .copy_from_slice(&t);
                        Ok(32)
                    })
                }
                _ => Err(KF_ERROR_NOT_SUPPORTED),
            }
        })();
        wipe_on_err(r, out)
    }

    /// The current transaction's AES-128-CBC encryption (data encryption working key,
    /// no padding: `input` a multiple of 16 bytes) of `input` into `out`.
    pub fn dukpt_encrypt_data(&mut self, iv: &[u8], input: &[u8], out: &mut [u8]) -> Status<usize> {
        let r = (|| {
            let iv: &[u8; 16] = iv.try_into().map_err(|_| KF_ERROR_INVALID_ARGUMENT)?;
            if input.len() > KF_MAX_DATA || input.len() % 16 != 0 {
                return Err(KF_ERROR_INVALID_ARGUMENT);
            }
            let dst = out
                .get_mut(..input.len())
                .ok_or(KF_ERROR_BUFFER_TOO_SMALL)?;
            self.working_key(KeyUsage::DataEncrypt, WorkingKeyType::Aes128, |k| {
                dst.copy_from_slice(input);
                data::aes_cbc_encrypt(k, iv, dst)?;
                Ok(input.len())
            })
        })();
        wipe_on_err(r, out)
    }

    /// Finishes the factory's key injection as `f` lays it out (the factory wrote the
    /// KBPK and a TR-31 `B1` block into the store's injection slot; `keyfort demo
    /// provision` does for the demo): imports the block under the KBPK as the initial
    /// key, loads the DUKPT terminal, destroys the initial key and marks the slot used.
    /// Each step is idempotent, so a power cut anywhere is finished by the next call.
    /// Does nothing if the terminal is already loaded; `KF_ERROR_DOES_NOT_EXIST` if there
    /// is neither a terminal nor a block to inject. Blocks up to 256 bytes.
    pub fn dukpt_factory_inject(&mut self, f: &Injection) -> Status {
        const BLOCK_MAX: usize = 256;
        if self.terminal.is_none() {
            let store = self.store()?;
            let has = |s: &mut KeyStore<(F, D, R, C)>, id| s.inventory().any(|k| k.id == id);
            if !has(store, f.initial_key_id) {
                let mut block = [0u8; BLOCK_MAX];
                let n = match store.get_state(f.slot, &mut block) {
                    Ok(n) => n,
                    Err(keyfort::store::Error::NotFound) => return Err(KF_ERROR_DOES_NOT_EXIST),
                    Err(e) => return Err(e.into()),
                };
                let block = block.get(..n).ok_or(KF_ERROR_CORRUPTION_DETECTED)?;
                if block == f.done {
                    return Err(KF_ERROR_DOES_NOT_EXIST);
                }
                let kbpk = key_id(f.kbpk_id, 0);
                self.tr31_import(kbpk, block, f.initial_key_id)?;
            }
            self.dukpt_load_initial_key(key_id(f.initial_key_id, 0))?;
        }
        let store = self.store()?;
        if store.inventory().any(|k| k.id == f.initial_key_id) {
            store.destroy(f.initial_key_id, None)?;
        }
        let mut probe = [0u8; BLOCK_MAX];
        if let Ok(n) = store.get_state(f.slot, &mut probe) {
            if probe.get(..n) != Some(f.done) {
                store.put_state(f.slot, f.done)?;
            }
        }
        Ok(())
    }

    /// Ends the current transaction: its keys are wiped.
    pub fn dukpt_end(&mut self) {
        self.tx = None;
    }

    /// Copies the stored key `kek` (an AES key admitted for the role `K`: its policy allows
    /// wrapping or unwrapping) into a [`Kek`] (its plaintext only in the store's closure
    /// and a wiped holder). A key that is not AES is `KF_ERROR_NOT_SUPPORTED`.
    fn kek_of<K: KekRole>(&mut self, kek: kf_key_id_t) -> Status<Kek> {
        let h = handle(kek)?;
        match self
            .store()?
            .with_typed_key::<K, _>(h, |k| Kek::new(k).map_err(|_| KF_ERROR_NOT_SUPPORTED))
        {
            Err(StoreError::KeyAlgorithm) => Err(KF_ERROR_NOT_SUPPORTED),
            r => r?,
        }
    }

    /// Exports the stored key `key` (active, usage EXPORT) as a backup blob (AES-KWP of
    /// its metadata and key, see `keyfort::store::backup`) under the stored backup KEK
    /// `backup_kek` (AES, usage WRAP, at least as strong) into `out` (at least
    /// [`KF_BACKUP_MAX_SIZE`] bytes); returns the blob length. The export is in the audit
    /// log. `out` is zeroed on failure.
    pub fn export_backup(
        &mut self,
        backup_kek: kf_key_id_t,
        key: kf_key_id_t,
        out: &mut [u8],
    ) -> Status<usize> {
        let r = (|| {
            let kek = self.kek_of::<KeyWrap>(backup_kek)?;
            Ok(self.store()?.export_backup(handle(key)?, &kek, out)?)
        })();
        wipe_on_err(r, out)
    }

    /// Imports a backup blob made by [`Service::export_backup`] (on this or another
    /// device) under the stored backup KEK `backup_kek` (AES, usage UNWRAP); the key keeps
    /// its id and policy. An altered blob or a wrong KEK is `KF_ERROR_INVALID_SIGNATURE`;
    /// an old blob of this store (exported before a later change of the key, or before a
    /// destroy) is `KF_ERROR_ROLLED_BACK`. Returns the key id (version 1).
    pub fn import_backup(&mut self, backup_kek: kf_key_id_t, blob: &[u8]) -> Status<kf_key_id_t> {
        if blob.len() > KF_BACKUP_MAX_SIZE {
            return Err(KF_ERROR_INVALID_ARGUMENT);
        }
        let kek = self.kek_of::<KeyUnwrap>(backup_kek)?;
        let h = self.store()?.import_backup(&kek, blob)?;
        Ok(key_id(h.id, h.version.unwrap_or(1)))
    }

    /// Crypto-erases the store (tamper response); the terminal and transaction go too.
    pub fn tamper_wipe(&mut self) -> Status {
        self.tx = None;
        self.terminal = None;
        Ok(self.store()?.tamper_wipe()?)
    }
}
