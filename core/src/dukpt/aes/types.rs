//! The vocabulary of X9.24-3: derivation key types, working key types, key usages.

/// The type of a BDK, and so of the initial key and every derivation key below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum BdkType {
    /// AES-128 (16-byte BDK).
    Aes128,
    /// AES-192 (24-byte BDK).
    Aes192,
    /// AES-256 (32-byte BDK).
    Aes256,
}

impl BdkType {
    /// The type of a BDK or initial key of `len` bytes.
    pub const fn from_key_len(len: usize) -> Option<Self> {
        match len {
            16 => Some(Self::Aes128),
            24 => Some(Self::Aes192),
            32 => Some(Self::Aes256),
            _ => None,
        }
    }

    /// The type of a BDK or initial key of the algorithm `a` (`None` for a non-AES key).
    pub const fn from_algorithm(a: crate::attributes::Algorithm) -> Option<Self> {
        use crate::attributes::Algorithm as A;
        match a {
            A::Aes128 => Some(Self::Aes128),
            A::Aes192 => Some(Self::Aes192),
            A::Aes256 => Some(Self::Aes256),
            _ => None,
        }
    }

    /// Key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 => 24,
            Self::Aes256 => 32,
        }
    }

    /// The same type as a working key type (derivation keys are derived as AES keys).
    pub const fn as_working(self) -> WorkingKeyType {
        match self {
            Self::Aes128 => WorkingKeyType::Aes128,
            Self::Aes192 => WorkingKeyType::Aes192,
            Self::Aes256 => WorkingKeyType::Aes256,
        }
    }

    /// A stable one-byte code (terminal state encoding).
    pub(crate) const fn code(self) -> u8 {
        match self {
            Self::Aes128 => 1,
            Self::Aes192 => 2,
            Self::Aes256 => 3,
        }
    }

    pub(crate) const fn from_code(c: u8) -> Option<Self> {
        match c {
            1 => Some(Self::Aes128),
            2 => Some(Self::Aes192),
            3 => Some(Self::Aes256),
            _ => None,
        }
    }
}

/// The type of a derived working key (X9.24-3 6.2.2, 6.3.2 table 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum WorkingKeyType {
    /// Two-key TDEA, 16 bytes.
    Tdes2,
    /// Three-key TDEA, 24 bytes.
    Tdes3,
    /// AES-128.
    Aes128,
    /// AES-192.
    Aes192,
    /// AES-256.
    Aes256,
    /// HMAC key of 128 bits (used with HMAC-SHA256).
    Hmac128,
    /// HMAC key of 192 bits.
    Hmac192,
    /// HMAC key of 256 bits.
    Hmac256,
}

impl WorkingKeyType {
    /// Every working key type.
    pub const ALL: [Self; 8] = [
        Self::Tdes2,
        Self::Tdes3,
        Self::Aes128,
        Self::Aes192,
        Self::Aes256,
        Self::Hmac128,
        Self::Hmac192,
        Self::Hmac256,
    ];

    /// The algorithm indicator of the derivation data.
    pub const fn algorithm_indicator(self) -> u16 {
        match self {
            Self::Tdes2 => 0,
            Self::Tdes3 => 1,
            Self::Aes128 => 2,
            Self::Aes192 => 3,
            Self::Aes256 => 4,
            Self::Hmac128 | Self::Hmac192 | Self::Hmac256 => 5,
        }
    }

    /// Key length in bits.
    pub const fn bits(self) -> u16 {
        match self {
            Self::Tdes2 | Self::Aes128 | Self::Hmac128 => 128,
            Self::Tdes3 | Self::Aes192 | Self::Hmac192 => 192,
            Self::Aes256 | Self::Hmac256 => 256,
        }
    }

    /// Key length in bytes.
    pub const fn key_len(self) -> usize {
        (self.bits() >> 3) as usize
    }

