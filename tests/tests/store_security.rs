//! Attacks on the flash image: raw dumps, moved/copied/foreign records, rollback, bit
//! flips, truncation. Every outcome must be a typed error or the exact right keys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::integer_division_remainder_used
)]
mod store_common;

use keyfort::attributes::{Algorithm, Usage};
use keyfort::platform::NoCounter;
use keyfort::store::mock_flash::MockFlash;
use keyfort::store::{Error, KeyHandle, KeyStore};
use store_common::*;

const SECTOR: usize = 2048;
type Flash = MockFlash<{ 4 * SECTOR }, SECTOR>;
type Store<C> = KeyStore<Flash, Dev, TestRng, C>;

const K1: [u8; 16] = [
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xF0, 0x01,
];
const K2: [u8; 32] = [0xC3; 32];
const K3: [u8; 24] = *b"twenty-four-byte-key-3!!";
const STATE: &[u8] = b"DUKPT terminal state: KSN FFFF9876543210E00001, registers...";

fn populate<C: keyfort::platform::MonotonicCounter>(s: &mut Store<C>) {
    s.import(
        1,
        b"key-A",
        Algorithm::Aes128,
        Usage::ENCRYPT | Usage::DECRYPT,
        &K1,
        None,
    )
    .unwrap();
    s.import(2, b"key-B", Algorithm::Aes256, Usage::DECRYPT, &K2, None)
        .unwrap();
    s.import(3, b"key-C", Algorithm::Tdes3, Usage::MAC_VERIFY, &K3, None)
        .unwrap();
    s.put_state(9, STATE).unwrap();
}

fn fresh(dev: [u8; 32]) -> Store<NoCounter> {
    let mut s = Store::format(Flash::new(), Dev(dev), TestRng(3), NoCounter).unwrap();
    populate(&mut s);
    s
}

fn reopen<C: keyfort::platform::MonotonicCounter>(
    f: Flash,
    dev: [u8; 32],
    c: C,
) -> Result<Store<C>, Error> {
    Store::open(f, Dev(dev), TestRng(99), c)
}

/// Offset of the record header whose label is `label` (labels are plaintext metadata).
fn record_of(img: &[u8], label: &[u8]) -> usize {
    let pos = img
        .windows(label.len())
        .rposition(|w| w == label)
        .expect("label on flash");
    pos - 44
}

/// Reads every key the store has; panics on a wrong key.
fn assert_keys_right_or_error<C: keyfort::platform::MonotonicCounter>(s: &mut Store<C>) -> usize {
    let mut ok = 0;
    for (id, need, want) in [
        (1u16, Usage::DECRYPT, &K1[..]),
        (2, Usage::DECRYPT, &K2[..]),
        (3, Usage::MAC_VERIFY, &K3[..]),
    ] {
        if let Ok(b) = s.with_key(KeyHandle::newest(id), need, |k| k.to_vec()) {
            assert_eq!(b, want, "wrong key {id} returned");
            ok += 1;
        }
    }
    let mut buf = [0u8; 128];
    if let Ok(n) = s.get_state(9, &mut buf) {
        assert_eq!(&buf[..n], STATE, "wrong state returned");
    }
    ok
}

#[test]
fn raw_dump_contains_no_key_bytes() {
    let mut s = fresh(DEV_A);
    let g = s
        .generate(4, b"gen", Algorithm::Aes256, Usage::ENCRYPT, None)
        .unwrap();
    let gk = s.with_key(g, Usage::ENCRYPT, |k| k.to_vec()).unwrap();
    s.rotate(1).unwrap();
    let img = s.flash().as_bytes().to_vec();
    let mut hits = 0;
    for key in [&K1[..], &K2[..], &K3[..], &gk[..], STATE] {
        // Any 8-byte window of a key or of the state.
        for w in key.windows(8) {
            if contains(&img, w) {
                hits += 1;
            }
        }
    }
    println!(
        "store raw dump: {} bytes scanned, key/state windows found: {hits}",
        img.len()
    );
    assert_eq!(hits, 0);
    // The scan works: a plaintext copy would be found.
    let mut planted = img.clone();
    planted[100..116].copy_from_slice(&K1);
    assert!(contains(&planted, &K1[..8]));
}

