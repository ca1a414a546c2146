//! Key states and cryptoperiods (issue 19): every operation in every state, every
//! transition, epoch messages, cryptoperiods in uses / derivations / epochs, backups that
//! carry the state, and the refusal of version 1 images.
//!
//! The expected tables below are written from NIST SP 800-57 Part 1 Rev. 5 §7 and KMIP
//! 2.1 §3.29 directly, not derived from the store's own table
//! (`keyfort::store::state::TRANSITIONS`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod store_common;

use keyfort::attributes::{Algorithm, Usage};
use keyfort::key::TypedKey;
use keyfort::platform::NoCounter;
use keyfort::store::epoch::epoch_message;
use keyfort::store::state::ALL_STATES;
use keyfort::store::{
    AuditCode, Cryptoperiod, Error, KeyHandle, KeyOptions, KeyState, KeyStore, PeriodLeft,
    PeriodUnit, RevocationReason,
};
use keyfort::transaction::mac::hmac_sha256;
use keyfort::wrap::Kek;
use keyfort_testkit::MockFlash;
use store_common::*;

type Flash = MockFlash<{ 4 * 4096 }, 4096>;
type Store = KeyStore<(Flash, Dev, TestRng, NoCounter)>;

use KeyState::*;

fn store() -> Store {
    Store::format((Flash::new(), Dev(DEV_A), TestRng(5), NoCounter)).unwrap()
}

fn reopen(s: Store) -> Store {
    Store::open((s.into_flash(), Dev(DEV_A), TestRng(6), NoCounter)).unwrap()
}

const KEY: [u8; 32] = [0x42; 32];
const ID: u16 = 1;

fn pre() -> KeyOptions {
    KeyOptions {
        pre_active: true,
        ..KeyOptions::default()
    }
}

/// A store holding key `ID` (AES-256, every usage) brought to `state` through allowed
/// transitions.
fn key_in(state: KeyState) -> Store {
    let mut s = store();
    s.import_with(ID, b"k", Algorithm::Aes256, Usage::ALL, &KEY, &pre())
        .unwrap();
    let path: &[KeyState] = match state {
        PreActive => &[],
        Active => &[Active],
        Suspended => &[Active, Suspended],
        Deactivated => &[Active, Deactivated],
        Compromised => &[Active, Compromised],
        Destroyed => &[Active, Destroyed],
        DestroyedCompromised => &[Active, Compromised, DestroyedCompromised],
        _ => panic!("a state this test does not know"),
    };
    for &to in path {
        s.set_state(ID, 1, to).unwrap();
    }
    assert_eq!(state_of(&s), state);
    s
}

fn state_of(s: &Store) -> KeyState {
    s.inventory()
        .find(|i| i.id == ID && i.version == 1)
        .unwrap()
        .state
}

const USAGES: [Usage; 8] = [
    Usage::ENCRYPT,
    Usage::DECRYPT,
    Usage::WRAP,
    Usage::UNWRAP,
    Usage::DERIVE,
    Usage::MAC_GENERATE,
    Usage::MAC_VERIFY,
    Usage::EXPORT,
];

/// SP 800-57 §7.4: a deactivated key only processes (decrypt, unwrap, verify).
fn deactivated_allows(u: Usage) -> bool {
    u == Usage::DECRYPT || u == Usage::UNWRAP || u == Usage::MAC_VERIFY
}

/// SP 800-57 §7.5: a compromised key, under controlled conditions, decrypts and verifies.
fn compromised_allows(u: Usage) -> bool {
    u == Usage::DECRYPT || u == Usage::MAC_VERIFY
}

/// The expected result of a use in `state`, written from the standards.
fn expected_use(state: KeyState, u: Usage, opt_in: bool) -> Result<(), Error> {
    match state {
        PreActive => Err(Error::NotYetActive),
        Active => Ok(()),
        Suspended => Err(Error::Suspended),
        Deactivated if deactivated_allows(u) => Ok(()),
        Deactivated => Err(Error::Deactivated),
        Compromised if !opt_in => Err(Error::Compromised),
        Compromised if compromised_allows(u) => Ok(()),
        Compromised => Err(Error::CompromisedUse),
        _ => Err(Error::Destroyed),
    }
}

