//! Known-answer tests of keyfort's constant-time DES and TDES (`keyfort::block::Des`,
//! `keyfort::block::Tdes`, both on `src/block/des_ct.rs`):
//!
//! - NIST SP 800-20 Appendix A, all five tables (variable plaintext, inverse
//!   permutation, variable key, permutation operation, substitution table: 235
//!   records), read from `tests/vectors/des_sp800_20.txt`, as single DES, encrypt and
//!   decrypt (their TDEA form, K1 = K2 = K3, is a degenerate key that `Tdes` refuses);
//! - NIST SP 800-67 Rev. 1 Appendix B, the TDEA ECB example (3-key, three blocks);
//! - FIPS 81 Appendix B, table B1 (DES ECB, "Now is the time for all ").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keyfort::block::{Des, Tdes, TdesKeyError};
use keyfort_tests::unhex;

struct Kat {
    table: String,
    key: [u8; 8],
    pt: [u8; 8],
    ct: [u8; 8],
}

fn block(s: &str) -> [u8; 8] {
    unhex(s).try_into().expect("8 bytes")
}

fn sp800_20() -> Vec<Kat> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/des_sp800_20.txt");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 4, "bad record {l:?}");
            Kat {
                table: f[0].to_string(),
                key: block(f[1]),
                pt: block(f[2]),
                ct: block(f[3]),
            }
        })
        .collect()
}

#[test]
fn sp800_20_all_tables_single_des() {
    let kats = sp800_20();
    let mut per_table = std::collections::BTreeMap::<&str, usize>::new();
    for k in &kats {
        let d = Des::new(&k.key);
        let mut b = k.pt;
        d.encrypt(&mut b);
        assert_eq!(b, k.ct, "{} encrypt, key {:02x?}", k.table, k.key);
        d.decrypt(&mut b);
        assert_eq!(b, k.pt, "{} decrypt, key {:02x?}", k.table, k.key);
        *per_table.entry(k.table.as_str()).or_default() += 1;
    }
    // The five tables of SP 800-20 Appendix A, complete.
    let want = [
        ("invperm", 64),
        ("permop", 32),
        ("subtab", 19),
        ("varkey", 56),
        ("varpt", 64),
    ];
    assert_eq!(per_table.into_iter().collect::<Vec<_>>(), want);
}

#[test]
fn sp800_20_tables_refused_as_tdes_keys() {
    // The SP 800-20 TDEA form uses K1 = K2 = K3: single DES. keyfort's Tdes refuses such
    // keys (and a key that differs only in parity bits); the single-DES results above are
    // what those records check.
    for k in sp800_20().iter().take(3) {
        let mut k3 = [0u8; 24];
        for (i, c) in k3.chunks_mut(8).enumerate() {
            c.copy_from_slice(&k.key);
            c[7] ^= u8::from(i % 2 == 1); // parity bit only
        }
        assert_eq!(Tdes::new(&k3).err(), Some(TdesKeyError::Degenerate));
        assert_eq!(Tdes::new(&k3[..16]).err(), Some(TdesKeyError::Degenerate));
    }
}

#[test]
fn sp800_67_tdea_example() {
    // SP 800-67 Rev. 1, Appendix B: "The qufck brown fox jump" under three keys.
    let key = unhex("0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123");
    let pt = *b"The qufck brown fox jump";
    let ct = unhex("A826FD8CE53B855FCCE21C8112256FE668D5C05DD9B6B900");
    let t = Tdes::new(&key).unwrap();
    assert_eq!(t.key_len(), 24);
    for i in 0..3 {
        let mut b: [u8; 8] = pt[8 * i..8 * i + 8].try_into().unwrap();
        t.encrypt(&mut b);
        assert_eq!(b[..], ct[8 * i..8 * i + 8], "block {i}");
        t.decrypt(&mut b);
        assert_eq!(b[..], pt[8 * i..8 * i + 8], "block {i} decrypt");
    }
}

#[test]
fn fips81_ecb_example() {
    // FIPS 81 Appendix B, table B1 (ECB).
    let d = Des::new(&block("0123456789abcdef"));
    let pt = b"Now is the time for all ";
    let ct = unhex("3fa40e8a984d48156a271787ab8883f9893d51ec4b563b53");
    for i in 0..3 {
        let mut b: [u8; 8] = pt[8 * i..8 * i + 8].try_into().unwrap();
        d.encrypt(&mut b);
        assert_eq!(b[..], ct[8 * i..8 * i + 8], "block {i}");
    }
}
