//! The store's counter budget (the manual's "Rollback"): security events and the first
//! write after each open step the monotonic counter; other records (state writes: one
//! per DUKPT transaction) are chained under the current value; compaction steps it.
//! What a restored older image can and cannot roll back, at the window's edges.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]
mod store_common;

use keyfort::attributes::{Algorithm, Usage};
use keyfort::store::{Error, KeyHandle, KeyStore};
use keyfort_testkit::MockFlash;
use store_common::counter_steps::{counter_steps_per_op, counter_steps_table};
use store_common::*;

type Flash = MockFlash<{ 4 * 2048 }, 2048>;
type Store = KeyStore<(Flash, Dev, TestRng, SharedCounter)>;

fn open(f: Flash, c: &SharedCounter, seed: u64) -> Result<Store, Error> {
    Store::open((f, Dev(DEV_A), TestRng(seed), c.clone()))
}

fn image(s: &Store) -> Vec<u8> {
    s.flash().as_bytes().to_vec()
}

fn flash_of(img: &[u8]) -> Flash {
    let mut f = Flash::new();
    f.as_bytes_mut().copy_from_slice(img);
    f
}

fn state(s: &mut Store, slot: u16) -> Vec<u8> {
    let mut b = [0u8; 64];
    let n = s.get_state(slot, &mut b).unwrap();
    b[..n].to_vec()
}

/// A store with one key and one state, re-opened (so the next write is the first one
/// after an open).
fn setup(c: &SharedCounter) -> Store {
    let mut s = Store::format((Flash::new(), Dev(DEV_A), TestRng(1), c.clone())).unwrap();
    s.import(1, b"k", Algorithm::Aes128, Usage::DECRYPT, &[7; 16], None)
        .unwrap();
    s.put_state(5, b"state 0").unwrap();
    open(s.into_flash(), c, 2).unwrap()
}

#[test]
fn counter_steps_per_operation_are_as_budgeted() {
    let rows = counter_steps_per_op();
    print!("{}", counter_steps_table(&rows));
    let steps = |op: &str| {
        rows.iter()
            .find(|r| r.op.starts_with(op))
            .unwrap()
            .steps_per_op
    };
    assert_eq!(steps("format"), 1.0);
    assert_eq!(steps("open"), 0.0);
    assert_eq!(steps("first write after open"), 1.0);
    // A state write steps only through the compactions it causes.
    assert!(
        steps("put_state, 64 B") < 0.1,
        "{}",
        steps("put_state, 64 B")
    );
    // Larger states fill a 4 KiB sector sooner: a compaction every few writes, and
    // every write for the largest AES-256 state (the manual says so).
    assert!(
        steps("put_state, 536 B") < 0.5,
        "{}",
        steps("put_state, 536 B")
    );
    assert!(steps("put_state, 1048 B") <= 1.0);
    assert_eq!(steps("generate"), 0.0);
    assert_eq!(steps("with_key (no use limit)"), 0.0);
    // One step per counted use, plus the compactions the records cause.
    let counted = steps("with_key (use-limited");
    assert!((1.0..1.5).contains(&counted), "{counted}");
    assert_eq!(steps("export_backup"), 0.0);
    assert_eq!(steps("rotate"), 1.0);
    assert_eq!(steps("revoke"), 1.0);
    // The destroyed state record and the compaction that removes the key material
    // step once each, plus a compaction the record itself causes when it fills the
    // sector (as here, after the workload above).
    let destroy = steps("destroy");
    assert!((2.0..=3.0).contains(&destroy), "{destroy}");
    assert_eq!(steps("tamper_wipe"), 2.0);
}

#[test]
fn restoring_an_image_from_before_a_security_event_is_detected() {
    for event in [
        "revoke",
        "destroy",
        "use-counted use",
        "rotate",
        "tamper wipe",
    ] {
        let c = SharedCounter::default();
        let mut s = setup(&c);
        s.generate(2, b"l", Algorithm::Aes128, Usage::ENCRYPT, Some(5))
            .unwrap();
        s.put_state(5, b"state 1").unwrap();
        let before = image(&s);
        match event {
            "revoke" => s.revoke(1, 1).unwrap(),
            "destroy" => s.destroy(1, None).unwrap(),
            "use-counted use" => s
                .with_key(KeyHandle::newest(2), Usage::ENCRYPT, |_| ())
                .unwrap(),
            "rotate" => {
                s.rotate(2).unwrap();
            }
            _ => s.tamper_wipe().unwrap(),
        }
        let after = image(&s);
        drop(s);
        assert_eq!(
            open(flash_of(&before), &c, 3).err(),
            Some(Error::RolledBack),
            "{event}"
        );
        // Control: the image after the event opens.
        assert!(open(flash_of(&after), &c, 4).is_ok(), "{event}");
    }
}

#[test]
fn state_writes_since_the_last_step_are_the_window() {
    let c = SharedCounter::default();
    let mut s = setup(&c);
    // The first write after open steps the counter; the attacker keeps this image.
    s.put_state(5, b"state 1").unwrap();
    let a = image(&s);
    let hw = c.0.get();
    s.put_state(5, b"state 2").unwrap();
    s.put_state(5, b"state 3").unwrap();
    assert_eq!(c.0.get(), hw, "chained: no step");
    drop(s);
    // Inside the window: the image opens, with the state as it was then.
    let mut s = open(flash_of(&a), &c, 3).unwrap();
    assert_eq!(state(&mut s, 5), b"state 1");
    // The next open's first write steps: the same image is now detected.
    s.put_state(5, b"state 2 again").unwrap();
    assert_eq!(c.0.get(), hw + 1);
    drop(s);
    assert_eq!(open(flash_of(&a), &c, 4).err(), Some(Error::RolledBack));
}

#[test]
fn a_compaction_closes_the_window() {
    let c = SharedCounter::default();
    let mut s = setup(&c);
    s.put_state(5, b"state 1").unwrap();
    let a = image(&s);
    let hw = c.0.get();
    // Fill the sector: the state writes that follow compact it, which steps.
    let mut i = 0u32;
    while c.0.get() == hw {
        s.put_state(5, &i.to_le_bytes()).unwrap();
        i += 1;
    }
    assert!(i > 5, "several chained writes before the compaction ({i})");
    drop(s);
    assert_eq!(open(flash_of(&a), &c, 3).err(), Some(Error::RolledBack));
}

#[test]
fn a_rolled_back_store_never_reuses_a_lost_records_nonce() {
    let c = SharedCounter::default();
    let mut s = setup(&c);
    s.put_state(5, b"state 1").unwrap();
    let a = image(&s);
    let secret_state = [0x5Au8; 48];
    s.put_state(5, &secret_state).unwrap();
    let b = image(&s);
    drop(s);
    // The lost record: the first bytes that differ between the two images.
    let off = a.iter().zip(&b).position(|(x, y)| x != y).unwrap();
    let lost_ct = b[off + 64..off + 64 + 48].to_vec();
    // Rolled back to `a` (inside the window), the same state is written again.
    let mut s = open(flash_of(&a), &c, 3).unwrap();
    s.put_state(5, &secret_state).unwrap();
    let img = image(&s);
    let written = img.windows(48).any(|w| w == lost_ct.as_slice());
    assert!(!written, "the same plaintext under a new nonce differs");
    // Control: the lost ciphertext is what that search finds when it is there.
    assert!(b.windows(48).any(|w| w == lost_ct.as_slice()));
}
