//! Differential test of keyfort's constant-time DES / TDES (`keyfort::block::{Des,
//! Tdes}`) against RustCrypto's table-based `des` crate: random keys and blocks, single
//! DES, 2-key and 3-key TDES, encrypt and decrypt, and chains of blocks.
#![allow(clippy::unwrap_used)]

use des::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use keyfort::block::{Des, Tdes, TdesKeyError};
use proptest::prelude::*;

/// Whether two 8-byte DES keys are the same key (parity bits ignored).
fn same_des_key(a: &[u8], b: &[u8]) -> bool {
    a.iter().zip(b).all(|(x, y)| x & 0xFE == y & 0xFE)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn des_matches_des_crate(key in any::<[u8; 8]>(), pt in any::<[u8; 8]>()) {
        let ours = Des::new(&key);
        let theirs = des::Des::new(&key.into());
        let (mut a, mut b) = (pt, pt);
        ours.encrypt(&mut a);
        theirs.encrypt_block((&mut b).into());
        prop_assert_eq!(a, b);
        let (mut a, mut b) = (pt, pt);
        ours.decrypt(&mut a);
        theirs.decrypt_block((&mut b).into());
        prop_assert_eq!(a, b);
    }

    #[test]
    fn tdes2_matches_des_crate(key in any::<[u8; 16]>(), pt in any::<[u8; 8]>()) {
        prop_assume!(!same_des_key(&key[..8], &key[8..]));
        let ours = Tdes::new(&key).unwrap();
        let theirs = des::TdesEde2::new_from_slice(&key).unwrap();
        let (mut a, mut b) = (pt, pt);
        ours.encrypt(&mut a);
        theirs.encrypt_block((&mut b).into());
        prop_assert_eq!(a, b);
        let (mut a, mut b) = (pt, pt);
        ours.decrypt(&mut a);
        theirs.decrypt_block((&mut b).into());
        prop_assert_eq!(a, b);
    }

    #[test]
    fn tdes3_matches_des_crate(key in any::<[u8; 24]>(), pt in any::<[u8; 8]>()) {
        let (k1, k2, k3) = (&key[..8], &key[8..16], &key[16..]);
        prop_assume!(!same_des_key(k1, k2) && !same_des_key(k2, k3) && !same_des_key(k1, k3));
        let ours = Tdes::new(&key).unwrap();
        let theirs = des::TdesEde3::new_from_slice(&key).unwrap();
        // A chain: each ciphertext is the next plaintext.
        let (mut a, mut b) = (pt, pt);
        for _ in 0..4 {
            ours.encrypt(&mut a);
            theirs.encrypt_block((&mut b).into());
            prop_assert_eq!(a, b);
        }
        for _ in 0..4 {
            ours.decrypt(&mut a);
            theirs.decrypt_block((&mut b).into());
            prop_assert_eq!(a, b);
        }
        prop_assert_eq!(a, pt);
    }

    #[test]
    fn degenerate_tdes_keys_refused(half in any::<[u8; 8]>(), other in any::<[u8; 8]>(), flips in any::<[u8; 3]>()) {
        prop_assume!(!same_des_key(&half, &other));
        // Copies of `half` that differ from it only in parity bits.
        let p = |i: usize| -> [u8; 8] { core::array::from_fn(|j| half[j] ^ ((flips[i] >> (j % 8)) & 1)) };
        let cat = |parts: &[[u8; 8]]| parts.concat();
        let d = Some(TdesKeyError::Degenerate);
        prop_assert_eq!(Tdes::new(&cat(&[p(0), p(1)])).err(), d);
        prop_assert_eq!(Tdes::new(&cat(&[p(0), p(1), other])).err(), d); // K1 = K2
        prop_assert_eq!(Tdes::new(&cat(&[other, p(0), p(1)])).err(), d); // K2 = K3
        // Control: the same parts, all distinct, are accepted.
        prop_assert!(Tdes::new(&cat(&[half, other])).is_ok());
        // K1 = K3 is 2-key TDES (keying option 2 in 24 bytes): accepted, the 2-key
        // cipher, and rated 80 bits.
        let k13 = cat(&[p(0), other, p(2)]);
        let (mut a, mut b) = ([7u8; 8], [7u8; 8]);
        Tdes::new(&k13).unwrap().encrypt(&mut a);
        Tdes::new(&cat(&[half, other])).unwrap().encrypt(&mut b);
        prop_assert_eq!(a, b);
        prop_assert_eq!(keyfort::block::tdes_strength_bits(&k13), Ok(80));
        prop_assert_eq!(keyfort::block::tdes_strength_bits(&cat(&[half, other])), Ok(80));
        prop_assert_eq!(keyfort::block::tdes_strength_bits(&cat(&[p(0), p(1)])), Err(TdesKeyError::Degenerate));
    }
}

#[test]
fn tdes_bad_lengths() {
    for n in [0usize, 8, 15, 17, 23, 25, 32] {
        assert_eq!(
            Tdes::new(&vec![0x5a; n]).err(),
            Some(TdesKeyError::BadLength),
            "{n}"
        );
    }
}
