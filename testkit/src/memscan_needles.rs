//! The memory scan's needles: every TEST key of the firmware's workload, every key the
//! workload derives (computed here with the keyfort library), the store's seal keys, and
//! the in-RAM forms the cipher crates keep of each key; and the scan itself.
use keyfort::dukpt::aes::{AesBdk, AesKsn, AesTerminal, KeyUsage, WorkingKeyType};
use keyfort::dukpt::tdes::{
    LegacyOptions, TdesBdk, TdesKsn, TdesLegacyVariant, TdesTerminal, TdesVariant,
};
use keyfort::dukpt::NoPersist;
use keyfort::rng::HmacDrbg;
use keyfort::tr31;
use std::collections::HashMap;
use std::prelude::rust_2021::*;
use std::{format, vec};

const TR31_BLOCK: &[u8] = b"D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34";
/// DUKPT transactions per scheme (as in the firmware).
const TRANSACTIONS: usize = 3;

/// Counters whose derivation keys count as the live terminal's future keys.
const LIVE_FUTURE: u32 = 64;

/// The live terminal's needles: its registers after one transaction (the terminal is
/// derived here on the host from the same TEST keys) and the derivation keys of counters
/// 2..=[`LIVE_FUTURE`] (its future keys).
pub fn live_needles(k: &[u8]) -> Result<Needles, String> {
    let e = |what: &str| format!("host derivation ({what}) failed");
    let mut n = Needles::default();
    let bdk = keyfort::key::TypedKey::raw_aes(&k[0..16])
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k))
        .map_err(|_| e("AES BDK"))?;
    let ik = bdk.initial_key(&k[16..24]).map_err(|_| e("AES IK"))?;
    let mut term = AesTerminal::load(&ik, &mut NoPersist).map_err(|_| e("AES load"))?;
    drop(
        term.next_transaction(&mut NoPersist)
            .map_err(|_| e("AES tx"))?,
    );
    for i in 0..32 {
        if let Some(r) = term.register(i) {
            n.aes(&format!("live register {i}"), r.expose());
        }
    }
    for c in 2..=LIVE_FUTURE {
        let dk = ik.derivation_key(c).map_err(|_| e("AES future key"))?;
        n.aes(&format!("future key, counter {c}"), dk.expose());
    }
    Ok(n)
}

/// The TEST keys (never real keys), in the layout of `memscan-keys.bin` documented in the
/// firmware: AES BDK, AES initial key ID, TDES BDK, TDES initial KSN, KEK, KW key, KWP
/// key, store key.
pub fn test_keys() -> Vec<u8> {
    let mut k = vec![0u8; 240];
    let mut put = |at: usize, hex: &str| {
        let b = crate::hex::decode(hex).unwrap_or_default();
        k[at..at + b.len()].copy_from_slice(&b);
    };
    put(0, "44f8d110fb4cf76a68b8b63b67788932"); // AES DUKPT BDK
    put(16, "a1b2c3d4e5f60718"); // AES initial key ID (public)
    put(24, "5d09d72f7339cbccd4502c78a230f106"); // TDES DUKPT BDK
    put(40, "ffff9876543210e00000"); // TDES initial KSN (public)
    put(
        56,
        "ca4197e59acba949bcc58157a9d511d9d22007c4c4f398ce4138f264a0514f52",
    ); // KEK
    put(88, "4222fc764c09e5762a1d15b21363cfe2"); // KW data key
    put(104, "d0b2449a0a3bd7db4b9314c24790845288ff3dfb"); // KWP data key
    put(
        128,
        "271ddb1ea73fe425a97e127dcae197fdac1e154e7899128aa626e1126002b04a",
    ); // store key
    put(
        160,
        "6b1f0e2d9c8a7b6a594837261504f3e2d1c0b9a8f7e6d5c4b3a29180706f5e4d3c2b1a09f8e7d6c5b4a39281",
    ); // HMAC-DRBG entropy input
    put(
        208,
        "88e1ab2a2e3dd38c1fa039a536500cc8a87ab9d62dc92c01058fa79f44657de6",
    ); // TR-31 KBPK (TR-31:2018 A.7.4)
    k
}

