//! The terminal glue (`keyfort::terminal`): TR-31 injection into the sealed store with
//! the header's policy, and the DUKPT state as a sealed state record, including power cuts
//! at every flash step of a transaction's state write.
//!
//! Run: `cargo test -p keyfort-tests --test terminal -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod store_common;

use keyfort::attributes::{Algorithm, MacAlgorithm, Usage};
use keyfort::dukpt::aes::{AesBdk, KeyUsage, WorkingKeyType};
use keyfort::store::{Error as StoreError, KeyHandle, KeyStore};
use keyfort::terminal::{self, StoreStatePersist, TerminalError};
use keyfort::tr31::{self, HeaderSpec, OptBlock, Tr31Error};
use keyfort::transaction::pin;
use keyfort_testkit::demo::factory;
use keyfort_testkit::MockFlash;
use std::collections::BTreeSet;
use store_common::*;

type Flash = MockFlash<{ 8 * 4096 }, 4096>;
type Store = KeyStore<(Flash, Dev, TestRng, SharedCounter)>;

const KBPK: [u8; 32] = [0x42; 32];
const IKID: [u8; 8] = [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0];
const IKID_HEX: &[u8] = b"123456789ABCDEF0";

fn spec(usage: &[u8; 2], mode: u8, exp: u8) -> HeaderSpec {
    HeaderSpec {
        key_usage: *usage,
        algorithm: b'A',
        mode_of_use: mode,
        key_version: *b"00",
        exportability: exp,
    }
}

