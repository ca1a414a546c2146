//! The vocabulary shared by the key store, TR-31 import and backups: what a key is
//! ([`Algorithm`]) and what it may be used for ([`Usage`]: a [`Purpose`], the TR-31 key
//! usage class, and the modes of use). The TR-31 header mapping onto it is
//! [`crate::tr31::import_rules`]; typed key holders that carry it into the operations are
//! [`crate::key`].

/// A key's algorithm and size. The length of the key follows from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Algorithm {
    /// AES with a 128-bit key.
    Aes128,
    /// AES with a 192-bit key.
    Aes192,
    /// AES with a 256-bit key.
    Aes256,
    /// Two-key TDEA (16 bytes).
    Tdes2,
    /// Three-key TDEA (24 bytes).
    Tdes3,
    /// An HMAC-SHA256 key of 32 bytes.
    HmacSha256,
}

impl Algorithm {
    /// The key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Self::Aes128 | Self::Tdes2 => 16,
            Self::Aes192 | Self::Tdes3 => 24,
            Self::Aes256 | Self::HmacSha256 => 32,
        }
    }

    /// Security strength in bits (SP 800-57 part 1, table 2), used to check that a
    /// protecting key is at least as strong as the key it protects.
    pub const fn strength_bits(self) -> u16 {
        match self {
            Self::Tdes2 => 80,
            Self::Tdes3 => 112,
            Self::Aes128 => 128,
            Self::Aes192 => 192,
            Self::Aes256 | Self::HmacSha256 => 256,
        }
    }

    /// A stable one-byte code for the on-flash format and backups.
    pub const fn code(self) -> u8 {
        match self {
            Self::Aes128 => 1,
            Self::Aes192 => 2,
            Self::Aes256 => 3,
            Self::Tdes2 => 4,
            Self::Tdes3 => 5,
            Self::HmacSha256 => 6,
        }
    }

    /// The inverse of [`Algorithm::code`].
    pub const fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            1 => Self::Aes128,
            2 => Self::Aes192,
            3 => Self::Aes256,
            4 => Self::Tdes2,
            5 => Self::Tdes3,
            6 => Self::HmacSha256,
            _ => return None,
        })
    }
}

/// The TR-31 MAC algorithm a MAC key is bound to (key usages `M0`..`M8`). A key bound
/// to one algorithm is refused by every other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MacAlgorithm {
    /// `M0`: ISO 16609 MAC algorithm 1 (TDEA).
    Iso16609,
    /// `M1`: ISO 9797-1 MAC algorithm 1 (CBC-MAC).
    Iso9797Alg1,
    /// `M2`: ISO 9797-1 MAC algorithm 2.
    Iso9797Alg2,
    /// `M3`: ISO 9797-1 MAC algorithm 3, the ANSI X9.19 retail MAC
    /// ([`crate::transaction::mac::retail_mac`]).
    Iso9797Alg3,
    /// `M4`: ISO 9797-1 MAC algorithm 4.
    Iso9797Alg4,
    /// `M5`: ISO 9797-1:1999 MAC algorithm 5.
    Iso9797Alg5,
    /// `M6`: ISO 9797-1:2011 MAC algorithm 5, CMAC ([`crate::transaction::mac::aes_cmac`],
    /// [`crate::transaction::mac::tdes_cmac`]).
    Cmac,
    /// `M7`: HMAC ([`crate::transaction::mac::hmac_sha256`]).
    Hmac,
    /// `M8`: ISO 9797-1:2011 MAC algorithm 6.
    Iso9797Alg6,
}

impl MacAlgorithm {
    /// Every MAC algorithm, in TR-31 order (`M0` first).
    pub const ALL: [Self; 9] = [
        Self::Iso16609,
        Self::Iso9797Alg1,
        Self::Iso9797Alg2,
        Self::Iso9797Alg3,
        Self::Iso9797Alg4,
        Self::Iso9797Alg5,
        Self::Cmac,
        Self::Hmac,
        Self::Iso9797Alg6,
    ];

    /// The digit of its TR-31 key usage (`M0` is 0).
    pub const fn tr31_digit(self) -> u8 {
        match self {
            Self::Iso16609 => 0,
            Self::Iso9797Alg1 => 1,
            Self::Iso9797Alg2 => 2,
            Self::Iso9797Alg3 => 3,
            Self::Iso9797Alg4 => 4,
            Self::Iso9797Alg5 => 5,
            Self::Cmac => 6,
            Self::Hmac => 7,
            Self::Iso9797Alg6 => 8,
        }
    }