/// What form of a key a needle is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Form {
    /// The key bytes as they are.
    Raw,
    /// An 8-byte half of a TDES key (one DES key).
    DesHalf,
    /// The `aes` crate's stored schedule: round key 0 of a 16-byte key block in its
    /// fixsliced 16-bit form (`[u16; 8]`), what an `Aes128`/`Aes256` value holds.
    AesFixslice16,
    /// The same widened to 32-bit words (`[u32; 8]`): the copy of the round keys the
    /// `aes` crate makes on the stack for every block it encrypts on a 32-bit core.
    AesFixslice32,
    /// keyfort's constant-time DES (`block/des_ct.rs`) first round key: K1 of FIPS 46-3
    /// as two little-endian `u32` words in the round function's layout (see
    /// [`des_ct_round_key`]), for each DES key.
    DesSubkey1,
    /// keyfort-aes's stored schedule (`block::Aes` on every bare-metal ARM core): round
    /// key 0 (and 1 for AES-256) as 8 little-endian `u32` slices, computed on the host by
    /// keyfort-aes's portable model, which uses the same format as its assembly.
    KeyfortAes,
}

impl Form {
    /// The form's name in scan reports.
    pub fn label(self) -> &'static str {
        match self {
            Form::Raw => "raw key",
            Form::DesHalf => "DES key (half of TDES)",
            Form::AesFixslice16 => "AES round key 0, fixsliced u16",
            Form::AesFixslice32 => "AES round key 0, fixsliced u32 (per-call copy)",
            Form::DesSubkey1 => "DES round key 1",
            Form::KeyfortAes => "AES round keys 0/1, keyfort-aes slices",
        }
    }
}

