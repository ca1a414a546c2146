//! Known-answer tests: FIPS-197 Appendix C and NIST SP 800-38A Appendix F.1 (ECB) for the
//! three key sizes, encryption and decryption, one and two blocks.
#![allow(clippy::unwrap_used)]
use keyfort_aes::{Aes, BadKeyLength};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn b16(s: &str) -> [u8; 16] {
    h(s).try_into().unwrap()
}

/// NIST SP 800-38A, Appendix F.1.1 / F.1.3 / F.1.5 (ECB-AES128/192/256.Encrypt).
const SP800_38A_PT: [&str; 4] = [
    "6bc1bee22e409f96e93d7e117393172a",
    "ae2d8a571e03ac9c9eb76fac45af8e51",
    "30c81c46a35ce411e5fbc1191a0a52ef",
    "f69f2445df4f9b17ad2b417be66c3710",
];
const SP800_38A: [(&str, &str, [&str; 4]); 3] = [
    (
        "F.1.1",
        "2b7e151628aed2a6abf7158809cf4f3c",
        [
            "3ad77bb40d7a3660a89ecaf32466ef97",
            "f5d3d58503b9699de785895a96fdbaaf",
            "43b1cd7f598ece23881b00e3ed030688",
            "7b0c785e27e8ad3f8223207104725dd4",
        ],
    ),
    (
        "F.1.3",
        "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
        [
            "bd334f1d6e45f25ff712a214571fa5cc",
            "974104846d0ad3ad7734ecb3ecee4eef",
            "ef7afd2270e2e60adce0ba2face6444e",
            "9a4b41ba738d6c72fb16691603c18e0e",
        ],
    ),
    (
        "F.1.5",
        "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
        [
            "f3eed1bdb5d2a03c064b5a7e3db181f8",
            "591ccb10d410ed26dc5ba74a31362870",
            "b6ed21b99ca6f4f9f153e7b1beafed1d",
            "23304b7a39f9f3ff067d8d8f9e24ecc7",
        ],
    ),
];

#[test]
fn sp800_38a_ecb() {
    let mut n = 0;
    for (id, key, cts) in SP800_38A {
        let aes = Aes::new(&h(key)).unwrap();
        for (i, (pt, ct)) in SP800_38A_PT.iter().zip(cts).enumerate() {
            let mut b = b16(pt);
            aes.encrypt(&mut b);
            assert_eq!(b, b16(ct), "SP 800-38A {id} block {} encrypt", i + 1);
            aes.decrypt(&mut b);
            assert_eq!(b, b16(pt), "SP 800-38A {id} block {} decrypt", i + 1);
            n += 1;
        }
        // blocks 1+2 and 3+4 as two-block calls
        for k in [0, 2] {
            let (mut x, mut y) = (b16(SP800_38A_PT[k]), b16(SP800_38A_PT[k + 1]));
            aes.encrypt2(&mut x, &mut y);
            assert_eq!(
                (x, y),
                (b16(cts[k]), b16(cts[k + 1])),
                "SP 800-38A {id} encrypt2 {k}"
            );
            aes.decrypt2(&mut x, &mut y);
            assert_eq!(
                (x, y),
                (b16(SP800_38A_PT[k]), b16(SP800_38A_PT[k + 1])),
                "SP 800-38A {id} decrypt2 {k}"
            );
        }
    }
    println!("SP 800-38A F.1 ECB: {n} blocks (x2 directions) passed");
}

#[test]
fn bad_key_lengths() {
    for len in [0, 1, 15, 17, 23, 25, 31, 33, 64] {
        assert_eq!(
            Aes::new(&vec![0u8; len]).err(),
            Some(BadKeyLength),
            "len {len}"
        );
    }
    assert_eq!(Aes::new(&[0u8; 24]).unwrap().key_len(), 24);
}

#[test]
fn debug_is_redacted() {
    let aes = Aes::new(&[0x5a; 32]).unwrap();
    assert_eq!(format!("{aes:?}"), "Aes256 { .. }");
}
