//! The block cipher modes of the crate, one copy each over [`BlockCipher`] (AES and TDES
//! alike, see [`crate::block_cipher`]): CBC encryption and decryption, CBC-MAC and CTR. CMAC
//! is [`crate::cmac`]. Every caller (data encryption in [`crate::transaction`], TR-31 key block
//! import and export, the key store's record sealing, the X9.19 retail MAC) runs these
//! loops; none has its own.
//!
//! The functions work in place and carry the chaining value (or counter) in the caller's
//! hands, so a caller can stream a message through them a piece at a time. Lengths are
//! public; what runs never depends on a key or data byte. Temporaries that held
//! plaintext or keystream are wiped.
use zeroize::Zeroize;

use crate::block_cipher::{Block, BlockCipher, BlockEncrypt};

/// `dst ^= src`, as many bytes as both hold.
fn xor_into(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src.iter()) {
        *d ^= s;
    }
}

/// Copies as many bytes of `src` into `dst` as both hold.
fn copy_in(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src.iter()) {
        *d = *s;
    }
}

/// CBC-encrypts the whole blocks of `buf` in place, chaining from `chain` (the IV on the
/// first call) and leaving the last ciphertext block in it. A trailing partial block is
/// left as it is: callers check lengths first.
pub(crate) fn cbc_encrypt(c: &dyn BlockCipher, chain: &mut Block, buf: &mut [u8]) {
    let n = c.block_len();
    for chunk in buf.chunks_exact_mut(n) {
        xor_into(chain, chunk);
        c.enc(chain);
        copy_in(chunk, chain);
    }
}

/// CBC-decrypts the whole blocks of `buf` in place, chaining from `chain` (the IV on the
/// first call) and leaving the last ciphertext block in it. A trailing partial block is
/// left as it is. Two blocks at a time: CBC decryption of a pair is two independent
/// block decryptions, one two-block call ([`BlockCipher::dec2`]).
pub(crate) fn cbc_decrypt(c: &dyn BlockCipher, chain: &mut Block, buf: &mut [u8]) {
    let n = c.block_len();
    let whole = buf.len() - buf.chunks_exact(n).remainder().len();
    let buf = buf.get_mut(..whole).unwrap_or(&mut []);
    for pair in buf.chunks_mut(2 * n) {
        let (x, y) = pair.split_at_mut(pair.len().min(n));
        let mut a = [0u8; 16];
        copy_in(&mut a, x);
        let ca = a;
        if y.is_empty() {
            c.dec(&mut a);
            xor_into(&mut a, chain);
            copy_in(x, &a);
            *chain = ca;
        } else {
            let mut b = [0u8; 16];
            copy_in(&mut b, y);
            let cb = b;
            c.dec2(&mut a, &mut b);
            xor_into(&mut a, chain);
            xor_into(&mut b, &ca);
            copy_in(x, &a);
            copy_in(y, &b);
            *chain = cb;
            b.zeroize();
        }
        a.zeroize();
    }
}

/// CBC-MAC: chains `data` into `chain` (zero IV on the first call), a final partial
/// block zero-padded (ISO 9797-1 padding method 1). The MAC is `chain` after the last
/// call (an output transformation, if any, is the caller's).
pub(crate) fn cbc_mac(c: &dyn BlockCipher, chain: &mut Block, data: &[u8]) {
    for chunk in data.chunks(c.block_len()) {
        xor_into(chain, chunk);
        c.enc(chain);
    }
}

/// CTR: XORs the keystream into `buf`, each keystream block the encryption of the next
/// counter block `next()` returns (the caller's counter layout and increment). The
/// last block may be partial. Keystream blocks are independent: two per two-block call
/// ([`BlockCipher::enc2`]).
pub(crate) fn ctr_xor(c: &dyn BlockEncrypt, next: &mut dyn FnMut() -> Block, buf: &mut [u8]) {
    let n = c.block_len();
    for pair in buf.chunks_mut(2 * n) {
        let (x, y) = pair.split_at_mut(pair.len().min(n));
        let mut ka = next();
        if y.is_empty() {
            c.enc(&mut ka);
        } else {
            let mut kb = next();
            c.enc2(&mut ka, &mut kb);
            xor_into(y, &kb);
            kb.zeroize();
        }
        xor_into(x, &ka);
        ka.zeroize();
    }
}

