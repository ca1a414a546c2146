//! The memory-scan test (`./x test memscan` runs its two steps alone): are keys really
//! gone from RAM and flash after use, and after a tamper wipe, even one cut by a power loss?
//!
//! The firmware `memscan` (qemu/firmware/src/bin/memscan.rs) runs keyfort's key handling
//! with known TEST keys, then parks at marker lines. At each marker this module stops the
//! machine, saves ALL of its memory through QEMU's QMP socket (`pmemsave` of the RAM and
//! the code region, as the board's `memory.x` gives them), reads the flash image file,
//! and searches for every *needle*: every TEST key, every key the workload derives
//! (computed here on the host with the keyfort library: DUKPT initial keys, every
//! terminal register, transaction keys, working and variant keys), and what the cipher
//! crates keep of each key (see [`Needle`]).
//!
//! Three runs, the same workload each time:
//! 1. positive control (`memscan: control live`): with an AES-256 schedule and a TDES
//!    schedule alive, their in-RAM forms must be found, or the needles are wrong;
//! 2. the normal build after the workload (`memscan: workload done`): must find 0;
//! 3. the same firmware built with keyfort's test-only `--cfg keyfort_no_wipe` (holders
//!    skip their wipe; a compiler flag set here, never a Cargo feature): must find some,
//!    or the scan is blind and the step fails.
//!
//! Live terminal (`memscan: live terminal`, before the workload): an AES DUKPT terminal
//! parked between two transactions. Its needles ([`live_needles`]) are its current
//! registers and the future keys (derivation keys of the next counters): the normal build
//! (registers masked) must show 0, the `keyfort_no_wipe` build (masking off: registers in clear)
//! must be caught.
use crate::{
    boards::{self, Board},
    ctx::{Ctx, Outcome},
    defmt_log, qemu, sh,
    toolchain::{firmware_bin_build, firmware_elf},
};
use keyfort::dukpt::aes::{AesBdk, AesKsn, AesTerminal, KeyUsage, WorkingKeyType};
use keyfort::dukpt::tdes::{
    LegacyOptions, TdesBdk, TdesKsn, TdesLegacyVariant, TdesTerminal, TdesVariant,
};
use keyfort::dukpt::NoPersist;
use keyfort::rng::HmacDrbg;
use keyfort::tr31;
use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Read, Write},
    os::unix::net::UnixStream,
    path::{Path, PathBuf},
    process::{Child, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// The machine the scan runs on.
pub const MACHINE: &str = "mps2-an385";
/// The TR-31 block the firmware imports (TR-31:2018 A.7.4; public).
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
    let bdk = AesBdk::new(&k[0..16]).map_err(|_| e("AES BDK"))?;
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
        let b = hex::decode(hex).unwrap_or_default();
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
    fn label(self) -> &'static str {
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
    fn raw(&mut self, key: &str, b: &[u8]) {
        self.push(key, Form::Raw, b.to_vec());
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
    let bdk = AesBdk::new(&k[0..16]).map_err(|_| e("AES BDK"))?;
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
    let tbdk = TdesBdk::new(&k[24..40]).map_err(|_| e("TDES BDK"))?;
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
    let (kbek, kbak) =
        tr31::kdf::derive_keys(tr31::Version::D, &k[208..240]).map_err(|_| e("KBEK/KBAK"))?;
    n.aes("TR-31 KBEK", kbek.expose());
    n.aes("TR-31 KBAK", kbak.expose());
    let kbpk = keyfort::key::TypedKey::raw(&k[208..240], keyfort::policy::Algorithm::Aes256)
        .map_err(|_| e("TR-31 KBPK"))?;
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
    n.raw("store root key", &root);
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
        n.raw(&format!("store PRK (salt slot {i})"), &prk);
        n.aes(
            &format!("store enc key (salt slot {i})"),
            &hmac256(&prk, &[b"keyfort/store/v1/enc", &[1]]),
        );
        n.raw(
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

/// A memory region of the board's `memory.x`.
#[derive(Debug, Clone)]
pub struct Region {
    /// `FLASH` (code) or `RAM`.
    pub name: String,
    /// First address.
    pub origin: u64,
    /// Length in bytes.
    pub len: u64,
}

/// Parses the `MEMORY` block of a linker script (`NAME : ORIGIN = x, LENGTH = yK|M`).
pub fn memory_regions(script: &str) -> Vec<Region> {
    let num = |s: &str| -> Option<u64> {
        let s = s.trim().trim_end_matches(',');
        let (digits, mul) = match s.chars().last()? {
            'K' => (&s[..s.len() - 1], 1024),
            'M' => (&s[..s.len() - 1], 1024 * 1024),
            _ => (s, 1),
        };
        let v = match digits.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).ok()?,
            None => digits.parse().ok()?,
        };
        Some(v * mul)
    };
    script
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            let origin = rest.split("ORIGIN").nth(1)?.split('=').nth(1)?;
            let origin = origin.split(',').next()?;
            let len = rest.split("LENGTH").nth(1)?.split('=').nth(1)?;
            Some(Region {
                name: name.trim().to_string(),
                origin: num(origin)?,
                len: num(len)?,
            })
        })
        .collect()
}

