//! CMAC (NIST SP 800-38B) over the [`crate::block`] seam, for AES (16-byte blocks) and
//! TDES (8-byte blocks), streaming, with subkey generation free of secret-dependent
//! branches. The one CMAC of the crate: TR-31 (key block MAC and key derivation) and
//! [`crate::transaction::mac`] (AES-CMAC, TDES-CMAC) both call it.
use zeroize::Zeroize;

#[cfg(test)]
use crate::block::Aes;
use crate::block::Tdes;
use crate::block_cipher::{Block, BlockCipher};

/// The SP 800-38B constant R_b for the block length `n` (16 or 8).
const fn rb(n: usize) -> u8 {
    if n == 16 {
        0x87
    } else {
        0x1B
    }
}

/// Doubling in GF(2^n), in place, of the `n`-byte block in `x` (`n` is 16 or 8): shift
/// left by one, xor R_b when the top bit was set (mask, no branch on the data). A byte
/// loop: the smallest code on every core, and a few dozen instructions next to the block
/// cipher call that made `x`.
pub(crate) fn dbl(x: &mut Block, n: usize) {
    if let Some(x) = x.get_mut(..n) {
        let mut carry = 0u8;
        for v in x.iter_mut().rev() {
            let top = *v >> 7;
            *v = (*v << 1) | carry;
            carry = top;
        }
        if let Some(last) = x.last_mut() {
            *last ^= 0u8.wrapping_sub(carry) & rb(n);
        }
    }
}

/// A streaming CMAC computation over either block size (one copy of the code for AES
/// and TDES, see [`crate::block_cipher`]). Its state (chaining value, pending block, which may
/// hold plaintext, and the subkey seed L) is wiped on drop.
///
/// L = E(K, 0) does not depend on the message: it is computed together with the first
/// chained block in one two-block call ([`BlockCipher::enc2`]), so a message of more
/// than one block costs one block-cipher call per block and nothing more on ciphers
/// whose two-block call costs what one block does (fixsliced AES).
pub(crate) struct Cmac<'c> {
    cipher: &'c dyn BlockCipher,
    /// The block length: 16 or 8.
    n: usize,
    x: Block,
    buf: Block,
    fill: usize,
    l: Block,
    have_l: bool,
}

impl<'c> Cmac<'c> {
    pub(crate) fn new(cipher: &'c dyn BlockCipher) -> Self {
        Self {
            cipher,
            n: cipher.block_len(),
            x: [0u8; 16],
            buf: [0u8; 16],
            fill: 0,
            l: [0u8; 16],
            have_l: false,
        }
    }

    pub(crate) fn update(&mut self, mut data: &[u8]) {
        let n = self.n;
        while !data.is_empty() {
            if self.fill >= n {
                // The pending block is not the last one: chain it.
                for (x, b) in self.x.iter_mut().zip(self.buf.iter()) {
                    *x ^= b;
                }
                if self.have_l {
                    self.cipher.enc(&mut self.x);
                } else {
                    // The first chained block, with L = E(K, 0) beside it.
                    self.cipher.enc2(&mut self.x, &mut self.l);
                    self.have_l = true;
                }
                self.fill = 0;
            }
            let take = n.saturating_sub(self.fill).min(data.len());
            let (head, tail) = data.split_at(take);
            if let Some(dst) = self.buf.get_mut(self.fill..self.fill + take) {
                dst.copy_from_slice(head);
            }
            self.fill += take;
            data = tail;
        }
    }

    /// The tag: the first `n` bytes of the returned block (the rest are zero).
    pub(crate) fn finalize(mut self) -> Block {
        let n = self.n;
        // The subkey, in place of L: K1 = dbl(L) for a complete last block, K2 = dbl(K1)
        // for a padded one (which one follows from the public message length).
        if !self.have_l {
            self.cipher.enc(&mut self.l);
        }
        dbl(&mut self.l, n);
        if self.fill < n {
            if let Some(p) = self.buf.get_mut(self.fill) {
                *p = 0x80;
            }
            if let Some(rest) = self.buf.get_mut(self.fill + 1..) {
                rest.fill(0);
            }
            dbl(&mut self.l, n);
        }
        for ((x, b), k) in self.x.iter_mut().zip(self.buf.iter()).zip(self.l.iter()) {
            *x ^= b ^ k;
        }
        self.cipher.enc(&mut self.x);
        let mut tag = [0u8; 16];
        for (t, x) in tag.iter_mut().zip(self.x.iter()).take(n) {
            *t = *x;
        }
        tag
    }
}

impl Drop for Cmac<'_> {
    #[inline(never)]
    fn drop(&mut self) {
        self.x.zeroize();
        self.buf.zeroize();
        self.l.zeroize();
    }
}

/// One-shot CMAC over the concatenation of `parts`; the tag is the first
/// `cipher.block_len()` bytes (the rest are zero).
pub(crate) fn cmac(cipher: &dyn BlockCipher, parts: &[&[u8]]) -> Block {
    let mut m = Cmac::new(cipher);
    for p in parts {
        m.update(p);
    }
    m.finalize()
}

