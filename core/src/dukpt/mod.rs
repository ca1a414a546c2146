//! DUKPT: derived unique key per transaction, for the payment host and the terminal.
//!
//! - [`aes`]: AES DUKPT (ANSI X9.24-3-2017).
//! - [`tdes`]: TDES DUKPT (ANSI X9.24-1-2009).
//! - [`persist`]: how a terminal persists its state before releasing a key, and what
//!   happens on power loss.
//!
//! (to be written: example)
pub mod aes;
mod counter;
mod error;
pub mod persist;
pub mod tdes;

pub use error::DukptError;
pub use persist::{NoPersist, PersistError, StatePersist};

#[cfg(feature = "_selftest")]
pub(crate) mod selftest;
