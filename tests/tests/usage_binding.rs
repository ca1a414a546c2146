//! A key serves only its purpose (issue 13 item 4): TR-31 usages that were collapsed
//! (P0 and D0, K0 and K1, M0..M8) stay distinct through import, the store and the typed
//! key holders of `keyfort::key`; a stored KBPK's algorithm must fit the block's version;
//! TDES keys are checked at store import; a KEK, a DUKPT BDK or initial key comes in as a
//! typed key of its purpose, and TDES DUKPT working keys come out typed by their variant. Each test keeps the scenario that passed before
//! (the wrong use) as the refusal it asserts, next to the right use as its control.
//!
//! Run: `cargo test -p keyfort-tests --test usage_binding`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod store_common;

use keyfort::attributes::{Algorithm, MacAlgorithm, Usage};
use keyfort::dukpt::aes::{AesBdk, AesInitialKey};
use keyfort::dukpt::tdes::{
    LegacyOptions, TdesBdk, TdesIpek, TdesKsn, TdesLegacyVariant, TdesTerminal, TdesVariant,
};
use keyfort::dukpt::{DukptError, NoPersist};
use keyfort::key::{BdkDerive, IkDerive, KeyUnwrap, KeyWrap};
use keyfort::key::{
    Cmac, DataDecrypt, DataEncrypt, Hmac, KbpkUnwrap, KbpkWrap, KeyError, MacGenerate, MacVerify,
    PinDecrypt, PinEncrypt, RetailMac, TypedKey,
};
use keyfort::store::backup::WrapScheme;
use keyfort::store::{Error as StoreError, KeyHandle, KeyStore};
use keyfort::terminal::{self, TerminalError};
use keyfort::tr31::{self, HeaderSpec, Tr31Error};
use keyfort::transaction::{mac, pin, OpsError};
use keyfort::wrap::{kw_unwrap, kw_wrap, kwp_wrap, Kek, WrapError};
use keyfort_testkit::MockFlash;
use store_common::*;

type Flash = MockFlash<{ 8 * 4096 }, 4096>;
type Store = KeyStore<(Flash, Dev, TestRng, SharedCounter)>;

/// The store's KBPK (key id 1): AES-256, a `K1` key for unwrapping.
const KBPK: [u8; 32] = [0x42; 32];
const KBPK_ID: u16 = 1;
/// Key bytes with distinct DES halves (a valid 2-key TDES key, and an AES-128 key).
const K16: [u8; 16] = *b"usage-binding-16";
const PAN: &[u8] = b"4111111111111111";

fn store() -> Store {
    let mut s = KeyStore::format((
        Flash::new(),
        Dev(DEV_A),
        TestRng(1),
        SharedCounter::default(),
    ))
    .unwrap();
    s.import(
        KBPK_ID,
        b"kbpk",
        Algorithm::Aes256,
        Usage::KBPK_UNWRAP,
        &KBPK,
        None,
    )
    .unwrap();
    s
}

/// A version D block under `kbpk` (AES of its length) carrying `key`.
fn block(kbpk: &[u8], usage: &[u8; 2], alg: u8, mode: u8, key: &[u8]) -> Vec<u8> {
    let spec = HeaderSpec {
        key_usage: *usage,
        algorithm: alg,
        mode_of_use: mode,
        key_version: *b"00",
        exportability: b'N',
    };
    let a = tr31::kbpk_algorithm(tr31::Version::D, kbpk.len()).unwrap();
    let kbpk = TypedKey::<KbpkWrap>::raw(kbpk, a).unwrap();
    let mut out = [0u8; 512];
    let n = tr31::wrap(&kbpk, &spec, &[], key, &mut TestRng(3), &mut out).unwrap();
    out[..n].to_vec()
}

/// Imports `block` under the store's KBPK as key `id`.
fn inject(s: &mut Store, id: u16, block: &[u8]) -> KeyHandle {
    terminal::import_tr31(s, KeyHandle::newest(KBPK_ID), block, id)
        .unwrap()
        .handle
}

