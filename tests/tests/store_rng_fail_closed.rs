//! The key store fails closed when its random number generator fails: once the entropy
//! source is stuck (its SP 800-90B health test trips at the next reseed), generate,
//! rotate and the re-masking of the sealing keys return `Error::Rng`, no key is created,
//! and the keys already stored survive (a re-open with a working generator has them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::cast_possible_truncation)]
mod store_common;

use std::cell::Cell;
use std::rc::Rc;

use keyfort::attributes::{Algorithm, Usage};
use keyfort::platform::NoCounter;
use keyfort::rng::{Csprng, FailClosed, HealthTest, MinEntropy, RngError};
use keyfort::store::mock_flash::MockFlash;
use keyfort::store::{Error, KeyHandle, KeyStore};
use rand_core::{TryCryptoRng, TryRng};
use store_common::*;

type Flash = MockFlash<{ 4 * 2048 }, 2048>;

/// A raw entropy source: SplitMix64 bytes (passes the health tests) until `stuck` is
/// set, then the same byte forever (a stuck ring oscillator).
struct Source {
    stuck: Rc<Cell<bool>>,
    s: u64,
}
impl TryRng for Source {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for d in dst {
            *d = if self.stuck.get() {
                0x5A
            } else {
                self.s = self.s.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = self.s;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                (z ^ (z >> 31)) as u8
            };
        }
        Ok(())
    }
}
impl TryCryptoRng for Source {}

/// The generator the store gets: a health-tested HMAC-DRBG reseeding every 4 requests.
fn drbg(stuck: &Rc<Cell<bool>>, seed: u64) -> Csprng<Source> {
    let src = Source {
        stuck: stuck.clone(),
        s: seed,
    };
    let mut rng = Csprng::new(src, MinEntropy::Bits8, b"store fail-closed test").unwrap();
    rng.set_reseed_interval(4);
    rng
}

type Store = KeyStore<Flash, Dev, FailClosed<Source>, NoCounter>;

fn populated(stuck: &Rc<Cell<bool>>) -> Store {
    let mut s = Store::format(
        Flash::new(),
        Dev(DEV_A),
        drbg(stuck, 1).fail_closed(),
        NoCounter,
    )
    .unwrap();
    s.import(
        1,
        b"k1",
        Algorithm::Aes128,
        Usage::ENCRYPT,
        &[0x11; 16],
        None,
    )
    .unwrap();
    s.generate(2, b"k2", Algorithm::Aes256, Usage::ENCRYPT, None)
        .unwrap();
    s
}

#[test]
fn generate_rotate_and_remask_refuse_once_the_entropy_source_fails() {
    let stuck = Rc::new(Cell::new(false));
    let mut s = populated(&stuck);
    let k2 = s
        .with_key(KeyHandle::newest(2), Usage::ENCRYPT, |k| k.to_vec())
        .unwrap();
    stuck.set(true);
    // Whichever request first needs the reseed is refused, and all later ones.
    assert_eq!(
        s.generate(3, b"k3", Algorithm::Aes256, Usage::ENCRYPT, None),
        Err(Error::Rng)
    );
    assert!(s
        .generate(4, b"k4", Algorithm::Aes128, Usage::ENCRYPT, None)
        .is_err());
    assert!(s.rotate(1).is_err());
    // Re-masking the sealing keys (every record read or write) is refused too.
    assert!(matches!(
        s.with_key(KeyHandle::newest(1), Usage::ENCRYPT, |_| ()),
        Err(Error::Rng | Error::NeedsReopen)
    ));
    let ids: Vec<_> = s.inventory().map(|k| (k.id, k.version)).collect();
    assert_eq!(ids, [(1, 1), (2, 1)], "no key created");
    // Nothing was created on flash, nothing stored was lost.
    let ok = Rc::new(Cell::new(false));
    let mut s = Store::open(
        s.into_flash(),
        Dev(DEV_A),
        drbg(&ok, 9).fail_closed(),
        NoCounter,
    )
    .unwrap();
    let ids: Vec<_> = s.inventory().map(|k| (k.id, k.version)).collect();
    assert_eq!(ids, [(1, 1), (2, 1)], "no key created on flash");
    let got = s
        .with_key(KeyHandle::newest(1), Usage::ENCRYPT, |k| k.to_vec())
        .unwrap();
    assert_eq!(got, [0x11; 16]);
    let got = s
        .with_key(KeyHandle::newest(2), Usage::ENCRYPT, |k| k.to_vec())
        .unwrap();
    assert_eq!(got, k2);
    // The store is usable again with a working generator.
    s.generate(3, b"k3", Algorithm::Aes256, Usage::ENCRYPT, None)
        .unwrap();
}

#[test]
fn a_store_cannot_be_formatted_or_opened_on_a_failed_generator() {
    let stuck = Rc::new(Cell::new(false));
    let s = populated(&stuck);
    let f = s.into_flash();
    // The generator is healthy at instantiate, then the source sticks: opening needs
    // fresh masks for the sealing keys and is refused.
    let rng = drbg(&stuck, 3).fail_closed();
    stuck.set(true);
    assert_eq!(
        Store::open(f, Dev(DEV_A), rng, NoCounter).err(),
        Some(Error::Rng)
    );
}

/// Controls: the stuck source really trips the health test at the reseed (so the
/// refusals above come from it), and the plain `Csprng`'s infallible path is the one
/// that would keep generating: a store given it generates after the failure.
#[test]
fn control_stuck_source_trips_the_health_test_and_the_infallible_path_keeps_going() {
    let stuck = Rc::new(Cell::new(false));
    let mut rng = drbg(&stuck, 5).fail_closed();
    let mut b = [0u8; 16];
    rng.try_fill_bytes(&mut b).unwrap();
    stuck.set(true);
    let mut refused = None;
    for _ in 0..8 {
        if let Err(e) = rng.try_fill_bytes(&mut b) {
            refused = Some(e);
            break;
        }
    }
    assert_eq!(
        refused,
        Some(RngError::HealthTestFailed(HealthTest::RepetitionCount))
    );
    assert_eq!(b, [0u8; 16], "no output on refusal");
    assert!(rng.try_fill_bytes(&mut b).is_err(), "stays refused");

    let stuck = Rc::new(Cell::new(false));
    let mut s = KeyStore::format(Flash::new(), Dev(DEV_A), drbg(&stuck, 6), NoCounter).unwrap();
    stuck.set(true);
    assert!(s
        .generate(3, b"k3", Algorithm::Aes256, Usage::ENCRYPT, None)
        .is_ok());
}
