//! DUKPT: derived unique key per transaction, for the payment host and the terminal.
//!
//! - [`aes`]: AES DUKPT (ANSI X9.24-3-2017): [`aes::AesBdk`] (host),
//!   [`aes::AesTerminal`] (terminal), every key usage and working-key type, the update key.
//! - [`tdes`]: TDES DUKPT (ANSI X9.24-1-2009): [`tdes::TdesBdk`] (host),
//!   [`tdes::TdesTerminal`] (terminal), PIN / MAC / data variants (2009 data key).
//! - [`persist`]: how a terminal persists its state before it releases a key, and why a
//!   counter is never used twice even when power is cut.
//! - The operations done with the keys (PIN blocks, MACs, data encryption) are in
//!   [`crate::transaction`].
//!
//! # A transaction, end to end
//!
//! ```
//! use keyfort::dukpt::aes::{AesBdk, AesTerminal, KeyUsage, WorkingKeyType};
//! use keyfort::dukpt::{PersistError, StatePersist};
//! use keyfort::key::{BdkDerive, TypedKey};
//! use keyfort::transaction::{mac, pin};
//!
//! // Stands in for the sealed key store: keeps the last state written.
//! struct Flash(Vec<u8>);
//! impl StatePersist for Flash {
//!     fn persist(&mut self, state: &[u8]) -> Result<(), PersistError> {
//!         self.0 = state.to_vec(); // a real store writes atomically and seals
//!         Ok(())
//!     }
//! }
//!
//! // Key-injection bench: the BDK (an AES-128 key admitted as a `B0` key) gives the
//! // device its initial key.
//! let bdk = AesBdk::new(&TypedKey::<BdkDerive>::raw_aes(&[0x11; 16])?)?;
//! let ik = bdk.initial_key(&[0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56])?;
//!
//! // Terminal: load the initial key (then forget it), run a transaction.
//! let mut flash = Flash(Vec::new());
//! let mut terminal = AesTerminal::load(&ik, &mut flash)?;
//! drop(ik);
//! let tx = terminal.next_transaction(&mut flash)?; // state persisted before keys exist
//! let pin_key = tx.working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128)?;
//! let block = pin::format4_encrypt_with_fill(&pin_key.typed()?, b"1234", b"4111111111111111", &[0x5A; 8])?;
//! let mac_key = tx.working_key(KeyUsage::MacGeneration, WorkingKeyType::Aes128)?;
//! let tag = mac::aes_cmac(&mac_key.typed()?, b"amount=12.34")?;
//! let ksn = *tx.ksn(); // sent along with the block and the MAC
//! drop(tx); // the transaction's keys are wiped
//!
//! // Host: re-derive from the BDK and the KSN.
//! let dk = bdk.derivation_key(&ksn)?;
//! let host_mac = dk.working_key(KeyUsage::MacGeneration, WorkingKeyType::Aes128)?;
//! mac::verify_aes_cmac(&host_mac.typed()?, b"amount=12.34", &tag)?;
//! let host_pin = dk.working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128)?;
//! assert_eq!(pin::format4_decrypt(&host_pin.typed()?, &block, b"4111111111111111")?.expose(), b"1234");
//!
//! // After a power cut the terminal resumes from the persisted state, with a new counter.
//! let mut terminal = AesTerminal::from_state(&flash.0)?;
//! assert_eq!(terminal.next_transaction(&mut flash)?.ksn().counter(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is and is not protected
//! - Registers, derived keys and working keys live in wiped-on-drop holders; a used
//!   register is erased before the transaction's keys are released; the terminal never
//!   keeps the initial key.
//! - Between transactions a terminal's registers are masked in RAM, each with a ChaCha8
//!   mask of its own that changes whenever the register is rewritten (`dukpt::mask`; a
//!   live terminal's registers are not found by `./x test memscan`, which does find them
//!   in the build with masking off); the terminal hands its state to [`StatePersist`] as a
//!   [`StateView`] that the persister unmasks piece by piece (the store's persister:
//!   straight into the buffer it seals), so no transaction unmasks every register.
//! - Counters are never reused (see [`persist`]); a host refuses KSNs no device
//!   produces (counter zero, too many one-bits) and working keys stronger than the BDK.
//! - Not protected: an attacker who reads RAM while a transaction's keys are in use,
//!   or who reads the persisted state before the store seals it. The derivations branch
//!   only on the public counter, never on key bytes.
pub mod aes;
mod counter;
mod error;
mod mask;
pub mod persist;
mod state;
pub mod tdes;

pub use error::DukptError;
pub use persist::{NoPersist, PersistError, StatePersist, StateView};