/// One byte string to look for.
#[derive(Clone, Debug)]
pub struct Needle {
    /// Which key, for people.
    pub key: String,
    /// Which form of it.
    pub form: Form,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// The needles of the keys the workload handles.
#[derive(Default)]
pub struct Needles(pub Vec<Needle>);

impl Needles {
    /// A key as it is (deduplicated, as every form).
    pub fn raw(&mut self, key: &str, b: &[u8]) {
        self.push(key, Form::Raw, b.to_vec());
    }
    /// A 32-byte HMAC key: raw, and its inner and outer midstates (the store keeps its
    /// MAC key as those, masked).
    fn hmac_key(&mut self, key: &str, b: &[u8]) {
        self.raw(key, b);
        let [inner, outer] = hmac_midstates(b);
        self.raw(&format!("{key}, HMAC inner midstate"), &inner);
        self.raw(&format!("{key}, HMAC outer midstate"), &outer);
    }
    fn push(&mut self, key: &str, form: Form, bytes: Vec<u8>) {
        if !self.0.iter().any(|n| n.bytes == bytes) {
            self.0.push(Needle {
                key: key.to_string(),
                form,
                bytes,
            });
        }
    }
    /// An AES key: raw, and its fixsliced round key(s) 0 (and 1 for AES-256: the second
    /// key half is round key 1).
    pub fn aes(&mut self, key: &str, b: &[u8]) {
        self.raw(key, b);
        if let Ok(a) = keyfort_aes::Aes::new(b) {
            let halves = b.len() / 16;
            for rk in a.round_key_words().chunks(8).take(halves) {
                self.push(
                    key,
                    Form::KeyfortAes,
                    rk.iter().flat_map(|w| w.to_le_bytes()).collect(),
                );
            }
        }
        for half in b.chunks(16).filter(|c| c.len() == 16) {
            let s16 = fixslice16(half.try_into().unwrap_or([0; 16]));
            self.push(
                key,
                Form::AesFixslice16,
                s16.iter().flat_map(|w| w.to_le_bytes()).collect(),
            );
            self.push(
                key,
                Form::AesFixslice32,
                s16.iter()
                    .flat_map(|w| double_bits(*w).to_le_bytes())
                    .collect(),
            );
        }
    }
    /// A TDES key: raw, each DES key, and each DES key's first round key.
    pub fn tdes(&mut self, key: &str, b: &[u8]) {
        self.raw(key, b);
        for half in b.chunks(8) {
            self.push(key, Form::DesHalf, half.to_vec());
            let k1 = des_k1(half.try_into().unwrap_or([0; 8]));
            self.push(key, Form::DesSubkey1, des_ct_round_key(k1).to_vec());
        }
    }
}

/// Round key 0 of AES in the fixsliced 16-bit representation of the `aes` crate (0.9,
/// software backend): the 128 key bits regrouped so that word `i` holds bit `i` of every
/// byte (bit index `c1 c0 r1 r0 p2 p1 p0` -> `p2 p1 p0 r1 r0 c1 c0`). Written from that
/// description; checked on target by the positive control.
pub fn fixslice16(k: [u8; 16]) -> [u16; 8] {
    let w = |a: usize, b: usize| u16::from(k[a]) | (u16::from(k[b]) << 8);
    let mut t = [
        w(0, 2),
        w(4, 6),
        w(8, 10),
        w(12, 14),
        w(1, 3),
        w(5, 7),
        w(9, 11),
        w(13, 15),
    ];
    // Delta swaps: bits of `t[hi] >> s` masked with `m` exchanged with `t[lo]`'s.
    let mut swap = |hi: usize, lo: usize, s: u32, m: u16| {
        let x = (t[hi] ^ (t[lo] >> s)) & m;
        t[hi] ^= x;
        t[lo] ^= x << s;
    };
    for (hi, lo) in [(1, 0), (3, 2), (5, 4), (7, 6)] {
        swap(hi, lo, 1, 0x5555);
    }
    for (hi, lo) in [(2, 0), (3, 1), (6, 4), (7, 5)] {
        swap(hi, lo, 2, 0x3333);
    }
    for (hi, lo) in [(4, 0), (5, 1), (6, 2), (7, 3)] {
        swap(hi, lo, 4, 0x0f0f);
    }
    t
}

/// Each bit of `x` twice (bit `i` to bits `2i` and `2i+1`): the `aes` crate's widening of a
/// 16-bit round-key word to a 32-bit one.
pub fn double_bits(x: u16) -> u32 {
    (0..16).fold(0u32, |acc, i| {
        if x >> i & 1 == 1 {
            acc | (3 << (2 * i))
        } else {
            acc
        }
    })
}

/// A FIPS 46-3 round key (48 bits in bits 63..16 of `k`, first bit most significant) as
/// keyfort's `des_ct` keeps it in RAM: word 0 holds, in nibble `j` (bits `31 - 4j ..=
/// 28 - 4j`), key bits `b2 b3 b4 b5` of S-box `j + 1`; word 1 holds `b1` in the nibble's
/// top bit and `b6` in its bottom bit; both little-endian. Written from that description;
/// checked on target by the positive control.
pub fn des_ct_round_key(k: u64) -> [u8; 8] {
    let bit = |i: u32| ((k >> (63 - i)) & 1) as u32; // i = 0..48, FIPS bit i + 1
    let (mut w0, mut w1) = (0u32, 0u32);
    for j in 0..8 {
        let b = |n: u32| bit(6 * j + n);
        w1 |= (b(0) << (31 - 4 * j)) | (b(5) << (28 - 4 * j));
        for n in 1..5 {
            w0 |= b(n) << (31 - 4 * j - (n - 1));
        }
    }
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&w0.to_le_bytes());
    out[4..].copy_from_slice(&w1.to_le_bytes());
    out
}

/// DES round key K1 (FIPS 46-3: PC-1, one left shift of C and D, PC-2): the 48 bits,
/// first bit most significant, in bits 63..16 of a u64.
pub fn des_k1(key: [u8; 8]) -> u64 {
    const PC1: [u8; 56] = [
        57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3,
        60, 52, 44, 36, 63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45,
        37, 29, 21, 13, 5, 28, 20, 12, 4,
    ];
    const PC2: [u8; 48] = [
        14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41,
        52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
    ];
    let k = u64::from_be_bytes(key);
    let bit = |v: u64, width: u32, i: u8| (v >> (width - u32::from(i))) & 1; // 1-based, MSB first
    let cd = PC1.iter().fold(0u64, |acc, &i| (acc << 1) | bit(k, 64, i));
    let (c, d) = (cd >> 28, cd & 0x0FFF_FFFF);
    let rot = |x: u64| ((x << 1) | (x >> 27)) & 0x0FFF_FFFF;
    let cd1 = (rot(c) << 28) | rot(d);
    let k1 = PC2
        .iter()
        .fold(0u64, |acc, &i| (acc << 1) | bit(cd1, 56, i));
    k1 << 16
}

