//! The Non-secure side of keyfort's TrustZone-M key service: safe Rust over the Secure
//! entries, holding key ids, attributes, KSNs and ciphertexts, never key bytes.
//!
//! ```no_run
//! use keyfort_secure_client::{Client, Tr31Import};
//! # fn demo(kbpk: keyfort_secure_client::KeyId, block: &[u8]) -> Result<(), keyfort_secure_client::Error> {
//! let mut kf = Client::open()?;                       // the Secure store, by handle
//! let ik = kf.tr31_import(kbpk, block, Tr31Import { id: 2 })?;
//! kf.dukpt_load_initial_key(ik.id())?;
//! kf.destroy_key(ik.id())?;
//! let tx = kf.dukpt_begin()?;                          // the KSN to send
//! let mut mac = [0u8; 16];
//! kf.dukpt_cmac(&tx, b"4012345678909D987", &mut mac)?;
//! kf.dukpt_end(tx)?;
//! # Ok(()) }
//! ```
//!
//! The surface is the C API's (`keyfort_capi::service`): PSA-style key ids (id in the low
//! half, version in the high half), usage flags and lifetimes (`kf_key_attributes_t`),
//! keyfort's DUKPT and TR-31 operations as extensions, and the same status codes. What
//! crosses the boundary is described in [`abi`]; the Secure image (`secure/service`)
//! checks every pointer in it with `TT` before use.
//!
//! Types say which handles exist: a [`KeyId`] names a key the Secure store holds, a
//! [`Transaction`] the DUKPT transaction in progress (consumed by [`Client::dukpt_end`]).
//! There is no type here that holds a key.
#![no_std]

#[allow(unsafe_code)]
// the Non-secure side of the ABI: veneer calls (each block says why it is sound)
pub mod abi;
#[allow(unsafe_code)]
// the SysTick's registers and a calibration loop (each block says why it is sound)
pub mod systick;

pub use keyfort_capi::status::kf_status_t;
pub use keyfort_capi::types::{kf_audit_event_t, kf_key_attributes_t};
pub use keyfort_capi::types::{
    KF_ALG_AES_KW, KF_ALG_AES_KWP, KF_ALG_CMAC, KF_ALG_HMAC_SHA_256, KF_KCV_CMAC, KF_KCV_LEGACY,
    KF_KEY_LIFETIME_PERSISTENT, KF_KEY_TYPE_AES, KF_KEY_TYPE_DES, KF_KEY_TYPE_HMAC,
    KF_KEY_USAGE_DECRYPT, KF_KEY_USAGE_DERIVE, KF_KEY_USAGE_ENCRYPT, KF_KEY_USAGE_EXPORT,
    KF_KEY_USAGE_SIGN_MESSAGE, KF_KEY_USAGE_UNWRAP, KF_KEY_USAGE_VERIFY_MESSAGE, KF_KEY_USAGE_WRAP,
};

use abi::Buf;

/// A status code from the Secure side (`kf_status_t`: a negative PSA-style code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error(pub i32);

impl Error {
    /// Whether this is `code`.
    pub fn is(self, code: kf_status_t) -> bool {
        self.0 == code as i32
    }
}

/// Result of a Secure call.
pub type Result<T> = core::result::Result<T, Error>;

/// A key the Secure store holds: id in the low half, version in the high half (0: the
/// newest active version). Holds no key material.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyId(pub u32);

/// The attributes of a stored key, as the Secure side reported them.
#[derive(Clone, Copy, Debug)]
pub struct Key(pub kf_key_attributes_t);

impl Key {
    /// Its id and version.
    pub fn id(&self) -> KeyId {
        KeyId(self.0.id)
    }
}

/// Where a TR-31 import puts the key.
#[derive(Clone, Copy, Debug)]
pub struct Tr31Import {
    /// The new key's id (1 to 65535).
    pub id: u16,
}

/// The DUKPT transaction in progress: its KSN (public). The working keys stay Secure.
#[derive(Debug)]
pub struct Transaction {
    ksn: [u8; 12],
}

