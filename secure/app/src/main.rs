//! The Non-secure application on mps2-an505: the payment terminal of `./x demo` with every
//! key in the Secure world, and the boundary checks of `./x test tz`.
//!
//! It holds key ids, KSNs and ciphertexts only ([`keyfort_secure_client`]). What it does
//! is chosen by the host file `tz-mode` in the device directory:
//! - `demo` (or no file): the terminal ([`terminal`]): finishes the factory's key
//!   injection in the Secure store, then runs `pos-plan` transactions, appending each
//!   128-byte record (the demo's format, verified by `keyfort demo verify`) to
//!   `transactions.bin`; after every Secure call it logs the registers the Secure side
//!   returned with (`REGS` lines of `ns.log`);
//! - `boundary`: every entry called with buffers in Secure memory, across it, wrapping
//!   around, absurdly long ([`boundary`]);
//! - `bench`: instructions per entry round trip and per DUKPT transaction through the
//!   boundary ([`bench`](mod@bench), `./x tz-bench`);
//! - `fault-read ADDR`, `fault-write ADDR`, `fault-jump ADDR`: a Non-secure load, store
//!   or jump at a Secure address ([`faults`]); the Secure fault handler reports it.
//!
//! Its log goes to the host file `ns.log` (the console carries the Secure image's defmt
//! log).
#![no_std]
#![no_main]

use defmt as _;

#[allow(unsafe_code)]
// Non-secure side of the boundary tests: raw reads of Secure addresses, semihosting (each block says why it is sound)
mod bench;
mod boundary;
#[allow(unsafe_code)]
// Non-secure side of the boundary tests: raw reads of Secure addresses, semihosting (each block says why it is sound)
mod faults;
#[allow(unsafe_code)]
// Non-secure side of the boundary tests: raw reads of Secure addresses, semihosting (each block says why it is sound)
mod log;
mod terminal;

/// Exit status of a terminal without keys (as the demo's terminal).
pub use keyfort_testkit::demo::EXIT_NO_KEYS;

#[cortex_m_rt::entry]
fn main() -> ! {
    let mut mode = [0u8; 64];
    let n = log::read_host_file(c"tz-mode", &mut mode).unwrap_or(0);
    let mode = core::str::from_utf8(mode.get(..n).unwrap_or(&[]))
        .unwrap_or("")
        .trim();
    let mut words = mode.split_whitespace();
    let status = match words.next().unwrap_or("demo") {
        "demo" => terminal::run(),
        "boundary" => boundary::run(),
        "bench" => bench::run(),
        f @ ("fault-read" | "fault-write" | "fault-jump") => {
            let addr = words
                .next()
                .and_then(|a| u32::from_str_radix(a.trim_start_matches("0x"), 16).ok())
                .unwrap_or(0);
            faults::run(f, addr)
        }
        other => {
            log::line(format_args!("ns: unknown mode {other}"));
            1
        }
    };
    semihosting::process::exit(status)
}

/// A panic here (the panic handler is keyfort-capi's, linked for its types, which calls
/// this): logged, the run ends.
#[allow(unsafe_code)] // the hook keyfort-capi's panic handler calls, by its C name
#[no_mangle]
extern "C" fn keyfort_capi_on_panic() -> ! {
    log::line(format_args!("ns: PANIC"));
    semihosting::process::exit(101)
}