    /// The inverse of [`MacAlgorithm::tr31_digit`].
    pub const fn from_tr31_digit(d: u8) -> Option<Self> {
        Some(match d {
            0 => Self::Iso16609,
            1 => Self::Iso9797Alg1,
            2 => Self::Iso9797Alg2,
            3 => Self::Iso9797Alg3,
            4 => Self::Iso9797Alg4,
            5 => Self::Iso9797Alg5,
            6 => Self::Cmac,
            7 => Self::Hmac,
            8 => Self::Iso9797Alg6,
            _ => return None,
        })
    }
}

/// What a key is for: its TR-31 key usage class. A key serves only operations of its
/// purpose ([`Usage::permits`]), so a PIN key never decrypts data, a key block protection
/// key is not a general key-encryption key and a MAC key is bound to one MAC algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Purpose {
    /// A general symmetric key: data encryption (`D0`), key encryption and wrapping
    /// (`K0`, AES-KW), keyfort's own derivations. What [`Usage::ENCRYPT`],
    /// [`Usage::WRAP`], [`Usage::DERIVE`]... name.
    General,
    /// PIN encryption (`P0`): ISO 9564 PIN blocks only.
    Pin,
    /// TR-31 key block protection key (`K1`): wraps and unwraps key blocks only.
    Kbpk,
    /// DUKPT base derivation key (`B0`).
    Bdk,
    /// DUKPT initial key (`B1`).
    InitialKey,
    /// A MAC key bound to one MAC algorithm (`M0`..`M8`).
    Mac(MacAlgorithm),
}

impl Purpose {
    /// The code in a [`Usage`]'s high byte (0 for [`Purpose::General`]).
    const fn code(self) -> u16 {
        match self {
            Self::General => 0,
            Self::Pin => 1,
            Self::Kbpk => 2,
            Self::Bdk => 3,
            Self::InitialKey => 4,
            Self::Mac(m) => 0x10 + m.tr31_digit() as u16,
        }
    }

    const fn from_code(c: u16) -> Option<Self> {
        Some(match c {
            0 => Self::General,
            1 => Self::Pin,
            2 => Self::Kbpk,
            3 => Self::Bdk,
            4 => Self::InitialKey,
            0x10 => Self::Mac(MacAlgorithm::Iso16609),
            0x11 => Self::Mac(MacAlgorithm::Iso9797Alg1),
            0x12 => Self::Mac(MacAlgorithm::Iso9797Alg2),
            0x13 => Self::Mac(MacAlgorithm::Iso9797Alg3),
            0x14 => Self::Mac(MacAlgorithm::Iso9797Alg4),
            0x15 => Self::Mac(MacAlgorithm::Iso9797Alg5),
            0x16 => Self::Mac(MacAlgorithm::Cmac),
            0x17 => Self::Mac(MacAlgorithm::Hmac),
            0x18 => Self::Mac(MacAlgorithm::Iso9797Alg6),
            _ => return None,
        })
    }
}

/// What a key may be used for: a [`Purpose`] and a set of modes of use (the permissions
/// below). Keys are non-exportable unless [`Usage::EXPORT`] is in the set. `Debug` and
/// `defmt` print the purpose (unless general) and the names of the modes
/// (`Usage(ENCRYPT | DECRYPT)`, `Usage(Pin: ENCRYPT)`, `Usage(NONE)`).
///
/// The mode constants ([`Usage::ENCRYPT`], [`Usage::MAC_GENERATE`]...) are of
/// [`Purpose::General`]; the purpose-bound ones are [`Usage::PIN_ENCRYPT`],
/// [`Usage::KBPK_UNWRAP`], [`Usage::mac_generate`]... A store checks a use with
/// [`Usage::permits`]: every mode asked for and the same purpose.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage(u16);

/// Each mode with its name, in bit order (what `Debug` and `defmt` print).
const USAGE_NAMES: [(u16, &str); 8] = [
    (Usage::ENCRYPT.0, "ENCRYPT"),
    (Usage::DECRYPT.0, "DECRYPT"),
    (Usage::WRAP.0, "WRAP"),
    (Usage::UNWRAP.0, "UNWRAP"),
    (Usage::DERIVE.0, "DERIVE"),
    (Usage::MAC_GENERATE.0, "MAC_GENERATE"),
    (Usage::MAC_VERIFY.0, "MAC_VERIFY"),
    (Usage::EXPORT.0, "EXPORT"),
];
const _: () = assert!(USAGE_NAMES.len() == Usage::ALL.0.count_ones() as usize);

/// The mode bits (the low byte); the high byte is the purpose code.
const MODES: u16 = 0x00FF;
/// The purpose code two conflicting purposes give when united: no key has it.
const CONFLICT: u16 = 0xFF;

impl Usage {
    /// The names of the modes in the set, in bit order.
    fn names(self) -> impl Iterator<Item = &'static str> {
        USAGE_NAMES
            .iter()
            .filter(move |(u, _)| self.0 & u == *u)
            .map(|(_, n)| *n)
    }
}

