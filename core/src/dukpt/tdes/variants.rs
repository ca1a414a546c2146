//! The key variants of X9.24-1-2009 A.6: one current key, several single-purpose keys.
//! The pre-2009 XOR-only data keys ([`TdesLegacyVariant`]) only behind the explicit
//! legacy opt-in [`LegacyOptions`], like TR-31 versions A and C behind
//! [`crate::tr31::UnwrapOptions::legacy`].
use super::derive::xor16;
use crate::attributes::{MacAlgorithm, Purpose, Usage};
use crate::block::Tdes;
use crate::dukpt::DukptError;
use zeroize::Zeroize;

/// Which key a transaction's current key is turned into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TdesVariant {
    /// PIN encryption key (`...FF` variant).
    Pin,
    /// MAC key, request (terminal to host).
    MacRequest,
    /// MAC key, response (host to terminal).
    MacResponse,
    /// Data encryption key, request: the variant encrypted under itself (2009).
    DataRequest,
    /// Data encryption key, response: the variant encrypted under itself (2009).
    DataResponse,
}

/// The data keys of X9.24-1 before 2009: the data variant mask XORed into the current
/// key, without the 2009 step that encrypts the variant under itself. Such a key differs
/// from the MAC and PIN keys of the same transaction by a public constant. For
/// interoperability with old hosts only; available only with
/// [`LegacyOptions::allow_xor_only_data`] ([`LegacyOptions::legacy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TdesLegacyVariant {
    /// The request data variant without the 2009 encryption step.
    DataRequestXorOnly,
    /// The response data variant without the 2009 encryption step.
    DataResponseXorOnly,
}

/// The legacy opt-in of TDES DUKPT. Off by default; [`LegacyOptions::legacy`] turns it
/// on. Turn it on only to talk to a host that predates X9.24-1-2009.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LegacyOptions {
    /// Allow the XOR-only data keys ([`TdesLegacyVariant`]).
    pub allow_xor_only_data: bool,
}

impl LegacyOptions {
    /// Options that allow the legacy forms.
    pub const fn legacy() -> Self {
        Self {
            allow_xor_only_data: true,
        }
    }
}

impl TdesLegacyVariant {
    /// The variant constant XORed into the current key.
    pub const fn mask(self) -> [u8; 16] {
        match self {
            Self::DataRequestXorOnly => TdesVariant::DataRequest.mask(),
            Self::DataResponseXorOnly => TdesVariant::DataResponse.mask(),
        }
    }

    /// The 2009 variant of the same use (its key's policy, [`TdesVariant::policy`]).
    pub const fn data_variant(self) -> TdesVariant {
        match self {
            Self::DataRequestXorOnly => TdesVariant::DataRequest,
            Self::DataResponseXorOnly => TdesVariant::DataResponse,
        }
    }

    /// Turns the current key in `key` into this variant, in place, if `opts` allow it.
    pub(crate) fn apply(self, key: &mut [u8; 16], opts: &LegacyOptions) -> Result<(), DukptError> {
        if !opts.allow_xor_only_data {
            return Err(DukptError::LegacyNotAllowed);
        }
        xor16(key, &self.mask());
        Ok(())
    }
}

impl TdesVariant {
    /// The variant constant XORed into the current key.
    pub const fn mask(self) -> [u8; 16] {
        let mut m = [0u8; 16];
        let pos = match self {
            Self::Pin => 7,
            Self::MacRequest => 6,
            Self::MacResponse => 4,
            Self::DataRequest => 5,
            Self::DataResponse => 3,
        };
        m[pos] = 0xFF;
        m[pos + 8] = 0xFF;
        m
    }

    /// The usage of a key of this variant (2-key TDES) when asked for `need`: the
    /// variant fixed its use, for both ends of the protocol. A PIN key encrypts and
    /// decrypts PIN blocks (`P0`); a data key encrypts and decrypts data (`D0`); a MAC key
    /// generates and verifies MACs with the algorithms TDES DUKPT MAC keys serve, the
    /// X9.19 retail MAC (`M3`) and TDES-CMAC (`M6`): with the one of them `need` names,
    /// else the retail MAC.
    pub const fn policy(self, need: Usage) -> Usage {
        match self {
            Self::Pin => Usage::PIN_ENCRYPT.union(Usage::PIN_DECRYPT),
            Self::MacRequest | Self::MacResponse => {
                let alg = match need.purpose() {
                    Some(Purpose::Mac(MacAlgorithm::Cmac)) => MacAlgorithm::Cmac,
                    _ => MacAlgorithm::Iso9797Alg3,
                };
                Usage::MAC_GENERATE
                    .union(Usage::MAC_VERIFY)
                    .bound(Purpose::Mac(alg))
            }
            Self::DataRequest | Self::DataResponse => Usage::ENCRYPT.union(Usage::DECRYPT),
        }
    }

    /// Turns the current key in `key` into this variant, in place.
    pub(crate) fn apply(self, key: &mut [u8; 16]) {
        xor16(key, &self.mask());
        if matches!(self, Self::DataRequest | Self::DataResponse) {
            // A derived key: never refused as degenerate (16 bytes, so this succeeds).
            if let Ok(c) = Tdes::from_derived(key) {
                let mut l = [0u8; 8];
                let mut r = [0u8; 8];
                l.copy_from_slice(&key[..8]);
                r.copy_from_slice(&key[8..]);
                c.encrypt(&mut l);
                c.encrypt(&mut r);
                key[..8].copy_from_slice(&l);
                key[8..].copy_from_slice(&r);
                l.zeroize();
                r.zeroize();
            }
        }
    }
}
