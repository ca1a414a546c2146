//! The demo's protocol, in one place: what the demo terminal firmware
//! (`qemu/firmware/src/bin/terminal.rs`), the TrustZone Non-secure terminal
//! (`secure/app`) and Secure service (`secure/service`), the host tool (`keyfort demo`)
//! and `xtask` (`./x demo`, its scans) agree on. A product picks its own; keyfort exports
//! none of it.
//!
//! - [`factory`]: which key ids and state slots of the terminal's store hold what;
//! - [`record`]: the 128-byte transaction record (its layout, the test cards, how a
//!   terminal builds one and the host reads it);
//! - [`files`]: the names of the demo's files in the device and host directories.
//!
//! ```
//! use keyfort_testkit::demo::record::{self, TransactionCrypto};
//!
//! /// Stand-in crypto (a terminal calls its DUKPT transaction's keys here).
//! struct Clear;
//! impl TransactionCrypto for Clear {
//!     type Error = ();
//!     fn pin_block(&mut self, _pin: &[u8], _pan: &[u8]) -> Result<[u8; 16], ()> {
//!         Ok([0x44; 16])
//!     }
//!     fn encrypt_card(&mut self, _card: &mut [u8; 32]) -> Result<(), ()> {
//!         Ok(())
//!     }
//!     fn mac(&mut self, _maced: &[u8]) -> Result<[u8; 16], ()> {
//!         Ok([0x4D; 16])
//!     }
//! }
//!
//! let mut ksn = [0u8; 12];
//! ksn[11] = 7; // counter 7
//! let raw = record::build(&ksn, &mut Clear).unwrap();
//! let r = record::Record { raw: &raw };
//! assert!(r.well_formed());
//! assert_eq!(r.counter(), 7);
//! assert_eq!(r.message(), b"AMT=000554.33 EUR STAN=000007   ");
//! assert_eq!(r.card_data(), record::card_data(record::CARDS[r.card()].pan.as_bytes()));
//! ```
pub mod factory;
pub mod files;
pub mod record;

/// The exit status of a terminal without keys (wiped, or never injected): out of service,
/// not a failure of the run.
pub const EXIT_NO_KEYS: i32 = 3;

/// Transactions a terminal runs when its device directory has no plan file
/// ([`files::PLAN`]).
pub const DEFAULT_PLAN: u32 = 10;

/// The number of transactions a plan file's bytes ask for: its leading ASCII digits
/// (saturating), or [`DEFAULT_PLAN`] if it starts with none.
pub fn plan(file: &[u8]) -> u32 {
    let mut v: u32 = 0;
    let mut any = false;
    for &c in file.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(u32::from(c - b'0'));
        any = true;
    }
    if any {
        v
    } else {
        DEFAULT_PLAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_reads_leading_digits_or_the_default() {
        assert_eq!(plan(b"25\n"), 25);
        assert_eq!(plan(b"0"), 0);
        assert_eq!(plan(b""), DEFAULT_PLAN);
        assert_eq!(plan(b"x12"), DEFAULT_PLAN);
        assert_eq!(plan(b"99999999999999"), u32::MAX);
    }
}
