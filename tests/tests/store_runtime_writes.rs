//! An attacker who writes the flash while the device runs (external SPI flash, an
//! interposer) changes a sealed record's ciphertext after the store has verified it. The
//! store must never make such a change authentic (compaction, revoke and use counting
//! carry ciphertext into new records) and never decrypt bytes other than the ones it
//! verified. Each attack: refused with a typed error (or defeated: the verified copy is
//! used), the key never released altered, and after a reboot on the original bytes the
//! store still holds the original key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::cast_possible_truncation)]
mod store_common;

use keyfort::attributes::{Algorithm, Usage};
use keyfort::platform::NoCounter;
use keyfort::store::{Error, KeyHandle, KeyStore};
use keyfort_testkit::MockFlash;
use store_common::*;

const SECTOR: usize = 2048;
type Flash = MockFlash<{ 4 * SECTOR }, SECTOR>;
type Store = KeyStore<(Flash, Dev, TestRng, NoCounter)>;

const K1: [u8; 16] = *b"sixteen-byte-k1!";
const K2: [u8; 32] = [0x5C; 32];
const K3: [u8; 16] = [0x33; 16];
const STATE: &[u8] = b"DUKPT terminal state: KSN FFFF9876543210E00001, 32 future-key registers";
/// The attacker's change: one bit of the first body unit (CTR: one bit of the key).
const FLIP: [u8; 16] = [0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

const KIND_KEY: u8 = 1;
const KIND_STATE: u8 = 2;

/// A store with key 1 (plain), key 2 (use limit 5), key 3 (to destroy) and state 9,
/// opened again (the attacker strikes after open).
fn opened() -> Store {
    let mut s = Store::format((Flash::new(), Dev(DEV_A), TestRng(3), NoCounter)).unwrap();
    let ed = Usage::ENCRYPT | Usage::DECRYPT;
    s.import(1, b"k1", Algorithm::Aes128, ed, &K1, None)
        .unwrap();
    s.import(2, b"k2", Algorithm::Aes256, Usage::DECRYPT, &K2, Some(5))
        .unwrap();
    s.import(3, b"k3", Algorithm::Aes128, ed, &K3, None)
        .unwrap();
    s.put_state(9, STATE).unwrap();
    reopen(s.into_flash())
}

fn reopen(f: Flash) -> Store {
    Store::open((f, Dev(DEV_A), TestRng(77), NoCounter)).unwrap()
}

/// The flash offset of the body of the newest committed record `(kind, slot)`: walks the
/// sectors' records by their length words (the layout is public; nothing is decrypted).
fn body_of(img: &[u8], kind: u8, slot: u16) -> usize {
    let mut best: Option<(u32, usize)> = None;
    for base in (SECTOR..img.len()).step_by(SECTOR) {
        let mut off = base + 64;
        while off + 112 <= base + SECTOR {
            let len = u16::from_le_bytes([img[off], img[off + 1]]);
            let inv = u16::from_le_bytes([img[off + 2], img[off + 3]]);
            if len != !inv || len < 112 {
                break;
            }
            let len = usize::from(len);
            let committed = img[off + len - 16..off + len] != [0xFF; 16];
            let seq = u32::from_le_bytes(img[off + 40..off + 44].try_into().unwrap());
            if committed
                && img[off + 4] == kind
                && u16::from_le_bytes([img[off + 8], img[off + 9]]) == slot
                && best.is_none_or(|(s, _)| seq > s)
            {
                best = Some((seq, off + 80));
            }
            off += len;
        }
    }
    best.expect("record on flash").1
}

/// XORs `FLIP` into the body of record `(kind, slot)` behind the store's back (before the
/// store's next flash call: what it sees is what it would see had the attacker written
/// now); returns the offset and the original 16 bytes.
fn strike(s: &mut Store, kind: u8, slot: u16) -> (usize, [u8; 16]) {
    let off = body_of(s.flash().as_bytes(), kind, slot);
    let orig: [u8; 16] = s.flash().as_bytes()[off..off + 16].try_into().unwrap();
    s.flash().xor_before_next_call(off as u32, FLIP);
    (off, orig)
}

/// Reboots on the original bytes: the attacker's change undone.
fn reboot_restored(s: Store, (off, orig): (usize, [u8; 16])) -> Store {
    let mut f = s.into_flash();
    assert!(f.tamper_done(), "the attacker struck");
    f.as_bytes_mut()[off..off + 16].copy_from_slice(&orig);
    reopen(f)
}

fn key(s: &mut Store, id: u16, need: Usage) -> Result<Vec<u8>, Error> {
    s.with_key(KeyHandle::newest(id), need, |k| k.to_vec())
}

fn state(s: &mut Store) -> Result<Vec<u8>, Error> {
    let mut b = [0u8; 128];
    s.get_state(9, &mut b).map(|n| b[..n].to_vec())
}

/// No read of key 1, key 2 or the state returns anything but the original.
fn never_altered(s: &mut Store) {
    if let Ok(k) = key(s, 1, Usage::DECRYPT) {
        assert_eq!(k, K1, "key 1 released altered");
    }
    if let Ok(st) = state(s) {
        assert_eq!(st, STATE, "state released altered");
    }
}

#[test]
fn compaction_never_reseals_a_body_changed_after_open() {
    for (kind, slot, what) in [(KIND_KEY, 1, "key 1"), (KIND_STATE, 9, "state 9")] {
        let mut s = opened();
        let hit = strike(&mut s, kind, slot);
        // Destroying key 3 compacts: every live record is copied into a new sector.
        assert_eq!(
            s.destroy(3, None),
            Err(Error::Corrupt),
            "{what}: compaction"
        );
        never_altered(&mut s);
        assert_eq!(key(&mut s, 1, Usage::DECRYPT), Err(Error::NeedsReopen));
        let mut s = reboot_restored(s, hit);
        assert_eq!(key(&mut s, 1, Usage::DECRYPT).unwrap(), K1, "{what}");
        assert_eq!(state(&mut s).unwrap(), STATE, "{what}");
        // The destroy had committed its record: the re-open finished it.
        assert_eq!(
            key(&mut s, 3, Usage::DECRYPT),
            Err(Error::Destroyed),
            "{what}"
        );
        // The store works on: another compaction, another reboot.
        s.destroy(2, None).unwrap();
        let mut s = reopen(s.into_flash());
        assert_eq!(key(&mut s, 1, Usage::DECRYPT).unwrap(), K1, "{what}");
        assert_eq!(state(&mut s).unwrap(), STATE, "{what}");
    }
}

#[test]
fn revoke_never_reseals_a_key_changed_after_open() {
    let mut s = opened();
    let hit = strike(&mut s, KIND_KEY, 1);
    assert_eq!(s.revoke(1, 1), Err(Error::Corrupt));
    never_altered(&mut s);
    let mut s = reboot_restored(s, hit);
    // Not revoked, and the original key.
    assert_eq!(key(&mut s, 1, Usage::ENCRYPT).unwrap(), K1);
    s.revoke(1, 1).unwrap();
    assert_eq!(key(&mut s, 1, Usage::ENCRYPT), Err(Error::Deactivated));
}

#[test]
fn use_counting_never_reseals_a_key_changed_after_open() {
    let mut s = opened();
    let hit = strike(&mut s, KIND_KEY, 2);
    let mut released = false;
    let r = s.with_key(KeyHandle::newest(2), Usage::DECRYPT, |_| released = true);
    assert_eq!(r, Err(Error::Corrupt));
    assert!(!released, "key 2 released after an unverified copy");
    let mut s = reboot_restored(s, hit);
    let info = s.inventory().find(|k| k.id == 2).unwrap();
    assert_eq!(info.uses, 0, "the refused use was not counted");
    assert_eq!(key(&mut s, 2, Usage::DECRYPT).unwrap(), K2);
    assert_eq!(s.inventory().find(|k| k.id == 2).unwrap().uses, 1);
}

#[test]
fn a_change_between_verify_and_decrypt_is_never_decrypted() {
    // The change lands right after the store's first read of the body unit: the store
    // must decrypt what it verified (the original), or refuse; a second read from flash
    // would decrypt the attacker's bytes. Key 1 (plain read), key 2 (counted use: copied,
    // then read from the new record; both units), the state record (caller's buffer).
    let cases: [(u8, u16, usize, &str); 4] = [
        (KIND_KEY, 1, 0, "key 1"),
        (KIND_KEY, 2, 0, "key 2, unit 0"),
        (KIND_KEY, 2, 16, "key 2, unit 1"),
        (KIND_STATE, 9, 32, "state 9, unit 2"),
    ];
    for (kind, slot, unit, what) in cases {
        let mut s = opened();
        let off = body_of(s.flash().as_bytes(), kind, slot) + unit;
        let orig: [u8; 16] = s.flash().as_bytes()[off..off + 16].try_into().unwrap();
        s.flash().xor_after_read(off as u32, FLIP, 1);
        let got = if kind == KIND_STATE {
            state(&mut s)
        } else {
            key(&mut s, slot, Usage::DECRYPT)
        };
        assert!(s.flash().tamper_done(), "{what}: the attacker struck");
        let want: &[u8] = match slot {
            1 => &K1,
            2 => &K2,
            _ => STATE,
        };
        match got {
            Ok(v) => assert_eq!(v, want, "{what}: released altered"),
            Err(e) => assert!(matches!(e, Error::Corrupt), "{what}: {e:?}"),
        }
        never_altered(&mut s);
        if slot != 2 {
            // The flash now holds the attacker's bytes: the next read refuses them.
            let again = if kind == KIND_STATE {
                state(&mut s)
            } else {
                key(&mut s, slot, Usage::DECRYPT)
            };
            assert_eq!(again, Err(Error::Corrupt), "{what}: second read");
        }
        // (Key 2: the counted use carried the verified units into a new record, which
        // the store reads from now on.)
        let mut s = reboot_restored(s, (off, orig));
        never_altered(&mut s);
        assert_eq!(key(&mut s, 1, Usage::DECRYPT).unwrap(), K1, "{what}");
        assert_eq!(key(&mut s, 2, Usage::DECRYPT).unwrap(), K2, "{what}");
        assert_eq!(state(&mut s).unwrap(), STATE, "{what}");
    }
}

/// Negative control: the walker finds the right bytes, and an unchanged store reads
/// back every original (so a refusal above is caused by the attacker's change).
#[test]
fn control_untouched_store_reads_back_and_the_strike_hits_the_record() {
    let mut s = opened();
    assert_eq!(key(&mut s, 1, Usage::DECRYPT).unwrap(), K1);
    assert_eq!(key(&mut s, 2, Usage::DECRYPT).unwrap(), K2);
    assert_eq!(state(&mut s).unwrap(), STATE);
    s.destroy(3, None).unwrap();
    s.revoke(1, 1).unwrap();
    // The strike lands in the record the store reads: the read is refused.
    let mut s = opened();
    strike(&mut s, KIND_STATE, 9);
    assert_eq!(state(&mut s), Err(Error::Corrupt));
}
