//! TDES DUKPT (ANSI X9.24-1-2009): host side ([`TdesBdk`], [`TdesIpek`]) and terminal
//! side ([`TdesTerminal`]), with the PIN, MAC and data key variants
//! ([`TdesVariant`]).
//!
//! - A KSN ([`TdesKsn`]) is 10 bytes: a 59-bit initial KSN and a 21-bit counter.
//! - The IPEK is derived from a two-key TDES BDK and the KSN with its counter cleared;
//!   the current key of a counter is derived from the IPEK by the non-reversible key
//!   generation process along the counter's one-bits, most significant first.
//! - A device never uses a counter with more than 10 one-bits; the host rejects such
//!   KSNs.
//!
//! Capacities: keys are 16 bytes; a terminal state is [`TDES_STATE_LEN`] bytes.
mod derive;
mod host;
mod ksn;
mod terminal;
mod variants;

pub use host::{TdesBdk, TdesCurrentKey, TdesIpek, TdesKey};
pub use ksn::TdesKsn;
pub use terminal::{TdesTerminal, TdesTransaction, TDES_STATE_LEN};
pub use variants::{LegacyOptions, TdesLegacyVariant, TdesVariant};
