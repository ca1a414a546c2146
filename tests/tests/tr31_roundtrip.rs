//! TR-31 export/import properties: wrap -> unwrap round trips with key-length
//! obfuscation and optional blocks, tampering anywhere is rejected, the header's policy
//! mapping and the KBPK strength rule.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::integer_division_remainder_used,
    clippy::type_complexity
)]
use core::convert::Infallible;

use keyfort::attributes::{Algorithm, MacAlgorithm, Usage};
use keyfort::key::{KbpkUnwrap, KbpkWrap, TypedKey};
use keyfort::tr31::{self, Header, HeaderSpec, OptBlock, Tr31Error, Version};
use rand_core::{TryCryptoRng, TryRng};

/// A deterministic test RNG (SplitMix64); only for padding in tests.
struct TestRng(u64);
impl TryRng for TestRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Ok(z ^ (z >> 31))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for d in dst {
            *d = self.try_next_u64()? as u8;
        }
        Ok(())
    }
}
impl TryCryptoRng for TestRng {}

fn spec(usage: &[u8; 2], alg: u8, mode: u8, exp: u8) -> HeaderSpec {
    HeaderSpec {
        key_usage: *usage,
        algorithm: alg,
        mode_of_use: mode,
        key_version: *b"00",
        exportability: exp,
    }
}

/// An AES KBPK (version D) admitted for wrapping.
fn kw(kbpk: &[u8]) -> TypedKey<'_, KbpkWrap> {
    TypedKey::raw(kbpk, tr31::kbpk_algorithm(Version::D, kbpk.len()).unwrap()).unwrap()
}

/// An AES KBPK (version D) admitted for unwrapping.
fn ku(kbpk: &[u8]) -> TypedKey<'_, KbpkUnwrap> {
    TypedKey::raw(kbpk, tr31::kbpk_algorithm(Version::D, kbpk.len()).unwrap()).unwrap()
}

fn wrap(kbpk: &[u8], s: &HeaderSpec, opt: &[OptBlock<'_>], key: &[u8], seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; tr31::wrapped_len(s, opt, key.len()).unwrap()];
    let n = tr31::wrap(&kw(kbpk), s, opt, key, &mut TestRng(seed), &mut out).unwrap();
    assert_eq!(n, out.len());
    out
}

#[test]
fn round_trip_all_sizes_with_obfuscation() {
    for kbpk_len in [16, 24, 32] {
        let kbpk: Vec<u8> = (0..kbpk_len as u8).map(|i| i ^ 0xA5).collect();
        let mut lens = Vec::new();
        for key_len in [16, 24, 32] {
            let key: Vec<u8> = (0..key_len as u8).map(|i| i.wrapping_mul(7)).collect();
            let s = spec(b"D0", b'A', b'B', b'E');
            let block = wrap(&kbpk, &s, &[], &key, key_len as u64);
            let (h, k) = tr31::unwrap(&ku(&kbpk), &block).unwrap();
            assert_eq!(k.expose(), &key[..]);
            assert_eq!(
                (h.key_usage, h.algorithm, h.mode_of_use),
                (*b"D0", b'A', b'B')
            );
            lens.push(block.len());
        }
        // Obfuscation: every AES key size gives a block of the same length.
        assert!(lens.iter().all(|&l| l == lens[0]), "{lens:?}");
    }
    // TDES keys pad to 24 bytes.
    let kbpk = [0x11u8; 32];
    let s = spec(b"P0", b'T', b'E', b'N');
    let b16 = wrap(&kbpk, &s, &[], &[0x22; 16], 1);
    let b24 = wrap(&kbpk, &s, &[], &[0x22; 24], 1);
    assert_eq!(b16.len(), b24.len());
    // Random padding: the same key wraps differently with different randomness.
    assert_ne!(wrap(&kbpk, &s, &[], &[0x22; 16], 2), b16);
}

#[test]
fn round_trip_optional_blocks_with_padding_block() {
    let kbpk = [0x42u8; 16];
    let long = "X".repeat(300); // needs the extended length form
    let opt = [
        OptBlock {
            id: *b"KS",
            data: b"00604B120F9292800000",
        },
        OptBlock {
            id: *b"ZZ",
            data: long.as_bytes(),
        },
    ];
    let s = spec(b"B1", b'A', b'X', b'N');
    let block = wrap(&kbpk, &s, &opt, &[0x5A; 16], 9);
    let (h, k) = tr31::unwrap(&ku(&kbpk), &block).unwrap();
    assert_eq!(k.expose(), &[0x5A; 16]);
    assert_eq!(h.len() % 16, 0, "header aligned to the AES block");
    let got: Vec<_> = h.opt_blocks().collect();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0], opt[0]);
    assert_eq!(got[1], opt[1]);
    assert_eq!(&got[2].id, b"PB");
}

