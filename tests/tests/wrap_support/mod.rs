//! Shared by the `wrap_*` tests: an independent textbook AES-KW/KWP construction with an
//! arbitrary initial value (straight from RFC 3394 section 2.2.1 and RFC 5649 section 4.1,
//! on the `aes` crate re-exported by `aes-kw`; no keyfort code), used to build wrapped
//! inputs that fail exactly one of the unwrap checks. Also [`Alg`], which dispatches to
//! keyfort's KW or KWP function of each kind.
#![allow(
    clippy::cast_possible_truncation,
    clippy::integer_division_remainder_used,
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use aes_kw::aes::{Aes128, Aes192, Aes256};
use aes_kw::cipher::{BlockCipherEncrypt, KeyInit};
use keyfort::wrap::{
    kw_unwrap, kw_unwrap_ct, kw_unwrap_in_place, kw_wrap, kw_wrap_in_place, kwp_unwrap,
    kwp_unwrap_ct, kwp_unwrap_in_place, kwp_wrap, kwp_wrap_in_place, Kek, WrapError,
};

enum RefAes {
    A128(Aes128),
    A192(Aes192),
    A256(Aes256),
}

impl RefAes {
    fn new(k: &[u8]) -> Self {
        match k.len() {
            16 => Self::A128(Aes128::new_from_slice(k).unwrap()),
            24 => Self::A192(Aes192::new_from_slice(k).unwrap()),
            32 => Self::A256(Aes256::new_from_slice(k).unwrap()),
            n => panic!("bad KEK length {n}"),
        }
    }
    fn enc(&self, b: &mut [u8; 16]) {
        let blk = b.into();
        match self {
            Self::A128(c) => c.encrypt_block(blk),
            Self::A192(c) => c.encrypt_block(blk),
            Self::A256(c) => c.encrypt_block(blk),
        }
    }
}

/// Wraps the semiblocks `p` with initial value `iv`: W of RFC 3394 2.2.1 for two or more
/// semiblocks, the single ECB block `AES(K, iv || p)` of RFC 5649 4.1 for one.
pub fn raw_wrap(kek: &[u8], iv: [u8; 8], p: &[u8]) -> Vec<u8> {
    assert!(p.len().is_multiple_of(8) && !p.is_empty());
    let aes = RefAes::new(kek);
    let n = p.len() / 8;
    if n == 1 {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&iv);
        b[8..].copy_from_slice(p);
        aes.enc(&mut b);
        return b.to_vec();
    }
    let mut a = iv;
    let mut r: Vec<[u8; 8]> = p.chunks(8).map(|c| c.try_into().unwrap()).collect();
    for j in 0..6 {
        for i in 1..=n {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&a);
            b[8..].copy_from_slice(&r[i - 1]);
            aes.enc(&mut b);
            let t = (n * j + i) as u64;
            a = (u64::from_be_bytes(b[..8].try_into().unwrap()) ^ t).to_be_bytes();
            r[i - 1].copy_from_slice(&b[8..]);
        }
    }
    let mut out = a.to_vec();
    for ri in r {
        out.extend_from_slice(&ri);
    }
    out
}

/// A KWP wrapping with a chosen prefix and MLI over already padded semiblocks.
pub fn kwp_forge(kek: &[u8], prefix: [u8; 4], mli: u32, padded: &[u8]) -> Vec<u8> {
    let mut iv = [0u8; 8];
    iv[..4].copy_from_slice(&prefix);
    iv[4..].copy_from_slice(&mli.to_be_bytes());
    raw_wrap(kek, iv, padded)
}

pub const ICV1: [u8; 8] = [0xA6; 8];
pub const ICV2: [u8; 4] = [0xA6, 0x59, 0x59, 0xA6];

/// AES-KW or AES-KWP; the methods call keyfort's function of that kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    Kw,
    Kwp,
}

