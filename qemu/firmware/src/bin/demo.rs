//! Demo: wraps a fresh key with AES-KW (RFC 3394) under a key-encryption key, unwraps it,
//! checks that it came back, and shows that a tampered wrapped key is refused.
//! Prints what it did; never prints a plaintext key or the KEK.
#![no_std]
#![no_main]

use keyfort::rng::{Csprng, MinEntropy};
use keyfort::wrap::{kw_unwrap, kw_wrap, Kek, WrapError};
use keyfort_firmware::board::{self, Board};

/// A 16-byte data key, wrapped to 24 bytes.
const KEY_LEN: usize = 16;
const WRAPPED_LEN: usize = KEY_LEN + 8;

#[cortex_m_rt::entry]
fn main() -> ! {
    let m = board::MACHINE;
    defmt::println!("== keyfort demo on {=str} ({=str}) ==", m.name, m.core);
    match run() {
        Ok(()) => {
            defmt::println!("demo: done");
            board::exit(0)
        }
        Err(what) => {
            defmt::println!("demo FAILED: {=str}", what);
            board::exit(board::EXIT_FAILED)
        }
    }
}

fn run() -> Result<(), &'static str> {
    let board = Board::take().map_err(|_| "board setup (device directory not provisioned?)")?;

    // keyfort's CSPRNG (HMAC-DRBG) seeded from the board's raw entropy, which first passes
    // the SP 800-90B start-up and continuous health tests.
    let mut rng = Csprng::new(board.entropy, MinEntropy::default(), b"keyfort demo")
        .map_err(|_| "entropy source failed its health tests")?;
    defmt::println!(
        "1. seeded keyfort's HMAC-DRBG from the board's entropy source (health tests passed)"
    );

    // The KEK: a fresh AES-256 key. (The key store derives its KEK from the device secret.)
    let mut kek_bytes = [0u8; 32];
    rng.try_generate(&mut kek_bytes, &[])
        .map_err(|_| "CSPRNG failed")?;
    let kek = keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&kek_bytes)
        .map_err(keyfort::wrap::WrapError::from)
        .and_then(|k| Kek::new(&k))
        .map_err(|_| "KEK rejected");
    kek_bytes.fill(0);
    let kek = kek?;
    defmt::println!(
        "2. generated a {=usize}-bit key-encryption key (KEK)",
        kek.key_len() * 8
    );

    let mut key = [0u8; KEY_LEN];
    rng.try_generate(&mut key, &[])
        .map_err(|_| "CSPRNG failed")?;
    defmt::println!(
        "3. generated a {=usize}-byte data key (not shown: plaintext keys are never logged)",
        KEY_LEN
    );

    let mut wrapped = [0u8; WRAPPED_LEN];
    let n = kw_wrap(&kek, &key, &mut wrapped).map_err(|_| "wrap failed")?;
    let mut text = [0u8; 2 * WRAPPED_LEN];
    defmt::println!(
        "4. wrapped it with AES-KW (RFC 3394): {=usize} bytes, safe to store: {=str}",
        n,
        keyfort_testkit::hex::encode_into(&wrapped[..n], &mut text)
    );

    let mut back = [0u8; KEY_LEN];
    let m = kw_unwrap(&kek, &wrapped[..n], &mut back).map_err(|_| "unwrap failed")?;
    let same = m == KEY_LEN && back == key;
    back.fill(0);
    if !same {
        key.fill(0);
        return Err("unwrapped key differs from the original");
    }
    defmt::println!(
        "5. unwrapped it: integrity check passed, {=usize} bytes, equal to the original",
        m
    );

    wrapped[5] ^= 0x01;
    let tampered = kw_unwrap(&kek, &wrapped[..n], &mut back);
    key.fill(0);
    match tampered {
        Err(WrapError::Integrity) if back == [0u8; KEY_LEN] => {
            defmt::println!("6. flipped one bit of the wrapped key: unwrap refused it (Integrity), output buffer zeroed");
            Ok(())
        }
        Err(_) => Err("tampered unwrap failed with the wrong error or left data"),
        Ok(_) => Err("tampered wrapped key was accepted"),
    }
}