fn block(kbpk: &[u8], spec: &HeaderSpec, opt: &[OptBlock<'_>], key: &[u8]) -> Vec<u8> {
    let mut out = [0u8; 512];
    let alg = tr31::kbpk_algorithm(tr31::Version::D, kbpk.len()).unwrap();
    let kbpk = keyfort::key::TypedKey::raw(kbpk, alg).unwrap();
    let n = tr31::wrap(&kbpk, spec, opt, key, &mut TestRng(7), &mut out).unwrap();
    out[..n].to_vec()
}

fn ik_block(bdk: &AesBdk) -> Vec<u8> {
    let ik = bdk.initial_key(&IKID).unwrap();
    let opt = [OptBlock {
        id: *b"IK",
        data: IKID_HEX,
    }];
    block(&KBPK, &spec(b"B1", b'X', b'N'), &opt, ik.expose())
}

fn store_with_kbpk(kbpk_usage: Usage) -> (Store, SharedCounter) {
    let c = SharedCounter::default();
    let mut s = KeyStore::format((Flash::new(), Dev(DEV_A), TestRng(1), c.clone())).unwrap();
    s.import(
        factory::KBPK_ID,
        b"kbpk",
        Algorithm::Aes256,
        kbpk_usage,
        &KBPK,
        None,
    )
    .unwrap();
    (s, c)
}

/// A copy of a flash image (a second device with the same flash content).
fn copy(f: &Flash) -> Flash {
    let mut c = Flash::new();
    c.as_bytes_mut().copy_from_slice(f.as_bytes());
    c
}

fn kbpk() -> KeyHandle {
    KeyHandle::newest(factory::KBPK_ID)
}

#[test]
fn injected_initial_key_gets_the_headers_policy_and_only_that() {
    let bdk = AesBdk::new(&keyfort::key::TypedKey::raw_aes(&[0x11; 16]).unwrap()).unwrap();
    let (mut s, _) = store_with_kbpk(Usage::KBPK_UNWRAP);
    let imp =
        terminal::import_tr31(&mut s, kbpk(), &ik_block(&bdk), factory::INITIAL_KEY_ID).unwrap();
    assert_eq!(imp.algorithm, Algorithm::Aes128);
    assert_eq!(imp.usage, Usage::IK_DERIVE);
    assert_eq!(imp.initial_key_id, Some(IKID));
    let ik = KeyHandle::newest(factory::INITIAL_KEY_ID);
    for denied in [
        Usage::ENCRYPT,
        Usage::EXPORT,
        Usage::UNWRAP,
        Usage::MAC_GENERATE,
        Usage::DERIVE,
        Usage::BDK_DERIVE,
    ] {
        assert_eq!(s.with_key(ik, denied, |_| ()), Err(StoreError::UsageDenied));
    }
    // The stored key is the initial key the host derived.
    let want = bdk.initial_key(&IKID).unwrap();
    assert!(s
        .with_key(ik, Usage::IK_DERIVE, |k| k == want.expose())
        .unwrap());
    // The KBPK itself is only for unwrapping.
    assert_eq!(
        s.with_key(kbpk(), Usage::ENCRYPT, |_| ()),
        Err(StoreError::UsageDenied)
    );
}

#[test]
fn exportability_and_mode_of_use_carry_over() {
    let (mut s, _) = store_with_kbpk(Usage::KBPK_UNWRAP);
    let b = block(&KBPK, &spec(b"D0", b'E', b'E'), &[], &[0x33; 16]);
    let imp = terminal::import_tr31(&mut s, kbpk(), &b, 5).unwrap();
    assert_eq!(imp.usage, Usage::ENCRYPT | Usage::EXPORT);
    let b = block(&KBPK, &spec(b"M6", b'V', b'N'), &[], &[0x44; 16]);
    let imp = terminal::import_tr31(&mut s, kbpk(), &b, 6).unwrap();
    assert_eq!(imp.usage, Usage::mac_verify(MacAlgorithm::Cmac));
    assert!(!imp.usage.exportable());
    assert_eq!(
        s.with_key(
            KeyHandle::newest(6),
            Usage::mac_generate(MacAlgorithm::Cmac),
            |_| ()
        ),
        Err(StoreError::UsageDenied)
    );
}

#[test]
fn refused_blocks_store_nothing() {
    let bdk = AesBdk::new(&keyfort::key::TypedKey::raw_aes(&[0x11; 16]).unwrap()).unwrap();
    let good = ik_block(&bdk);
    let count = |s: &Store| s.inventory().count();

    // A KBPK whose policy does not allow unwrapping.
    let (mut s, _) = store_with_kbpk(Usage::ENCRYPT | Usage::DECRYPT);
    let r = terminal::import_tr31(&mut s, kbpk(), &good, 2);
    assert_eq!(
        r.unwrap_err(),
        TerminalError::Store(StoreError::UsageDenied)
    );
    assert_eq!(count(&s), 1);

    let (mut s, _) = store_with_kbpk(Usage::KBPK_UNWRAP);
    // Every single-character change of the encrypted part or the MAC.
    let hdr = tr31::Header::parse(&good).unwrap().len();
    for i in hdr..good.len() {
        let mut bad = good.clone();
        bad[i] = if bad[i] == b'0' { b'1' } else { b'0' };
        let r = terminal::import_tr31(&mut s, kbpk(), &bad, 2);
        assert_eq!(
            r.unwrap_err(),
            TerminalError::KeyBlock(Tr31Error::Unauthentic),
            "char {i}"
        );
    }
    // A block for another KBPK.
    let other = {
        let ik = bdk.initial_key(&IKID).unwrap();
        let opt = [OptBlock {
            id: *b"IK",
            data: IKID_HEX,
        }];
        block(&[0x43; 32], &spec(b"B1", b'X', b'N'), &opt, ik.expose())
    };
    let r = terminal::import_tr31(&mut s, kbpk(), &other, 2);
    assert_eq!(
        r.unwrap_err(),
        TerminalError::KeyBlock(Tr31Error::Unauthentic)
    );
    // An initial key without its initial key ID.
    let ik = bdk.initial_key(&IKID).unwrap();
    let no_id = block(&KBPK, &spec(b"B1", b'X', b'N'), &[], ik.expose());
    let r = terminal::import_tr31(&mut s, kbpk(), &no_id, 2);
    assert_eq!(r.unwrap_err(), TerminalError::NoInitialKeyId);
    // A mode of use the key usage does not allow.
    let bad_mode = block(&KBPK, &spec(b"B1", b'E', b'N'), &[], ik.expose());
    let r = terminal::import_tr31(&mut s, kbpk(), &bad_mode, 2);
    assert_eq!(
        r.unwrap_err(),
        TerminalError::KeyBlock(Tr31Error::ModeNotAllowed)
    );
    assert_eq!(count(&s), 1);

    // A KBPK weaker than the key it carries (AES-128 KBPK, AES-256 key).
    let c = SharedCounter::default();
    let mut s = KeyStore::format((Flash::new(), Dev(DEV_A), TestRng(1), c)).unwrap();
    s.import(
        1,
        b"kbpk",
        Algorithm::Aes128,
        Usage::KBPK_UNWRAP,
        &[0x42; 16],
        None,
    )
    .unwrap();
    let weak = block(&[0x42; 16], &spec(b"D0", b'E', b'N'), &[], &[0x55; 32]);
    let r = terminal::import_tr31(&mut s, kbpk(), &weak, 2);
    assert_eq!(r.unwrap_err(), TerminalError::KeyBlock(Tr31Error::WeakKbpk));
    assert_eq!(count(&s), 1);
}

/// Terminal through the store vs host from the BDK, across re-opens of the store, for
/// AES-128, AES-192 and AES-256 BDKs (the AES-256 terminal's first state, 1048 bytes
/// packed, is the largest state record the store holds).
#[test]
fn dukpt_through_the_store_matches_the_host() {
    for len in [16, 24, 32] {
        dukpt_through_the_store(len);
    }
}

fn dukpt_through_the_store(bdk_len: usize) {
    let bdk = AesBdk::new(&keyfort::key::TypedKey::raw_aes(&vec![0x11; bdk_len]).unwrap()).unwrap();
    let (mut s, c) = store_with_kbpk(Usage::KBPK_UNWRAP);
    terminal::import_tr31(&mut s, kbpk(), &ik_block(&bdk), factory::INITIAL_KEY_ID).unwrap();
    let ik = KeyHandle::newest(factory::INITIAL_KEY_ID);
    let mut t = terminal::load_initial_key(&mut s, ik, factory::DUKPT_SLOT).unwrap();
    s.destroy(factory::INITIAL_KEY_ID, None).unwrap();
    for round in 0..4u32 {
        for _ in 0..15 {
            let tx = t
                .next_transaction(&mut StoreStatePersist::new(&mut s, factory::DUKPT_SLOT))
                .unwrap();
            let k = tx
                .working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128)
                .unwrap();
            let b = pin::format4_encrypt_with_fill(
                &k.typed().unwrap(),
                b"1234",
                b"4111111111111111",
                &[9; 8],
            )
            .unwrap();
            let host = bdk.derivation_key(tx.ksn()).unwrap();
            let hk = host
                .working_key(KeyUsage::PinEncryption, WorkingKeyType::Aes128)
                .unwrap();
            let p = pin::format4_decrypt(&hk.typed().unwrap(), &b, b"4111111111111111").unwrap();
            assert_eq!(p.expose(), b"1234");
        }
        // Power cycle: a new store over the same flash, the state from the record.
        let f = s.into_flash();
        s = KeyStore::open((f, Dev(DEV_A), TestRng(100 + u64::from(round)), c.clone())).unwrap();
        t = terminal::resume(&mut s, factory::DUKPT_SLOT)
            .unwrap()
            .unwrap();
        assert_eq!(t.next_counter(), Some(15 * (round + 1) + 1));
    }
    // The flash never holds a register or the initial key in clear.
    let f = s.into_flash();
    let ikey = bdk.initial_key(&IKID).unwrap();
    assert!(!contains(f.as_bytes(), &ikey.expose()[..16]));
    assert!(!contains(f.as_bytes(), &KBPK[..16]));
}

