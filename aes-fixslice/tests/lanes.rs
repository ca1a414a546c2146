//! `lanes`: AES-128 under eight keys at once, and chains of one-block steps, on AES-NI, against the `aes` crate and
//! FIPS-197.
#![cfg(target_arch = "x86_64")]
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use keyfort_aes::lanes::{AesNiLanes, LANES};
use proptest::prelude::*;

fn reference(key: &[u8; 16], block: &[u8; 16]) -> [u8; 16] {
    let mut b = (*block).into();
    aes::Aes128::new(key.into()).encrypt_block(&mut b);
    b.into()
}

#[test]
fn fips197_c1_in_every_lane() {
    assert_eq!(
        AesNiLanes::detect().is_some(),
        std::is_x86_feature_detected!("aes") && std::is_x86_feature_detected!("ssse3"),
        "detection agrees with std's"
    );
    let Some(ni) = AesNiLanes::detect() else {
        eprintln!("no AES-NI on this CPU: nothing to check");
        return;
    };
    let keys = [core::array::from_fn(|i| i as u8); LANES];
    let mut blocks = [core::array::from_fn(|i| (i as u8) * 0x11); LANES];
    ni.encrypt128(&keys, &mut blocks);
    let want = [
        0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5,
        0x5a,
    ];
    assert!(blocks.iter().all(|b| *b == want));
}

proptest! {
    #[test]
    fn each_lane_is_aes128_under_its_own_key(
        keys in proptest::array::uniform8(proptest::array::uniform16(any::<u8>())),
        blocks in proptest::array::uniform8(proptest::array::uniform16(any::<u8>())),
    ) {
        let Some(ni) = AesNiLanes::detect() else { return Ok(()) };
        let mut out = blocks;
        ni.encrypt128(&keys, &mut out);
        for i in 0..LANES {
            prop_assert_eq!(out[i], reference(&keys[i], &blocks[i]), "lane {}", i);
        }
        // One lane and two lanes: the same function of each key and block.
        let mut one = [blocks[0]];
        ni.encrypt128(&[keys[0]], &mut one);
        prop_assert_eq!(one[0], out[0]);
        let mut two = [blocks[1], blocks[2]];
        ni.encrypt128(&[keys[1], keys[2]], &mut two);
        prop_assert_eq!(two, [out[1], out[2]]);
    }

    #[test]
    fn a_chain_is_each_step_keyed_by_the_one_before(
        key in proptest::array::uniform16(any::<u8>()),
        data in proptest::collection::vec(proptest::array::uniform16(any::<u8>()), 0..20),
    ) {
        let Some(ni) = AesNiLanes::detect() else { return Ok(()) };
        let want = data.iter().fold(key, |k, d| reference(&k, d));
        let mut got = key;
        ni.chain128(&mut got, data.iter().copied());
        prop_assert_eq!(got, want);
    }
}