/// [`cmac`] with an 8-byte block cipher (TDES): the 8-byte tag.
pub(crate) fn cmac8(cipher: &Tdes, parts: &[&[u8]]) -> [u8; 8] {
    let t = cmac(cipher, parts);
    let mut out = [0u8; 8];
    out.copy_from_slice(&t[..8]);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testutil::unhex as h;

    const MSG: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

    #[test]
    fn aes128_sp800_38b_d1() {
        // SP 800-38B appendix D.1 (= RFC 4493 section 4) examples 1-4.
        let a = Aes::new(&h("2b7e151628aed2a6abf7158809cf4f3c")).unwrap();
        let m = h(MSG);
        for (len, tag) in [
            (0, "bb1d6929e95937287fa37d129b756746"),
            (16, "070a16b46b4d4144f79bdd9dd04a287c"),
            (40, "dfa66747de9ae63030ca32611497c827"),
            (64, "51f0bebf7e3b9d92fc49741779363cfe"),
        ] {
            assert_eq!(cmac(&a, &[&m[..len]]).to_vec(), h(tag), "len {len}");
            // Streaming in odd pieces gives the same tag.
            let mut s = Cmac::new(&a);
            for c in m[..len].chunks(7) {
                s.update(c);
            }
            assert_eq!(s.finalize().to_vec(), h(tag), "stream len {len}");
        }
    }

    #[test]
    fn tdes3_sp800_38b_d4() {
        // SP 800-38B appendix D.4 (three-key TDEA) examples 13-16.
        let t = Tdes::new(&h("8aa83bf8cbda10620bc1bf19fbb6cd58bc313d4a371ca8b5")).unwrap();
        let m = h(MSG);
        for (len, tag) in [
            (0, "b7a688e122ffaf95"),
            (8, "8e8f293136283797"),
            (20, "743ddbe0ce2dc2ed"),
            (32, "33e6b1092400eae5"),
        ] {
            assert_eq!(cmac8(&t, &[&m[..len]]).to_vec(), h(tag), "len {len}");
        }
    }

    #[test]
    fn tdes2_sp800_38b_d4() {
        // SP 800-38B appendix D.4 (two-key TDEA) examples 17-20.
        let t = Tdes::new(&h("4cf15134a2850dd58a3d10ba80570d38")).unwrap();
        let m = h(MSG);
        for (len, tag) in [
            (0, "bd2ebf9a3ba00361"),
            (8, "4ff2ab813c53ce83"),
            (20, "62dd1b471902bd4e"),
            (32, "31b1e431dabc4eb8"),
        ] {
            assert_eq!(cmac8(&t, &[&m[..len]]).to_vec(), h(tag), "len {len}");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::cast_possible_truncation)]
mod cross {
    use super::*;
    use ::cmac::{KeyInit, Mac};

    /// RustCrypto's CMAC tag for `msg` under `key` with block cipher `C`.
    fn reference<C>(key: &[u8], msg: &[u8]) -> std::vec::Vec<u8>
    where
        ::cmac::Cmac<C>: KeyInit + Mac,
        C: ::cmac::block_api::CmacCipher,
    {
        let mut m = <::cmac::Cmac<C> as KeyInit>::new_from_slice(key).unwrap();
        m.update(msg);
        m.finalize().into_bytes().to_vec()
    }

    #[test]
    fn matches_rustcrypto_cmac() {
        // Differential check against the `cmac` crate for every length 0..=70 and every
        // key size `transaction::mac` accepts.
        let msg: std::vec::Vec<u8> = (0..70u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        let k: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(11) ^ 0x3c);
        let t2 = Tdes::new(&k[..16]).unwrap();
        let t3 = Tdes::new(&k[..24]).unwrap();
        let a128 = Aes::new(&k[..16]).unwrap();
        let a192 = Aes::new(&k[..24]).unwrap();
        let a256 = Aes::new(&k).unwrap();
        for len in 0..=msg.len() {
            let m = &msg[..len];
            let want = reference::<des::TdesEde2>(&k[..16], m);
            assert_eq!(cmac8(&t2, &[m])[..], want[..], "tdes2 len {len}");
            let want = reference::<des::TdesEde3>(&k[..24], m);
            assert_eq!(cmac8(&t3, &[m])[..], want[..], "tdes3 len {len}");
            let want = reference::<aes::Aes128>(&k[..16], m);
            assert_eq!(cmac(&a128, &[m])[..], want[..], "aes128 len {len}");
            let want = reference::<aes::Aes192>(&k[..24], m);
            assert_eq!(cmac(&a192, &[m])[..], want[..], "aes192 len {len}");
            let want = reference::<aes::Aes256>(&k, m);
            assert_eq!(cmac(&a256, &[m])[..], want[..], "aes256 len {len}");
        }
    }
}