impl Transaction {
    /// The KSN to send with the transaction's data.
    pub fn ksn(&self) -> &[u8; 12] {
        &self.ksn
    }
}

fn check(r: i32) -> Result<usize> {
    usize::try_from(r).map_err(|_| Error(r))
}

/// The open Secure store. Only one exists (the Secure side serves one store).
#[derive(Debug)]
pub struct Client {
    _private: (),
}

impl Client {
    /// Opens the Secure store (it restores its DUKPT terminal if it has one).
    pub fn open() -> Result<Self> {
        check(abi::call::kfs_open(0))?;
        Ok(Client { _private: () })
    }

    /// Formats the Secure store (factory provisioning: every key is erased), then opens it.
    pub fn format() -> Result<Self> {
        check(abi::call::kfs_open(abi::OPEN_FORMAT))?;
        Ok(Client { _private: () })
    }

    /// Closes the store (its RAM state is wiped on the Secure side).
    pub fn close(self) -> Result<()> {
        check(abi::call::kfs_close()).map(drop)
    }

    /// Generates a key inside the Secure store (`psa_generate_key`).
    pub fn generate_key(&mut self, attr: &kf_key_attributes_t) -> Result<Key> {
        let mut a = *attr;
        check(abi::call::kfs_generate_key(&mut a))?;
        Ok(Key(a))
    }

    /// A new version of `key`'s id with a fresh random key and the same policy.
    pub fn rotate_key(&mut self, key: KeyId) -> Result<KeyId> {
        let mut out = 0u32;
        check(abi::call::kfs_rotate_key(key.0, &mut out))?;
        Ok(KeyId(out))
    }

    /// Revokes one version (version 0: the newest active one).
    pub fn revoke_key(&mut self, key: KeyId) -> Result<()> {
        check(abi::call::kfs_revoke_key(key.0)).map(drop)
    }

    /// Destroys every version (version 0) or one version (`psa_destroy_key`).
    pub fn destroy_key(&mut self, key: KeyId) -> Result<()> {
        check(abi::call::kfs_destroy_key(key.0)).map(drop)
    }

    /// A key version's attributes (`psa_get_key_attributes`).
    pub fn key_attributes(&mut self, key: KeyId) -> Result<Key> {
        let mut a = kf_key_attributes_t::default();
        check(abi::call::kfs_key_attributes(key.0, &mut a))?;
        Ok(Key(a))
    }

    /// Every key version's attributes into `out`; returns how many.
    pub fn inventory(&mut self, out: &mut [kf_key_attributes_t]) -> Result<usize> {
        check(abi::call::kfs_inventory(&Buf::of_mut(out)))
    }

    /// The audit ring, oldest first, into `out`; returns how many events.
    pub fn audit(&mut self, out: &mut [kf_audit_event_t]) -> Result<usize> {
        check(abi::call::kfs_audit(&Buf::of_mut(out)))
    }

    /// Imports a TR-31 key block under the stored KBPK `kbpk`; the block stays a
    /// ciphertext on this side.
    pub fn tr31_import(&mut self, kbpk: KeyId, block: &[u8], to: Tr31Import) -> Result<Key> {
        let mut a = kf_key_attributes_t {
            id: u32::from(to.id),
            ..Default::default()
        };
        check(abi::call::kfs_tr31_import(kbpk.0, &Buf::of(block), &mut a))?;
        Ok(Key(a))
    }

    /// Unwraps an AES-KW/KWP ciphertext under the stored key `kek` into a new stored key.
    pub fn unwrap_key(
        &mut self,
        attr: &kf_key_attributes_t,
        kek: KeyId,
        alg: u32,
        wrapped: &[u8],
    ) -> Result<Key> {
        let mut a = *attr;
        check(abi::call::kfs_unwrap_key(
            &mut a,
            kek.0,
            alg,
            &Buf::of(wrapped),
        ))?;
        Ok(Key(a))
    }

