//! The key variants of X9.24-1-2009 A.6: one current key, several single-purpose keys.
use super::derive::xor16;
use crate::block::Tdes;
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
    /// The request data variant without the 2009 encryption step (what some older
    /// tools call the data key). For interoperability only.
    DataRequestXorOnly,
    /// The response data variant without the 2009 encryption step.
    DataResponseXorOnly,
}

impl TdesVariant {
    /// The variant constant XORed into the current key.
    pub const fn mask(self) -> [u8; 16] {
        let mut m = [0u8; 16];
        let pos = match self {
            Self::Pin => 7,
            Self::MacRequest => 6,
            Self::MacResponse => 4,
            Self::DataRequest | Self::DataRequestXorOnly => 5,
            Self::DataResponse | Self::DataResponseXorOnly => 3,
        };
        m[pos] = 0xFF;
        m[pos + 8] = 0xFF;
        m
    }

    /// Turns the current key in `key` into this variant, in place.
    pub(crate) fn apply(self, key: &mut [u8; 16]) {
        xor16(key, &self.mask());
        if matches!(self, Self::DataRequest | Self::DataResponse) {
            if let Ok(c) = Tdes::new(key) {
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