/// Every needle of the workload, computed with the keyfort library from the TEST keys
/// the same way the firmware does.
pub fn workload_needles(k: &[u8]) -> Result<Needles, String> {
    let e = |what: &str| format!("host derivation ({what}) failed");
    let mut n = Needles::default();
    // AES DUKPT.
    n.aes("AES BDK", &k[0..16]);
    let bdk = keyfort::key::TypedKey::raw_aes(&k[0..16])
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k))
        .map_err(|_| e("AES BDK"))?;
    let ik = bdk.initial_key(&k[16..24]).map_err(|_| e("AES IK"))?;
    n.aes("AES initial key", ik.expose());
    let mut term = AesTerminal::load(&ik, &mut NoPersist).map_err(|_| e("AES load"))?;
    let regs = |t: &AesTerminal, n: &mut Needles| {
        for i in 0..32 {
            if let Some(r) = t.register(i) {
                n.aes(&format!("AES DUKPT register {i}"), r.expose());
            }
        }
    };
    regs(&term, &mut n);
    for _ in 0..TRANSACTIONS {
        let tx = term
            .next_transaction(&mut NoPersist)
            .map_err(|_| e("AES tx"))?;
        regs(&term, &mut n);
        let ksn: AesKsn = *tx.ksn();
        let c = ksn.counter();
        let dk = bdk.derivation_key(&ksn).map_err(|_| e("AES dk"))?;
        n.aes(&format!("AES transaction key, counter {c}"), dk.expose());
        for (u, name) in [
            (KeyUsage::PinEncryption, "PIN"),
            (KeyUsage::MacGeneration, "MAC"),
            (KeyUsage::DataEncrypt, "data"),
        ] {
            let w = tx
                .working_key(u, WorkingKeyType::Aes128)
                .map_err(|_| e("AES working key"))?;
            n.aes(&format!("AES {name} key, counter {c}"), w.expose());
        }
    }
    // TDES DUKPT.
    n.tdes("TDES BDK", &k[24..40]);
    let tbdk = keyfort::key::TypedKey::raw(&k[24..40], keyfort::attributes::Algorithm::Tdes2)
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| TdesBdk::new(&k))
        .map_err(|_| e("TDES BDK"))?;
    let iksn = TdesKsn::from_bytes(&k[40..50]).map_err(|_| e("TDES KSN"))?;
    let ipek = tbdk.ipek(&iksn);
    n.tdes("TDES IPEK", ipek.expose());
    let mut tterm = TdesTerminal::load(&ipek, &mut NoPersist).map_err(|_| e("TDES load"))?;
    let tregs = |t: &TdesTerminal, n: &mut Needles| {
        for i in 0..21 {
            if let Some(r) = t.register(i) {
                n.tdes(&format!("TDES DUKPT register {i}"), r.expose());
            }
        }
    };
    tregs(&tterm, &mut n);
    for _ in 0..TRANSACTIONS {
        let tx = tterm
            .next_transaction(&mut NoPersist)
            .map_err(|_| e("TDES tx"))?;
        tregs(&tterm, &mut n);
        let ksn = TdesKsn::from_array(*tx.ksn().as_bytes());
        let c = ksn.counter();
        let cur = tbdk.current_key(&ksn).map_err(|_| e("TDES current"))?;
        n.tdes(&format!("TDES current key, counter {c}"), cur.expose());
        for (v, name) in [
            (TdesVariant::Pin, "PIN"),
            (TdesVariant::MacRequest, "MAC"),
            (TdesVariant::DataRequest, "data"),
        ] {
            n.tdes(&format!("TDES {name} key, counter {c}"), tx.key(v).expose());
        }
        let xor_only = tx
            .legacy_key(
                TdesLegacyVariant::DataRequestXorOnly,
                &LegacyOptions::legacy(),
            )
            .map_err(|_| e("TDES legacy data key"))?;
        n.tdes(
            &format!("TDES data key (before 2009 step), counter {c}"),
            xor_only.expose(),
        );
    }
    // Wrap.
    n.aes("KEK (AES-256)", &k[56..88]);
    n.aes("KW data key", &k[88..104]);
    n.raw("KWP data key", &k[104..124]);
    // HMAC-DRBG: the key it generates.
    let mut d = HmacDrbg::instantiate(&k[160..208], &[], b"memscan").map_err(|_| e("DRBG"))?;
    let mut out = [0u8; 32];
    d.generate(&mut out, &[]).map_err(|_| e("DRBG generate"))?;
    n.aes("HMAC-DRBG generated key", &out);
    // TR-31 (the block is TR-31:2018 A.7.4, also in the firmware).
    n.aes("TR-31 KBPK", &k[208..240]);
    let kbpk = keyfort::key::TypedKey::<keyfort::key::KbpkUnwrap>::raw_aes(&k[208..240])
        .map_err(|_| e("TR-31 KBPK"))?;
    let (kbek, kbak) =
        tr31::kdf::derive_keys(tr31::Version::D, &kbpk).map_err(|_| e("KBEK/KBAK"))?;
    n.aes("TR-31 KBEK", kbek.expose());
    n.aes("TR-31 KBAK", kbak.expose());
    let imported = tr31::import(&kbpk, TR31_BLOCK).map_err(|_| e("TR-31 import"))?;
    n.aes("TR-31 imported key", imported.key.expose());
    // Key store: the imported key (version 1).
    n.aes("store key (imported, version 1)", &k[128..160]);
    Ok(n)
}

