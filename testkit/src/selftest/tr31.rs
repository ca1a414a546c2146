//! On-target self-tests of `tr31` (see [`super`]): published key blocks from
//! ASC X9 TR-31:2018 Annex A (as quoted in openemv/tr31 `test/tr31_decrypt_test.c`), and
//! a tampered block that must be refused. A few hundred bytes of stack; a handful of
//! AES/TDES block operations each.
use super::{check, Test};
use keyfort::attributes::Algorithm::{Aes256, Tdes2};
use keyfort::key::{KbpkUnwrap, TypedKey};
use keyfort::tr31::{unwrap, Tr31Error};

/// The tests of this module.
pub const TESTS: &[Test] = &[
    Test {
        name: "tr31::version_d_annex_a74",
        run: version_d,
    },
    Test {
        name: "tr31::version_b_annex_a722",
        run: version_b,
    },
    Test {
        name: "tr31::tampered_block_refused",
        run: tampered,
    },
];

/// TR-31:2018 A.7.4: AES-256 KBPK, AES-128 PIN key, version D.
const D_KBPK: [u8; 32] = [
    0x88, 0xE1, 0xAB, 0x2A, 0x2E, 0x3D, 0xD3, 0x8C, 0x1F, 0xA0, 0x39, 0xA5, 0x36, 0x50, 0x0C, 0xC8,
    0xA8, 0x7A, 0xB9, 0xD6, 0x2D, 0xC9, 0x2C, 0x01, 0x05, 0x8F, 0xA7, 0x9F, 0x44, 0x65, 0x7D, 0xE6,
];
const D_BLOCK: &[u8] = b"D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34";
/// The key of A.7.4 and A.7.2.2.
const KEY: [u8; 16] = [
    0x3F, 0x41, 0x9E, 0x1C, 0xB7, 0x07, 0x94, 0x42, 0xAA, 0x37, 0x47, 0x4C, 0x2E, 0xFB, 0xF8, 0xB8,
];
/// TR-31:2018 A.7.2.2: 2-key TDES KBPK, version B.
const B_KBPK: [u8; 16] = [
    0xDD, 0x75, 0x15, 0xF2, 0xBF, 0xC1, 0x7F, 0x85, 0xCE, 0x48, 0xF3, 0xCA, 0x25, 0xCB, 0x21, 0xF6,
];
const B_BLOCK: &[u8] =
    b"B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E";

/// A KBPK of a published vector, admitted as what the vector says it is.
fn kbpk(
    k: &[u8],
    a: keyfort::attributes::Algorithm,
) -> Result<TypedKey<'_, KbpkUnwrap>, &'static str> {
    TypedKey::raw(k, a).map_err(|_| "kbpk")
}

fn version_d() -> Result<(), &'static str> {
    let (h, k) = unwrap(&kbpk(&D_KBPK, Aes256)?, D_BLOCK).map_err(|_| "unwrap failed")?;
    check(&h.key_usage == b"P0" && h.algorithm == b'A', "header")?;
    check(k.expose() == &KEY[..], "wrong key")
}

fn version_b() -> Result<(), &'static str> {
    let (h, k) = unwrap(&kbpk(&B_KBPK, Tdes2)?, B_BLOCK).map_err(|_| "unwrap failed")?;
    check(&h.key_usage == b"P0" && h.algorithm == b'T', "header")?;
    check(k.expose() == &KEY[..], "wrong key")
}

fn tampered() -> Result<(), &'static str> {
    // Change one character of the encrypted key data, then one of the header.
    let mut b = [0u8; 112];
    b.copy_from_slice(D_BLOCK);
    b[40] = if b[40] == b'0' { b'1' } else { b'0' };
    check(
        unwrap(&kbpk(&D_KBPK, Aes256)?, &b).err() == Some(Tr31Error::Unauthentic),
        "data tamper",
    )?;
    b.copy_from_slice(D_BLOCK);
    b[11] = b'N'; // exportability E -> N
    check(
        unwrap(&kbpk(&D_KBPK, Aes256)?, &b).err() == Some(Tr31Error::Unauthentic),
        "header tamper",
    )
}
