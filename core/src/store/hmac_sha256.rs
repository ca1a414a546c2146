//! HMAC-SHA256 (RFC 2104) under 32-byte keys, the store's only MAC: on `sha2`'s
//! SHA-256 compression function, resumed from the key's two *midstates* (SHA-256's
//! state after the block `key ^ ipad`, and after `key ^ opad`).
//!
//! A key that tags many messages (the record MAC key) has its midstates computed once
//! ([`midstates`]) and kept, masked, by [`super::seal::Seal`]: each tag then resumes
//! from them ([`HmacSha256::resume`]) and skips the two padded-key blocks, two of the
//! four to six SHA-256 compressions a record tag takes. The midstates are as secret as
//! the key (they forge tags). Messages are buffered here and compressed a block at a
//! time, so the store's many small updates (16-byte units) cost a copy each, not a call
//! into a generic block buffer.
//!
//! Checked against the `hmac` crate and RFC 4231's test case 2 in this module's tests.
use sha2::block_api::compress256;
use zeroize::Zeroize;

use crate::secret::Secret;

/// SHA-256's block size.
const BLOCK: usize = 64;
/// Bytes of one midstate: eight state words, little-endian.
const MID_LEN: usize = 32;
/// Bytes of a key's two midstates, inner then outer.
pub(crate) const MIDS_LEN: usize = 2 * MID_LEN;
/// SHA-256's initial hash value (FIPS 180-4, 5.3.3).
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];
/// The padded-key constants.
const IPAD: u8 = 0x36;
const OPAD: u8 = 0x5c;

/// The inner and outer midstates of HMAC-SHA256 under `key` (inner first, each as its
/// state words little-endian). As secret as `key`.
pub(crate) fn midstates(key: &[u8; 32]) -> Secret<MIDS_LEN> {
    let mut out = Secret::<MIDS_LEN>::zero();
    let mut block = [[0u8; BLOCK]];
    let mut st = IV;
    for (pad, half) in [(IPAD, 0), (OPAD, 1)] {
        block[0].fill(pad);
        for (b, k) in block[0].iter_mut().zip(key) {
            *b = k ^ pad;
        }
        st = IV;
        compress256(&mut st, &block);
        for (d, w) in out.expose_mut()[half * MID_LEN..]
            .chunks_exact_mut(4)
            .zip(&st)
        {
            d.copy_from_slice(&w.to_le_bytes());
        }
    }
    block.zeroize();
    st.zeroize();
    out
}

/// HMAC-SHA256 of one message (the concatenation of `parts`) under 32-byte key `key`.
pub(crate) fn hmac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    hmac_from(&midstates(key), parts)
}

/// HMAC-SHA256 of one message under the key whose [`midstates`] are `mids`.
pub(crate) fn hmac_from(mids: &Secret<MIDS_LEN>, parts: &[&[u8]]) -> [u8; 32] {
    let mut m = HmacSha256::resume(mids);
    for p in parts {
        m.update(p);
    }
    m.finalize()
}

/// One HMAC-SHA256 computation in progress. Its state, outer midstate and buffered
/// message bytes are wiped on drop.
pub(crate) struct HmacSha256 {
    /// The inner hash's state.
    state: [u32; 8],
    /// The outer midstate.
    outer: [u32; 8],
    /// Message bytes not yet compressed (`fill` of them).
    buf: [[u8; BLOCK]; 1],
    fill: usize,
    /// Inner blocks compressed, the padded-key block included.
    blocks: u64,
}

