//! keyfort-aes through the RustCrypto `cipher` traits: the RustCrypto modes (CBC, CTR,
//! CMAC) run on `Aes128`/`Aes192`/`Aes256` and give what they give on the `aes` crate,
//! for every key size, on lengths that use the two-block path, the one-block path and
//! both. CMAC is also pinned to NIST SP 800-38B's published AES-128 examples.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use cipher::{
    BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit,
    StreamCipher,
};
use cmac::Mac;

/// Deterministic test data (xorshift64).
fn bytes<const N: usize>(seed: u64) -> [u8; N] {
    let mut x = seed | 1;
    core::array::from_fn(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 24) as u8
    })
}

fn blocks(n: usize, seed: u64) -> Vec<cipher::Block<keyfort_aes::Aes128>> {
    (0..n)
        .map(|i| bytes::<16>(seed + i as u64).into())
        .collect()
}

/// Runs `check::<keyfort type, aes type>` for the three key sizes.
macro_rules! all_sizes {
    ($check:ident) => {
        $check::<keyfort_aes::Aes128, aes::Aes128>();
        $check::<keyfort_aes::Aes192, aes::Aes192>();
        $check::<keyfort_aes::Aes256, aes::Aes256>();
    };
}

type B = cipher::Block<keyfort_aes::Aes128>;

fn block_cipher<K, A>()
where
    K: KeyInit
        + BlockCipherEncrypt
        + BlockCipherDecrypt
        + cipher::BlockSizeUser<BlockSize = cipher::consts::U16>,
    A: KeyInit<KeySize = K::KeySize>
        + BlockCipherEncrypt
        + BlockCipherDecrypt
        + cipher::BlockSizeUser<BlockSize = cipher::consts::U16>,
{
    for n in [1usize, 2, 3, 7] {
        let mut key = cipher::Key::<K>::default();
        key.iter_mut()
            .zip(bytes::<32>(n as u64))
            .for_each(|(k, b)| *k = b);
        let (ours, theirs) = (K::new(&key), A::new(&key));
        let plain: Vec<B> = blocks(n, 100 + n as u64);
        let (mut a, mut b) = (plain.clone(), plain.clone());
        ours.encrypt_blocks(&mut a);
        theirs.encrypt_blocks(&mut b);
        assert_eq!(a, b, "{n} blocks");
        assert_ne!(a, plain);
        ours.decrypt_blocks(&mut a);
        assert_eq!(a, plain, "{n} blocks round trip");
    }
}

fn cbc_mode<K, A>()
where
    K: KeyInit
        + BlockCipherEncrypt
        + BlockCipherDecrypt
        + cipher::BlockSizeUser<BlockSize = cipher::consts::U16>,
    A: KeyInit<KeySize = K::KeySize>
        + BlockCipherEncrypt
        + BlockCipherDecrypt
        + cipher::BlockSizeUser<BlockSize = cipher::consts::U16>,
{
    for n in [1usize, 2, 5] {
        let mut key = cipher::Key::<K>::default();
        key.iter_mut()
            .zip(bytes::<32>(7 + n as u64))
            .for_each(|(k, b)| *k = b);
        let iv = bytes::<16>(9).into();
        let plain = blocks(n, 200 + n as u64);
        let (mut a, mut b) = (plain.clone(), plain.clone());
        cbc::Encryptor::<K>::new(&key, &iv).encrypt_blocks(&mut a);
        cbc::Encryptor::<A>::new(&key, &iv).encrypt_blocks(&mut b);
        assert_eq!(a, b, "CBC encrypt, {n} blocks");
        // CBC decryption works on two blocks at once (the parallel path).
        cbc::Decryptor::<K>::new(&key, &iv).decrypt_blocks(&mut a);
        assert_eq!(a, plain, "CBC decrypt, {n} blocks");
    }
}

fn ctr_mode<K, A>()
where
    K: KeyInit + BlockCipherEncrypt + cipher::BlockSizeUser<BlockSize = cipher::consts::U16>,
    A: KeyInit<KeySize = K::KeySize>
        + BlockCipherEncrypt
        + cipher::BlockSizeUser<BlockSize = cipher::consts::U16>,
{
    for len in [0usize, 5, 16, 33, 100] {
        let mut key = cipher::Key::<K>::default();
        key.iter_mut()
            .zip(bytes::<32>(11 + len as u64))
            .for_each(|(k, b)| *k = b);
        // A counter about to wrap its low 64 bits.
        let mut iv = [0xFFu8; 16];
        iv[..8].copy_from_slice(&bytes::<8>(13));
        let plain = bytes::<100>(300 + len as u64);
        let (mut a, mut b) = (plain[..len].to_vec(), plain[..len].to_vec());
        ctr::Ctr128BE::<K>::new(&key, &iv.into()).apply_keystream(&mut a);
        ctr::Ctr128BE::<A>::new(&key, &iv.into()).apply_keystream(&mut b);
        assert_eq!(a, b, "CTR, {len} bytes");
        ctr::Ctr128BE::<K>::new(&key, &iv.into()).apply_keystream(&mut a);
        assert_eq!(a, &plain[..len]);
    }
}

fn cmac_mode<K, A>()
where
    K: KeyInit + BlockCipherEncrypt + cipher::BlockSizeUser<BlockSize = cipher::consts::U16>,
    A: KeyInit<KeySize = K::KeySize>
        + BlockCipherEncrypt
        + cipher::BlockSizeUser<BlockSize = cipher::consts::U16>,
{
    for len in [0usize, 16, 40, 64] {
        let mut key = cipher::Key::<K>::default();
        key.iter_mut()
            .zip(bytes::<32>(17 + len as u64))
            .for_each(|(k, b)| *k = b);
        let msg = bytes::<64>(400 + len as u64);
        let mut ours = <cmac::Cmac<K> as KeyInit>::new(&key);
        ours.update(&msg[..len]);
        let mut theirs = <cmac::Cmac<A> as KeyInit>::new(&key);
        theirs.update(&msg[..len]);
        assert_eq!(
            ours.finalize().into_bytes(),
            theirs.finalize().into_bytes(),
            "CMAC, {len} bytes"
        );
    }
}

#[test]
fn single_and_multi_block_match_the_aes_crate() {
    all_sizes!(block_cipher);
}

#[test]
fn cbc_on_keyfort_aes_matches_cbc_on_aes() {
    all_sizes!(cbc_mode);
}

#[test]
fn ctr_on_keyfort_aes_matches_ctr_on_aes() {
    all_sizes!(ctr_mode);
}

#[test]
fn cmac_on_keyfort_aes_matches_cmac_on_aes() {
    all_sizes!(cmac_mode);
}

#[test]
fn cmac_nist_sp800_38b_aes128_examples() {
    let key = hex::decode("2b7e151628aed2a6abf7158809cf4f3c").unwrap();
    let key = cipher::Key::<keyfort_aes::Aes128>::try_from(&key[..]).unwrap();
    let cases = [
        ("", "bb1d6929e95937287fa37d129b756746"),
        (
            "6bc1bee22e409f96e93d7e117393172a",
            "070a16b46b4d4144f79bdd9dd04a287c",
        ),
    ];
    for (msg, tag) in cases {
        let mut mac = <cmac::Cmac<keyfort_aes::Aes128> as KeyInit>::new(&key);
        mac.update(&hex::decode(msg).unwrap());
        assert_eq!(hex::encode(mac.finalize().into_bytes()), tag);
    }
}

#[test]
fn debug_is_redacted() {
    let k = keyfort_aes::Aes256::new(&[0xAB; 32].into());
    assert_eq!(format!("{k:?}"), "Aes256 { .. }");
}
