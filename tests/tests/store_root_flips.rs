//! One flipped bit in the root sector must never silently erase every key: a campaign
//! over every bit of the root header and the first three salt slots (the live slot, the
//! never-used next slots; and, after a wipe, the killed slot) of a populated store.
//! Each flip either opens the store with every key intact, or is a typed error after
//! which the flash still holds every key. A real tamper wipe (the kill marker programmed,
//! or a wipe cut by a power loss at any step) is still finished and is reported by
//! `open` as `Error::TamperWiped`, never as a silent `Ok`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::cast_possible_truncation)]
mod store_common;

use keyfort::attributes::{Algorithm, Usage};
use keyfort::store::{AuditCode, Error, KeyHandle, KeyStore};
use keyfort_testkit::MockFlash;
use std::collections::BTreeMap;
use store_common::*;

const SECTOR: usize = 2048;
type Flash = MockFlash<{ 4 * SECTOR }, SECTOR>;

/// Root header (32 bytes) and salt slots of 80 bytes (the live block is the last 16).
const ROOT_HDR: usize = 32;
const SLOT: usize = 80;
const SLOTS_CHECKED: usize = 3;

const KEYS: [(u16, [u8; 16]); 3] = [(1, [0x11; 16]), (2, [0x22; 16]), (3, [0x33; 16])];

fn populate(s: &mut KeyStore<(Flash, Dev, TestRng, SharedCounter)>) {
    for (id, k) in KEYS {
        s.import(
            id,
            b"root-flip",
            Algorithm::Aes128,
            Usage::DECRYPT,
            &k,
            None,
        )
        .unwrap();
    }
}

/// A populated store; `wiped_once`: after a tamper wipe (slot 0 killed, slot 1 live).
fn image(wiped_once: bool) -> (Flash, SharedCounter) {
    let c = SharedCounter::default();
    let mut s = KeyStore::format((Flash::new(), Dev(DEV_A), TestRng(5), c.clone())).unwrap();
    if wiped_once {
        populate(&mut s);
        s.tamper_wipe().unwrap();
    }
    populate(&mut s);
    (s.into_flash(), c)
}

/// A counter of its own at the value of `c` (each run starts from the image's value).
fn counter_at(c: &SharedCounter) -> SharedCounter {
    SharedCounter(std::rc::Rc::new(std::cell::Cell::new(c.0.get())), false)
}

/// Whether the store on `f` opens and holds every key with the right bytes.
fn all_keys(f: &mut Flash, c: &SharedCounter) -> Result<(), Error> {
    let mut s = KeyStore::open((f, Dev(DEV_A), TestRng(9), c.clone()))?;
    for (id, k) in KEYS {
        let got = s.with_key(KeyHandle::newest(id), Usage::DECRYPT, |b| b.to_vec())?;
        assert_eq!(got, k, "key {id} wrong");
    }
    assert_eq!(s.inventory().count(), KEYS.len());
    Ok(())
}

#[test]
fn one_flipped_root_bit_never_silently_erases_keys() {
    for wiped_once in [false, true] {
        let (img, c) = image(wiped_once);
        let bytes = ROOT_HDR + SLOTS_CHECKED * SLOT;
        let mut outcomes: BTreeMap<String, u32> = BTreeMap::new();
        for bit in 0..bytes * 8 {
            let mut f = Flash::new();
            f.as_bytes_mut().copy_from_slice(img.as_bytes());
            let c = counter_at(&c);
            f.as_bytes_mut()[bit / 8] ^= 1 << (bit % 8);
            let r = all_keys(&mut f, &c);
            let what = match r {
                Ok(()) => "opened with every key".to_string(),
                Err(Error::TamperWiped) => {
                    panic!("bit {bit} (wiped once: {wiped_once}): one flip wiped the store")
                }
                Err(e) => {
                    // Refused, and nothing was erased: with the bit restored, every key
                    // is there.
                    f.as_bytes_mut()[bit / 8] ^= 1 << (bit % 8);
                    all_keys(&mut f, &c).unwrap_or_else(|e2| {
                        panic!("bit {bit}: after {e:?}, restored image fails: {e2:?}")
                    });
                    format!("{e:?}")
                }
            };
            *outcomes.entry(what).or_default() += 1;
        }
        println!(
            "root-sector bit flips ({}): {} bits of the header and slots 0..{SLOTS_CHECKED}: {outcomes:?}; wiped: 0",
            if wiped_once { "after one wipe" } else { "fresh store" },
            bytes * 8
        );
        // Most flips (every live-block and unused-slot bit) open with every key.
        assert!(outcomes.get("opened with every key").copied().unwrap_or(0) > 1000);
    }
}

