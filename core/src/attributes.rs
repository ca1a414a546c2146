//! The vocabulary shared by the key store, TR-31 import and backups: what a key is
//! ([`Algorithm`]) and what it may be used for ([`Usage`]).

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

/// What a key may be used for: a set of permissions. Keys are non-exportable unless
/// [`Usage::EXPORT`] is in the set. `Debug` and `defmt` print the names of the
/// permissions (`Usage(ENCRYPT | DECRYPT)`, `Usage(NONE)`).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage(u16);

/// Each permission with its name, in bit order (what `Debug` and `defmt` print).
const USAGE_NAMES: [(Usage, &str); 8] = [
    (Usage::ENCRYPT, "ENCRYPT"),
    (Usage::DECRYPT, "DECRYPT"),
    (Usage::WRAP, "WRAP"),
    (Usage::UNWRAP, "UNWRAP"),
    (Usage::DERIVE, "DERIVE"),
    (Usage::MAC_GENERATE, "MAC_GENERATE"),
    (Usage::MAC_VERIFY, "MAC_VERIFY"),
    (Usage::EXPORT, "EXPORT"),
];
const _: () = assert!(USAGE_NAMES.len() == Usage::ALL.0.count_ones() as usize);

impl Usage {
    /// The names of the permissions in the set, in bit order.
    fn names(self) -> impl Iterator<Item = &'static str> {
        USAGE_NAMES
            .iter()
            .filter(move |(u, _)| self.contains(*u))
            .map(|(_, n)| *n)
    }
}

impl core::fmt::Debug for Usage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Usage(")?;
        if *self == Self::NONE {
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
        if *self == Self::NONE {
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
    /// Encrypt data.
    pub const ENCRYPT: Self = Self(1 << 0);
    /// Decrypt data.
    pub const DECRYPT: Self = Self(1 << 1);
    /// Wrap (encrypt) other keys.
    pub const WRAP: Self = Self(1 << 2);
    /// Unwrap (decrypt) other keys.
    pub const UNWRAP: Self = Self(1 << 3);
    /// Derive other keys (a DUKPT BDK or initial key, a KDF input).
    pub const DERIVE: Self = Self(1 << 4);
    /// Generate MACs.
    pub const MAC_GENERATE: Self = Self(1 << 5);
    /// Verify MACs.
    pub const MAC_VERIFY: Self = Self(1 << 6);
    /// Leave the device, wrapped (backup, TR-31 export).
    pub const EXPORT: Self = Self(1 << 7);
    /// Every permission defined so far.
    pub const ALL: Self = Self(0xFF);

    /// The raw bits, for the on-flash format.
    pub const fn bits(self) -> u16 {
        self.0
    }
    /// From raw bits; `None` if an unknown bit is set.
    pub const fn from_bits(bits: u16) -> Option<Self> {
        if bits & !Self::ALL.0 == 0 {
            Some(Self(bits))
        } else {
            None
        }
    }
    /// Both sets together.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
    /// Whether every permission of `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
    /// Whether the key may leave the device.
    pub const fn exportable(self) -> bool {
        self.contains(Self::EXPORT)
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