#[test]
fn every_operation_in_every_state() {
    let mut checked = 0;
    for state in ALL_STATES {
        for u in USAGES {
            for opt_in in [false, true] {
                let mut s = key_in(state);
                let audit_before = s
                    .audit()
                    .filter(|e| e.code == AuditCode::CompromisedUse)
                    .count();
                let r = if opt_in {
                    s.with_compromised_key(KeyHandle::version(ID, 1), u, |k| k.to_vec())
                } else {
                    s.with_key(KeyHandle::version(ID, 1), u, |k| k.to_vec())
                };
                let want = expected_use(state, u, opt_in);
                assert_eq!(
                    r.as_ref().map(|_| ()).map_err(|e| *e),
                    want,
                    "{state:?} {u:?} opt-in {opt_in}"
                );
                if let Ok(k) = r {
                    assert_eq!(k, KEY);
                }
                // Every opted-in use of a compromised key is in the audit log.
                let audited = s
                    .audit()
                    .filter(|e| e.code == AuditCode::CompromisedUse)
                    .count();
                let expect_audit = usize::from(state == Compromised && want.is_ok());
                assert_eq!(audited - audit_before, expect_audit, "{state:?} {u:?}");
                // The refusal changed nothing.
                assert_eq!(state_of(&s), state);
                checked += 1;
            }
        }
        // Export: a pre-active, active or deactivated key may be backed up (its state
        // goes with it); the others are refused with their state's error.
        let mut s = key_in(state);
        let mut out = [0u8; keyfort::store::backup::MAX_BACKUP_LEN];
        let r = s
            .export_backup(
                KeyHandle::version(ID, 1),
                &Kek::new(
                    &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&[9; 32])
                        .unwrap(),
                )
                .unwrap(),
                &mut out,
            )
            .map(|_| ());
        let want = match state {
            PreActive | Active | Deactivated => Ok(()),
            Suspended => Err(Error::Suspended),
            Compromised => Err(Error::Compromised),
            _ => Err(Error::Destroyed),
        };
        assert_eq!(r, want, "export in {state:?}");
        // Rotation replaces a key in any state but a fully destroyed one.
        let mut s = key_in(state);
        let r = s.rotate(ID).map(|_| ());
        let want = if state.is_destroyed() {
            Err(Error::Destroyed)
        } else {
            Ok(())
        };
        assert_eq!(r, want, "rotate in {state:?}");
        checked += 2;
    }
    assert_eq!(checked, 7 * (16 + 2));
}

/// The state is checked before the usage policy.
#[test]
fn state_is_checked_before_usage_policy() {
    let mut s = store();
    s.import_with(ID, b"k", Algorithm::Aes256, Usage::DECRYPT, &KEY, &pre())
        .unwrap();
    let h = KeyHandle::version(ID, 1);
    assert_eq!(
        s.with_key(h, Usage::ENCRYPT, |_| ()),
        Err(Error::NotYetActive)
    );
    // Control: once active, the same use is refused by the policy.
    s.activate(ID, 1).unwrap();
    assert_eq!(
        s.with_key(h, Usage::ENCRYPT, |_| ()),
        Err(Error::UsageDenied)
    );
    assert!(s.with_key(h, Usage::DECRYPT, |_| ()).is_ok());
}

/// The allowed transitions, from SP 800-57 Pt1 Rev5 §7 (Figure 3) and KMIP 2.1 §3.29,
/// as (from, to): written out here by hand.
const EXPECTED_TRANSITIONS: [(KeyState, KeyState); 15] = [
    (PreActive, Active),
    (PreActive, Destroyed),
    (PreActive, Compromised),
    (Active, Suspended),
    (Active, Deactivated),
    (Active, Compromised),
    (Active, Destroyed),
    (Suspended, Active),
    (Suspended, Deactivated),
    (Suspended, Compromised),
    (Suspended, Destroyed),
    (Deactivated, Compromised),
    (Deactivated, Destroyed),
    (Compromised, DestroyedCompromised),
    (Destroyed, DestroyedCompromised),
];