#[test]
fn imported_p0_key_is_refused_by_the_data_api() {
    let mut s = store();
    let p0 = inject(&mut s, 2, &block(&KBPK, b"P0", b'A', b'B', &K16));
    let d0 = inject(&mut s, 3, &block(&KBPK, b"D0", b'A', b'B', &K16));
    // A PIN block made under the same key bytes, as a terminal makes it.
    let pb = {
        let k = TypedKey::<PinEncrypt>::raw(&K16, Algorithm::Aes128).unwrap();
        pin::format4_encrypt_with_fill(&k, b"1234", PAN, &[7; 8]).unwrap()
    };
    // The scenario of the issue: the PIN key through the data API. Refused, typed.
    let r = s.with_typed_key::<DataDecrypt, _>(p0, |_| ());
    assert_eq!(r, Err(StoreError::UsageDenied));
    assert_eq!(
        s.with_key(p0, Usage::DECRYPT, |_| ()),
        Err(StoreError::UsageDenied)
    );
    assert_eq!(
        s.with_typed_key::<DataEncrypt, _>(p0, |_| ()),
        Err(StoreError::UsageDenied)
    );
    // Control: as a PIN key it decrypts the PIN block.
    let got = s
        .with_typed_key::<PinDecrypt, _>(p0, |k| pin::format4_decrypt(k, &pb, PAN).unwrap())
        .unwrap();
    assert_eq!(got.expose(), b"1234");
    // And the other way: the D0 key of the same bytes is a data key, never a PIN key.
    assert!(s.with_typed_key::<DataDecrypt, _>(d0, |_| ()).is_ok());
    assert_eq!(
        s.with_typed_key::<PinDecrypt, _>(d0, |_| ()),
        Err(StoreError::UsageDenied)
    );
}

#[test]
fn k0_and_k1_are_distinguished() {
    let mut s = store();
    let kek_bytes = [0x24u8; 32];
    let k0 = inject(&mut s, 2, &block(&KBPK, b"K0", b'A', b'B', &kek_bytes));
    let k1 = inject(&mut s, 3, &block(&KBPK, b"K1", b'A', b'B', &kek_bytes));
    let d0 = block(&kek_bytes, b"D0", b'A', b'D', &K16);
    // A K0 key (general key encryption) is not a key block protection key.
    assert_eq!(
        terminal::import_tr31(&mut s, k0, &d0, 10).unwrap_err(),
        TerminalError::Store(StoreError::UsageDenied)
    );
    // Control: the K1 key of the same bytes unwraps the block.
    assert!(terminal::import_tr31(&mut s, k1, &d0, 10).is_ok());
    // And a K1 key is not a general key-encryption key (AES-KW import under it).
    let mut wrapped = [0u8; 24];
    kw_wrap(
        &Kek::new(&TypedKey::<KeyWrap>::raw_aes(&kek_bytes).unwrap()).unwrap(),
        &K16,
        &mut wrapped,
    )
    .unwrap();
    let kw = |s: &mut Store, kek, id| {
        s.import_wrapped_under(
            kek,
            id,
            b"kw",
            Algorithm::Aes128,
            Usage::ENCRYPT,
            WrapScheme::Kw,
            &wrapped,
            None,
        )
    };
    assert_eq!(kw(&mut s, k1, 11), Err(StoreError::UsageDenied));
    assert!(kw(&mut s, k0, 11).is_ok());
    // The raw holder makes the same distinction: K0's usage is not K1's.
    assert_eq!(
        TypedKey::<KbpkUnwrap>::new(&kek_bytes, Algorithm::Aes256, Usage::UNWRAP).err(),
        Some(KeyError::UsageDenied)
    );
}