/// The in-place forms the Cortex-M0 terminal uses (`KeyStore::open_in`,
/// `terminal::load_initial_key_into`, `terminal::resume_into`) give the same terminal as
/// the by-value ones, and leave `None` behind on every error.
#[test]
fn in_place_open_load_and_resume() {
    // Nothing to open on blank flash: NotFormatted, no store left in the slot.
    let mut slot = None;
    let r = KeyStore::open_in(
        &mut slot,
        (
            Flash::new(),
            Dev(DEV_A),
            TestRng(7),
            SharedCounter::default(),
        ),
    );
    assert_eq!(r, Err(StoreError::NotFormatted));
    assert!(slot.is_none());

    let bdk = AesBdk::new(&keyfort::key::TypedKey::raw_aes(&[0x11; 16]).unwrap()).unwrap();
    let (mut s, c) = store_with_kbpk(Usage::KBPK_UNWRAP);
    let ik = KeyHandle::newest(factory::INITIAL_KEY_ID);
    // No initial key yet: an error, and a terminal already in `out` is dropped.
    let mut out = terminal::resume(&mut s, factory::DUKPT_SLOT).unwrap();
    assert!(out.is_none());
    assert!(terminal::load_initial_key_into(&mut s, ik, factory::DUKPT_SLOT, &mut out).is_err());
    assert!(out.is_none());

    terminal::import_tr31(&mut s, kbpk(), &ik_block(&bdk), factory::INITIAL_KEY_ID).unwrap();
    terminal::load_initial_key_into(&mut s, ik, factory::DUKPT_SLOT, &mut out).unwrap();
    let t = out.as_mut().expect("terminal loaded in place");
    assert_eq!(t.next_counter(), Some(1));
    let tx = t
        .next_transaction(&mut StoreStatePersist::new(&mut s, factory::DUKPT_SLOT))
        .unwrap();
    let ksn = *tx.ksn();
    let k = tx
        .working_key(KeyUsage::MacGeneration, WorkingKeyType::Aes128)
        .unwrap();
    let hk = bdk
        .derivation_key(&ksn)
        .unwrap()
        .working_key(KeyUsage::MacGeneration, WorkingKeyType::Aes128)
        .unwrap();
    assert_eq!(k.expose(), hk.expose());

    // Power cycle into a slot: the store and the terminal come back in place.
    let f = s.into_flash();
    let mut slot = None;
    KeyStore::open_in(&mut slot, (f, Dev(DEV_A), TestRng(8), c)).unwrap();
    let s = slot.as_mut().expect("store opened in place");
    let mut resumed = None;
    terminal::resume_into(s, factory::DUKPT_SLOT, &mut resumed).unwrap();
    assert_eq!(resumed.as_ref().and_then(|t| t.next_counter()), Some(2));
    // An empty state slot: `None`, and the terminal that was in `out` is gone.
    terminal::resume_into(s, factory::DUKPT_SLOT + 1, &mut resumed).unwrap();
    assert!(resumed.is_none());
}

