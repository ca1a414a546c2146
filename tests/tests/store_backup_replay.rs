//! Backups cannot resurrect destroyed or revoked keys or reset use limits: the blob
//! carries the key's use count, state and an anti-replay stamp (the export's record
//! sequence, with the monotonic counter value, and the exporting store's id), all
//! authenticated by the wrap. Export only under a KEK at least as strong as the key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod store_common;

use keyfort::attributes::{Algorithm, Usage};
use keyfort::store::backup::MAX_BACKUP_LEN;
use keyfort::store::{Error, KeyHandle, KeyStore};
use keyfort::wrap::Kek;
use keyfort_testkit::MockFlash;
use store_common::*;

type Flash = MockFlash<{ 4 * 2048 }, 2048>;
type Store = KeyStore<(Flash, Dev, TestRng, SharedCounter)>;

const KEY: [u8; 16] = [0x6B; 16];
const USAGE: Usage = Usage::DECRYPT.union(Usage::EXPORT);

fn kek() -> Kek {
    Kek::new(&keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&[0x4B; 16]).unwrap())
        .unwrap()
}

fn store(dev: [u8; 32], c: &SharedCounter) -> Store {
    Store::format((Flash::new(), Dev(dev), TestRng(4), c.clone())).unwrap()
}

fn export(s: &mut Store, id: u16) -> Vec<u8> {
    let mut out = [0u8; MAX_BACKUP_LEN];
    let n = s
        .export_backup(KeyHandle::newest(id), &kek(), &mut out)
        .unwrap();
    out[..n].to_vec()
}

fn use_key(s: &mut Store, id: u16) -> Result<(), Error> {
    s.with_key(KeyHandle::newest(id), Usage::DECRYPT, |k| {
        assert_eq!(k, KEY)
    })
}

#[test]
fn export_use_up_revoke_destroy_then_the_old_blob_is_refused() {
    let c = SharedCounter::default();
    let mut s = store(DEV_A, &c);
    s.import(1, b"backed-up", Algorithm::Aes128, USAGE, &KEY, Some(3))
        .unwrap();
    let blob = export(&mut s, 1);
    // Unchanged since the export: the key is simply there.
    assert_eq!(s.import_backup(&kek(), &blob), Err(Error::AlreadyExists));
    // Used up: the old blob (uses 0) would reset the limit.
    for _ in 0..3 {
        use_key(&mut s, 1).unwrap();
    }
    assert_eq!(use_key(&mut s, 1), Err(Error::UseLimitReached));
    assert_eq!(s.import_backup(&kek(), &blob), Err(Error::BackupReplayed));
    s.revoke(1, 1).unwrap();
    assert_eq!(s.import_backup(&kek(), &blob), Err(Error::BackupReplayed));
    s.destroy(1, None).unwrap();
    assert_eq!(s.import_backup(&kek(), &blob), Err(Error::BackupReplayed));
    // The refusal survives a reboot and further compactions (the floor is in every
    // sector header).
    let mut s = Store::open((s.into_flash(), Dev(DEV_A), TestRng(8), c.clone())).unwrap();
    for i in 0..40u8 {
        s.put_state(5, &[i; 200]).unwrap();
    }
    let mut s = Store::open((s.into_flash(), Dev(DEV_A), TestRng(9), c.clone())).unwrap();
    assert_eq!(s.import_backup(&kek(), &blob), Err(Error::BackupReplayed));
    assert_eq!(use_key(&mut s, 1), Err(Error::Destroyed));
    // Another key, exported, then destroyed: its blob is refused as well.
    s.import(2, b"two", Algorithm::Aes128, USAGE, &KEY, None)
        .unwrap();
    let blob2 = export(&mut s, 2);
    s.destroy(2, None).unwrap();
    assert_eq!(s.import_backup(&kek(), &blob2), Err(Error::BackupReplayed));
}

#[test]
fn a_backup_carries_its_use_count_and_migrates_to_another_store() {
    // Control: the same kind of blob from another device's store is a migration and
    // imports, with its use count (not reset) and its limit.
    let c = SharedCounter::default();
    let mut b = store(DEV_B, &c);
    b.import(1, b"migrating", Algorithm::Aes128, USAGE, &KEY, Some(3))
        .unwrap();
    use_key(&mut b, 1).unwrap();
    use_key(&mut b, 1).unwrap();
    let blob = export(&mut b, 1);
    let ca = SharedCounter::default();
    let mut a = store(DEV_A, &ca);
    a.import_backup(&kek(), &blob).unwrap();
    let info = a.inventory().find(|k| k.id == 1).unwrap();
    assert_eq!((info.uses, info.use_limit), (2, Some(3)));
    use_key(&mut a, 1).unwrap();
    assert_eq!(use_key(&mut a, 1), Err(Error::UseLimitReached));
    // A changed blob does not unwrap.
    let mut bad = blob.clone();
    bad[9] ^= 1;
    let mut a2 = store(DEV_A, &SharedCounter::default());
    assert_eq!(a2.import_backup(&kek(), &bad), Err(Error::Wrap));
}

#[test]
fn export_needs_a_kek_at_least_as_strong_as_the_key() {
    let c = SharedCounter::default();
    let mut s = store(DEV_A, &c);
    s.import(1, b"aes256", Algorithm::Aes256, USAGE, &[0x21; 32], None)
        .unwrap();
    s.import(
        2,
        b"tdes2",
        Algorithm::Tdes2,
        USAGE,
        b"distinct halves!",
        None,
    )
    .unwrap();
    let mut out = [0u8; MAX_BACKUP_LEN];
    let k128 = Kek::new(
        &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&[1; 16]).unwrap(),
    )
    .unwrap();
    let k192 = Kek::new(
        &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&[1; 24]).unwrap(),
    )
    .unwrap();
    let k256 = Kek::new(
        &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&[1; 32]).unwrap(),
    )
    .unwrap();
    assert_eq!(
        s.export_backup(KeyHandle::newest(1), &k128, &mut out),
        Err(Error::KekTooWeak)
    );
    assert_eq!(
        s.export_backup(KeyHandle::newest(1), &k192, &mut out),
        Err(Error::KekTooWeak)
    );
    assert!(s
        .export_backup(KeyHandle::newest(1), &k256, &mut out)
        .is_ok());
    assert!(s
        .export_backup(KeyHandle::newest(2), &k128, &mut out)
        .is_ok());
}
