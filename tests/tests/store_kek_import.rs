//! `KeyStore::import_wrapped_under`: a KW/KWP-wrapped key imported under a KEK held in the
//! store, by handle. Imports work (RFC 3394 4.1's published wrap among them); a wrong KEK,
//! a KEK without `UNWRAP`, a non-AES KEK and a KEK weaker than the key are refused with
//! their own errors, and nothing is stored when they are. `KeyStore::export_wrapped_under`,
//! the way back out: RFC 3394 4.1's wrap comes out, each export is audited, and every
//! refusal zeroes the buffer and logs nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod store_common;

use keyfort::attributes::{Algorithm, Usage};
use keyfort::platform::NoCounter;
use keyfort::store::backup::WrapScheme;
use keyfort::store::{AuditCode, Error, KeyHandle, KeyStore};
use keyfort::wrap::{kwp_wrap, Kek};
use keyfort_testkit::MockFlash;
use keyfort_tests::unhex;
use store_common::*;

type Flash = MockFlash<{ 4 * 2048 }, 2048>;
type Store = KeyStore<(Flash, Dev, TestRng, NoCounter)>;

/// RFC 3394 4.1: KEK, key data, wrapped key.
const KEK_4_1: &str = "000102030405060708090A0B0C0D0E0F";
const KEY_4_1: &str = "00112233445566778899AABBCCDDEEFF";
const CT_4_1: &str = "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5";

const KEK: u16 = 1;

fn store_with_kek(kek: &[u8], alg: Algorithm, usage: Usage) -> Store {
    let mut s = Store::format((Flash::new(), Dev(DEV_A), TestRng(9), NoCounter)).unwrap();
    s.import(KEK, b"kek", alg, usage, kek, None).unwrap();
    s
}

fn key_of(s: &mut Store, id: u16, need: Usage) -> Result<Vec<u8>, Error> {
    s.with_key(KeyHandle::newest(id), need, |k| k.to_vec())
}

#[test]
fn imports_the_rfc3394_vector_under_a_stored_kek() {
    let mut s = store_with_kek(&unhex(KEK_4_1), Algorithm::Aes128, Usage::UNWRAP);
    let h = s
        .import_wrapped_under(
            KeyHandle::newest(KEK),
            2,
            b"pin",
            Algorithm::Aes128,
            Usage::ENCRYPT,
            WrapScheme::Kw,
            &unhex(CT_4_1),
            None,
        )
        .unwrap();
    assert_eq!(h, KeyHandle::version(2, 1));
    assert_eq!(key_of(&mut s, 2, Usage::ENCRYPT).unwrap(), unhex(KEY_4_1));
    // The policy given is the imported key's, and the event is in the audit log.
    assert_eq!(key_of(&mut s, 2, Usage::DECRYPT), Err(Error::UsageDenied));
    assert!(s
        .audit()
        .any(|e| e.code == AuditCode::ImportedWrapped && e.id == 2));
}

#[test]
fn imports_kwp_under_a_specific_kek_version() {
    let kek = [0x42u8; 32];
    let mut s = store_with_kek(&kek, Algorithm::Aes256, Usage::UNWRAP);
    let mut w = [0u8; 48];
    // A true 3-key TDES key (distinct DES keys: the store refuses a degenerate one).
    let tdes3: [u8; 24] = *b"three-distinct-des-keys!";
    let n = kwp_wrap(
        &Kek::new(&keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&kek).unwrap())
            .unwrap(),
        &tdes3,
        &mut w,
    )
    .unwrap();
    s.import_wrapped_under(
        KeyHandle::version(KEK, 1),
        3,
        b"",
        Algorithm::Tdes3,
        Usage::DECRYPT,
        WrapScheme::Kwp,
        &w[..n],
        None,
    )
    .unwrap();
    assert_eq!(key_of(&mut s, 3, Usage::DECRYPT).unwrap(), tdes3);
}