#[test]
fn any_single_character_change_is_rejected() {
    let kbpk = [0x37u8; 32];
    let s = spec(b"B1", b'A', b'X', b'N');
    let block = wrap(
        &kbpk,
        &s,
        &[OptBlock {
            id: *b"KS",
            data: b"ABCDEF0123",
        }],
        &[0x01; 16],
        3,
    );
    let mut rejected = 0;
    for i in 0..block.len() {
        for repl in [b'0', b'7', b'A', b'F'] {
            if block[i] == repl {
                continue;
            }
            let mut t = block.clone();
            t[i] = repl;
            // Either a header error or the single post-decryption error: never a key.
            assert!(
                tr31::unwrap(&ku(&kbpk), &t).is_err(),
                "position {i} -> {}",
                repl as char
            );
            rejected += 1;
        }
    }
    // Every prefix is refused too (length field, truncation).
    for n in 0..block.len() {
        assert!(tr31::unwrap(&ku(&kbpk), &block[..n]).is_err());
    }
    println!("tr31 tamper: {rejected} single-character mutations rejected");
    // Wrong KBPK.
    assert_eq!(
        tr31::unwrap(&ku(&[0x38u8; 32]), &block).err(),
        Some(Tr31Error::Unauthentic)
    );
}

#[test]
fn lower_case_payload_hex_is_accepted() {
    let kbpk = [0x10u8; 16];
    let block = wrap(&kbpk, &spec(b"K0", b'A', b'D', b'N'), &[], &[0x77; 16], 4);
    let mut lower = block.clone();
    for c in &mut lower[16..] {
        c.make_ascii_lowercase();
    }
    assert_ne!(lower, block);
    assert_eq!(
        tr31::unwrap(&ku(&kbpk), &lower).unwrap().1.expose(),
        &[0x77; 16]
    );
}

