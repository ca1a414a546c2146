//! NEGATIVE CONTROLS, deliberately not constant-time: code the constant-time checks must
//! catch. Shared by the Valgrind check (`tests/tests/aes_model_ct.rs`) and the on-target
//! data-address check (`qemu/firmware/src/bin/ct_data.rs`, `./x test ct-data`). Never use
//! these for anything but showing that a check sees a leak.

/// Multiplication in GF(2^8) modulo the AES polynomial (compile time only: branches).
const fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        let hi = a & 0x80;
        a <<= 1;
        if hi != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    p
}

/// The AES S-box as a 256-byte table: inverse (x^254) then the affine map.
const fn sbox_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut x = 0usize;
    while x < 256 {
        let mut inv = 1u8;
        let mut base = x as u8;
        let mut e = 254u32;
        while e != 0 {
            if e & 1 != 0 {
                inv = gf_mul(inv, base);
            }
            base = gf_mul(base, base);
            e >>= 1;
        }
        let mut s = inv;
        let mut r = inv;
        let mut k = 0;
        while k < 4 {
            r = r.rotate_left(1);
            s ^= r;
            k += 1;
        }
        t[x] = s ^ 0x63;
        x += 1;
    }
    t
}

/// The S-box table. A `static`, so every lookup is a load at `SBOX + secret byte`: the
/// leak the checks must see (a data address that depends on the key and the data).
pub static SBOX: [u8; 256] = sbox_table();

/// `x * 2` in GF(2^8), without a branch (the only leak of this AES is its table).
fn xtime(x: u8) -> u8 {
    (x << 1) ^ ((x >> 7) * 0x1b)
}

/// LEAKY AES-128 encryption of one block with a table S-box (key schedule included):
/// correct AES, indexed by secret bytes. Its instruction sequence does not depend on the
/// key or the data, its data addresses do.
pub fn table_aes128_encrypt(key: &[u8; 16], block: &mut [u8; 16]) {
    let mut rk = [0u8; 176];
    rk[..16].copy_from_slice(key);
    let mut rcon = 1u8;
    for i in 4..44 {
        let mut w = [rk[4 * i - 4], rk[4 * i - 3], rk[4 * i - 2], rk[4 * i - 1]];
        if i % 4 == 0 {
            w = [
                SBOX[usize::from(w[1])] ^ rcon,
                SBOX[usize::from(w[2])],
                SBOX[usize::from(w[3])],
                SBOX[usize::from(w[0])],
            ];
            rcon = xtime(rcon);
        }
        for j in 0..4 {
            rk[4 * i + j] = rk[4 * i - 16 + j] ^ w[j];
        }
    }
    let mut s = *block;
    for (b, k) in s.iter_mut().zip(&rk[..16]) {
        *b ^= k;
    }
    for round in 1..=10 {
        // SubBytes and ShiftRows: byte (row r, column c) is s[r + 4c].
        let mut t = [0u8; 16];
        for c in 0..4 {
            for r in 0..4 {
                t[r + 4 * c] = SBOX[usize::from(s[r + 4 * ((c + r) % 4)])];
            }
        }
        if round != 10 {
            for c in 0..4 {
                let a = [t[4 * c], t[4 * c + 1], t[4 * c + 2], t[4 * c + 3]];
                let all = a[0] ^ a[1] ^ a[2] ^ a[3];
                for r in 0..4 {
                    t[4 * c + r] = a[r] ^ all ^ xtime(a[r] ^ a[(r + 1) % 4]);
                }
            }
        }
        for (b, (x, k)) in s.iter_mut().zip(t.iter().zip(&rk[16 * round..])) {
            *b = x ^ k;
        }
    }
    *block = s;
}

/// LEAKY tag comparison: returns at the first differing byte, so its running time (the
/// instructions it executes) says how many leading bytes of a forged tag were right.
#[inline(never)]
pub fn early_exit_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    for (x, y) in a.iter().zip(b) {
        if core::hint::black_box(*x) != *y {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_aes_is_aes() {
        // FIPS-197 Appendix C.1.
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let mut b: [u8; 16] = core::array::from_fn(|i| (i as u8) * 0x11);
        super::table_aes128_encrypt(&key, &mut b);
        assert_eq!(
            b,
            [
                0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4,
                0xc5, 0x5a
            ]
        );
    }

    #[test]
    fn early_exit_eq_compares() {
        assert!(super::early_exit_eq(&[1, 2, 3], &[1, 2, 3]));
        assert!(!super::early_exit_eq(&[1, 2, 3], &[1, 2, 4]));
        assert!(!super::early_exit_eq(&[1, 2], &[1, 2, 3]));
    }
}