#[test]
fn each_mac_algorithm_key_is_refused_by_every_other_mac_algorithm() {
    let mut s = store();
    let hmac_key = [0x5Cu8; 32];
    for d in 0..=8u8 {
        let m = MacAlgorithm::from_tr31_digit(d).unwrap();
        // HMAC keys are `H`; every other MAC key here is 2-key TDES (`T`), which the
        // retail MAC and TDES-CMAC roles take: a refusal is about the MAC algorithm.
        let (alg_char, key): (u8, &[u8]) = if m == MacAlgorithm::Hmac {
            (b'H', &hmac_key)
        } else {
            (b'T', &K16)
        };
        let id = 20 + u16::from(d);
        let h = inject(
            &mut s,
            id,
            &block(&KBPK, &[b'M', b'0' + d], alg_char, b'C', key),
        );
        let info = s.inventory().find(|i| i.id == id).unwrap();
        assert_eq!(
            info.usage.purpose(),
            Some(keyfort::attributes::Purpose::Mac(m))
        );
        // Each MAC role of keyfort: admitted exactly for its own algorithm.
        let retail = s.with_typed_key::<MacGenerate<RetailMac>, _>(h, |k| mac::retail_mac(k, b"x"));
        let cmac = s.with_typed_key::<MacGenerate<Cmac>, _>(h, |k| mac::tdes_cmac(k, b"x"));
        let hmac = s.with_typed_key::<MacGenerate<Hmac>, _>(h, |k| mac::hmac_sha256(k, b"x"));
        let vcmac = s.with_typed_key::<MacVerify<Cmac>, _>(h, |_| ());
        let denied = Err(StoreError::UsageDenied);
        match m {
            MacAlgorithm::Iso9797Alg3 => assert!(matches!(retail, Ok(Ok(_))), "M{d}"),
            _ => assert_eq!(retail.map(|_| ()), denied, "M{d} as retail MAC"),
        }
        match m {
            MacAlgorithm::Cmac => {
                assert!(matches!(cmac, Ok(Ok(_))), "M{d}");
                assert!(vcmac.is_ok());
            }
            _ => {
                assert_eq!(cmac.map(|_| ()), denied, "M{d} as CMAC");
                assert_eq!(vcmac, denied, "M{d} as CMAC verify");
            }
        }
        match m {
            MacAlgorithm::Hmac => assert!(matches!(hmac, Ok(Ok(_))), "M{d}"),
            _ => assert_eq!(hmac.map(|_| ()), denied, "M{d} as HMAC"),
        }
    }
}

/// TR-31:2018 A.7.2.2: a 2-key TDES KBPK and a version B block it protects (`P0`, TDES).
const B_KBPK: [u8; 16] = [
    0xDD, 0x75, 0x15, 0xF2, 0xBF, 0xC1, 0x7F, 0x85, 0xCE, 0x48, 0xF3, 0xCA, 0x25, 0xCB, 0x21, 0xF6,
];
const B_BLOCK: &[u8] =
    b"B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E";

#[test]
fn stored_two_key_tdes_key_is_refused_as_version_d_kbpk() {
    // 16 bytes that are a valid 2-key TDES key and, read as AES-128, wrap a D block.
    let d_block = block(&K16, b"D0", b'A', b'D', &[0x77; 16]);
    let mut s = store();
    let tdes = s
        .import(
            2,
            b"tdes kbpk",
            Algorithm::Tdes2,
            Usage::KBPK_UNWRAP,
            &K16,
            None,
        )
        .unwrap();
    let n = s.inventory().count();
    // The scenario of the issue: the stored TDES key serves as an AES-128 KBPK. Refused.
    assert_eq!(
        terminal::import_tr31(&mut s, tdes, &d_block, 10).unwrap_err(),
        TerminalError::KeyBlock(Tr31Error::KbpkAlgorithm)
    );
    assert_eq!(s.inventory().count(), n, "nothing stored");
    // Control: the same bytes stored as what they are for version D, an AES-128 KBPK.
    let aes = s
        .import(
            3,
            b"aes kbpk",
            Algorithm::Aes128,
            Usage::KBPK_UNWRAP,
            &K16,
            None,
        )
        .unwrap();
    assert!(terminal::import_tr31(&mut s, aes, &d_block, 10).is_ok());
    // The other direction: an AES key of the published TDES KBPK's bytes is not a
    // version B KBPK; stored as 2-key TDES it unwraps the published block.
    let aes_b = s
        .import(
            4,
            b"b as aes",
            Algorithm::Aes128,
            Usage::KBPK_UNWRAP,
            &B_KBPK,
            None,
        )
        .unwrap();
    assert_eq!(
        terminal::import_tr31(&mut s, aes_b, B_BLOCK, 11).unwrap_err(),
        TerminalError::KeyBlock(Tr31Error::KbpkAlgorithm)
    );
    let tdes_b = s
        .import(5, b"b", Algorithm::Tdes2, Usage::KBPK_UNWRAP, &B_KBPK, None)
        .unwrap();
    assert!(terminal::import_tr31(&mut s, tdes_b, B_BLOCK, 11).is_ok());
}

