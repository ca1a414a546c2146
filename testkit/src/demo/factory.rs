//! The factory layout of the demo terminal's store: which key ids and state record slots
//! hold what. `keyfort demo provision` writes it; the demo terminal firmware and the
//! TrustZone Secure service (through `keyfort_capi::service::Injection`) read it.
//!
//! | id / slot | kind | holds |
//! |---|---|---|
//! | [`KBPK_ID`] | key | the key block protection key (`UNWRAP` only), sealed at the factory |
//! | [`INITIAL_KEY_ID`] | key | the DUKPT initial key, between injection and the first load |
//! | [`INJECTION_SLOT`] | state | a TR-31 key block waiting to be imported (ASCII), then [`INJECTION_DONE`] |
//! | [`DUKPT_SLOT`] | state | the AES DUKPT terminal state (`keyfort::terminal`) |
use keyfort::dukpt::aes::{KeyUsage, WorkingKeyType};

/// Key id of the key block protection key.
pub const KBPK_ID: u16 = 1;
/// Key id of the DUKPT initial key (destroyed once the terminal state exists).
pub const INITIAL_KEY_ID: u16 = 2;
/// State slot of a key block waiting to be imported.
pub const INJECTION_SLOT: u16 = 11;
/// State slot of the DUKPT terminal state.
pub const DUKPT_SLOT: u16 = 10;
/// Longest key block the injection slot may hold.
pub const INJECTION_BLOCK_MAX: usize = 256;
/// What [`INJECTION_SLOT`] holds once its block was imported.
pub const INJECTION_DONE: &[u8] = b"-";

/// The working keys of one transaction of the demo terminal (usage, type): it encrypts
/// the PIN block, MACs the record and encrypts the card data with these; the host
/// re-derives them to verify a transaction and to search a device for them.
pub const TRANSACTION_KEYS: [(KeyUsage, WorkingKeyType); 3] = [
    (KeyUsage::PinEncryption, WorkingKeyType::Aes128),
    (KeyUsage::MacGeneration, WorkingKeyType::Aes128),
    (KeyUsage::DataEncrypt, WorkingKeyType::Aes128),
];