    /// Whether a BDK of type `bdk` may derive this key type (X9.24-3 6.2: a working key
    /// is never longer than the derivation key; TDEA keys are allowed under every BDK).
    pub const fn allowed_under(self, bdk: BdkType) -> bool {
        match self {
            Self::Tdes2 | Self::Tdes3 => true,
            _ => self.key_len() <= bdk.key_len(),
        }
    }
}

/// What a working key is for (X9.24-3 6.3.2 table 2, key usage indicator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum KeyUsage {
    /// Key encryption key (0x0002); also the update key's usage.
    KeyEncryption,
    /// PIN encryption (0x1000).
    PinEncryption,
    /// MAC generation (0x2000).
    MacGeneration,
    /// MAC verification (0x2001).
    MacVerification,
    /// MAC generation and verification (0x2002).
    MacBoth,
    /// Data encryption, encrypt (0x3000).
    DataEncrypt,
    /// Data encryption, decrypt (0x3001).
    DataDecrypt,
    /// Data encryption, both ways (0x3002).
    DataBoth,
    /// Key derivation (0x8000).
    KeyDerivation,
}

impl KeyUsage {
    /// Every usage a working key can have.
    pub const ALL: [Self; 9] = [
        Self::KeyEncryption,
        Self::PinEncryption,
        Self::MacGeneration,
        Self::MacVerification,
        Self::MacBoth,
        Self::DataEncrypt,
        Self::DataDecrypt,
        Self::DataBoth,
        Self::KeyDerivation,
    ];

    /// The keyfort algorithm and [`crate::attributes::Usage`] of a working key of this
    /// usage and type `t`. The modes cover both ends of the protocol (what the terminal
    /// does with the key and what the host does with the same derived key): a PIN key
    /// encrypts and decrypts PIN blocks, a MAC key generates and verifies with its
    /// algorithm (CMAC for TDES and AES types, HMAC for HMAC types).
    pub const fn policy(
        self,
        t: WorkingKeyType,
    ) -> (crate::attributes::Algorithm, crate::attributes::Usage) {
        use crate::attributes::{Algorithm as A, MacAlgorithm, Purpose, Usage as U};
        let alg = match t {
            WorkingKeyType::Tdes2 => A::Tdes2,
            WorkingKeyType::Tdes3 => A::Tdes3,
            WorkingKeyType::Aes128 => A::Aes128,
            WorkingKeyType::Aes192 => A::Aes192,
            WorkingKeyType::Aes256 => A::Aes256,
            WorkingKeyType::Hmac128 | WorkingKeyType::Hmac192 | WorkingKeyType::Hmac256 => {
                A::HmacSha256
            }
        };
        let mac = if matches!(alg, A::HmacSha256) {
            MacAlgorithm::Hmac
        } else {
            MacAlgorithm::Cmac
        };
        let both_mac = U::MAC_GENERATE
            .union(U::MAC_VERIFY)
            .bound(Purpose::Mac(mac));
        let usage = match self {
            Self::KeyEncryption => U::WRAP.union(U::UNWRAP),
            Self::PinEncryption => U::PIN_ENCRYPT.union(U::PIN_DECRYPT),
            Self::MacGeneration | Self::MacVerification | Self::MacBoth => both_mac,
            Self::DataEncrypt | Self::DataDecrypt | Self::DataBoth => U::ENCRYPT.union(U::DECRYPT),
            Self::KeyDerivation => U::DERIVE,
        };
        (alg, usage)
    }

    /// The key usage indicator of the derivation data.
    pub const fn indicator(self) -> u16 {
        match self {
            Self::KeyEncryption => 0x0002,
            Self::PinEncryption => 0x1000,
            Self::MacGeneration => 0x2000,
            Self::MacVerification => 0x2001,
            Self::MacBoth => 0x2002,
            Self::DataEncrypt => 0x3000,
            Self::DataDecrypt => 0x3001,
            Self::DataBoth => 0x3002,
            Self::KeyDerivation => 0x8000,
        }
    }
}