#[test]
fn wrong_usage_ops_are_refused_with_the_typed_error() {
    let mut s = store();
    let data = s
        .generate(2, b"data", Algorithm::Aes128, Usage::ENCRYPT, None)
        .unwrap();
    // Another purpose; the purpose but a mode not granted.
    assert_eq!(
        s.with_typed_key::<PinEncrypt, _>(data, |_| ()),
        Err(StoreError::UsageDenied)
    );
    assert_eq!(
        s.with_typed_key::<DataDecrypt, _>(data, |_| ()),
        Err(StoreError::UsageDenied)
    );
    assert!(s.with_typed_key::<DataEncrypt, _>(data, |_| ()).is_ok());
    // The purpose and mode, but an algorithm the role does not take: refused before the
    // use is counted (the one permitted use is still there afterwards).
    let hmac_on_aes = s
        .import(
            3,
            b"hmac?",
            Algorithm::Aes128,
            Usage::mac_generate(MacAlgorithm::Hmac),
            &K16,
            Some(1),
        )
        .unwrap();
    assert_eq!(
        s.with_typed_key::<MacGenerate<Hmac>, _>(hmac_on_aes, |_| ()),
        Err(StoreError::KeyAlgorithm)
    );
    let cmac_key = s
        .import(
            4,
            b"cmac",
            Algorithm::Aes128,
            Usage::mac_generate(MacAlgorithm::Cmac),
            &K16,
            Some(1),
        )
        .unwrap();
    assert!(s
        .with_typed_key::<MacGenerate<Cmac>, _>(cmac_key, |_| ())
        .is_ok());
    // The operation's own cipher: an AES PIN key for format 0 (TDES).
    let aes_pin = s
        .import(5, b"pin", Algorithm::Aes128, Usage::PIN_ENCRYPT, &K16, None)
        .unwrap();
    let r = s
        .with_typed_key::<PinEncrypt, _>(aes_pin, |k| pin::format0_encrypt(k, b"1234", PAN))
        .unwrap();
    assert_eq!(r, Err(OpsError::WrongAlgorithm));
    // A raw key admitted under the wrong usage: the holder's typed error, and the
    // conversions the operation and TR-31 callers use.
    let e = TypedKey::<PinDecrypt>::new(&K16, Algorithm::Aes128, Usage::DECRYPT).unwrap_err();
    assert_eq!(e, KeyError::UsageDenied);
    assert_eq!(OpsError::from(e), OpsError::UsageDenied);
    assert_eq!(Tr31Error::from(e), Tr31Error::KbpkUsage);
    // A usage uniting two purposes cannot be stored.
    assert_eq!(
        s.import(
            6,
            b"both",
            Algorithm::Aes128,
            Usage::PIN_ENCRYPT | Usage::KBPK_UNWRAP,
            &K16,
            None
        ),
        Err(StoreError::InvalidUsage)
    );
}