#[test]
fn policy_mapping() {
    let kbpk = [0x01u8; 32];
    let cases: &[(
        &[u8; 2],
        u8,
        u8,
        u8,
        usize,
        Result<(Algorithm, Usage), Tr31Error>,
    )] = &[
        (
            b"B1",
            b'A',
            b'X',
            b'N',
            16,
            Ok((Algorithm::Aes128, Usage::IK_DERIVE)),
        ),
        (
            b"B0",
            b'T',
            b'X',
            b'S',
            16,
            Ok((Algorithm::Tdes2, Usage::BDK_DERIVE)),
        ),
        (
            b"P0",
            b'A',
            b'E',
            b'E',
            32,
            Ok((Algorithm::Aes256, Usage::PIN_ENCRYPT.union(Usage::EXPORT))),
        ),
        (
            b"K0",
            b'A',
            b'D',
            b'N',
            24,
            Ok((Algorithm::Aes192, Usage::UNWRAP)),
        ),
        (
            b"K1",
            b'T',
            b'B',
            b'N',
            24,
            Ok((Algorithm::Tdes3, Usage::KBPK_WRAP.union(Usage::KBPK_UNWRAP))),
        ),
        (
            b"M6",
            b'A',
            b'G',
            b'N',
            16,
            Ok((Algorithm::Aes128, Usage::mac_generate(MacAlgorithm::Cmac))),
        ),
        (
            b"M7",
            b'H',
            b'V',
            b'N',
            32,
            Ok((Algorithm::HmacSha256, Usage::mac_verify(MacAlgorithm::Hmac))),
        ),
        (b"D0", b'A', b'X', b'N', 16, Err(Tr31Error::ModeNotAllowed)),
        (b"B1", b'A', b'E', b'N', 16, Err(Tr31Error::ModeNotAllowed)),
        (
            b"V0",
            b'A',
            b'N',
            b'N',
            16,
            Err(Tr31Error::UnsupportedUsage),
        ),
        (
            b"D0",
            b'D',
            b'E',
            b'N',
            8,
            Err(Tr31Error::UnsupportedAlgorithm),
        ),
        (
            b"D0",
            b'T',
            b'E',
            b'N',
            8,
            Err(Tr31Error::UnsupportedAlgorithm),
        ),
        (
            b"D0",
            b'R',
            b'E',
            b'N',
            32,
            Err(Tr31Error::UnsupportedAlgorithm),
        ),
    ];
    for (u, a, m, e, len, want) in cases {
        // Distinct bytes: a TDES key of one repeated byte would be single DES (refused).
        let key: Vec<u8> = (0..*len).map(|i| 0x33u8.wrapping_add(i as u8)).collect();
        let block = wrap(&kbpk, &spec(u, *a, *m, *e), &[], &key, 5);
        let got = tr31::import(&ku(&kbpk), &block).map(|i| (i.algorithm, i.usage));
        assert_eq!(
            got,
            *want,
            "{}{}{}{}",
            String::from_utf8_lossy(&u[..]),
            *a as char,
            *m as char,
            *e as char
        );
        let (h, k) = tr31::unwrap(&ku(&kbpk), &block).unwrap();
        assert_eq!(h.policy(k.len()), *want);
    }
    // Non-exportable never carries EXPORT.
    let block = wrap(&kbpk, &spec(b"P0", b'A', b'B', b'N'), &[], &[1; 16], 6);
    assert!(!tr31::import(&ku(&kbpk), &block).unwrap().usage.exportable());
    // A key component is refused.
    let mut s = spec(b"P0", b'A', b'B', b'N');
    s.key_version = *b"c1";
    let block = wrap(&kbpk, &s, &[], &[1; 16], 7);
    assert_eq!(
        tr31::import(&ku(&kbpk), &block).err(),
        Some(Tr31Error::KeyComponent)
    );
}

#[test]
fn tdes_keys_are_rated_by_what_they_are() {
    let kbpk = [0x5Cu8; 32];
    let s = spec(b"P0", b'T', b'E', b'E');
    let k1: Vec<u8> = (0..8).map(|i| 0x10 + i).collect();
    let k2: Vec<u8> = (0..8).map(|i| 0x40 + i).collect();
    let k3: Vec<u8> = (0..8).map(|i| 0x70 + i).collect();
    let parity = |k: &[u8]| k.iter().map(|b| b ^ 1).collect::<Vec<u8>>();
    let import =
        |key: &[u8]| tr31::import(&ku(&kbpk), &wrap(&kbpk, &s, &[], key, 11)).map(|i| i.algorithm);
    let d = Err(Tr31Error::DegenerateKey);
    // Collapses to single DES: refused, also when only parity bits differ.
    assert_eq!(import(&[k1.clone(), k1.clone()].concat()), d);
    assert_eq!(import(&[k1.clone(), parity(&k1)].concat()), d);
    assert_eq!(import(&[k1.clone(), k1.clone(), k3.clone()].concat()), d);
    assert_eq!(import(&[k1.clone(), k2.clone(), k2.clone()].concat()), d);
    // 2-key TDES labelled 3-key (K1 = K3): would be rated 112 bits, is 80: refused.
    assert_eq!(import(&[k1.clone(), k2.clone(), k1.clone()].concat()), d);
    // Controls: proper keys import with their rating.
    assert_eq!(
        import(&[k1.clone(), k2.clone()].concat()),
        Ok(Algorithm::Tdes2)
    );
    assert_eq!(
        import(&[k1.clone(), k2.clone(), k3.clone()].concat()),
        Ok(Algorithm::Tdes3)
    );
    // The raw unwrap (no semantics) still returns the bytes: the rule is the importer's.
    assert!(tr31::unwrap(
        &ku(&kbpk),
        &wrap(&kbpk, &s, &[], &[k1.clone(), k1].concat(), 12)
    )
    .is_ok());
}

