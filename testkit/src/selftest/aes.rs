//! keyfort-aes's self-tests, on the target (keyfort's QEMU boards) and on the host: FIPS-197
//! Appendix C vectors for the three key sizes, encryption and decryption, one and two
//! blocks; on ARMv7-M also a differential test of the assembly against the portable model
//! over pseudo-random keys and blocks.
use super::check;
use keyfort_aes::Aes;

/// FIPS-197 Appendix C: key = 00 01 02 ..., plaintext 00112233..eeff, ciphertexts of
/// C.1 (AES-128), C.2 (AES-192), C.3 (AES-256).
const FIPS197_PT: [u8; 16] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
];
const FIPS197_CT: [(usize, [u8; 16]); 3] = [
    (
        16,
        [
            0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4,
            0xc5, 0x5a,
        ],
    ),
    (
        24,
        [
            0xdd, 0xa9, 0x7c, 0xa4, 0x86, 0x4c, 0xdf, 0xe0, 0x6e, 0xaf, 0x70, 0xa0, 0xec, 0x0d,
            0x71, 0x91,
        ],
    ),
    (
        32,
        [
            0x8e, 0xa2, 0xb7, 0xca, 0x51, 0x67, 0x45, 0xbf, 0xea, 0xfc, 0x49, 0x90, 0x4b, 0x49,
            0x60, 0x89,
        ],
    ),
];

/// FIPS-197 Appendix C through the public API (one block and two blocks).
pub fn fips197() -> Result<(), &'static str> {
    let mut key = [0u8; 32];
    for (k, i) in key.iter_mut().zip(0u8..) {
        *k = i;
    }
    for (len, ct) in FIPS197_CT {
        let aes = Aes::new(key.get(..len).unwrap_or(&[])).map_err(|_| "new")?;
        let mut b = FIPS197_PT;
        aes.encrypt(&mut b);
        check(b == ct, "fips197 encrypt")?;
        aes.decrypt(&mut b);
        check(b == FIPS197_PT, "fips197 decrypt")?;
        let (mut x, mut y) = (FIPS197_PT, ct);
        aes.encrypt2(&mut x, &mut y);
        let mut z = ct;
        aes.encrypt(&mut z);
        check(x == ct && y == z, "fips197 encrypt2")?;
        aes.decrypt2(&mut x, &mut y);
        check(x == FIPS197_PT && y == ct, "fips197 decrypt2")?;
    }
    Ok(())
}

/// xorshift32: a public, deterministic stream of test inputs.
struct Xs(u32);
impl Xs {
    fn fill(&mut self, b: &mut [u8]) {
        for x in b {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 17;
            self.0 ^= self.0 << 5;
            *x = self.0.to_le_bytes()[0];
        }
    }
}

/// The block functions in use (the assembly on ARMv7-M) against the portable model, on
/// `rounds` pseudo-random keys per size and two random blocks each: encrypt, decrypt,
/// one and two blocks.
pub fn differential(rounds: usize) -> Result<(), &'static str> {
    let mut rng = Xs(0x2545_f491);
    for len in [16, 24, 32] {
        for _ in 0..rounds {
            let mut key = [0u8; 32];
            rng.fill(&mut key);
            let aes = Aes::new(key.get(..len).unwrap_or(&[])).map_err(|_| "new")?;
            let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
            rng.fill(&mut a);
            rng.fill(&mut b);
            let (mut ma, mut mb) = (a, b);
            aes.encrypt2_model(&mut ma, &mut mb);
            let (mut xa, mut xb) = (a, b);
            aes.encrypt2(&mut xa, &mut xb);
            check(xa == ma && xb == mb, "encrypt2 vs model")?;
            let mut s = b;
            aes.encrypt(&mut s);
            check(s == mb, "encrypt vs model")?;
            aes.decrypt2_model(&mut ma, &mut mb);
            check(ma == a && mb == b, "model decrypt2")?;
            aes.decrypt2(&mut xa, &mut xb);
            check(xa == a && xb == b, "decrypt2 vs model")?;
            let mut s = mb;
            aes.encrypt2_model(&mut s, &mut ma);
            aes.decrypt(&mut s);
            check(s == b, "decrypt vs model")?;
        }
    }
    Ok(())
}