#[test]
fn every_transition_allowed_or_refused_as_the_standards_say() {
    let (mut allowed, mut refused) = (0, 0);
    for from in ALL_STATES {
        for to in ALL_STATES {
            let want = EXPECTED_TRANSITIONS.contains(&(from, to));
            let mut s = key_in(from);
            let r = s.set_state(ID, 1, to);
            if want {
                assert_eq!(r, Ok(()), "{from:?} -> {to:?}");
                allowed += 1;
                // Audited with the states before and after.
                let ev = s.audit().last().unwrap();
                assert_eq!(
                    (ev.id, ev.version, ev.before, ev.after),
                    (ID, 1, Some(from), Some(to)),
                    "{from:?} -> {to:?}"
                );
            } else {
                assert_eq!(r, Err(Error::TransitionRefused), "{from:?} -> {to:?}");
                refused += 1;
            }
            // Durable: the state survives a re-open.
            let s = reopen(s);
            assert_eq!(state_of(&s), if want { to } else { from });
        }
    }
    assert_eq!((allowed, refused), (15, 49 - 15));
    // The store's table says the same (and is its only source).
    for from in ALL_STATES {
        for to in ALL_STATES {
            assert_eq!(
                from.may_become(to),
                EXPECTED_TRANSITIONS.contains(&(from, to))
            );
        }
    }
}

#[test]
fn revocation_maps_onto_states() {
    let mut s = key_in(Active);
    s.revoke(ID, 1).unwrap();
    assert_eq!(state_of(&s), Deactivated);
    s.revoke(ID, 1).unwrap(); // again: nothing changes
    assert_eq!(state_of(&s), Deactivated);
    s.revoke_with(ID, 1, RevocationReason::Compromise).unwrap();
    assert_eq!(state_of(&s), Compromised);
    // A revocation cannot bring a key back: compromised to deactivated is refused.
    assert_eq!(s.revoke(ID, 1), Err(Error::TransitionRefused));
    s.destroy(ID, None).unwrap();
    assert_eq!(state_of(&s), DestroyedCompromised);
    let mut s = key_in(Destroyed);
    s.revoke_with(ID, 1, RevocationReason::Compromise).unwrap();
    assert_eq!(state_of(&s), DestroyedCompromised);
}

const EPOCH_KEY: [u8; 32] = [0xE0; 32];
const EK: u16 = 50;

fn epoch_store() -> Store {
    let mut s = store();
    s.import(
        EK,
        b"epoch",
        Algorithm::HmacSha256,
        Usage::MAC_VERIFY,
        &EPOCH_KEY,
        None,
    )
    .unwrap();
    s
}

fn periodic(unit: PeriodUnit, protect: u32, process: u32, auto_rotate: bool) -> KeyOptions {
    KeyOptions {
        cryptoperiod: Some(Cryptoperiod {
            unit,
            protect,
            process,
            auto_rotate,
        }),
        ..KeyOptions::default()
    }
}