#[test]
fn kbpk_must_be_as_strong_as_the_key() {
    // AES-128 KBPK protecting an AES-256 key: refused on import.
    let block = wrap(&[9u8; 16], &spec(b"D0", b'A', b'B', b'N'), &[], &[3; 32], 8);
    assert_eq!(
        tr31::import(&ku(&[9u8; 16]), &block).err(),
        Some(Tr31Error::WeakKbpk)
    );
    // But it still unwraps (the rule is the importer's, not the format's).
    assert!(tr31::unwrap(&ku(&[9u8; 16]), &block).is_ok());
    // Equal strength is fine.
    let block = wrap(&[9u8; 32], &spec(b"D0", b'A', b'B', b'N'), &[], &[3; 32], 8);
    assert!(tr31::import(&ku(&[9u8; 32]), &block).is_ok());
}

#[test]
fn header_parse_rejects_malformed_headers() {
    let good = b"D0016P0AE00E0000";
    assert!(Header::parse(good).is_ok());
    let cases: &[(&[u8], Tr31Error)] = &[
        (b"", Tr31Error::Truncated),
        (b"d0016P0AE00E0000", Tr31Error::UnsupportedVersion),
        (b"X0016P0AE00E0000", Tr31Error::UnsupportedVersion),
        (b"D00A6P0AE00E0000", Tr31Error::Truncated),
        (b"D0017P0AE00E0000", Tr31Error::LengthMismatch),
        (
            b"D0016p0AE00E0000",
            Tr31Error::BadHeader(tr31::HeaderField::KeyUsage),
        ),
        (
            b"D0016P0aE00E0000",
            Tr31Error::BadHeader(tr31::HeaderField::Algorithm),
        ),
        (
            b"D0016P0A 00E0000",
            Tr31Error::BadHeader(tr31::HeaderField::ModeOfUse),
        ),
        (
            b"D0016P0AE0 E0000",
            Tr31Error::BadHeader(tr31::HeaderField::KeyVersion),
        ),
        (
            b"D0016P0AE00e0000",
            Tr31Error::BadHeader(tr31::HeaderField::Exportability),
        ),
        (
            b"D0016P0AE00EA000",
            Tr31Error::BadHeader(tr31::HeaderField::NumOptionalBlocks),
        ),
        (
            b"D0016P0AE00E00X0",
            Tr31Error::BadHeader(tr31::HeaderField::Reserved),
        ),
        // One optional block declared, none present.
        (b"D0016P0AE00E0100", Tr31Error::BadOptionalBlock),
        // Optional block length runs past the block.
        (b"D0024P0AE00E0100KS09ABCD", Tr31Error::BadOptionalBlock),
        // Optional block length shorter than its own id and length.
        (b"D0024P0AE00E0100KS03ABCD", Tr31Error::BadOptionalBlock),
        // Non-printable data.
        (b"D0022P0AE00E0100KS06\x01\x02", Tr31Error::BadOptionalBlock),
    ];
    for (b, want) in cases {
        assert_eq!(
            Header::parse(b).err(),
            Some(*want),
            "{:?}",
            String::from_utf8_lossy(b)
        );
    }
    // Extended optional block length: "00" + "04" + 4 hex digits.
    let h = Header::parse(b"D0030P0AE00E0100KS0004000EABCD").unwrap();
    assert_eq!(h.opt_block(b"KS").unwrap().data, b"ABCD");
}