#[test]
fn wrong_kek_is_refused_and_nothing_is_stored() {
    // The stored KEK differs from the RFC's in one bit.
    let mut kek = unhex(KEK_4_1);
    kek[15] ^= 1;
    let mut s = store_with_kek(&kek, Algorithm::Aes128, Usage::UNWRAP);
    let r = s.import_wrapped_under(
        KeyHandle::newest(KEK),
        2,
        b"pin",
        Algorithm::Aes128,
        Usage::ENCRYPT,
        WrapScheme::Kw,
        &unhex(CT_4_1),
        None,
    );
    assert_eq!(r, Err(Error::Wrap));
    assert_eq!(key_of(&mut s, 2, Usage::ENCRYPT), Err(Error::NotFound));
    // The same bytes under the wrong scheme are not authentic either.
    let r = s.import_wrapped_under(
        KeyHandle::newest(KEK),
        2,
        b"pin",
        Algorithm::Aes128,
        Usage::ENCRYPT,
        WrapScheme::Kwp,
        &unhex(CT_4_1),
        None,
    );
    assert_eq!(r, Err(Error::Wrap));
    assert_eq!(s.inventory().count(), 1, "only the KEK");
}

#[test]
fn kek_without_unwrap_usage_is_refused() {
    let kek = unhex(KEK_4_1);
    // Every usage but UNWRAP (WRAP included: wrapping is not unwrapping).
    let no_unwrap = Usage::ENCRYPT
        | Usage::DECRYPT
        | Usage::WRAP
        | Usage::DERIVE
        | Usage::MAC_GENERATE
        | Usage::MAC_VERIFY
        | Usage::EXPORT;
    let mut s = store_with_kek(&kek, Algorithm::Aes128, no_unwrap);
    let r = s.import_wrapped_under(
        KeyHandle::newest(KEK),
        2,
        b"pin",
        Algorithm::Aes128,
        Usage::ENCRYPT,
        WrapScheme::Kw,
        &unhex(CT_4_1),
        None,
    );
    assert_eq!(r, Err(Error::UsageDenied));
    assert_eq!(key_of(&mut s, 2, Usage::ENCRYPT), Err(Error::NotFound));
}

#[test]
fn non_aes_weak_missing_or_revoked_keks_and_taken_ids_are_refused() {
    let ct = unhex(CT_4_1);
    let args = |s: &mut Store, kek: KeyHandle, id: u16, alg: Algorithm| {
        s.import_wrapped_under(kek, id, b"", alg, Usage::ENCRYPT, WrapScheme::Kw, &ct, None)
    };
    // A TDES key of 16 bytes would expand as an AES-128 KEK: refused by algorithm.
    let mut s = store_with_kek(&unhex(KEK_4_1), Algorithm::Tdes2, Usage::UNWRAP);
    assert_eq!(
        args(&mut s, KeyHandle::newest(KEK), 2, Algorithm::Aes128),
        Err(Error::KekAlgorithm)
    );
    // An AES-128 KEK does not protect an AES-256 key (the wrapped key is 16 bytes here,
    // but the strength check comes first).
    let mut s = store_with_kek(&unhex(KEK_4_1), Algorithm::Aes128, Usage::UNWRAP);
    assert_eq!(
        args(&mut s, KeyHandle::newest(KEK), 2, Algorithm::Aes256),
        Err(Error::KekTooWeak)
    );
    // Length must match the algorithm (16 bytes unwrapped, TDES3 needs 24).
    assert_eq!(
        args(&mut s, KeyHandle::newest(KEK), 2, Algorithm::Tdes3),
        Err(Error::BadLength)
    );
    assert_eq!(
        args(&mut s, KeyHandle::newest(9), 2, Algorithm::Aes128),
        Err(Error::NotFound)
    );
    assert_eq!(
        args(&mut s, KeyHandle::newest(KEK), KEK, Algorithm::Aes128),
        Err(Error::AlreadyExists)
    );
    // A deactivated KEK still unwraps (SP 800-57 §7.4); a compromised one does not.
    s.revoke_with(KEK, 1, keyfort::store::RevocationReason::Compromise)
        .unwrap();
    assert_eq!(
        args(&mut s, KeyHandle::version(KEK, 1), 2, Algorithm::Aes128),
        Err(Error::Compromised)
    );
    // Control: none of the refusals stored anything.
    assert_eq!(s.inventory().count(), 1);
}

/// The number of `Exported` events for key `id` in the audit log.
fn exports_of(s: &Store, id: u16) -> usize {
    s.audit()
        .filter(|e| e.code == AuditCode::Exported && e.id == id)
        .count()
}