#[test]
fn a_programmed_kill_marker_is_a_reported_tamper_wipe() {
    // The negative control of the campaign above: the kill marker itself (the live
    // block programmed to zero, as `tamper_wipe` does first, or by an attacker) and a
    // kill that got half-way are wipes, reported as such.
    for zeroed in [16usize, 8] {
        let (mut f, c) = image(false);
        let live = ROOT_HDR + 64;
        f.as_bytes_mut()[live..live + zeroed].fill(0);
        let r = KeyStore::open((&mut f, Dev(DEV_A), TestRng(9), c.clone())).map(|_| ());
        assert_eq!(r, Err(Error::TamperWiped), "{zeroed} bytes of the kill");
        let s = KeyStore::open((&mut f, Dev(DEV_A), TestRng(10), c.clone())).unwrap();
        assert_eq!(s.inventory().count(), 0);
        assert_eq!(
            s.audit().last().map(|e| e.code),
            Some(AuditCode::TamperWipe)
        );
    }
    // A kill marker with less than half its bits: the wipe had not started.
    let (mut f, c) = image(false);
    let live = ROOT_HDR + 64;
    f.as_bytes_mut()[live..live + 2].fill(0);
    all_keys(&mut f, &c).unwrap();
}

#[test]
fn a_cut_tamper_wipe_is_finished_and_reported_by_open() {
    let (f0, c0) = image(false);
    // Uncut: how many cut points the wipe has.
    let mut f = Flash::new();
    f.as_bytes_mut().copy_from_slice(f0.as_bytes());
    let mut s = KeyStore::open((f, Dev(DEV_A), TestRng(9), counter_at(&c0))).unwrap();
    let st = s.flash().steps();
    s.tamper_wipe().unwrap();
    let steps = s.flash().steps() - st;
    let (mut intact, mut reported, mut committed) = (0, 0, 0);
    for k in 0..steps {
        let c = counter_at(&c0);
        let mut f = Flash::new();
        f.as_bytes_mut().copy_from_slice(f0.as_bytes());
        let mut s = KeyStore::open((f, Dev(DEV_A), TestRng(9), c.clone())).unwrap();
        s.flash().cut_after(k);
        s.flash().set_mix_seed(k as u32 * 7 + 1);
        assert_eq!(s.tamper_wipe(), Err(Error::Flash), "cut {k}");
        let mut f = s.into_flash();
        f.power_on();
        let r = KeyStore::open((&mut f, Dev(DEV_A), TestRng(k + 11), c.clone())).map(|_| ());
        match r {
            Ok(()) => {
                let s = KeyStore::open((&mut f, Dev(DEV_A), TestRng(k + 12), c.clone())).unwrap();
                if s.inventory().count() == 0 {
                    // The cut hit the commit block of the wipe's very last record: the
                    // wipe had committed (its caller got the error), the log says so.
                    assert_eq!(
                        s.audit().last().map(|e| e.code),
                        Some(AuditCode::TamperWipe),
                        "cut {k}"
                    );
                    committed += 1;
                    continue;
                }
                drop(s);
                // Cut before the kill got half-way: every key still there.
                all_keys(&mut f, &c).unwrap_or_else(|e| panic!("cut {k}: {e:?}"));
                intact += 1;
            }
            Err(Error::TamperWiped) => {
                let s = KeyStore::open((&mut f, Dev(DEV_A), TestRng(k + 12), c.clone()))
                    .unwrap_or_else(|e| panic!("cut {k}: second open {e:?}"));
                assert_eq!(s.inventory().count(), 0, "cut {k}");
                assert_eq!(
                    s.audit().last().map(|e| e.code),
                    Some(AuditCode::TamperWipe),
                    "cut {k}"
                );
                assert!(
                    !contains(f.as_bytes(), b"root-flip"),
                    "cut {k}: records left"
                );
                reported += 1;
            }
            Err(e) => panic!("cut {k}: {e:?}"),
        }
    }
    println!(
        "tamper wipe cut at each of its {steps} steps: store intact {intact} (kill not half-way), wipe finished and reported by open {reported}, wipe already committed {committed} (cut in its last commit block)"
    );
    assert!(intact > 0 && intact <= 16 && reported > 0 && committed <= 16);
    assert_eq!(intact + reported + committed, steps);
}