/// HMAC-SHA256 over the concatenation of `parts`.
fn hmac256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <hmac::Hmac<sha2::Sha256> as KeyInit>::new(&Default::default()));
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

/// HMAC-SHA256's midstates under a 32-byte `key` (SHA-256's state words after the block
/// `key ^ ipad`, and after `key ^ opad`), little-endian as they lie in a Cortex-M's RAM
/// while the store tags with that key: as secret as the key.
fn hmac_midstates(key: &[u8]) -> [Vec<u8>; 2] {
    [0x36u8, 0x5c].map(|pad| {
        let mut block = [pad; 64];
        for (b, k) in block.iter_mut().zip(key) {
            *b = k ^ pad;
        }
        let mut st: [u32; 8] = [
            0x6a09_e667,
            0xbb67_ae85,
            0x3c6e_f372,
            0xa54f_f53a,
            0x510e_527f,
            0x9b05_688c,
            0x1f83_d9ab,
            0x5be0_cd19,
        ];
        sha2::block_api::compress256(&mut st, &[block]);
        st.iter().flat_map(|w| w.to_le_bytes()).collect()
    })
}

/// The key store's sealing keys, recomputed from the device secret and every salt found
/// in the root sector of `flash`, as the store's documented derivation has them (root
/// key, PRK, `enc` (AES-256), `mac`). Salt slots: 80 bytes from offset 32, salt first.
///
/// Err if the root header's tag (`HMAC(root key, "root" || header[..16])[..16]`) does not
/// verify under the recomputed root key: the derivation here would then be wrong.
pub fn store_needles(n: &mut Needles, flash: &[u8], device_secret: &[u8]) -> Result<(), String> {
    let root = hmac256(device_secret, &[b"keyfort/store/v1/root"]);
    let hdr = flash.get(..32).ok_or("flash image too short")?;
    if hdr.iter().any(|&b| b != 0xFF) && hmac256(&root, &[b"root", &hdr[..16]])[..16] != hdr[16..] {
        return Err("store root header tag does not verify under the recomputed root key".into());
    }
    n.hmac_key("store root key", &root);
    let mut off = 32;
    while off + 80 <= 4096 && off + 80 <= flash.len() {
        let slot = &flash[off..off + 80];
        off += 80;
        if slot.iter().all(|&b| b == 0xFF) {
            break;
        }
        let salt = &slot[..32];
        if salt.iter().all(|&b| b == 0) {
            continue; // destroyed by a tamper wipe
        }
        let i = (off - 32) / 80 - 1;
        let prk = hmac256(salt, &[device_secret]);
        n.hmac_key(&format!("store PRK (salt slot {i})"), &prk);
        n.aes(
            &format!("store enc key (salt slot {i})"),
            &hmac256(&prk, &[b"keyfort/store/v1/enc", &[1]]),
        );
        n.hmac_key(
            &format!("store mac key (salt slot {i})"),
            &hmac256(&prk, &[b"keyfort/store/v1/mac", &[1]]),
        );
    }
    Ok(())
}