#[test]
fn epoch_messages_forged_replayed_old_refused() {
    let mut s = epoch_store();
    let ed = Usage::ENCRYPT | Usage::DECRYPT;
    s.import_with(
        51,
        b"p",
        Algorithm::Aes128,
        ed,
        &[1; 16],
        &periodic(PeriodUnit::Epochs, 2, 4, false),
    )
    .unwrap();
    s.import_with(
        52,
        b"r",
        Algorithm::Aes128,
        ed,
        &[2; 16],
        &periodic(PeriodUnit::Epochs, 1, 2, true),
    )
    .unwrap();
    s.import(
        53,
        b"aes",
        Algorithm::Aes256,
        Usage::MAC_VERIFY,
        &[3; 32],
        None,
    )
    .unwrap();
    let id = s.store_id().unwrap();
    let ek = KeyHandle::newest(EK);
    let good = epoch_message(&EPOCH_KEY, id, 1).unwrap();
    // Forged: a flipped tag bit, a changed epoch, the wrong key.
    let mut bad_tag = good;
    bad_tag[39] ^= 1;
    assert_eq!(s.advance_epoch(ek, &bad_tag), Err(Error::EpochAuth));
    let mut bad_epoch = good;
    bad_epoch[16] = 7;
    assert_eq!(s.advance_epoch(ek, &bad_epoch), Err(Error::EpochAuth));
    let other_key = epoch_message(&[0xE1; 32], id, 1).unwrap();
    assert_eq!(s.advance_epoch(ek, &other_key), Err(Error::EpochAuth));
    // Authentic but for another store.
    let other_store = epoch_message(&EPOCH_KEY, [0; 8], 1).unwrap();
    assert_eq!(
        s.advance_epoch(ek, &other_store),
        Err(Error::EpochWrongStore)
    );
    // Malformed.
    assert_eq!(s.advance_epoch(ek, &good[..39]), Err(Error::EpochFormat));
    let mut bad_magic = good;
    bad_magic[0] = b'X';
    assert_eq!(s.advance_epoch(ek, &bad_magic), Err(Error::EpochFormat));
    // A key that is not an HMAC key.
    assert_eq!(
        s.advance_epoch(KeyHandle::newest(53), &good),
        Err(Error::EpochKey)
    );
    assert_eq!(s.epoch(), 0, "no refused message moved the epoch");
    // Control: the genuine message is accepted, once.
    assert_eq!(s.advance_epoch(ek, &good), Ok(1));
    assert_eq!(s.epoch(), 1);
    assert_eq!(s.advance_epoch(ek, &good), Err(Error::EpochReplayed));
    let ev = s
        .audit()
        .filter(|e| e.code == AuditCode::EpochAdvanced)
        .count();
    assert_eq!(ev, 1);
    // Key 52 (protect 1, rotating): a new version active, the old one deactivated.
    let inv: Vec<_> = s.inventory().filter(|i| i.id == 52).collect();
    assert_eq!(inv.len(), 2);
    assert_eq!(
        inv.iter().find(|i| i.version == 1).unwrap().state,
        Deactivated
    );
    assert_eq!(inv.iter().find(|i| i.version == 2).unwrap().state, Active);
    let k2 = s
        .with_key(KeyHandle::newest(52), Usage::ENCRYPT, |k| k.to_vec())
        .unwrap();
    assert_ne!(k2, [2; 16]);
    assert_eq!(
        s.with_key(KeyHandle::version(52, 1), Usage::DECRYPT, |k| k.to_vec()),
        Ok(vec![2; 16])
    );
    // Key 51 (protect 2, process 4): still active, one epoch of protection left.
    let i51 = s.inventory().find(|i| i.id == 51).unwrap();
    assert_eq!(i51.state, Active);
    assert_eq!(
        i51.period_left,
        Some(PeriodLeft {
            unit: PeriodUnit::Epochs,
            protect: 1,
            process: 3
        })
    );
    // The epoch survives a re-open; an old message stays refused.
    let mut s = reopen(s);
    assert_eq!(s.epoch(), 1);
    assert_eq!(s.advance_epoch(ek, &good), Err(Error::EpochReplayed));
    let e3 = epoch_message(&EPOCH_KEY, id, 3).unwrap();
    assert_eq!(s.advance_epoch(ek, &e3), Ok(3));
    let e2 = epoch_message(&EPOCH_KEY, id, 2).unwrap();
    assert_eq!(s.advance_epoch(ek, &e2), Err(Error::EpochReplayed));
    // Key 51 past its protect period: deactivated, decrypt only.
    assert_eq!(
        s.inventory().find(|i| i.id == 51).unwrap().state,
        Deactivated
    );
    assert_eq!(
        s.with_key(KeyHandle::newest(51), Usage::ENCRYPT, |_| ()),
        Err(Error::Deactivated)
    );
    assert!(s
        .with_key(KeyHandle::newest(51), Usage::DECRYPT, |_| ())
        .is_ok());
    // Past its process period: nothing.
    let e4 = epoch_message(&EPOCH_KEY, id, 4).unwrap();
    assert_eq!(s.advance_epoch(ek, &e4), Ok(4));
    assert_eq!(
        s.with_key(KeyHandle::newest(51), Usage::DECRYPT, |_| ()),
        Err(Error::ProcessPeriodEnded)
    );
}

