//! The demo's files: in the device directory (the emulated device's semihosting files,
//! which the firmware opens by these NUL-terminated names) and in the host directory
//! (`keyfort demo provision` writes them). The board's own files (`flash.bin`,
//! `counter.bin`, `device-secret.bin`) are the board crate's.
//!
//! The host directory keeps the BDK and the KBPK in hex files: TEST ONLY (a real payment
//! host keeps its BDK in an HSM).
use core::ffi::CStr;

/// Device: the transaction records the terminal appends ([`super::record`]).
pub const RECORDS: &CStr = c"transactions.bin";
/// Device: how many transactions to run (ASCII digits, [`super::plan`]).
pub const PLAN: &CStr = c"pos-plan";
/// Device: the terminal's (or the Secure side's) RAM, written after a tamper response.
pub const RAM_DUMP: &CStr = c"ram.bin";
/// Device: the TrustZone Non-secure side's memory, written at the end of its run.
pub const NS_MEMORY: &CStr = c"ns-memory.bin";
/// Device: the factory KBPK the TrustZone Secure service imports at format (TEST ONLY).
pub const FACTORY_KBPK: &CStr = c"factory-kbpk.bin";
/// Host: the BDK (hex, TEST ONLY).
pub const BDK_HEX: &CStr = c"bdk.hex";
/// Host: the terminal's initial key ID (hex).
pub const IKID_HEX: &CStr = c"ikid.hex";
/// Host: the KBPK (hex, TEST ONLY).
pub const KBPK_HEX: &CStr = c"kbpk.hex";

/// A file name as text, for host paths (the names are ASCII).
pub fn name(file: &CStr) -> &str {
    core::str::from_utf8(file.to_bytes()).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_text_of_the_c_strings() {
        assert_eq!(name(RECORDS), "transactions.bin");
        assert_eq!(name(KBPK_HEX), "kbpk.hex");
    }
}