impl core::fmt::Debug for Usage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Usage(")?;
        match Purpose::from_code(self.0 >> 8) {
            Some(Purpose::General) => {}
            Some(p) => write!(f, "{p:?}: ")?,
            None => f.write_str("INVALID: ")?,
        }
        if self.0 & MODES == 0 {
            f.write_str("NONE")?;
        }
        for (i, n) in self.names().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            f.write_str(n)?;
        }
        f.write_str(")")
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Usage {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Usage(");
        match Purpose::from_code(self.0 >> 8) {
            Some(Purpose::General) => {}
            Some(p) => defmt::write!(f, "{}: ", p),
            None => defmt::write!(f, "INVALID: "),
        }
        if self.0 & MODES == 0 {
            defmt::write!(f, "NONE");
        }
        for (i, n) in self.names().enumerate() {
            if i > 0 {
                defmt::write!(f, " | ");
            }
            defmt::write!(f, "{=str}", n);
        }
        defmt::write!(f, ")");
    }
}

impl Usage {
    /// No permission.
    pub const NONE: Self = Self(0);
    /// Encrypt data (TR-31 `D0`, mode `E`).
    pub const ENCRYPT: Self = Self(1 << 0);
    /// Decrypt data (`D0`, mode `D`).
    pub const DECRYPT: Self = Self(1 << 1);
    /// Wrap (encrypt) other keys (`K0`, mode `E`; AES-KW).
    pub const WRAP: Self = Self(1 << 2);
    /// Unwrap (decrypt) other keys (`K0`, mode `D`).
    pub const UNWRAP: Self = Self(1 << 3);
    /// Derive other keys (keyfort's own derivations). A DUKPT BDK is
    /// [`Usage::BDK_DERIVE`], an initial key [`Usage::IK_DERIVE`].
    pub const DERIVE: Self = Self(1 << 4);
    /// Generate MACs (a mode: a MAC key also needs its algorithm, [`Usage::mac_generate`]).
    pub const MAC_GENERATE: Self = Self(1 << 5);
    /// Verify MACs (a mode: see [`Usage::mac_verify`]).
    pub const MAC_VERIFY: Self = Self(1 << 6);
    /// Leave the device, wrapped (backup, TR-31 export). Of any purpose.
    pub const EXPORT: Self = Self(1 << 7);
    /// Every mode defined so far, of [`Purpose::General`].
    pub const ALL: Self = Self(0xFF);

    /// Encrypt PIN blocks (`P0`, mode `E`).
    pub const PIN_ENCRYPT: Self = Self::ENCRYPT.bound(Purpose::Pin);
    /// Decrypt PIN blocks (`P0`, mode `D`).
    pub const PIN_DECRYPT: Self = Self::DECRYPT.bound(Purpose::Pin);
    /// Wrap TR-31 key blocks (`K1`, mode `E`).
    pub const KBPK_WRAP: Self = Self::WRAP.bound(Purpose::Kbpk);
    /// Unwrap TR-31 key blocks (`K1`, mode `D`).
    pub const KBPK_UNWRAP: Self = Self::UNWRAP.bound(Purpose::Kbpk);
    /// Derive DUKPT initial keys from a BDK (`B0`, mode `X`).
    pub const BDK_DERIVE: Self = Self::DERIVE.bound(Purpose::Bdk);
    /// Derive DUKPT transaction keys from an initial key (`B1`, mode `X`).
    pub const IK_DERIVE: Self = Self::DERIVE.bound(Purpose::InitialKey);

    /// Generate MACs with `alg` only (`M0`..`M8`, mode `G`).
    pub const fn mac_generate(alg: MacAlgorithm) -> Self {
        Self::MAC_GENERATE.bound(Purpose::Mac(alg))
    }
    /// Verify MACs with `alg` only (`M0`..`M8`, mode `V`).
    pub const fn mac_verify(alg: MacAlgorithm) -> Self {
        Self::MAC_VERIFY.bound(Purpose::Mac(alg))
    }

    /// These modes with `purpose` (whatever purpose `self` had).
    #[must_use]
    pub const fn bound(self, purpose: Purpose) -> Self {
        Self((self.0 & MODES) | (purpose.code() << 8))
    }

    /// The purpose; `None` only for the union of two conflicting purposes (a usage no
    /// key may have: [`Usage::from_bits`] refuses it).
    pub const fn purpose(self) -> Option<Purpose> {
        Purpose::from_code(self.0 >> 8)
    }

