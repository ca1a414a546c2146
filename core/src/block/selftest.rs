//! Self-tests of the AES seam: `keyfort-aes`'s own (FIPS-197 Appendix C; its assembly
//! against its portable model on pseudo-random keys and blocks), and [`Aes`](crate::block::Aes)
//! against RustCrypto's `aes` crate for all key sizes, one and two blocks, both directions.
use crate::selftest::{check, Test};

/// The seam's self-tests.
pub const TESTS: &[Test] = &[
    Test {
        name: "block::aes_fips197",
        run: || keyfort_aes::selftest::fips197(),
    },
    Test {
        name: "block::aes_asm_vs_model",
        run: || keyfort_aes::selftest::differential(3),
    },
    Test {
        name: "block::aes_vs_aes_crate",
        run: vs_aes_crate,
    },
];

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
            let ours = super::Aes::new(key).map_err(|_| "new")?;
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