#[test]
fn record_moved_relabelled_or_repolicied_is_rejected() {
    for (field, delta) in [(8usize, 5u8), (44, 1), (12, 0x80), (14, 1), (10, 1)] {
        // 8: key id (moved to another slot), 44: label, 12: usage, 14: state, 10: version
        let s = fresh(DEV_A);
        let mut f = s.into_flash();
        let r = record_of(f.as_bytes(), b"key-A");
        f.as_bytes_mut()[r + field] ^= delta;
        assert_eq!(
            reopen(f, DEV_A, NoCounter).err(),
            Some(Error::Corrupt),
            "field {field}"
        );
    }
}

#[test]
fn record_copied_elsewhere_is_rejected() {
    let s = fresh(DEV_A);
    let mut f = s.into_flash();
    let img = f.as_bytes().to_vec();
    let r = record_of(&img, b"key-A");
    let len = u16::from_le_bytes([img[r], img[r + 1]]) as usize;
    // Append a verbatim copy of the record after the last one (a replay).
    let end = (r..img.len() - 16)
        .step_by(16)
        .find(|&o| img[o..(o + 64).min(img.len())].iter().all(|&b| b == 0xFF))
        .unwrap();
    f.as_bytes_mut()[end..end + len].copy_from_slice(&img[r..r + len]);
    assert_eq!(reopen(f, DEV_A, NoCounter).err(), Some(Error::Corrupt));
}

#[test]
fn other_devices_image_and_records_are_rejected() {
    // The whole image of device B, opened on device A.
    let b = fresh(DEV_B);
    let fb = b.into_flash();
    assert_eq!(
        reopen(Flash::new(), DEV_A, NoCounter).err(),
        Some(Error::NotFormatted)
    );
    let img_b = fb.as_bytes().to_vec();
    assert_eq!(reopen(fb, DEV_A, NoCounter).err(), Some(Error::RootAuth));
    // Device B's record for key A, spliced into device A's image at the same place.
    let a = fresh(DEV_A);
    let mut fa = a.into_flash();
    let ra = record_of(fa.as_bytes(), b"key-A");
    let rb = record_of(&img_b, b"key-A");
    assert_eq!(ra, rb, "same layout on both devices");
    fa.as_bytes_mut()[ra..ra + 128].copy_from_slice(&img_b[rb..rb + 128]);
    assert_eq!(reopen(fa, DEV_A, NoCounter).err(), Some(Error::Corrupt));
}

#[test]
fn rolled_back_image_detected_with_counter() {
    let c = SharedCounter::default();
    let mut s = Store::format(Flash::new(), Dev(DEV_A), TestRng(3), c.clone()).unwrap();
    populate(&mut s);
    let old = s.flash().as_bytes().to_vec();
    s.revoke(1, 1).unwrap();
    let mut f = s.into_flash();
    // The current image opens; the saved older one (key 1 still active) does not.
    let s = reopen(f, DEV_A, c.clone()).unwrap();
    f = s.into_flash();
    f.as_bytes_mut().copy_from_slice(&old);
    assert_eq!(reopen(f, DEV_A, c.clone()).err(), Some(Error::RolledBack));
    // Without a counter the same rollback is NOT detected (documented limitation).
    let mut s = fresh(DEV_A);
    let old = s.flash().as_bytes().to_vec();
    s.revoke(1, 1).unwrap();
    let mut f = s.into_flash();
    f.as_bytes_mut().copy_from_slice(&old);
    let mut s = reopen(f, DEV_A, NoCounter).unwrap();
    assert!(s
        .with_key(KeyHandle::newest(1), Usage::DECRYPT, |_| ())
        .is_ok());
}

