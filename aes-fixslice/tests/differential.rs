//! Random differential tests against RustCrypto's `aes` crate: all key sizes, encryption
//! and decryption, one and two blocks.
#![allow(clippy::unwrap_used)]
use aes::{Aes128, Aes192, Aes256};
use cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use keyfort_aes::Aes;
use proptest::prelude::*;

fn reference(key: &[u8], b: &[u8; 16], enc: bool) -> [u8; 16] {
    let mut x = (*b).into();
    macro_rules! go {
        ($t:ty) => {{
            let c = <$t>::new_from_slice(key).unwrap();
            if enc {
                c.encrypt_block(&mut x)
            } else {
                c.decrypt_block(&mut x)
            }
        }};
    }
    match key.len() {
        16 => go!(Aes128),
        24 => go!(Aes192),
        _ => go!(Aes256),
    }
    x.into()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn matches_aes_crate(key in prop::collection::vec(any::<u8>(), 32), sel in 0usize..3,
                         a in any::<[u8; 16]>(), b in any::<[u8; 16]>()) {
        let key = &key[..[16, 24, 32][sel]];
        let aes = Aes::new(key).unwrap();
        let (ea, eb) = (reference(key, &a, true), reference(key, &b, true));
        let (da, db) = (reference(key, &a, false), reference(key, &b, false));
        let mut x = a;
        aes.encrypt(&mut x);
        prop_assert_eq!(x, ea);
        let mut x = a;
        aes.decrypt(&mut x);
        prop_assert_eq!(x, da);
        let (mut x, mut y) = (a, b);
        aes.encrypt2(&mut x, &mut y);
        prop_assert_eq!((x, y), (ea, eb));
        let (mut x, mut y) = (a, b);
        aes.decrypt2(&mut x, &mut y);
        prop_assert_eq!((x, y), (da, db));
        let (mut x, mut y) = (a, b);
        aes.encrypt2_model(&mut x, &mut y);
        prop_assert_eq!((x, y), (ea, eb));
        let (mut x, mut y) = (a, b);
        aes.decrypt2_model(&mut x, &mut y);
        prop_assert_eq!((x, y), (da, db));
    }
}