#[test]
fn store_import_refuses_degenerate_tdes_keys() {
    let mut s = store();
    let half = *b"half-key";
    let other = *b"other-k!";
    let two = |a: &[u8; 8], b: &[u8; 8]| [&a[..], &b[..]].concat();
    let three = |a: &[u8; 8], b: &[u8; 8], c: &[u8; 8]| [&a[..], &b[..], &c[..]].concat();
    let mut parity = half;
    for b in &mut parity {
        *b ^= 1;
    }
    let d = Err(StoreError::DegenerateKey);
    // Single DES under a TDES label (also when only parity bits differ), and 2-key TDES
    // under a 3-key label (K1 = K3).
    assert_eq!(
        s.import(
            2,
            b"t",
            Algorithm::Tdes2,
            Usage::ENCRYPT,
            &two(&half, &half),
            None
        ),
        d
    );
    assert_eq!(
        s.import(
            2,
            b"t",
            Algorithm::Tdes2,
            Usage::ENCRYPT,
            &two(&half, &parity),
            None
        ),
        d
    );
    assert_eq!(
        s.import(
            2,
            b"t",
            Algorithm::Tdes3,
            Usage::ENCRYPT,
            &three(&half, &other, &half),
            None
        ),
        d
    );
    assert_eq!(s.inventory().count(), 1, "nothing stored");
    // Controls: keys that are what their label says.
    assert!(s
        .import(
            2,
            b"t",
            Algorithm::Tdes2,
            Usage::ENCRYPT,
            &two(&half, &other),
            None
        )
        .is_ok());
    let k3 = three(&half, &other, b"third-k!");
    assert!(s
        .import(3, b"t", Algorithm::Tdes3, Usage::ENCRYPT, &k3, None)
        .is_ok());
}

/// 32 bytes that are an AES-256 key.
const K32: [u8; 32] = *b"usage-binding-32-byte-aes-key!!!";

#[test]
fn a_key_not_admitted_for_key_encryption_cannot_build_a_kek() {
    // Each other purpose's usage, with the bytes of a valid AES KEK: refused as a KEK
    // of either direction (what Kek::new takes).
    let others = [
        Usage::PIN_ENCRYPT,
        Usage::ENCRYPT | Usage::DECRYPT,
        Usage::KBPK_WRAP | Usage::KBPK_UNWRAP,
        Usage::mac_generate(MacAlgorithm::Cmac),
        Usage::BDK_DERIVE,
    ];
    for u in others {
        let w = TypedKey::<KeyWrap>::new(&K32, Algorithm::Aes256, u);
        assert_eq!(w.err(), Some(KeyError::UsageDenied), "{u:?}");
        let uw = TypedKey::<KeyUnwrap>::new(&K32, Algorithm::Aes256, u);
        assert_eq!(uw.err(), Some(KeyError::UsageDenied), "{u:?}");
    }
    // A TDES key of the right usage: not an AES-KW KEK.
    assert_eq!(
        TypedKey::<KeyWrap>::new(&K16, Algorithm::Tdes2, Usage::WRAP).err(),
        Some(KeyError::WrongAlgorithm)
    );
    // Stored keys: a P0 key is refused as a KEK before any use; a K0 key (the control)
    // makes one.
    let mut s = store();
    let p0 = s
        .import(2, b"pin", Algorithm::Aes256, Usage::PIN_DECRYPT, &K32, None)
        .unwrap();
    let k0 = s
        .import(3, b"kek", Algorithm::Aes256, Usage::UNWRAP, &K32, None)
        .unwrap();
    assert_eq!(
        s.with_typed_key::<KeyUnwrap, _>(p0, |k| Kek::new(k).is_ok()),
        Err(StoreError::UsageDenied)
    );
    assert_eq!(
        s.with_typed_key::<KeyUnwrap, _>(k0, |k| Kek::new(k).is_ok()),
        Ok(true)
    );
    // The direction is part of the use: the unwrap-only key is not a wrapping KEK.
    assert_eq!(
        s.with_typed_key::<KeyWrap, _>(k0, |_| ()),
        Err(StoreError::UsageDenied)
    );
}