    /// The raw bits, for the on-flash format: modes in the low byte, the purpose code in
    /// the high byte (0, general, in stores written before purposes existed).
    pub const fn bits(self) -> u16 {
        self.0
    }
    /// From raw bits; `None` if an unknown mode bit or purpose code is set.
    pub const fn from_bits(bits: u16) -> Option<Self> {
        if bits & MODES & !Self::ALL.0 == 0 && Purpose::from_code(bits >> 8).is_some() {
            Some(Self(bits))
        } else {
            None
        }
    }
    /// Both sets together. The purposes must agree (a general one takes the other's);
    /// two different specific purposes give a usage without a purpose, which no key can
    /// have and which permits nothing.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        let (a, b) = (self.0 >> 8, other.0 >> 8);
        let p = if a == b || b == 0 {
            a
        } else if a == 0 {
            b
        } else {
            CONFLICT
        };
        Self(((self.0 | other.0) & MODES) | (p << 8))
    }
    /// Whether every mode of `other` is in `self` and both have the same purpose.
    pub const fn contains(self, other: Self) -> bool {
        self.0 >> 8 == other.0 >> 8 && self.0 & other.0 & MODES == other.0 & MODES
    }
    /// Whether a key of this usage may serve the use `need`: `need` names at least one
    /// mode, every mode it names is granted and the purposes are the same. The one check
    /// every use of a stored or typed key goes through ([`crate::key::TypedKey::new`],
    /// the store's use check).
    /// [`Usage::EXPORT`] alone is asked of a key of any purpose.
    pub const fn permits(self, need: Self) -> bool {
        let modes = need.0 & MODES;
        let export_only = modes == Self::EXPORT.0;
        modes != 0
            && self.purpose().is_some()
            && self.0 & modes == modes
            && (export_only || self.0 >> 8 == need.0 >> 8)
    }
    /// Whether the key may leave the device.
    pub const fn exportable(self) -> bool {
        self.0 & Self::EXPORT.0 != 0
    }
}

impl core::ops::BitOr for Usage {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Usage;
    use std::format;

    #[test]
    fn purposes_round_trip_and_never_unite() {
        use super::{MacAlgorithm, Purpose};
        let mut all = std::vec![
            Purpose::General,
            Purpose::Pin,
            Purpose::Kbpk,
            Purpose::Bdk,
            Purpose::InitialKey,
        ];
        all.extend(MacAlgorithm::ALL.iter().map(|m| Purpose::Mac(*m)));
        for (i, p) in all.iter().enumerate() {
            let u = Usage::ENCRYPT.bound(*p);
            // Through the on-flash bits and back: the same purpose, no other.
            assert_eq!(Usage::from_bits(u.bits()).unwrap().purpose(), Some(*p));
            for (j, q) in all.iter().enumerate() {
                let v = Usage::ENCRYPT.bound(*q);
                assert_eq!(u.permits(v), i == j, "{p:?} for {q:?}");
            }
            // EXPORT is asked of a key of any purpose.
            assert!((u | Usage::EXPORT).permits(Usage::EXPORT));
        }
        // Two specific purposes united: no purpose, permits nothing, not storable.
        let both = Usage::PIN_ENCRYPT | Usage::KBPK_UNWRAP;
        assert_eq!(both.purpose(), None);
        assert!(!both.permits(Usage::PIN_ENCRYPT));
        assert_eq!(Usage::from_bits(both.bits()), None);
        // A general mode united with a purpose takes the purpose.
        assert_eq!(
            (Usage::PIN_ENCRYPT | Usage::EXPORT).purpose(),
            Some(Purpose::Pin)
        );
        assert_eq!(
            std::format!("{:?}", Usage::PIN_ENCRYPT),
            "Usage(Pin: ENCRYPT)"
        );
    }

    #[test]
    fn usage_debug_names_its_permissions() {
        assert_eq!(format!("{:?}", Usage::NONE), "Usage(NONE)");
        assert_eq!(format!("{:?}", Usage::DERIVE), "Usage(DERIVE)");
        assert_eq!(
            format!("{:?}", Usage::MAC_VERIFY | Usage::ENCRYPT),
            "Usage(ENCRYPT | MAC_VERIFY)"
        );
        assert_eq!(
            format!("{:?}", Usage::ALL),
            "Usage(ENCRYPT | DECRYPT | WRAP | UNWRAP | DERIVE | MAC_GENERATE | MAC_VERIFY | EXPORT)"
        );
        // Every bit prints a name of its own (no two bits share one, none is skipped).
        let names: std::vec::Vec<_> = (0..8)
            .map(|b| format!("{:?}", Usage::from_bits(1 << b).unwrap()))
            .collect();
        for (i, n) in names.iter().enumerate() {
            assert!(!n.contains("NONE") && !n.contains('|'), "{n}");
            assert!(!names[..i].contains(n), "{n} twice");
        }
    }
}
