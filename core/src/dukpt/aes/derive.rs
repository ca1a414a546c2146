//! The X9.24-3 key derivation function and its derivation data (6.3.1, 6.3.2).
use super::types::{BdkType, KeyUsage, WorkingKeyType};
use crate::block::EncryptBlocks;
use zeroize::Zeroize;

/// Usage indicator of a derivation key step.
const USAGE_KEY_DERIVATION: u16 = 0x8000;
/// Usage indicator of the initial key derivation.
const USAGE_INITIAL_KEY: u16 = 0x8001;

/// Derivation data: version 1, block counter 1, usage, algorithm, length, then `tail`.
fn data(usage: u16, kt: WorkingKeyType, tail: &[u8; 8]) -> [u8; 16] {
    let mut d = [0u8; 16];
    d[0] = 0x01;
    d[1] = 0x01;
    d[2..4].copy_from_slice(&usage.to_be_bytes());
    d[4..6].copy_from_slice(&kt.algorithm_indicator().to_be_bytes());
    d[6..8].copy_from_slice(&kt.bits().to_be_bytes());
    d[8..].copy_from_slice(tail);
    d
}

/// The tail of every derivation data block except the initial key's.
fn tail(ikid: &[u8; 8], counter: u32) -> [u8; 8] {
    let mut t = [0u8; 8];
    t[..4].copy_from_slice(&ikid[4..]);
    t[4..].copy_from_slice(&counter.to_be_bytes());
    t
}

/// Initial-key derivation data (X9.24-3 6.3.3), with key block counter 1.
pub(crate) fn initial_key_data(kind: BdkType, ikid: &[u8; 8]) -> [u8; 16] {
    data(USAGE_INITIAL_KEY, kind.as_working(), ikid)
}

/// Derivation data of the derivation key step to `counter`.
pub(crate) fn derivation_step_data(kind: BdkType, ikid: &[u8; 8], counter: u32) -> [u8; 16] {
    data(
        USAGE_KEY_DERIVATION,
        kind.as_working(),
        &tail(ikid, counter),
    )
}

/// The counters of a derivation chain's steps (X9.24-3 6.3.4): one per one-bit of the
/// target counter, most significant first, each the bits walked so far. The counter is
/// public (it travels in the KSN), so a loop over this may depend on it.
#[derive(Clone, Copy, Default)]
pub(crate) struct ChainSteps {
    rest: u32,
    walked: u32,
}

impl ChainSteps {
    /// The steps to `counter`.
    pub(crate) fn to(counter: u32) -> Self {
        Self {
            rest: counter,
            walked: 0,
        }
    }
}

impl Iterator for ChainSteps {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.rest == 0 {
            return None;
        }
        let bit = 0x8000_0000u32 >> self.rest.leading_zeros();
        self.rest ^= bit;
        self.walked |= bit;
        Some(self.walked)
    }
}

/// Derivation data of a working key.
pub(crate) fn working_key_data(
    usage: KeyUsage,
    kt: WorkingKeyType,
    ikid: &[u8; 8],
    counter: u32,
) -> [u8; 16] {
    data(usage.indicator(), kt, &tail(ikid, counter))
}

/// DeriveKey: fills `out` (16, 24 or 32 bytes) with AES-ECB encryptions of `data` under
/// `key`, the key block counter (byte 1) counting 1, 2 for each 16-byte block. The two
/// blocks of a 24- or 32-byte key are independent: one two-block call
/// ([`crate::block::Aes::encrypt2`]).
pub(crate) fn derive<K: EncryptBlocks + ?Sized>(key: &K, data: &[u8; 16], out: &mut [u8]) {
    let (first, second) = out.split_at_mut(out.len().min(16));
    let mut a = *data;
    if second.is_empty() {
        key.encrypt_one(&mut a);
    } else {
        let mut b = *data;
        b[1] = data[1].wrapping_add(1);
        key.encrypt_two(&mut a, &mut b);
        copy_prefix(second, &b);
        b.zeroize();
    }
    copy_prefix(first, &a);
    a.zeroize();
}

/// Several DeriveKey calls under one key (independent: the terminal's registers), their
/// single-block derivations paired into two-block calls ([`crate::block::Aes::encrypt2`]); each job is
/// its derivation data and its output (16, 24 or 32 bytes). A 16- or 32-byte output is
/// encrypted in place (the derivation data written into it first): no copy of a derived
/// key outside its output, so no temporary to wipe.
pub(crate) fn derive_each<'o, K: EncryptBlocks + ?Sized>(
    key: &K,
    jobs: impl Iterator<Item = ([u8; 16], &'o mut [u8])>,
) {
    let mut held: Option<&'o mut [u8; 16]> = None;
    for (data, out) in jobs {
        if out.len() == 32 {
            let (first, second) = out.split_at_mut(16);
            if let (Ok(a), Ok(b)) = (
                <&mut [u8; 16]>::try_from(first),
                <&mut [u8; 16]>::try_from(second),
            ) {
                set_block(a, &data);
                set_block(b, &data);
                b[1] = data[1].wrapping_add(1);
                key.encrypt_two(a, b);
            }
            continue;
        }
        if out.len() != 16 {
            derive(key, &data, out);
            continue;
        }
        let Ok(block) = <&mut [u8; 16]>::try_from(out) else {
            continue;
        };
        set_block(block, &data);
        match held.take() {
            None => held = Some(block),
            Some(a) => key.encrypt_two(a, block),
        }
    }
    if let Some(a) = held {
        key.encrypt_one(a);
    }
}

/// `*dst = *src`, through one 128-bit integer. A register slot is a byte array of no
/// known alignment: `*dst = *src` there, or a loop over its words (which the compiler
/// recognises as one), is a call of the generic `memcpy` (about 170 Cortex-M3
/// instructions for 16 bytes, 220 on the M0; 32 calls per load). As an integer it is
/// four unaligned word loads and stores on the M3 and byte moves on the M0. Not inlined:
/// one copy of the code for the three sites in each `derive_each`.
#[inline(never)]
fn set_block(dst: &mut [u8; 16], src: &[u8; 16]) {
    *dst = u128::from_ne_bytes(*src).to_ne_bytes();
}

/// Copies the first `dst.len()` (at most 16) bytes of `block` into `dst`.
fn copy_prefix(dst: &mut [u8], block: &[u8; 16]) {
    for (d, s) in dst.iter_mut().zip(block.iter()) {
        *d = *s;
    }
}

/// The initial-key derivation data block number `block` (1 or 2), public for checking
/// against the standard's examples.
pub fn initial_key_derivation_data(kind: BdkType, initial_key_id: &[u8; 8], block: u8) -> [u8; 16] {
    let mut d = initial_key_data(kind, initial_key_id);
    d[1] = block;
    d
}