#[test]
fn a_kek_of_one_direction_refuses_the_other() {
    let key = [0x42u8; 16];
    let wrap_only = Kek::new(&TypedKey::<KeyWrap>::raw_aes(&K32).unwrap()).unwrap();
    let unwrap_only = Kek::new(&TypedKey::<KeyUnwrap>::raw_aes(&K32).unwrap()).unwrap();
    let mut wrapped = [0u8; 24];
    // Control: each does its own direction (the unwrap-only KEK unwraps what the
    // wrap-only one wrapped: the same key bytes).
    assert_eq!(kw_wrap(&wrap_only, &key, &mut wrapped), Ok(24));
    let mut out = [0xEEu8; 16];
    assert_eq!(kw_unwrap(&unwrap_only, &wrapped, &mut out), Ok(16));
    assert_eq!(out, key);
    // The other direction: the typed error, nothing written.
    let mut out = [0xEEu8; 16];
    assert_eq!(
        kw_unwrap(&wrap_only, &wrapped, &mut out),
        Err(WrapError::UsageDenied)
    );
    assert_eq!(out, [0xEE; 16]);
    let mut again = [0u8; 24];
    assert_eq!(
        kw_wrap(&unwrap_only, &key, &mut again),
        Err(WrapError::UsageDenied)
    );
    assert_eq!(
        kwp_wrap(&unwrap_only, &key, &mut again),
        Err(WrapError::UsageDenied)
    );
    assert_eq!(again, [0; 24]);
}

#[test]
fn a_data_pin_or_initial_key_cannot_build_a_bdk() {
    // Raw keys: only a B0 key is a BDK, only a B1 key an initial key.
    for u in [
        Usage::ENCRYPT | Usage::DECRYPT,
        Usage::PIN_ENCRYPT,
        Usage::IK_DERIVE,
        Usage::DERIVE,
    ] {
        let r = TypedKey::<BdkDerive>::new(&K16, Algorithm::Aes128, u);
        assert_eq!(r.err(), Some(KeyError::UsageDenied), "{u:?} as a BDK");
    }
    assert_eq!(
        TypedKey::<IkDerive>::new(&K16, Algorithm::Aes128, Usage::BDK_DERIVE).err(),
        Some(KeyError::UsageDenied)
    );
    // Each scheme takes its own algorithm: an AES B0 key is no TDES BDK and the other
    // way round (the same 16 bytes).
    let aes_b0 = TypedKey::<BdkDerive>::raw(&K16, Algorithm::Aes128).unwrap();
    let tdes_b0 = TypedKey::<BdkDerive>::raw(&K16, Algorithm::Tdes2).unwrap();
    assert_eq!(
        TdesBdk::new(&aes_b0).err(),
        Some(DukptError::WrongAlgorithm)
    );
    assert_eq!(
        AesBdk::new(&tdes_b0).err(),
        Some(DukptError::WrongAlgorithm)
    );
    let aes_bdk = AesBdk::new(&aes_b0).unwrap();
    assert!(TdesBdk::new(&tdes_b0).is_ok());
    let aes_b1 = TypedKey::<IkDerive>::raw(&K16, Algorithm::Aes128).unwrap();
    let tdes_b1 = TypedKey::<IkDerive>::raw(&K16, Algorithm::Tdes2).unwrap();
    let ksn = TdesKsn::from_array([0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0, 0]);
    assert_eq!(
        AesInitialKey::new(&tdes_b1, &[1; 8]).err(),
        Some(DukptError::WrongAlgorithm)
    );
    assert_eq!(
        TdesIpek::new(&aes_b1, &ksn).err(),
        Some(DukptError::WrongAlgorithm)
    );
    assert!(AesInitialKey::new(&aes_b1, &[1; 8]).is_ok());
    assert!(TdesIpek::new(&tdes_b1, &ksn).is_ok());
    // Stored keys: a D0 key is refused as a BDK; the B0 key of the same bytes makes the
    // same BDK as the raw one (the same initial key).
    let mut s = store();
    let d0 = s
        .import(2, b"data", Algorithm::Aes128, Usage::ENCRYPT, &K16, None)
        .unwrap();
    let b0 = s
        .import(3, b"bdk", Algorithm::Aes128, Usage::BDK_DERIVE, &K16, None)
        .unwrap();
    let ik = |b: &AesBdk| b.initial_key(&[1; 8]).unwrap().expose().to_vec();
    assert_eq!(
        s.with_typed_key::<BdkDerive, _>(d0, |k| AesBdk::new(k).is_ok()),
        Err(StoreError::UsageDenied)
    );
    let stored = s
        .with_typed_key::<BdkDerive, _>(b0, |k| ik(&AesBdk::new(k).unwrap()))
        .unwrap();
    assert_eq!(stored, ik(&aes_bdk));
    // The terminal's initial-key load: a data key labelled like an initial key is
    // refused; the B1 key of the same bytes loads (the control).
    let label = b"1234567890123456";
    let d0_ik = s
        .import(4, label, Algorithm::Aes128, Usage::ENCRYPT, &K16, None)
        .unwrap();
    let b1 = s
        .import(5, label, Algorithm::Aes128, Usage::IK_DERIVE, &K16, None)
        .unwrap();
    assert_eq!(
        terminal::load_initial_key(&mut s, d0_ik, 10).err(),
        Some(TerminalError::Store(StoreError::UsageDenied))
    );
    assert!(terminal::load_initial_key(&mut s, b1, 10).is_ok());
}