/// Power cut at every flash step (programmed byte or erase) of a series of transactions:
/// after the restart, no counter whose keys were released is ever issued again, and the
/// terminal always comes back.
#[test]
fn power_cut_at_every_step_never_reuses_a_counter() {
    let bdk = AesBdk::new(&keyfort::key::TypedKey::raw_aes(&[0x11; 16]).unwrap()).unwrap();
    let (mut base, c0) = store_with_kbpk(Usage::KBPK_UNWRAP);
    terminal::import_tr31(&mut base, kbpk(), &ik_block(&bdk), factory::INITIAL_KEY_ID).unwrap();
    let ik = KeyHandle::newest(factory::INITIAL_KEY_ID);
    terminal::load_initial_key(&mut base, ik, factory::DUKPT_SLOT).unwrap();
    let image = base.into_flash();
    let counter0 = c0.0.get();

    // Steps of 6 transactions (each one state write, some with compaction).
    let mut probe = copy(&image);
    let steps0 = probe.steps();
    {
        let c = SharedCounter::default();
        c.0.set(counter0);
        let mut s = KeyStore::open((probe, Dev(DEV_A), TestRng(5), c)).unwrap();
        let mut t = terminal::resume(&mut s, factory::DUKPT_SLOT)
            .unwrap()
            .unwrap();
        for _ in 0..6 {
            t.next_transaction(&mut StoreStatePersist::new(&mut s, factory::DUKPT_SLOT))
                .unwrap();
        }
        probe = s.into_flash();
    }
    let total = probe.steps() - steps0;
    let (mut cuts, mut gaps) = (0u64, 0u64);
    for cut in 1..total {
        let c = SharedCounter::default();
        c.0.set(counter0);
        let mut released = BTreeSet::new();
        let mut s = KeyStore::open((copy(&image), Dev(DEV_A), TestRng(cut), c.clone())).unwrap();
        s.flash().cut_after(cut);
        let mut t = terminal::resume(&mut s, factory::DUKPT_SLOT)
            .unwrap()
            .unwrap();
        for _ in 0..6 {
            match t.next_transaction(&mut StoreStatePersist::new(&mut s, factory::DUKPT_SLOT)) {
                Ok(tx) => {
                    released.insert(tx.ksn().counter());
                }
                Err(_) => break,
            }
        }
        assert!(
            s.flash().is_cut() || cut >= total,
            "cut {cut} did not happen"
        );
        cuts += 1;
        let mut f = s.into_flash();
        f.power_on();
        let mut s = KeyStore::open((f, Dev(DEV_A), TestRng(cut + 1), c.clone()))
            .unwrap_or_else(|e| panic!("cut {cut}: store does not reopen: {e:?}"));
        let mut t = terminal::resume(&mut s, factory::DUKPT_SLOT)
            .unwrap_or_else(|e| panic!("cut {cut}: state unreadable: {e:?}"))
            .expect("state record");
        let next = t.next_counter().unwrap();
        let max = released.iter().copied().max().unwrap_or(0);
        assert!(
            next > max,
            "cut {cut}: next counter {next} <= released {max}"
        );
        if next > max + 1 {
            gaps += 1;
        }
        let tx = t
            .next_transaction(&mut StoreStatePersist::new(&mut s, factory::DUKPT_SLOT))
            .unwrap();
        assert!(!released.contains(&tx.ksn().counter()));
    }
    println!(
        "terminal power cuts: {cuts} cut points over {total} flash steps, 0 counters reused, {gaps} skipped counters (cut after the state was sealed)"
    );
}