/// Where a needle was found.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Index into the needles.
    pub needle: usize,
    /// Which image.
    pub image: String,
    /// Address (memory) or offset (flash).
    pub at: u64,
}

/// A memory image: a name, the address of its first byte, the bytes.
pub struct Image {
    /// For people.
    pub name: String,
    /// Address of byte 0 (0 for files).
    pub base: u64,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// Every occurrence of every needle (all needles are at least 8 bytes: one pass over
/// each image, indexed by 8-byte prefixes).
pub fn scan(needles: &[Needle], images: &[Image]) -> Vec<Hit> {
    let mut by_prefix: HashMap<[u8; 8], Vec<usize>> = HashMap::new();
    for (i, n) in needles.iter().enumerate() {
        if let Some(p) = n.bytes.get(..8) {
            let mut key = [0u8; 8];
            key.copy_from_slice(p);
            by_prefix.entry(key).or_default().push(i);
        }
    }
    let mut hits = Vec::new();
    for img in images {
        for (off, w) in img.bytes.windows(8).enumerate() {
            let mut key = [0u8; 8];
            key.copy_from_slice(w);
            if let Some(list) = by_prefix.get(&key) {
                for &i in list {
                    if img.bytes[off..].starts_with(&needles[i].bytes) {
                        hits.push(Hit {
                            needle: i,
                            image: img.name.clone(),
                            at: img.base + off as u64,
                        });
                    }
                }
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn des_k1_textbook() {
        // J. Orlin Grabbe, "The DES Algorithm Illustrated": key 133457799BBCDFF1,
        // K1 = 000110 110000 001011 101111 111111 000111 000001 110010.
        let k1 = des_k1([0x13, 0x34, 0x57, 0x79, 0x9B, 0xBC, 0xDF, 0xF1]);
        assert_eq!(
            k1 >> 16,
            0b000110_110000_001011_101111_111111_000111_000001_110010
        );
    }

    #[test]
    fn des_ct_layout() {
        // FIPS bit 1 (b1 of S-box 1) -> word 1 bit 31; bit 2 (b2) -> word 0 bit 31;
        // bit 6 (b6) -> word 1 bit 28; bit 48 (b6 of S-box 8) -> word 1 bit 0.
        let one = |i: u32| des_ct_round_key(1u64 << (63 - i));
        let words = |b: [u8; 8]| {
            (
                u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            )
        };
        assert_eq!(words(one(0)), (0, 1 << 31));
        assert_eq!(words(one(1)), (1 << 31, 0));
        assert_eq!(words(one(5)), (0, 1 << 28));
        assert_eq!(words(one(47)), (0, 1));
        assert_eq!(words(one(46)), (1, 0));
    }

    #[test]
    fn fixslice_is_a_bit_permutation() {
        // Each single key bit lands on exactly one distinct bit.
        let mut seen = std::collections::HashSet::new();
        for i in 0..128 {
            let mut k = [0u8; 16];
            k[i / 8] = 1 << (i % 8);
            let s = fixslice16(k);
            let ones: u32 = s.iter().map(|w| w.count_ones()).sum();
            assert_eq!(ones, 1);
            assert!(seen.insert(s));
        }
        assert_eq!(double_bits(0b101), 0b110011);
    }
}