/// A running firmware with a QMP socket.
struct Machine {
    child: Child,
    lines: mpsc::Receiver<String>,
    qmp: BufReader<UnixStream>,
    device: PathBuf,
    regions: Vec<Region>,
    log: Vec<String>,
    started: Instant,
    timeout: Duration,
}

impl Machine {
    fn start(
        board: &Board,
        elf: &Path,
        device: &Path,
        regions: Vec<Region>,
    ) -> Result<Self, String> {
        let sock = device.join("qmp.sock");
        let _ = std::fs::remove_file(&sock);
        let table = defmt_log::load_table(elf)?;
        let mut cmd = qemu::command(board, elf);
        // -icount: the firmware's SysTick then counts instructions (tamper wipe cost).
        cmd.args(["-icount", "shift=0"])
            .arg("-qmp")
            .arg(format!("unix:{},server=on,wait=off", sock.display()))
            .current_dir(device)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().map_err(|e| format!("cannot start qemu: {e}"))?;
        let mut out = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut dec = table.new_stream_decoder();
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                for l in defmt_log::decode_lines(dec.as_mut(), &buf[..n]) {
                    if tx.send(l).is_err() {
                        return;
                    }
                }
            }
        });
        let t0 = Instant::now();
        let stream = loop {
            match UnixStream::connect(&sock) {
                Ok(s) => break s,
                Err(e) if t0.elapsed() > Duration::from_secs(10) => {
                    let _ = child.kill();
                    return Err(format!("QMP socket {}: {e}", sock.display()));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        let mut m = Machine {
            child,
            lines: rx,
            qmp: BufReader::new(stream),
            device: device.to_path_buf(),
            regions,
            log: Vec::new(),
            started: Instant::now(),
            timeout: Duration::from_secs(300),
        };
        let mut greeting = String::new();
        m.qmp
            .read_line(&mut greeting)
            .map_err(|e| format!("QMP greeting: {e}"))?;
        m.qmp_cmd(r#"{"execute":"qmp_capabilities"}"#)?;
        Ok(m)
    }

    fn qmp_cmd(&mut self, json: &str) -> Result<(), String> {
        self.qmp
            .get_mut()
            .write_all(format!("{json}\n").as_bytes())
            .map_err(|e| format!("QMP write: {e}"))?;
        loop {
            let mut l = String::new();
            let n = self
                .qmp
                .read_line(&mut l)
                .map_err(|e| format!("QMP read: {e}"))?;
            if n == 0 {
                return Err("QMP closed".into());
            }
            if l.contains("\"return\"") {
                return Ok(());
            }
            if l.contains("\"error\"") {
                return Err(format!("QMP {json}: {}", l.trim()));
            }
        }
    }

    /// Waits for a line containing `marker` (echoing lines); Err on exit or timeout.
    fn wait_for(&mut self, marker: &str, echo: &str) -> Result<(), String> {
        loop {
            let left = self.timeout.saturating_sub(self.started.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    println!("{echo}{l}");
                    let hit = l.contains(marker);
                    let failed = l.contains("FAILED") || l.starts_with("PANIC");
                    self.log.push(l);
                    if hit {
                        return Ok(());
                    }
                    if failed {
                        return Err(format!("firmware failed before `{marker}`"));
                    }
                }
                Err(_) => return Err(format!("no `{marker}` line (exited or timed out)")),
            }
        }
    }

    /// Stops the CPU, saves every memory region, reads the flash image, resumes.
    fn dump(&mut self, tag: &str) -> Result<Vec<Image>, String> {
        self.qmp_cmd(r#"{"execute":"stop"}"#)?;
        let mut images = Vec::new();
        for r in self.regions.clone() {
            let file = self.device.join(format!("dump-{tag}-{}.bin", r.name));
            self.qmp_cmd(&format!(
                r#"{{"execute":"pmemsave","arguments":{{"val":{},"size":{},"filename":"{}"}}}}"#,
                r.origin,
                r.len,
                file.display()
            ))?;
            let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            if bytes.len() as u64 != r.len {
                return Err(format!("{}: short dump", file.display()));
            }
            let _ = std::fs::remove_file(&file);
            images.push(Image {
                name: format!("{} (memory)", r.name),
                base: r.origin,
                bytes,
            });
        }
        let flash = self.device.join("flash.bin");
        if let Ok(bytes) = std::fs::read(&flash) {
            images.push(Image {
                name: "flash.bin (NOR image)".into(),
                base: 0,
                bytes,
            });
        }
        self.qmp_cmd(r#"{"execute":"cont"}"#)?;
        Ok(images)
    }

    fn ack(&self, step: u8) -> Result<(), String> {
        let p = self.device.join("host-ack");
        std::fs::write(&p, [b'0' + step]).map_err(|e| format!("{}: {e}", p.display()))
    }

    /// Waits for the exit; true if the status was 0.
    fn finish(mut self, echo: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            while let Ok(l) = self.lines.try_recv() {
                println!("{echo}{l}");
                self.log.push(l);
            }
            match self.child.try_wait() {
                Ok(Some(s)) => {
                    while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(100)) {
                        println!("{echo}{l}");
                    }
                    return s.code() == Some(0);
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return false;
                }
            }
        }
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Prints the hits grouped by needle form; returns the count.
fn report(label: &str, needles: &[Needle], hits: &[Hit]) -> usize {
    let mut by_form: std::collections::BTreeMap<Form, usize> = Default::default();
    for h in hits {
        *by_form.entry(needles[h.needle].form).or_default() += 1;
    }
    println!("  [{label}] occurrences found: {}", hits.len());
    for (f, c) in &by_form {
        println!("  [{label}]   {:<48} {c}", f.label());
    }
    for h in hits.iter().take(12) {
        let n = &needles[h.needle];
        println!(
            "  [{label}]   {} ({}) in {} at {:#010x}",
            n.key,
            n.form.label(),
            h.image,
            h.at
        );
    }
    if hits.len() > 12 {
        println!("  [{label}]   ... and {} more", hits.len() - 12);
    }
    hits.len()
}

/// Builds the memscan firmware (with or without `--cfg keyfort_no_wipe`) and returns a
/// copy of its ELF.
fn build(ctx: &Ctx, board: &Board, no_wipe: bool, dir: &Path) -> Result<PathBuf, String> {
    let mut c = firmware_bin_build(&ctx.root, ctx.env.route, &[board.target], "memscan");
    if no_wipe {
        // Joined with the config files' rustflags (cargo merges arrays); cargo keeps the
        // artifacts of both flag sets apart, so the normal build stays cached.
        c.arg("--config").arg(format!(
            "target.{}.rustflags=[\"--cfg\", \"keyfort_no_wipe\"]",
            board.target
        ));
    }
    sh::run(&mut c)?;
    let elf = firmware_elf(&ctx.root, ctx.env.route, board.target, "bin", "memscan");
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let copy = dir.join(if no_wipe {
        "memscan-no-wipe.elf"
    } else {
        "memscan.elf"
    });
    std::fs::copy(&elf, &copy).map_err(|e| format!("{}: {e}", elf.display()))?;
    Ok(copy)
}

/// What one run of the workload found.
#[derive(Debug, Default)]
pub struct RunResult {
    /// Control-phase hits per form.
    pub control: HashMap<Form, usize>,
    /// Occurrences of the live terminal's registers and future keys while it is parked.
    pub live: usize,
    /// Occurrences after the workload (store alive, sealing keys masked).
    pub after: usize,
    /// Occurrences after the tamper wipe.
    pub after_tamper: usize,
    /// Hits per key name after the workload.
    pub after_keys: Vec<String>,
    /// The firmware's tamper lines (cost of the wipe, store state).
    pub tamper_lines: Vec<String>,
}

fn run_one(
    ctx: &Ctx,
    board: &Board,
    elf: &Path,
    name: &str,
    needles: &Needles,
    live: &Needles,
    regions: &[Region],
) -> Result<RunResult, String> {
    let device = crate::ontarget::fresh_device(ctx, &format!("{}-{name}", board.machine))?;
    std::fs::write(device.join("memscan-keys.bin"), test_keys()).map_err(|e| e.to_string())?;
    std::fs::write(device.join("host-ack"), "0").map_err(|e| e.to_string())?;
    let secret = std::fs::read(device.join("device-secret.bin")).map_err(|e| e.to_string())?;
    let echo = format!("  [{name}] ");
    let mut m = Machine::start(board, elf, &device, regions.to_vec())?;
    let mut res = RunResult::default();

    m.wait_for("memscan: control live", &echo)?;
    let imgs = m.dump("control")?;
    for h in scan(&needles.0, &imgs) {
        *res.control.entry(needles.0[h.needle].form).or_default() += 1;
    }
    m.ack(1)?;

    m.wait_for("memscan: live terminal", &echo)?;
    let imgs = m.dump("live")?;
    let hits = scan(&live.0, &imgs);
    res.live = report(&format!("{name}, live terminal"), &live.0, &hits);
    m.ack(2)?;

    m.wait_for("memscan: workload done", &echo)?;
    let imgs = m.dump("after")?;
    // The store's sealing keys, from the salt now on flash.
    let mut all = Needles(needles.0.clone());
    if let Some(flash) = imgs.iter().find(|i| i.name.starts_with("flash.bin")) {
        store_needles(&mut all, &flash.bytes, &secret)?;
    }
    let hits = scan(&all.0, &imgs);
    res.after = report(name, &all.0, &hits);
    res.after_keys = hits.iter().map(|h| all.0[h.needle].key.clone()).collect();

    // Tamper: assert the line, let the firmware go on.
    qemu::set_tamper(&device, true)?;
    m.ack(3)?;
    m.wait_for("memscan: tamper wipe done", &echo)?;
    res.tamper_lines = m
        .log
        .iter()
        .filter(|l| l.starts_with("tamper:") || l.starts_with("store state:"))
        .cloned()
        .collect();
    let imgs = m.dump("tamper")?;
    if let Some(flash) = imgs.iter().find(|i| i.name.starts_with("flash.bin")) {
        store_needles(&mut all, &flash.bytes, &secret)?; // the new, empty store's keys too
    }
    let hits = scan(&all.0, &imgs);
    res.after_tamper = report(&format!("{name}, after tamper"), &all.0, &hits);
    m.ack(4)?;
    if !m.finish(&echo) {
        return Err(format!("{name}: firmware did not exit 0"));
    }
    Ok(res)
}

/// The step.
pub fn step(ctx: &mut Ctx) -> Outcome {
    crate::ctx::from(run(ctx))
}

fn run(ctx: &Ctx) -> Result<String, String> {
    let board = boards::find(MACHINE).ok_or("no board")?;
    let script = ctx
        .root
        .join("boards/qemu/memory")
        .join(format!("{}.x", board.machine));
    let regions = memory_regions(
        &std::fs::read_to_string(&script).map_err(|e| format!("{}: {e}", script.display()))?,
    );
    if regions.is_empty() {
        return Err(format!("no MEMORY regions in {}", script.display()));
    }
    let needles = workload_needles(&test_keys())?;
    let live = live_needles(&test_keys())?;
    println!(
        "  {} needles: {} keys and their in-RAM forms (+ the store's sealing keys, from the \
         salt on flash); regions: {}",
        needles.0.len(),
        needles
            .0
            .iter()
            .map(|n| &n.key)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        regions
            .iter()
            .map(|r| format!("{} {:#x}+{:#x}", r.name, r.origin, r.len))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let dir = ctx.root.join("target").join("memscan");
    let wipe_elf = build(ctx, board, false, &dir)?;
    let nowipe_elf = build(ctx, board, true, &dir)?;

    let normal = run_one(ctx, board, &wipe_elf, "memscan", &needles, &live, &regions)?;
    // Positive control: the live schedules' forms must have been found (`block::Aes` uses
    // keyfort-aes on every bare-metal ARM core: its assembly on ARMv7-M / ARMv8-M
    // Mainline, its portable model on ARMv6-M; the `aes` crate only on hosts).
    let controls: &[Form] = &[Form::KeyfortAes, Form::DesSubkey1];
    for &f in controls {
        if normal.control.get(&f).copied().unwrap_or(0) == 0 {
            return Err(format!(
                "positive control: no `{}` found while the schedules were alive (needles wrong?)",
                f.label()
            ));
        }
    }
    println!(
        "  positive control: live AES-256 and TDES schedules found ({})",
        normal
            .control
            .iter()
            .map(|(f, c)| format!("{}: {c}", f.label()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let leaky = run_one(
        ctx,
        board,
        &nowipe_elf,
        "memscan-no-wipe",
        &needles,
        &live,
        &regions,
    )?;
    let sealing_seen = leaky.after_keys.iter().any(|k| k.starts_with("store "));
    println!(
        "  occurrences found: {} (normal build), {} (non-wiping build{}); after tamper: {} \
         (normal build), {} (non-wiping build)",
        normal.after,
        leaky.after,
        if sealing_seen {
            ", store sealing keys among them"
        } else {
            ""
        },
        normal.after_tamper,
        leaky.after_tamper
    );
    for l in &normal.tamper_lines {
        println!("  {l}");
    }
    let gone = normal.tamper_lines.iter().any(|l| {
        l.starts_with("store state: 0 key versions, key 1: NotFound, last audit event: TamperWipe")
    });
    println!(
        "  live terminal between two transactions ({} needles: registers and future keys): \
         {} found (masked registers), {} (registers in clear, non-wiping build)",
        live.0.len(),
        normal.live,
        leaky.live
    );
    if leaky.after == 0 {
        return Err("the non-wiping build was not caught: the scan is blind".into());
    }
    if leaky.live == 0 {
        return Err(
            "live terminal: registers held in clear were not caught: the scan is blind".into(),
        );
    }
    if normal.live != 0 {
        return Err(format!(
            "live terminal: {} occurrences of its registers or future keys in RAM (must be 0)",
            normal.live
        ));
    }
    if normal.after != 0 || normal.after_tamper != 0 {
        return Err(format!(
            "occurrences found: {} after the workload, {} after the tamper wipe (both must be 0)",
            normal.after, normal.after_tamper
        ));
    }
    if !gone {
        return Err("after the tamper wipe the store did not report every key gone".into());
    }
    Ok(format!(
        "occurrences found: 0, after tamper: 0 (non-wiping build: {}, caught); live terminal: 0 \
         (registers in clear: {}, caught); store empty after tamper",
        leaky.after, leaky.live
    ))
}

/// `./x test` step: a power cut at every flash operation of a tamper wipe, each followed
/// by a boot that must find the wipe completed (see `qemu/firmware/src/bin/tamper.rs`).
pub fn tamper_cut_step(ctx: &mut Ctx) -> Outcome {
    crate::ctx::from(tamper_cut(ctx))
}

/// Copies the files of device directory `from` into a fresh `to`.
fn copy_device(from: &Path, to: &Path) -> Result<(), String> {
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    }
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for f in std::fs::read_dir(from).map_err(|e| e.to_string())? {
        let f = f.map_err(|e| e.to_string())?;
        if f.path().is_file() {
            std::fs::copy(f.path(), to.join(f.file_name())).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn boot(
    board: &Board,
    elf: &Path,
    device: &Path,
    cut: Option<&str>,
) -> Result<qemu::Outcome, String> {
    qemu::run(&qemu::Run {
        board,
        elf: elf.to_path_buf(),
        device: device.to_path_buf(),
        timeout: Duration::from_secs(30),
        cut: qemu::Cut {
            after: None,
            at_marker: cut.map(str::to_string),
        },
        echo: None,
    })
}

fn tamper_cut(ctx: &Ctx) -> Result<String, String> {
    const PARK: &str = "flash probe: parked after mutating operation";
    const WIPED: &str =
        "store state: 0 key versions, key 1: NotFound, last audit event: TamperWipe";
    let board = boards::find(MACHINE).ok_or("no board")?;
    sh::run(&mut firmware_bin_build(
        &ctx.root,
        ctx.env.route,
        &[board.target],
        "tamper",
    ))?;
    let elf = firmware_elf(&ctx.root, ctx.env.route, board.target, "bin", "tamper");
    let show = |o: &qemu::Outcome| format!("{} [{}]", o.describe(), o.lines.join(" | "));

    // A populated device, the template for every cut.
    let template = crate::ontarget::fresh_device(ctx, "tamper-template")?;
    let keys = test_keys();
    let tkeys = [&keys[128..160], &keys[56..88]].concat();
    std::fs::write(template.join("tamper-keys.bin"), &tkeys).map_err(|e| e.to_string())?;
    std::fs::write(template.join("populate"), "1").map_err(|e| e.to_string())?;
    let o = boot(board, &elf, &template, None)?;
    if o.ending != qemu::Ending::Exited(0) || !o.lines.iter().any(|l| l == "tamper: populated") {
        return Err(format!("populating boot failed: {}", show(&o)));
    }
    std::fs::remove_file(template.join("populate")).map_err(|e| e.to_string())?;
    let mut needles = Needles::default();
    needles.aes("tamper key 1", &keys[128..160]);
    needles.aes("tamper key 2", &keys[56..88]);
    let secret = std::fs::read(template.join("device-secret.bin")).map_err(|e| e.to_string())?;
    let flash = std::fs::read(template.join("flash.bin")).map_err(|e| e.to_string())?;
    store_needles(&mut needles, &flash, &secret)?;
    // The salt of the live slot (slot 0 of a fresh store): the wipe must destroy it.
    needles.raw(
        "store salt (slot 0)",
        flash.get(32..64).ok_or("short flash")?,
    );

    // An uncut wipe: how many flash operations it takes.
    let dev = ctx.root.join("target/devices/tamper-cut");
    copy_device(&template, &dev)?;
    qemu::set_tamper(&dev, true)?;
    let o = boot(board, &elf, &dev, None)?;
    let total: u32 = o
        .lines
        .iter()
        .find_map(|l| {
            l.strip_prefix("tamper: wipe complete (")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .ok_or_else(|| format!("uncut wipe: no `wipe complete` line: {}", show(&o)))?;
    println!("  uncut tamper wipe: {total} flash operations");

    let (mut completed, mut left) = (0, 0);
    for k in 1..=total {
        copy_device(&template, &dev)?;
        std::fs::write(dev.join("cut-ops"), k.to_string()).map_err(|e| e.to_string())?;
        qemu::set_tamper(&dev, true)?;
        let o = boot(board, &elf, &dev, Some(PARK))?;
        if o.ending != qemu::Ending::PowerCut {
            return Err(format!(
                "cut at flash operation {k} did not happen: {}",
                show(&o)
            ));
        }
        std::fs::remove_file(dev.join("cut-ops")).map_err(|e| e.to_string())?;
        qemu::set_tamper(&dev, false)?;
        let o = boot(board, &elf, &dev, None)?;
        // The first state line is printed right after `open`, before anything else runs.
        let first = o.lines.iter().find(|l| l.starts_with("store state:"));
        let done = o.ending == qemu::Ending::Exited(0) && first.map(String::as_str) == Some(WIPED);
        let flash = std::fs::read(dev.join("flash.bin")).map_err(|e| e.to_string())?;
        let hits = scan(
            &needles.0,
            &[Image {
                name: "flash.bin".into(),
                base: 0,
                bytes: flash,
            }],
        );
        println!(
            "  cut after flash operation {k:>2}/{total}: next boot: {}; keys, sealing keys, old salt on flash: {}",
            first.map(String::as_str).unwrap_or("no state line"),
            hits.len()
        );
        if done {
            completed += 1;
        }
        left += hits.len();
    }
    println!(
        "  cut points tried: {total}; wipes completed at the next boot: {completed}; key occurrences left on flash: {left}"
    );
    if completed != total || left != 0 {
        return Err(format!(
            "{} of {total} cut wipes not completed at the next boot, {left} key occurrences on flash",
            total - completed
        ));
    }
    Ok(format!(
        "{total} cut points (every flash operation of the wipe): all completed at the next boot, 0 keys left"
    ))
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

    #[test]
    fn regions_parse() {
        let r = memory_regions("MEMORY\n{\n  FLASH : ORIGIN = 0x00000000, LENGTH = 4M\n  RAM   : ORIGIN = 0x20000000, LENGTH = 16K\n}\n");
        assert_eq!(r.len(), 2);
        assert_eq!((r[1].origin, r[1].len), (0x2000_0000, 16 * 1024));
    }
}
