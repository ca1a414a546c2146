//! A payment terminal's key handling, put together from the store, TR-31 and DUKPT:
//!
//! - [`inject`]: key injection. A TR-31 key block is unwrapped under a key block
//!   protection key (KBPK) *held in the sealed store* and imported into the store with the
//!   policy its header grants ([`import_tr31`]): key usage, algorithm and mode of use
//!   become the store's usage policy, a non-exportable key stays non-exportable, and the
//!   KBPK must be at least as strong as the key (all checked by [`crate::tr31::import`]).
//!   The KBPK is used only inside the store's closure, under its `UNWRAP` policy.
//! - [`dukpt_state`]: the AES DUKPT terminal state as a sealed store state record.
//!   [`StoreStatePersist`] is the [`crate::dukpt::StatePersist`] the terminal writes to
//!   before it releases a transaction's keys (the store's `put_state` is atomic and
//!   durable when it returns); [`load_initial_key`] turns an imported initial key (`B1`)
//!   into a terminal, [`resume`] reads the state back after a reboot.
//!
//! ```
//! use keyfort::dukpt::aes::{AesBdk, KeyUsage, WorkingKeyType};
//! use keyfort::key::{BdkDerive, KbpkWrap, TypedKey};
//! use keyfort::platform::{DeviceSecret, NoCounter};
//! use keyfort::attributes::{Algorithm, Usage};
//! use keyfort::store::{KeyHandle, KeyStore};
//! use keyfort_testkit::MockFlash;
//! use keyfort::terminal::{self, StoreStatePersist};
//! use keyfort::tr31::{self, HeaderSpec, OptBlock};
//!
//! // Test stand-ins for what a board provides (never use them in a product): a fixed
//! // device secret, and a predictable generator (an LCG) where the board has its
//! // hardware entropy behind keyfort's `rng::Csprng`.
//! struct TestDeviceSecret;
//! impl DeviceSecret for TestDeviceSecret {
//!     fn with_secret<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> R {
//!         f(&[7; 32])
//!     }
//! }
//! struct TestRng(u64);
//! impl rand_core::TryRng for TestRng {
//!     type Error = core::convert::Infallible;
//!     fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
//!         Ok((self.try_next_u64()? >> 32) as u32)
//!     }
//!     fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
//!         self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
//!         Ok(self.0)
//!     }
//!     fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
//!         for b in dst {
//!             *b = (self.try_next_u64()? >> 56) as u8;
//!         }
//!         Ok(())
//!     }
//! }
//! impl rand_core::TryCryptoRng for TestRng {}
//!
//! // Host (key-injection bench): the terminal's initial key in a TR-31 block, with its
//! // initial key ID in the X9.143 `IK` optional block.
//! let kbpk = [0x42u8; 32];
//! let bdk = AesBdk::new(&TypedKey::<BdkDerive>::raw_aes(&[0x11; 16])?)?;
//! let ikid = [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56];
//! let ik = bdk.initial_key(&ikid)?;
//! let spec = HeaderSpec { key_usage: *b"B1", algorithm: b'A', mode_of_use: b'X', key_version: *b"00", exportability: b'N' };
//! let mut block = [0u8; 256];
//! let opt = [OptBlock { id: *b"IK", data: b"1234567890123456" }];
//! let host_kbpk = TypedKey::<KbpkWrap>::raw(&kbpk, Algorithm::Aes256)?;
//! let n = tr31::wrap(&host_kbpk, &spec, &opt, ik.expose(), &mut TestRng(9), &mut block)?;
//!
//! // Terminal: the KBPK is in the sealed store; import the block, load DUKPT.
//! // (A RAM NOR flash of 8 sectors of 4 KiB, the test double of keyfort's repository.)
//! let flash = MockFlash::<{ 8 * 4096 }, 4096>::new();
//! let mut store = KeyStore::format((flash, TestDeviceSecret, TestRng(1), NoCounter))?;
//! let kbpk_h = store.import(1, b"kbpk", Algorithm::Aes256, Usage::KBPK_UNWRAP, &kbpk, None)?;
//! let ik_h = terminal::import_tr31(&mut store, kbpk_h, &block[..n], 2)?;
//! assert_eq!(ik_h.usage, Usage::IK_DERIVE);
//! let mut t = terminal::load_initial_key(&mut store, ik_h.handle, 10)?;
//! let tx = t.next_transaction(&mut StoreStatePersist::new(&mut store, 10))?;
//! let pin_key = tx.working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128)?;
//! # let _ = pin_key;
//! // After a reboot: the state comes back from the store, with the next counter.
//! let t2 = terminal::resume(&mut store, 10)?.expect("state record");
//! assert_eq!(t2.next_counter(), Some(2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Protected against: a forged or altered key block (refused before anything is stored),
//! a key block whose header would grant more than the KBPK protects, a KBPK used for
//! anything but unwrapping, a counter used twice across power cuts (see
//! [`crate::dukpt::persist`]), the DUKPT registers readable from a flash dump (the state
//! record is sealed). Not protected against: what the store and DUKPT modules list
//! (RAM read-out while a key is in use, a compromised device secret), replay of an old
//! valid block into a store that no longer has the key (the caller decides whether an
//! injection may happen again).
pub mod dukpt_state;
mod error;
pub mod inject;

pub use dukpt_state::{
    load_initial_key, load_initial_key_into, resume, resume_into, StoreStatePersist,
    PACKED_STATE_MAX,
};
pub use error::TerminalError;
pub use inject::{import_tr31, initial_key_id, Injected};

/// 16 hex digits (either case) to 8 bytes; `None` for anything else. Public data only
/// (initial key IDs).
fn hex8(s: &[u8]) -> Option<[u8; 8]> {
    if s.len() != 16 {
        return None;
    }
    let mut id = [0u8; 8];
    for (o, pair) in id.iter_mut().zip(s.chunks_exact(2)) {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        *o = u8::try_from(hi << 4 | lo).ok()?;
    }
    Some(id)
}
