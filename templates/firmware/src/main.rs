//! A keyfort firmware to copy: a sealed key store on the board's flash, created on the
//! first boot and opened on every later one; a MAC key generated once and used.
//!
//! Every boot prints the MAC of a fixed message under the stored key (a public value, like
//! a key check value): the same line after a reboot shows the key survived it.
//!
//! Build and run: `cargo run --release` from this directory (QEMU + defmt-print), or from
//! a keyfort checkout `./x run --elf target/thumbv7m-none-eabi/release/keyfort-firmware-template
//! --board mps2-an385`. See docs/firmware.md.
#![no_std]
#![no_main]

use keyfort::attributes::{Algorithm, MacAlgorithm, Usage};
use keyfort::key::{Cmac, MacGenerate};
use keyfort::rng::{Csprng, MinEntropy};
use keyfort::store::{KeyHandle, KeyStore};
use keyfort::transaction::mac::aes_cmac;
use keyfort_board_qemu::{exit, Board, Store, EXIT_FAILED, MACHINE};

/// This firmware's MAC key in the store.
const MAC_KEY: u16 = 1;

#[cortex_m_rt::entry]
fn main() -> ! {
    defmt::println!("firmware on {=str} ({=str})", MACHINE.name, MACHINE.core);
    // The sealed store, from the board's peripherals: opened every boot, formatted on the
    // first. The store borrows them; `board` keeps them.
    let Ok(mut board) = Board::take() else {
        fail("board setup (no device-secret.bin in the device directory?)")
    };
    let Ok(rng) = Csprng::new(&mut board.entropy, MinEntropy::Bits8, b"my-firmware") else {
        fail("entropy source failed its health test")
    };
    let flash = &mut board.flash;
    let mut store =
        match KeyStore::open_or_format((flash, &board.device_secret, rng, &mut board.counter)) {
            Ok(store) => store,
            Err(e) => {
                // A damaged or tampered store is never formatted behind your back.
                defmt::println!("store: {}", e);
                fail("store did not open")
            }
        };
    match run(&mut store) {
        Ok(()) => exit(0),
        Err(e) => {
            defmt::println!("store: {}", e);
            fail("store operation failed")
        }
    }
}

/// The application: a helper names the store's type with the board's `Store` alias.
fn run(store: &mut Store<'_>) -> Result<(), keyfort::store::Error> {
    if store.inventory().any(|k| k.id == MAC_KEY) {
        defmt::println!("store opened: key {=u16} is there", MAC_KEY);
    } else {
        // A MAC key bound to one algorithm (CMAC), both modes.
        let usage = Usage::mac_generate(MacAlgorithm::Cmac) | Usage::mac_verify(MacAlgorithm::Cmac);
        store.generate(MAC_KEY, b"app-mac", Algorithm::Aes128, usage, None)?;
        defmt::println!("first boot: generated key {=u16}", MAC_KEY);
    }
    // The key exists in plain only inside this closure, in a buffer wiped afterwards,
    // admitted as a CMAC generation key (its stored usage and algorithm checked).
    let handle = KeyHandle::newest(MAC_KEY);
    let mac = store.with_typed_key::<MacGenerate<Cmac>, _>(handle, |key| {
        aes_cmac(key, b"keyfort firmware template")
    })?;
    // aes_cmac fails only on a key that is not AES.
    let Ok(tag) = mac else { fail("MAC") };
    let head = u32::from_be_bytes([tag[0], tag[1], tag[2], tag[3]]);
    defmt::println!("MAC of the test message: {=u32:08x}...", head);
    Ok(())
}

fn fail(what: &str) -> ! {
    defmt::println!("FAILED: {=str}", what);
    exit(EXIT_FAILED)
}