#[test]
fn cryptoperiods_in_uses_and_derivations() {
    let mut s = store();
    let ed = Usage::ENCRYPT | Usage::DECRYPT;
    s.import_with(
        1,
        b"u",
        Algorithm::Aes128,
        ed,
        &[1; 16],
        &periodic(PeriodUnit::Uses, 2, 3, true),
    )
    .unwrap();
    let h = KeyHandle::newest(1);
    for _ in 0..2 {
        assert_eq!(
            s.with_key(h, Usage::ENCRYPT, |k| k.to_vec()),
            Ok(vec![1; 16])
        );
    }
    let left = s.inventory().next().unwrap().period_left.unwrap();
    assert_eq!((left.protect, left.process), (0, 1));
    // The protect period ended: the next use rotates first; encryption moves on.
    let k2 = s.with_key(h, Usage::ENCRYPT, |k| k.to_vec()).unwrap();
    assert_ne!(k2, vec![1; 16]);
    let v1 = KeyHandle::version(1, 1);
    assert_eq!(
        s.with_key(v1, Usage::ENCRYPT, |_| ()),
        Err(Error::Deactivated)
    );
    assert_eq!(
        s.with_key(v1, Usage::DECRYPT, |k| k.to_vec()),
        Ok(vec![1; 16])
    );
    assert_eq!(
        s.with_key(v1, Usage::DECRYPT, |_| ()),
        Err(Error::ProcessPeriodEnded)
    );
    // Derivations: only derive uses count.
    let dk = Usage::DERIVE | Usage::ENCRYPT;
    s.import_with(
        2,
        b"d",
        Algorithm::Aes128,
        dk,
        &[2; 16],
        &periodic(PeriodUnit::Derivations, 1, 1, false),
    )
    .unwrap();
    let h = KeyHandle::newest(2);
    for _ in 0..3 {
        assert!(s.with_key(h, Usage::ENCRYPT, |_| ()).is_ok());
    }
    assert!(s.with_key(h, Usage::DERIVE, |_| ()).is_ok());
    assert_eq!(
        s.with_key(h, Usage::DERIVE, |_| ()),
        Err(Error::Deactivated)
    );
    // A period whose protect part is longer than its process part is refused.
    assert_eq!(
        s.import_with(
            3,
            b"x",
            Algorithm::Aes128,
            ed,
            &[3; 16],
            &periodic(PeriodUnit::Uses, 3, 2, false)
        ),
        Err(Error::BadCryptoperiod)
    );
}

fn kek() -> Kek {
    Kek::new(&keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&[0x4B; 32]).unwrap())
        .unwrap()
}

fn export(s: &mut Store, id: u16) -> Vec<u8> {
    let mut out = [0u8; keyfort::store::backup::MAX_BACKUP_LEN];
    let n = s
        .export_backup(KeyHandle::newest(id), &kek(), &mut out)
        .unwrap();
    out[..n].to_vec()
}

#[test]
fn backups_carry_state_and_cannot_move_a_key_back() {
    let usage = Usage::ENCRYPT | Usage::DECRYPT | Usage::EXPORT;
    let mut a = store();
    let opts = KeyOptions {
        pre_active: true,
        ..periodic(PeriodUnit::Uses, 5, 9, false)
    };
    a.import_with(1, b"one", Algorithm::Aes128, usage, &[1; 16], &opts)
        .unwrap();
    let pre_blob = export(&mut a, 1);
    a.activate(1, 1).unwrap();
    a.with_key(KeyHandle::newest(1), Usage::ENCRYPT, |_| ())
        .unwrap();
    a.revoke(1, 1).unwrap();
    let deact_blob = export(&mut a, 1);
    // Another store takes each blob with its state and period.
    let mut b = Store::format((Flash::new(), Dev(DEV_B), TestRng(9), NoCounter)).unwrap();
    b.import_backup(&kek(), &deact_blob).unwrap();
    let i = b.inventory().next().unwrap();
    assert_eq!(i.state, Deactivated);
    assert_eq!(
        i.period_left.map(|p| (p.protect, p.process)),
        Some((4, 8)),
        "the used part of the period travels"
    );
    assert_eq!(
        b.with_key(KeyHandle::newest(1), Usage::ENCRYPT, |_| ()),
        Err(Error::Deactivated)
    );
    let mut c = Store::format((Flash::new(), Dev(DEV_B), TestRng(10), NoCounter)).unwrap();
    c.import_backup(&kek(), &pre_blob).unwrap();
    assert_eq!(c.inventory().next().unwrap().state, PreActive);
    // This store: an older blob cannot move the key back to an earlier state, nor bring
    // back a compromised or destroyed key, nor after its metadata is purged.
    assert_eq!(
        a.import_backup(&kek(), &pre_blob),
        Err(Error::BackupReplayed)
    );
    a.revoke_with(1, 1, RevocationReason::Compromise).unwrap();
    assert_eq!(
        a.import_backup(&kek(), &deact_blob),
        Err(Error::BackupReplayed)
    );
    a.destroy(1, None).unwrap();
    assert_eq!(
        a.import_backup(&kek(), &deact_blob),
        Err(Error::BackupReplayed)
    );
    a.purge(1, None).unwrap();
    let mut a = reopen(a);
    assert_eq!(
        a.import_backup(&kek(), &deact_blob),
        Err(Error::BackupReplayed)
    );
    assert!(a.inventory().next().is_none());
}