#[test]
fn export_wrapped_under_gives_the_rfc3394_vector_and_is_audited() {
    let mut s = store_with_kek(&unhex(KEK_4_1), Algorithm::Aes128, Usage::WRAP);
    s.import(
        2,
        b"k",
        Algorithm::Aes128,
        Usage::ENCRYPT | Usage::EXPORT,
        &unhex(KEY_4_1),
        None,
    )
    .unwrap();
    let mut out = [0u8; 48];
    let n = s
        .export_wrapped_under(
            KeyHandle::newest(KEK),
            KeyHandle::newest(2),
            WrapScheme::Kw,
            &mut out,
        )
        .unwrap();
    assert_eq!(out[..n], unhex(CT_4_1)[..]);
    assert_eq!(exports_of(&s, 2), 1);
    // KWP round trip back in under the same KEK (given UNWRAP too).
    let n = s
        .export_wrapped_under(
            KeyHandle::newest(KEK),
            KeyHandle::newest(2),
            WrapScheme::Kwp,
            &mut out,
        )
        .unwrap();
    let mut back = [0u8; 40];
    let m = keyfort::wrap::kwp_unwrap(
        &Kek::new(
            &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&unhex(KEK_4_1))
                .unwrap(),
        )
        .unwrap(),
        &out[..n],
        &mut back,
    )
    .unwrap();
    assert_eq!(back[..m], unhex(KEY_4_1)[..]);
    assert_eq!(exports_of(&s, 2), 2);
}

#[test]
fn export_wrapped_under_refusals_leave_nothing_and_log_nothing() {
    let kek = unhex(KEK_4_1);
    let mut s = store_with_kek(&kek, Algorithm::Aes128, Usage::WRAP | Usage::UNWRAP);
    s.import(2, b"", Algorithm::Aes128, Usage::ENCRYPT, &[7; 16], None)
        .unwrap();
    s.import(3, b"", Algorithm::Aes256, Usage::EXPORT, &[8; 32], None)
        .unwrap();
    s.import(
        4,
        b"",
        Algorithm::Tdes2,
        Usage::WRAP,
        &unhex("0123456789ABCDEFFEDCBA9876543210"),
        None,
    )
    .unwrap();
    s.import(5, b"", Algorithm::Aes128, Usage::EXPORT, &[9; 16], None)
        .unwrap();
    s.import(6, b"", Algorithm::Aes256, Usage::UNWRAP, &[6; 32], None)
        .unwrap();
    s.revoke(5, 1).unwrap();
    let probe = |s: &mut Store, kek: u16, key: u16, len: usize| {
        let mut out = [0xAAu8; 48];
        let r = s.export_wrapped_under(
            KeyHandle::newest(kek),
            KeyHandle::version(key, 1),
            WrapScheme::Kw,
            &mut out[..len],
        );
        assert!(
            r.is_err() && out.iter().take(len).all(|&b| b == 0),
            "buffer zeroed"
        );
        r
    };
    assert_eq!(probe(&mut s, KEK, 2, 48), Err(Error::NotExportable));
    assert_eq!(probe(&mut s, KEK, 3, 48), Err(Error::KekTooWeak));
    assert_eq!(probe(&mut s, 4, 5, 48), Err(Error::Deactivated));
    s.import(7, b"", Algorithm::Aes128, Usage::EXPORT, &[9; 16], None)
        .unwrap();
    assert_eq!(probe(&mut s, 4, 7, 48), Err(Error::KekAlgorithm));
    assert_eq!(probe(&mut s, 6, 7, 48), Err(Error::UsageDenied));
    assert_eq!(probe(&mut s, KEK, 7, 23), Err(Error::BufferTooSmall));
    for id in [2, 3, 5, 7] {
        assert_eq!(exports_of(&s, id), 0, "key {id}");
    }
    // Control: the same key and KEK with room succeed (24 bytes: KW of 16) and are logged.
    let mut out = [0u8; 24];
    let n = s
        .export_wrapped_under(
            KeyHandle::newest(KEK),
            KeyHandle::newest(7),
            WrapScheme::Kw,
            &mut out,
        )
        .unwrap();
    assert_eq!(n, 24);
    assert_ne!(out, [0u8; 24]);
    assert_eq!(exports_of(&s, 7), 1);
}
