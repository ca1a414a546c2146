//! AES DUKPT (ANSI X9.24-3-2017): host side ([`AesBdk`], [`AesInitialKey`]) and terminal
//! side ([`AesTerminal`]).
//!
//! - A KSN ([`AesKsn`]) is the 8-byte initial key ID (4-byte BDK ID, 4-byte derivation
//!   ID) followed by a 32-bit transaction counter.
//! - The initial key is derived from the BDK and the initial key ID; the derivation key
//!   of a counter is derived from the initial key along the counter's one-bits, most
//!   significant first; a working key of any [`KeyUsage`] and [`WorkingKeyType`] is
//!   derived from the derivation key.
//! - A device never uses a counter with more than 16 one-bits; host-side functions
//!   reject such KSNs (except [`AesBdk::derivation_key_any_counter`], which the X9
//!   supplement's test values and the update key need).
//!
//! - [`AesBdk::batch`] ([`AesBatch`]): the working keys of many KSNs at once, for a
//!   host verifying a stream of transactions (lanes in lockstep, an initial key cache).
//!
//! Capacities: keys are at most 32 bytes; a terminal state is [`AES_STATE_LEN`] bytes.
mod batch;
mod batch_lanes;
mod derive;
mod host;
mod ksn;
mod terminal;
mod types;

pub use batch::{AesBatch, AesBatchKey, AesKeyCacheSlot, LANES};
pub use derive::initial_key_derivation_data;
pub use host::{AesBdk, AesDerivationKey, AesInitialKey, AesWorkingKey};
pub use ksn::AesKsn;
pub(crate) use terminal::{pack_state, packed_state_len, unpack_state};
pub use terminal::{AesTerminal, AesTransaction, AES_STATE_LEN};
pub use types::{BdkType, KeyUsage, WorkingKeyType};