#[test]
fn destroyed_metadata_kept_then_purged_or_reused() {
    let mut s = key_in(Active);
    s.destroy(ID, None).unwrap();
    let i = s.inventory().next().unwrap();
    assert_eq!((i.id, i.state, i.label()), (ID, Destroyed, &b"k"[..]));
    // Purging a key that is not destroyed is refused.
    s.import(2, b"two", Algorithm::Aes128, Usage::ENCRYPT, &[2; 16], None)
        .unwrap();
    assert_eq!(s.purge(2, None), Err(Error::TransitionRefused));
    // A new key under a destroyed key's id replaces the metadata.
    s.import(
        ID,
        b"new",
        Algorithm::Aes128,
        Usage::ENCRYPT,
        &[3; 16],
        None,
    )
    .unwrap();
    let i = s.inventory().find(|i| i.id == ID).unwrap();
    assert_eq!((i.state, i.label()), (Active, &b"new"[..]));
    // The audit log kept the destroy with its states.
    assert!(s.audit().any(|e| e.code == AuditCode::Destroyed
        && e.before == Some(Active)
        && e.after == Some(Destroyed)));
}

/// Format version 1 images (64-byte record headers, two states) are refused with a typed
/// error, never read or rewritten.
#[test]
fn version_1_images_are_refused() {
    let s = store();
    let mut flash = s.into_flash();
    // The root header's tag, as the manual documents it: HMAC(root key, "root" ||
    // header[..16]) truncated to 16, root key = HMAC(device secret, "keyfort/store/v1/root").
    let retag = |img: &mut [u8], version: u8| {
        img[4] = version;
        let mac = |k: &[u8], m: &[u8]| {
            hmac_sha256(&TypedKey::raw(k, Algorithm::HmacSha256).unwrap(), m).unwrap()
        };
        let rk = mac(&DEV_A, b"keyfort/store/v1/root");
        let mut msg = b"root".to_vec();
        msg.extend_from_slice(&img[..16]);
        let t = mac(&rk, &msg);
        img[16..32].copy_from_slice(&t[..16]);
    };
    retag(flash.as_bytes_mut(), 2);
    // Control: re-tagging with the current version opens.
    let s = Store::open((flash, Dev(DEV_A), TestRng(1), NoCounter)).unwrap();
    let mut flash = s.into_flash();
    retag(flash.as_bytes_mut(), 1);
    assert_eq!(
        Store::open((flash, Dev(DEV_A), TestRng(1), NoCounter)).err(),
        Some(Error::FormatVersion)
    );
}

/// `KeyHandle::newest` with no active version: the newest version not destroyed decides.
#[test]
fn newest_handle_skips_destroyed_versions() {
    let mut s = key_in(Active);
    s.rotate(ID).unwrap();
    s.revoke(ID, 1).unwrap();
    s.destroy(ID, Some(2)).unwrap();
    let newest = KeyHandle::newest(ID);
    assert_eq!(
        s.with_key(newest, Usage::DECRYPT, |k| k.to_vec()),
        Ok(KEY.to_vec())
    );
    assert_eq!(
        s.with_key(newest, Usage::ENCRYPT, |_| ()),
        Err(Error::Deactivated)
    );
    s.destroy(ID, None).unwrap();
    assert_eq!(
        s.with_key(newest, Usage::DECRYPT, |_| ()),
        Err(Error::Destroyed)
    );
}
