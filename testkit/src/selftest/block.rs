//! Self-tests of the AES seam: `keyfort-aes`'s own (FIPS-197 Appendix C; its assembly
//! against its portable model on pseudo-random keys and blocks), and `keyfort::block::Aes`
//! against RustCrypto's `aes` crate for all key sizes, one and two blocks, both directions.
use super::{check, Test};
use keyfort::block::{Aes, Des, Tdes, TdesKeyError};

/// The seam's self-tests.
pub const TESTS: &[Test] = &[
    Test {
        name: "block::aes_fips197",
        run: super::aes::fips197,
    },
    Test {
        name: "block::aes_asm_vs_model",
        run: || super::aes::differential(3),
    },
    Test {
        name: "block::aes_vs_aes_crate",
        run: vs_aes_crate,
    },
    Test {
        name: "block::des_tdes_known_answers",
        run: des_known_answers,
    },
];

/// keyfort's constant-time DES / TDES on the target: FIPS 81 table B1 (DES ECB), a few
/// records of SP 800-20 (variable key, permutation operation, substitution table; the
/// full tables run on the host, `tests/tests/des_vectors.rs`) and SP 800-67's TDEA
/// example, each encrypted and decrypted; a degenerate TDES key refused.
fn des_known_answers() -> Result<(), &'static str> {
    let h = |x: u64| x.to_be_bytes();
    // (key, plaintext, ciphertext)
    let des: [(u64, u64, u64); 5] = [
        (
            0x0123_4567_89ab_cdef,
            0x4e6f_7720_6973_2074,
            0x3fa4_0e8a_984d_4815,
        ), // FIPS 81
        (0x8001_0101_0101_0101, 0, 0x95a8_d728_13da_a94d), // SP 800-20 varkey 0
        (0x1046_9134_8998_0131, 0, 0x88d5_5e54_f54c_97b4), // SP 800-20 permop 0
        (
            0x7ca1_1045_4a1a_6e57,
            0x01a1_d6d0_3977_6742,
            0x690f_5b0d_9a26_939b,
        ), // subtab 0
        (
            0x0101_0101_0101_0101,
            0x8000_0000_0000_0000,
            0x95f8_a5e5_dd31_d900,
        ), // varpt 0
    ];
    for (k, p, c) in des {
        let d = Des::new(&h(k));
        let mut b = h(p);
        d.encrypt(&mut b);
        check(b == h(c), "DES encrypt")?;
        d.decrypt(&mut b);
        check(b == h(p), "DES decrypt")?;
    }
    // SP 800-67 Rev. 1 appendix B: three keys, "The qufck brown fox jump".
    let mut key = [0u8; 24];
    for (dst, k) in key.chunks_mut(8).zip([
        0x0123_4567_89AB_CDEFu64,
        0x2345_6789_ABCD_EF01,
        0x4567_89AB_CDEF_0123,
    ]) {
        dst.copy_from_slice(&h(k));
    }
    let t = Tdes::new(&key).map_err(|_| "TDES key")?;
    let pt = b"The qufck brown fox jump";
    let ct = [
        0xA826_FD8C_E53B_855Fu64,
        0xCCE2_1C81_1225_6FE6,
        0x68D5_C05D_D9B6_B900,
    ];
    for (p, c) in pt.chunks_exact(8).zip(ct) {
        let mut b = [0u8; 8];
        b.copy_from_slice(p);
        t.encrypt(&mut b);
        check(b == h(c), "TDES encrypt")?;
        t.decrypt(&mut b);
        check(b == p, "TDES decrypt")?;
    }
    let mut same = [0u8; 16];
    same[..8].copy_from_slice(&h(0x0123_4567_89AB_CDEF));
    same[8..].copy_from_slice(&h(0x0123_4567_89AB_CDEF ^ 0x0101_0101_0101_0101));
    check(
        Tdes::new(&same).err() == Some(TdesKeyError::Degenerate),
        "degenerate TDES key refused",
    )
}

fn vs_aes_crate() -> Result<(), &'static str> {
    use aes::{Aes128, Aes192, Aes256};
    use cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
    let mut x = 0x9e37_79b9u32;
    let mut fill = |b: &mut [u8]| {
        for v in b {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *v = x.to_le_bytes()[1];
        }
    };
    for len in [16usize, 24, 32] {
        for _ in 0..2 {
            let mut key = [0u8; 32];
            fill(&mut key);
            let key = key.get(..len).ok_or("len")?;
            let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
            fill(&mut a);
            fill(&mut b);
            let ours = Aes::new(key).map_err(|_| "new")?;
            let (mut ea, mut eb, mut da, mut db) = (a, b, a, b);
            macro_rules! peer {
                ($t:ty) => {{
                    let c = <$t>::new_from_slice(key).map_err(|_| "peer")?;
                    c.encrypt_block((&mut ea).into());
                    c.encrypt_block((&mut eb).into());
                    c.decrypt_block((&mut da).into());
                    c.decrypt_block((&mut db).into());
                }};
            }
            match len {
                16 => peer!(Aes128),
                24 => peer!(Aes192),
                _ => peer!(Aes256),
            }
            let (mut p, mut q) = (a, b);
            ours.encrypt(&mut p);
            check(p == ea, "encrypt")?;
            ours.decrypt(&mut p);
            check(p == a, "decrypt roundtrip")?;
            let mut p = a;
            ours.decrypt(&mut p);
            check(p == da, "decrypt")?;
            let mut p = a;
            ours.encrypt2(&mut p, &mut q);
            check(p == ea && q == eb, "encrypt2")?;
            let (mut p, mut q) = (a, b);
            ours.decrypt2(&mut p, &mut q);
            check(p == da && q == db, "decrypt2")?;
        }
    }
    Ok(())
}