/// Adds one to a 128-bit big-endian counter (wrapping).
pub(crate) fn inc_be128(ctr: &mut Block) {
    let mut carry = 1u16;
    for b in ctr.iter_mut().rev() {
        let s = u16::from(*b) + carry;
        *b = s.to_be_bytes()[1];
        carry = s >> 8;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::block::{Aes, Tdes};
    use crate::testutil::unhex as h;

    fn aes128() -> Aes {
        Aes::new(&h("2b7e151628aed2a6abf7158809cf4f3c")).unwrap()
    }
    const PT: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                      30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

    fn block(s: &str) -> Block {
        h(s).try_into().unwrap()
    }

    #[test]
    fn cbc_sp800_38a_f2_streamed_in_pieces() {
        // SP 800-38A F.2.1 / F.2.2; the message fed in pieces of 1, 2 and 1 blocks gives
        // the same as in one piece (the chaining value carries over).
        let iv = block("000102030405060708090a0b0c0d0e0f");
        let ct = h(
            "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2\
                    73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
        );
        let c = aes128();
        let mut whole = h(PT);
        let mut chain = iv;
        cbc_encrypt(&c, &mut chain, &mut whole);
        assert_eq!(whole, ct);
        assert_eq!(chain[..], ct[48..]);
        let mut pieces = ct.clone();
        let mut chain = iv;
        let (a, rest) = pieces.split_at_mut(16);
        let (b, d) = rest.split_at_mut(32);
        for p in [a, b, d] {
            cbc_decrypt(&c, &mut chain, p);
        }
        assert_eq!(pieces, h(PT));
        // A trailing partial block is not touched.
        let mut odd = ct[..20].to_vec();
        let mut chain = iv;
        cbc_decrypt(&c, &mut chain, &mut odd);
        assert_eq!(odd[..16], h(PT)[..16]);
        assert_eq!(odd[16..], ct[16..20]);
    }

    #[test]
    fn ctr_sp800_38a_f5_with_partial_last_block() {
        // SP 800-38A F.5.1 (CTR-AES128.Encrypt), the last block cut to 5 bytes.
        let mut ctr = block("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        let ct = h(
            "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff\
                    5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
        );
        let mut buf = h(PT)[..53].to_vec();
        ctr_xor(
            &aes128(),
            &mut || {
                let b = ctr;
                inc_be128(&mut ctr);
                b
            },
            &mut buf,
        );
        assert_eq!(buf, ct[..53]);
    }

    #[test]
    fn counter_carries_and_wraps() {
        let mut c = block("000000000000000000000000000000ff");
        inc_be128(&mut c);
        assert_eq!(c, block("00000000000000000000000000000100"));
        let mut c = [0xffu8; 16];
        inc_be128(&mut c);
        assert_eq!(c, [0u8; 16]);
    }

    #[test]
    fn cbc_mac_is_the_last_cbc_block_and_zero_pads() {
        // CBC-MAC under TDES equals the last block of CBC encryption with a zero IV; a
        // 13-byte message MACs as its zero-padded 16 bytes.
        let t = Tdes::new(&h("0123456789abcdeffedcba9876543210")).unwrap();
        let mut msg = [0x5au8; 16];
        msg[13..].fill(0);
        let mut mac = [0u8; 16];
        cbc_mac(&t, &mut mac, &msg[..13]);
        let mut enc = msg;
        let mut chain = [0u8; 16];
        cbc_encrypt(&t, &mut chain, &mut enc);
        assert_eq!(mac[..8], enc[8..]);
        let mut other = [0u8; 16];
        cbc_mac(&t, &mut other, &[0x5a; 14]);
        assert_ne!(mac, other);
    }
}