impl Alg {
    pub fn wrap(self, kek: &Kek, key: &[u8], out: &mut [u8]) -> Result<usize, WrapError> {
        match self {
            Alg::Kw => kw_wrap(kek, key, out),
            Alg::Kwp => kwp_wrap(kek, key, out),
        }
    }
    pub fn wrap_in_place(self, kek: &Kek, buf: &mut [u8], n: usize) -> Result<usize, WrapError> {
        match self {
            Alg::Kw => kw_wrap_in_place(kek, buf, n),
            Alg::Kwp => kwp_wrap_in_place(kek, buf, n),
        }
    }
    pub fn unwrap(self, kek: &Kek, w: &[u8], out: &mut [u8]) -> Result<usize, WrapError> {
        match self {
            Alg::Kw => kw_unwrap(kek, w, out),
            Alg::Kwp => kwp_unwrap(kek, w, out),
        }
    }
    pub fn unwrap_in_place(self, kek: &Kek, buf: &mut [u8], n: usize) -> Result<usize, WrapError> {
        match self {
            Alg::Kw => kw_unwrap_in_place(kek, buf, n),
            Alg::Kwp => kwp_unwrap_in_place(kek, buf, n),
        }
    }
    /// The `*_unwrap_ct` verdict, as a `bool`, and the key length.
    pub fn unwrap_ct(
        self,
        kek: &Kek,
        w: &[u8],
        out: &mut [u8],
    ) -> Result<(bool, usize), WrapError> {
        let r = match self {
            Alg::Kw => kw_unwrap_ct(kek, w, out),
            Alg::Kwp => kwp_unwrap_ct(kek, w, out),
        };
        r.map(|(ok, len)| (bool::from(ok), len))
    }
}

/// A wrapped input and whether it must unwrap (to `key`).
pub struct Case {
    pub name: String,
    pub alg: Alg,
    pub wrapped: Vec<u8>,
    /// `Some(key)` if the input is valid.
    pub key: Option<Vec<u8>>,
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| seed.wrapping_mul(31).wrapping_add(i as u8).wrapping_mul(7) | 1)
        .collect()
}

/// For one KEK: valid inputs and inputs that fail exactly one check each, for KW (n = 2, 3)
/// and KWP (n = 1 and n = 3). Nonzero key bytes throughout, so a zeroed buffer is visible.
pub fn single_check_cases(kek: &[u8]) -> Vec<Case> {
    let mut v = Vec::new();
    let ks = kek.len() * 8;
    for n in [2usize, 3] {
        let key = data(8 * n, n as u8);
        v.push(Case {
            name: format!("KW-{ks} n={n} valid"),
            alg: Alg::Kw,
            wrapped: raw_wrap(kek, ICV1, &key),
            key: Some(key.clone()),
        });
        let mut iv = ICV1;
        iv[7] ^= 0x01;
        v.push(Case {
            name: format!("KW-{ks} n={n} ICV last bit"),
            alg: Alg::Kw,
            wrapped: raw_wrap(kek, iv, &key),
            key: None,
        });
        let mut iv = ICV1;
        iv[0] ^= 0x80;
        v.push(Case {
            name: format!("KW-{ks} n={n} ICV first bit"),
            alg: Alg::Kw,
            wrapped: raw_wrap(kek, iv, &key),
            key: None,
        });
    }
    // KWP: (key length, padded length)
    for (klen, plen) in [(5usize, 8usize), (8, 8), (20, 24), (17, 24)] {
        let key = data(klen, klen as u8);
        let mut padded = key.clone();
        padded.resize(plen, 0);
        let n = plen / 8;
        let tag = format!("KWP-{ks} n={n} len={klen}");
        v.push(Case {
            name: format!("{tag} valid"),
            alg: Alg::Kwp,
            wrapped: kwp_forge(kek, ICV2, klen as u32, &padded),
            key: Some(key.clone()),
        });
        let bad = |name: &str, prefix: [u8; 4], mli: u32, p: &[u8]| Case {
            name: format!("{tag} {name}"),
            alg: Alg::Kwp,
            wrapped: kwp_forge(kek, prefix, mli, p),
            key: None,
        };
        let mut pfx = ICV2;
        pfx[3] ^= 0x01;
        v.push(bad("prefix", pfx, klen as u32, &padded));
        v.push(bad("MLI = 8n+1", ICV2, (plen + 1) as u32, &padded));
        v.push(bad("MLI = 8(n-1)", ICV2, (plen - 8) as u32, &padded));
        v.push(bad("MLI = 2^32-1", ICV2, u32::MAX, &padded));
        v.push(bad(
            "MLI = 2^31+len",
            ICV2,
            0x8000_0000 | klen as u32,
            &padded,
        ));
        if klen < plen {
            let mut p = padded.clone();
            p[plen - 1] = 0x01;
            v.push(bad("last pad byte", ICV2, klen as u32, &p));
            let mut p = padded.clone();
            p[klen] = 0x80;
            v.push(bad("first pad byte", ICV2, klen as u32, &p));
        }
    }
    v
}