fn words(mid: &[u8]) -> [u32; 8] {
    let mut w = [0u32; 8];
    for (w, c) in w.iter_mut().zip(mid.chunks_exact(4)) {
        *w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    w
}

impl HmacSha256 {
    /// Starts a MAC from a key's [`midstates`].
    pub(crate) fn resume(mids: &Secret<MIDS_LEN>) -> Self {
        let (i, o) = mids.expose().split_at(MID_LEN);
        Self {
            state: words(i),
            outer: words(o),
            buf: [[0u8; BLOCK]],
            fill: 0,
            blocks: 1,
        }
    }

    /// Feeds message bytes.
    pub(crate) fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.fill == 0 && data.len() >= BLOCK {
                let (full, rest) = data.as_chunks::<BLOCK>();
                compress256(&mut self.state, full);
                self.blocks += full.len() as u64;
                data = rest;
                continue;
            }
            let take = (BLOCK - self.fill).min(data.len());
            let (now, rest) = data.split_at(take);
            if let Some(d) = self.buf[0].get_mut(self.fill..self.fill + take) {
                d.copy_from_slice(now);
            }
            self.fill += take;
            data = rest;
            if self.fill == BLOCK {
                compress256(&mut self.state, &self.buf);
                self.blocks += 1;
                self.fill = 0;
            }
        }
    }

    /// Pads and compresses what is buffered (SHA-256's final blocks) for a message of
    /// `blocks` whole blocks plus the buffer; the digest is then in `state`.
    fn pad_out(&mut self) {
        let bits = (self.blocks * BLOCK as u64 + self.fill as u64) * 8;
        let b = &mut self.buf[0];
        b[self.fill] = 0x80;
        b[self.fill + 1..].fill(0);
        if self.fill + 1 > BLOCK - 8 {
            compress256(&mut self.state, &self.buf);
            self.buf[0].fill(0);
        }
        self.buf[0][BLOCK - 8..].copy_from_slice(&bits.to_be_bytes());
        compress256(&mut self.state, &self.buf);
    }

    /// The 32-byte MAC.
    pub(crate) fn finalize(mut self) -> [u8; 32] {
        self.pad_out();
        // The outer hash: its midstate, then the inner digest (one block with padding).
        let mut inner = [0u8; 32];
        for (d, w) in inner.chunks_exact_mut(4).zip(&self.state) {
            d.copy_from_slice(&w.to_be_bytes());
        }
        self.state = self.outer;
        self.blocks = 1;
        self.fill = 0;
        self.update(&inner);
        inner.zeroize();
        self.pad_out();
        let mut out = [0u8; 32];
        for (d, w) in out.chunks_exact_mut(4).zip(&self.state) {
            d.copy_from_slice(&w.to_be_bytes());
        }
        out
    }
}

impl Drop for HmacSha256 {
    fn drop(&mut self) {
        // Off only in the memory scan's negative-control build (test-only cfg).
        #[cfg(not(keyfort_no_wipe))]
        {
            self.state.zeroize();
            self.outer.zeroize();
            self.buf.zeroize();
        }
    }
}

impl core::fmt::Debug for HmacSha256 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HmacSha256(..)")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use hmac::{KeyInit, Mac};

    /// HMAC-SHA256 through the `hmac` crate (not this module), for the tests' expected
    /// values.
    pub(crate) fn reference(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
        for p in parts {
            m.update(p);
        }
        m.finalize().into_bytes().into()
    }

    #[test]
    fn rfc4231_case_2_with_a_zero_padded_key() {
        // RFC 4231 test case 2: key "Jefe" (HMAC zero-pads a short key to the block,
        // so the same key zero-padded to 32 bytes gives the same MAC).
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        let mac = hmac(&key, &[b"what do ya want ", b"for nothing?"]);
        let want: [u8; 32] =
            crate::hex::decode(b"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert_eq!(mac, want);
    }

    #[test]
    fn agrees_with_the_hmac_crate_at_every_length_and_split() {
        let key: [u8; 32] = core::array::from_fn(|i| (i * 7 + 3).to_le_bytes()[0]);
        let msg: [u8; 300] = core::array::from_fn(|i| (i * 13 + 1).to_le_bytes()[0]);
        let mids = midstates(&key);
        for n in 0..msg.len() {
            let want = reference(&key, &[&msg[..n]]);
            // Whole, and in uneven pieces (as the store feeds records: 16, 4, 80, 16s).
            let mut a = HmacSha256::resume(&mids);
            a.update(&msg[..n]);
            assert_eq!(a.finalize(), want, "length {n}");
            let mut b = HmacSha256::resume(&mids);
            for c in msg[..n].chunks(if n & 1 == 0 { 16 } else { 5 }) {
                b.update(c);
            }
            assert_eq!(b.finalize(), want, "length {n}, in pieces");
        }
        // Negative control: another key, or one message bit flipped, is another MAC.
        let mut other = key;
        other[31] ^= 1;
        assert_ne!(
            hmac(&other, &[&msg[..100]]),
            reference(&key, &[&msg[..100]])
        );
        let mut flipped = msg;
        flipped[99] ^= 0x80;
        assert_ne!(
            hmac(&key, &[&flipped[..100]]),
            reference(&key, &[&msg[..100]])
        );
    }
}