/// X9.24-1-2009 A.4's BDK and initial KSN.
const TDES_BDK: [u8; 16] = [
    0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10,
];

#[test]
fn tdes_dukpt_working_keys_come_out_typed_by_their_variant() {
    let bdk = TdesBdk::new(&TypedKey::raw(&TDES_BDK, Algorithm::Tdes2).unwrap()).unwrap();
    let iksn = TdesKsn::from_array([0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0, 0]);
    let mut t = TdesTerminal::load(&bdk.ipek(&iksn), &mut NoPersist).unwrap();
    let tx = t.next_transaction(&mut NoPersist).unwrap();
    let (pin_k, mac_k, data_k) = (
        tx.key(TdesVariant::Pin),
        tx.key(TdesVariant::MacRequest),
        tx.key(TdesVariant::DataRequest),
    );
    // Each key serves the operations of its variant, the role inferred from the
    // operation: the terminal's end, then the host's end from the BDK.
    let block = pin::format0_encrypt(&pin_k.typed().unwrap(), b"1234", PAN).unwrap();
    let tag = mac::retail_mac(&mac_k.typed().unwrap(), b"amount").unwrap();
    let cmac = mac::tdes_cmac(&mac_k.typed().unwrap(), b"amount").unwrap();
    let mut buf = *b"sixteen bytes...";
    keyfort::transaction::data::tdes_cbc_encrypt(&data_k.typed().unwrap(), &[0; 8], &mut buf)
        .unwrap();
    let host = |v| bdk.key(tx.ksn(), v).unwrap();
    let got = pin::format0_decrypt(&host(TdesVariant::Pin).typed().unwrap(), &block, PAN);
    assert_eq!(got.unwrap().expose(), b"1234");
    let mac_h = host(TdesVariant::MacRequest);
    assert!(mac::verify_retail_mac(&mac_h.typed().unwrap(), b"amount", &tag).is_ok());
    assert!(mac::verify_tdes_cmac(&mac_h.typed().unwrap(), b"amount", &cmac).is_ok());
    // Another purpose than the variant's: refused with the typed error.
    let denied = Some(KeyError::UsageDenied);
    assert_eq!(pin_k.typed::<DataDecrypt>().err(), denied);
    assert_eq!(pin_k.typed::<MacGenerate<RetailMac>>().err(), denied);
    assert_eq!(mac_k.typed::<PinEncrypt>().err(), denied);
    assert_eq!(mac_k.typed::<DataEncrypt>().err(), denied);
    assert_eq!(mac_k.typed::<MacGenerate<Hmac>>().err(), denied);
    assert_eq!(data_k.typed::<PinDecrypt>().err(), denied);
    assert_eq!(data_k.typed::<MacVerify<Cmac>>().err(), denied);
    assert_eq!(data_k.typed::<KbpkUnwrap>().err(), denied);
    assert_eq!(data_k.typed::<KeyUnwrap>().err(), denied);
    // The legacy XOR-only data key (with the opt-in) is a data key, nothing else.
    let legacy = tx
        .legacy_key(
            TdesLegacyVariant::DataRequestXorOnly,
            &LegacyOptions::legacy(),
        )
        .unwrap();
    assert!(legacy.typed::<DataEncrypt>().is_ok());
    assert_eq!(legacy.typed::<PinEncrypt>().err(), denied);
}