    /// Wraps the stored key `key` (usage EXPORT) under `kek` (usage WRAP) into `out`;
    /// returns the ciphertext's length.
    pub fn wrap_key(&mut self, kek: KeyId, alg: u32, key: KeyId, out: &mut [u8]) -> Result<usize> {
        let args = abi::WrapArgs {
            wrapping_key: kek.0,
            alg,
            key: key.0,
        };
        check(abi::call::kfs_wrap_key(&args, &Buf::of_mut(out)))
    }

    /// A key check value (`KF_KCV_CMAC`: 5 bytes, `KF_KCV_LEGACY`: 3 bytes) into `out`.
    pub fn key_check_value(&mut self, key: KeyId, method: u32, out: &mut [u8]) -> Result<usize> {
        check(abi::call::kfs_kcv(key.0, method, &Buf::of_mut(out)))
    }

    /// Loads the stored AES DUKPT initial key `ik` into the Secure terminal.
    pub fn dukpt_load_initial_key(&mut self, ik: KeyId) -> Result<()> {
        check(abi::call::kfs_dukpt_load_initial_key(ik.0)).map(drop)
    }

    /// Finishes the factory's key injection (the TR-31 block the factory left in the
    /// Secure store becomes the DUKPT terminal; the initial key is destroyed). Nothing
    /// to do if the terminal exists.
    pub fn dukpt_factory_inject(&mut self) -> Result<()> {
        check(abi::call::kfs_dukpt_factory_inject()).map(drop)
    }

    /// The terminal's next DUKPT counter (0: exhausted).
    pub fn dukpt_next_counter(&mut self) -> Result<u32> {
        let mut c = 0u32;
        check(abi::call::kfs_dukpt_status(&mut c))?;
        Ok(c)
    }

    /// Starts the next DUKPT transaction (its state is sealed first).
    pub fn dukpt_begin(&mut self) -> Result<Transaction> {
        let mut ksn = [0u8; 12];
        check(abi::call::kfs_dukpt_begin(&Buf::of_mut(&mut ksn)))?;
        Ok(Transaction { ksn })
    }

    /// AES-CMAC of `msg` under the transaction's MAC key into `out` (16 bytes).
    pub fn dukpt_cmac(&mut self, _tx: &Transaction, msg: &[u8], out: &mut [u8]) -> Result<usize> {
        check(abi::call::kfs_dukpt_mac(
            KF_ALG_CMAC,
            &Buf::of(msg),
            &Buf::of_mut(out),
        ))
    }

    /// HMAC-SHA-256 of `msg` under the transaction's HMAC key into `out` (32 bytes).
    pub fn dukpt_hmac(&mut self, _tx: &Transaction, msg: &[u8], out: &mut [u8]) -> Result<usize> {
        check(abi::call::kfs_dukpt_mac(
            KF_ALG_HMAC_SHA_256,
            &Buf::of(msg),
            &Buf::of_mut(out),
        ))
    }

    /// AES-128-CBC of `input` (a multiple of 16 bytes) under the data key into `out`.
    pub fn dukpt_encrypt_data(
        &mut self,
        _tx: &Transaction,
        iv: &[u8; 16],
        input: &[u8],
        out: &mut [u8],
    ) -> Result<usize> {
        check(abi::call::kfs_dukpt_encrypt_data(
            &Buf::of(iv),
            &Buf::of(input),
            &Buf::of_mut(out),
        ))
    }

    /// The ISO 9564 format 4 PIN block of `pin` (ASCII digits) for `pan` into `out` (16
    /// bytes). The PIN is card-holder data, not a key.
    pub fn dukpt_encrypt_pin(
        &mut self,
        _tx: &Transaction,
        pin: &[u8],
        pan: &[u8],
        out: &mut [u8],
    ) -> Result<usize> {
        let args = abi::PinArgs {
            pin: Buf::of(pin),
            pan: Buf::of(pan),
        };
        check(abi::call::kfs_dukpt_encrypt_pin(&args, &Buf::of_mut(out)))
    }

    /// Ends the transaction: its working keys are wiped on the Secure side.
    pub fn dukpt_end(&mut self, _tx: Transaction) -> Result<()> {
        check(abi::call::kfs_dukpt_end()).map(drop)
    }
}