#[test]
fn every_single_bit_flip_is_caught_or_harmless() {
    let s = fresh(DEV_A);
    let img = s.into_flash().as_bytes().to_vec();
    let (mut errors, mut harmless) = (0u32, 0u32);
    let mut kinds = std::collections::BTreeMap::new();
    for pos in 0..img.len() {
        let mut f = Flash::new();
        f.as_bytes_mut().copy_from_slice(&img);
        f.as_bytes_mut()[pos] ^= 1 << (pos % 8);
        match reopen(f, DEV_A, NoCounter) {
            Err(e) => {
                errors += 1;
                *kinds.entry(format!("{e:?}")).or_insert(0u32) += 1;
            }
            Ok(mut s) => {
                // Opened: then every key it gives must be exactly right.
                assert_keys_right_or_error(&mut s);
                harmless += 1;
            }
        }
    }
    println!("store bit flips: {} positions, detected {errors} ({kinds:?}), opened with correct keys {harmless}, wrong keys 0", img.len());
    assert!(errors > 0);
}

#[test]
fn truncated_records_give_typed_errors() {
    // Truncating the newest record (erasing its tail) with a counter: rollback detected.
    let c = SharedCounter::default();
    let mut s = Store::format(Flash::new(), Dev(DEV_A), TestRng(3), c.clone()).unwrap();
    populate(&mut s);
    let mut f = s.into_flash();
    let img = f.as_bytes().to_vec();
    let last = record_of(&img, b"key-C");
    let len = u16::from_le_bytes([img[last], img[last + 1]]) as usize;
    // Record after key-C is the state record; truncate it (tag + commit erased).
    let st = last + len;
    let slen = u16::from_le_bytes([img[st], img[st + 1]]) as usize;
    f.as_bytes_mut()[st + slen - 32..st + slen].fill(0xFF);
    assert_eq!(reopen(f, DEV_A, c.clone()).err(), Some(Error::RolledBack));
    // Truncating a record in the middle of the log: corrupt.
    let s = fresh(DEV_A);
    let mut f = s.into_flash();
    let r = record_of(f.as_bytes(), b"key-B");
    f.as_bytes_mut()[r + 128 - 32..r + 128].fill(0xFF);
    assert_eq!(reopen(f, DEV_A, NoCounter).err(), Some(Error::Corrupt));
    // Cutting the image short (the last data sector blanked away is not the current one:
    // erase the current one instead) -> typed error, never a panic.
    let s = fresh(DEV_A);
    let mut f = s.into_flash();
    let r = record_of(f.as_bytes(), b"key-A");
    let base = r / SECTOR * SECTOR;
    f.as_bytes_mut()[base + SECTOR / 2..base + SECTOR].fill(0x00);
    assert_eq!(reopen(f, DEV_A, NoCounter).err(), Some(Error::Corrupt));
}

/// A counter whose next increment fails (the hardware refused), shared state otherwise.
struct FailingCounter(SharedCounter);
impl keyfort::platform::MonotonicCounter for FailingCounter {
    fn read(&mut self) -> Result<u32, keyfort::platform::CounterError> {
        self.0.read()
    }
    fn increment(&mut self) -> Result<u32, keyfort::platform::CounterError> {
        Err(keyfort::platform::CounterError::Hardware)
    }
}

#[test]
fn counter_failures_and_counter_ahead() {
    use keyfort::platform::MonotonicCounter;
    let c = SharedCounter::default();
    let mut s = Store::format(Flash::new(), Dev(DEV_A), TestRng(3), c.clone()).unwrap();
    populate(&mut s);
    let f = s.into_flash();
    // The increment after a committed record fails: the op reports it, the store wants a
    // re-open, and the re-open (with a working counter) finishes the increment.
    let mut s = reopen(f, DEV_A, FailingCounter(c.clone())).unwrap();
    assert_eq!(s.revoke(1, 1), Err(Error::Counter));
    assert_eq!(s.revoke(2, 1), Err(Error::NeedsReopen));
    let before = c.0.get();
    let mut s = reopen(s.into_flash(), DEV_A, c.clone()).unwrap();
    assert_eq!(c.0.get(), before + 1);
    assert_eq!(
        s.with_key(KeyHandle::newest(1), Usage::DECRYPT, |_| ()),
        Err(Error::Revoked)
    );
    // An image bound to a counter ahead of the hardware's.
    let f = s.into_flash();
    let mut behind = SharedCounter::default();
    for _ in 0..before.saturating_sub(3) {
        behind.increment().unwrap();
    }
    assert_eq!(reopen(f, DEV_A, behind).err(), Some(Error::CounterAhead));
}
