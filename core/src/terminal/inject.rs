//! Key injection: a TR-31 key block, unwrapped under a KBPK that lives in the sealed
//! store, imported into the store with the policy its header grants.

use super::TerminalError;
use crate::attributes::{Algorithm, Usage};
use crate::key::KbpkUnwrap;
use crate::platform::Platform;
use crate::secret::SecretBuf;
use crate::store::{format::MAX_LABEL_LEN, KeyHandle, KeyStore};
use crate::tr31::{self, Header};

/// What [`import_tr31`] stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Injected {
    /// The new key (version 1 of the id given).
    pub handle: KeyHandle,
    /// Its algorithm, from the header and the key length.
    pub algorithm: Algorithm,
    /// Its usage policy, from the header's key usage, mode of use and exportability.
    pub usage: Usage,
    /// The DUKPT initial key ID of an initial key (`B1`) with an `IK` optional block.
    pub initial_key_id: Option<[u8; 8]>,
}

/// The AES DUKPT initial key ID from a header's `IK` optional block (ANSI X9.143: 16 hex
/// digits), `None` without one or if it is not 16 hex digits. Public data, not secret.
pub fn initial_key_id(header: &Header<'_>) -> Option<[u8; 8]> {
    super::hex8(header.opt_block(b"IK")?.data)
}

/// The label an injected key gets: the initial key ID in hex for an initial key (so
/// that [`super::load_initial_key`] finds it after a reboot), else the key usage.
fn label_for(header: &Header<'_>, ikid: Option<[u8; 8]>, out: &mut [u8; MAX_LABEL_LEN]) -> usize {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match ikid {
        Some(id) => {
            for (pair, b) in out.chunks_exact_mut(2).zip(id.iter()) {
                pair[0] = HEX[usize::from(b >> 4)];
                pair[1] = HEX[usize::from(b & 15)];
            }
            16
        }
        None => {
            out[..2].copy_from_slice(&header.key_usage);
            2
        }
    }
}

/// Imports the key in `block` as key `id` of `store`, unwrapped under the KBPK `kbpk`
/// (a key of the same store whose policy allows [`Usage::KBPK_UNWRAP`]: a `K1` key, whose
/// stored algorithm must fit the block's version, [`tr31::Tr31Error::KbpkAlgorithm`]).
///
/// Checked before anything is written: the KBPK's policy (store), the block's MAC, header
/// and the header's semantics (key usage, algorithm and mode of use must map onto the
/// store's policy, exportability is kept, the KBPK must be at least as strong as the key:
/// [`tr31::import`]), and for an initial key (`B1`) an `IK` optional block with its
/// initial key ID (kept as the key's label). The plaintext key exists only in wiped
/// buffers between the unwrap and the store's sealing.
pub fn import_tr31<P: Platform>(
    store: &mut KeyStore<P>,
    kbpk: KeyHandle,
    block: &[u8],
    id: u16,
) -> Result<Injected, TerminalError> {
    let mut label = [0u8; MAX_LABEL_LEN];
    let unwrapped = store.with_typed_key::<KbpkUnwrap, _>(kbpk, |kbpk| {
        let imp = tr31::import(kbpk, block)?;
        let ikid = initial_key_id(&imp.header);
        if &imp.header.key_usage == b"B1" && ikid.is_none() {
            return Err(TerminalError::NoInitialKeyId);
        }
        let n = label_for(&imp.header, ikid, &mut label);
        let key = SecretBuf::<32>::from_slice(imp.key.expose())
            .ok_or(TerminalError::KeyBlock(tr31::Tr31Error::KeyTooLarge))?;
        Ok((imp.algorithm, imp.usage, ikid, n, key))
    })?;
    let (algorithm, usage, initial_key_id, n, key) = unwrapped?;
    let handle = store.import(id, &label[..n], algorithm, usage, key.expose(), None)?;
    Ok(Injected {
        handle,
        algorithm,
        usage,
        initial_key_id,
    })
}
