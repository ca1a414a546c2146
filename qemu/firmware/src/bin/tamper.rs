//! Tamper response across power cuts (`./x test memscan`;
//! host side in `xtask/src/memscan.rs`). One boot of a device that keeps its flash image,
//! counter and device secret in the device directory:
//!
//! 1. opens the key store (formats a blank flash) and prints its state;
//! 2. if the host file `populate` exists and the store is empty, imports the two TEST keys
//!    of `tamper-keys.bin` (2 x 32 bytes) as keys 1 and 2;
//! 3. if the tamper line is asserted, runs `tamper_wipe()` and wipes the free stack. If the
//!    host file `cut-ops` holds a number `n`, the flash probe parks the firmware right
//!    after the wipe's `n`-th flash operation (marker line: `board::probe::PARK_MARKER`) so
//!    the host can cut the power exactly there;
//! 4. prints the store state again (`store state: ...`) and exits.
//!
//! A boot after a cut shows, in step 1, that opening the store finished the wipe (open
//! reports it as `Error::TamperWiped`; the firmware then opens the empty store).
#![no_std]
#![no_main]

use embedded_hal::digital::InputPin;
use embedded_storage::nor_flash::ReadNorFlash;
use keyfort::attributes::{Algorithm, Usage};
use keyfort::rng::{Csprng, MinEntropy};
use keyfort::secret::Secret;
use keyfort::store::{AuditCode, Error as StoreError, KeyHandle};
use keyfort_firmware::board::{self, probe::ProbedFlash, Board};

type Store = keyfort_firmware::ProbedStore;

#[cortex_m_rt::entry]
fn main() -> ! {
    match run() {
        Ok(()) => board::exit(0),
        Err(what) => {
            defmt::println!("tamper FAILED: {=str}", what);
            board::exit(board::EXIT_FAILED)
        }
    }
}

fn run() -> Result<(), &'static str> {
    let b = Board::take().map_err(|_| "board setup (device directory not provisioned?)")?;
    let mut tamper = b.tamper;
    let mut flash = ProbedFlash::new(b.flash);
    let mut root = [0u8; 32];
    flash.read(0, &mut root).map_err(|_| "flash read")?;
    let rng = Csprng::new(b.entropy, MinEntropy::Bits8, b"keyfort tamper")
        .map_err(|_| "entropy source failed its health tests")?;
    let blank = root.iter().all(|&x| x == 0xFF);
    let opened = if blank {
        Store::format((flash, b.device_secret, rng, b.counter))
    } else {
        Store::open((flash, b.device_secret, rng, b.counter))
    };
    let mut store = match opened {
        Ok(s) => s,
        Err(StoreError::TamperWiped) => {
            // The open finished a wipe a power cut interrupted, and said so: every key
            // is gone. Open the empty store it left.
            defmt::println!("tamper: open finished an interrupted wipe");
            let b = Board::take().map_err(|_| "board setup")?;
            let rng = Csprng::new(b.entropy, MinEntropy::Bits8, b"keyfort tamper")
                .map_err(|_| "entropy source failed its health tests")?;
            Store::open((ProbedFlash::new(b.flash), b.device_secret, rng, b.counter))
                .map_err(|_| "key store: open after the wipe failed")?
        }
        Err(_) => return Err("key store: format/open failed"),
    };
    defmt::println!(
        "tamper: boot, store {=str}",
        if blank { "formatted" } else { "opened" }
    );
    report(&mut store);

    let mut probe = [0u8; 1];
    if board::read_host_file(c"populate", &mut probe).is_ok() && store.inventory().count() == 0 {
        let mut keys = Secret::<64>::zero();
        let n = board::read_host_file(c"tamper-keys.bin", keys.expose_mut())
            .map_err(|_| "cannot read tamper-keys.bin")?;
        if n != 64 {
            return Err("tamper-keys.bin must hold 64 bytes");
        }
        let usage = Usage::ENCRYPT | Usage::DECRYPT;
        let (k1, k2) = keys.expose().split_at(32);
        store
            .import(1, b"tamper-1", Algorithm::Aes256, usage, k1, None)
            .map_err(|_| "import 1")?;
        store
            .import(2, b"tamper-2", Algorithm::Aes256, usage, k2, None)
            .map_err(|_| "import 2")?;
        defmt::println!("tamper: populated");
        report(&mut store);
    }

    if tamper.is_high().unwrap_or(true) {
        let mut digits = [0u8; 6];
        let n = board::read_host_file(c"cut-ops", &mut digits).unwrap_or(0);
        let cut = parse_u32(digits.get(..n).unwrap_or(&[]));
        store.flash().park_after(cut);
        defmt::println!("tamper: line asserted, wiping");
        store.tamper_wipe().map_err(|_| "tamper_wipe failed")?;
        let freed = board::ram::wipe_free_stack();
        defmt::println!(
            "tamper: wipe complete ({=u32} flash operations, {=u32} sectors erased); {=usize} bytes of free stack overwritten",
            store.flash().ops(),
            store.flash().erased_sectors(),
            freed
        );
        report(&mut store);
    }
    Ok(())
}

fn parse_u32(s: &[u8]) -> Option<u32> {
    let s = s.strip_suffix(b"\n").unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit()
            .then(|| acc.checked_mul(10)?.checked_add(u32::from(c - b'0')))
            .flatten()
    })
}

/// The line the host checks: key versions, whether key 1 still opens, the last audit event.
fn report(store: &mut Store) {
    let keys = store.inventory().count();
    let key1 = match store.with_key(KeyHandle::newest(1), Usage::DECRYPT, |_| ()) {
        Ok(()) => "usable",
        Err(StoreError::NotFound) => "NotFound",
        Err(_) => "other error",
    };
    defmt::println!(
        "store state: {=usize} key versions, key 1: {=str}, last audit event: {=str}",
        keys,
        key1,
        match store.audit().last().map(|e| e.code) {
            Some(AuditCode::TamperWipe) => "TamperWipe",
            Some(AuditCode::Formatted) => "Formatted",
            Some(AuditCode::Imported) => "Imported",
            Some(_) => "other",
            None => "none",
        }
    );
}
