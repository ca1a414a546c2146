//! The C vocabulary: key ids, key attributes (type, bits, usage flags, lifetime), audit
//! events, algorithm identifiers, and their mapping onto keyfort's [`Algorithm`] and
//! [`Usage`]. Values follow the PSA Crypto API where PSA has the same notion.
use crate::status::*;
use keyfort::attributes::{Algorithm, Usage};
use keyfort::store::{AuditCode, AuditEvent, KeyHandle, KeyInfo};

/// A key reference: the key id in the low 16 bits (1 to 65535), the version in the high
/// 16 bits (0 = the newest active version). `KF_KEY_ID(id, version)` builds one.
#[allow(non_camel_case_types)]
pub type kf_key_id_t = u32;

/// PSA_KEY_TYPE_AES.
pub const KF_KEY_TYPE_AES: u16 = 0x2400;
/// PSA_KEY_TYPE_DES (keyfort stores two- and three-key TDEA: 128 and 192 bits).
pub const KF_KEY_TYPE_DES: u16 = 0x2301;
/// PSA_KEY_TYPE_HMAC (keyfort stores 256-bit HMAC-SHA256 keys).
pub const KF_KEY_TYPE_HMAC: u16 = 0x1100;

/// PSA_KEY_USAGE_EXPORT: the key may leave the device, wrapped (never in plaintext).
pub const KF_KEY_USAGE_EXPORT: u32 = 0x0000_0001;
/// PSA_KEY_USAGE_ENCRYPT.
pub const KF_KEY_USAGE_ENCRYPT: u32 = 0x0000_0100;
/// PSA_KEY_USAGE_DECRYPT.
pub const KF_KEY_USAGE_DECRYPT: u32 = 0x0000_0200;
/// PSA_KEY_USAGE_SIGN_MESSAGE: generate MACs.
pub const KF_KEY_USAGE_SIGN_MESSAGE: u32 = 0x0000_0400;
/// PSA_KEY_USAGE_VERIFY_MESSAGE: verify MACs.
pub const KF_KEY_USAGE_VERIFY_MESSAGE: u32 = 0x0000_0800;
/// PSA_KEY_USAGE_DERIVE: derive other keys (a DUKPT initial key).
pub const KF_KEY_USAGE_DERIVE: u32 = 0x0000_4000;
/// Wrap other keys (keyfort's flag; PSA 1.1 has none).
pub const KF_KEY_USAGE_WRAP: u32 = 0x0001_0000;
/// Unwrap other keys (keyfort's flag; a TR-31 KBPK also needs
/// `KF_KEY_PURPOSE_TR31_KBPK`).
pub const KF_KEY_USAGE_UNWRAP: u32 = 0x0002_0000;

/// The purpose field of the usage flags (bits 24 to 31, keyfort's): what the key is for,
/// TR-31's key usage class. 0 is a general key (data encryption, AES-KW key wrapping);
/// a key of another purpose serves only its own operations (`keyfort::attributes::Purpose`).
pub const KF_KEY_PURPOSE_MASK: u32 = 0xFF00_0000;
/// A PIN encryption key (TR-31 `P0`): its ENCRYPT/DECRYPT are PIN block modes.
pub const KF_KEY_PURPOSE_PIN: u32 = 0x0100_0000;
/// A TR-31 key block protection key (`K1`): its WRAP/UNWRAP are key block modes, the
/// only kind of key `kf_tr31_import` unwraps under.
pub const KF_KEY_PURPOSE_TR31_KBPK: u32 = 0x0200_0000;
/// A DUKPT base derivation key (`B0`).
pub const KF_KEY_PURPOSE_DUKPT_BDK: u32 = 0x0300_0000;
/// A DUKPT initial key (`B1`), what `kf_dukpt_load_initial_key` loads.
pub const KF_KEY_PURPOSE_DUKPT_IK: u32 = 0x0400_0000;
/// A MAC key bound to TR-31 MAC algorithm `Mn` (n = 0 to 8): this value plus
/// `n << 24` (M3: X9.19 retail MAC, M6: CMAC, M7: HMAC).
pub const KF_KEY_PURPOSE_MAC_M0: u32 = 0x1000_0000;

/// PSA_KEY_LIFETIME_PERSISTENT: the only lifetime keyfort has (every key is sealed in
/// flash). PSA_KEY_LIFETIME_VOLATILE (0) is `KF_ERROR_NOT_SUPPORTED`.
pub const KF_KEY_LIFETIME_PERSISTENT: u32 = 0x0000_0001;

/// Key state in attributes read back: usable within its policy.
pub const KF_KEY_STATE_ACTIVE: u32 = 1;
/// Key state in attributes read back: deactivated (revoked): decrypt, unwrap and MAC
/// verification only.
pub const KF_KEY_STATE_REVOKED: u32 = 2;
/// Key state in attributes read back: pre-active, not usable until activated.
pub const KF_KEY_STATE_PRE_ACTIVE: u32 = 3;
/// Key state in attributes read back: suspended, not usable until reactivated.
pub const KF_KEY_STATE_SUSPENDED: u32 = 4;
/// Key state in attributes read back: compromised.
pub const KF_KEY_STATE_COMPROMISED: u32 = 5;
/// Key state in attributes read back: destroyed (metadata only).
pub const KF_KEY_STATE_DESTROYED: u32 = 6;
/// Key state in attributes read back: destroyed and compromised (metadata only).
pub const KF_KEY_STATE_DESTROYED_COMPROMISED: u32 = 7;

/// AES-KW (RFC 3394 / SP 800-38F) key wrapping (keyfort's identifier).
pub const KF_ALG_AES_KW: u32 = 0x8B40_0100;
/// AES-KWP (RFC 5649 / SP 800-38F) key wrapping (keyfort's identifier).
pub const KF_ALG_AES_KWP: u32 = 0x8B40_0200;
/// PSA_ALG_CMAC (AES-CMAC, SP 800-38B).
pub const KF_ALG_CMAC: u32 = 0x03C0_0200;
/// PSA_ALG_HMAC(PSA_ALG_SHA_256).
pub const KF_ALG_HMAC_SHA_256: u32 = 0x0380_0009;

/// Key check value: the leftmost 5 bytes of CMAC over one all-zero block (ANSI X9.24-1
/// 2017; the only method for AES keys).
pub const KF_KCV_CMAC: u32 = 1;
/// Key check value: the leftmost 3 bytes of the encryption of one all-zero block (the
/// legacy method, TDEA; also computed for AES on request).
pub const KF_KCV_LEGACY: u32 = 2;

/// Most bytes of label a key carries.
pub const KF_LABEL_MAX: usize = 20;

/// A key's attributes (like `psa_key_attributes_t`, but a plain struct C can fill in).
/// Input to import, generate and unwrap; output of `kf_get_key_attributes` and
/// `kf_inventory`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct kf_key_attributes_t {
    /// The key id (input: the id to create, version bits ignored; output: id and version).
    pub id: kf_key_id_t,
    /// `KF_KEY_TYPE_*`.
    pub key_type: u16,
    /// Key size in bits.
    pub bits: u16,
    /// `KF_KEY_USAGE_*` flags.
    pub usage: u32,
    /// `KF_KEY_LIFETIME_PERSISTENT`.
    pub lifetime: u32,
    /// Maximum number of uses (0 = no limit); counted durably before each use.
    pub use_limit: u32,
    /// Output only: uses counted so far.
    pub uses: u32,
    /// Output only: `KF_KEY_STATE_*`.
    pub state: u32,
    /// Label length (0 to `KF_LABEL_MAX`).
    pub label_len: u32,
    /// Label bytes (public metadata: authenticated, not encrypted).
    pub label: [u8; KF_LABEL_MAX],
}

/// One audit event (metadata only, never key material).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct kf_audit_event_t {
    /// What happened: 1 formatted, 2 generated, 3 imported, 4 imported wrapped, 5
    /// rotated, 6 revoked, 7 destroyed, 8 use counted, 9 exported, 10 backup imported, 11
    /// state written, 12 tamper wipe, 255 unknown.
    pub code: u32,
    /// The key id or state slot concerned (0 for store-wide events).
    pub id: u16,
    /// The key version concerned (0: all versions / not applicable).
    pub version: u16,
    /// The store's record sequence number.
    pub seq: u32,
    /// The monotonic counter value the event was recorded under.
    pub counter: u32,
}

/// The handle a key id names: id in the low half, version (0 = newest) in the high half.
/// Id 0 is refused (PSA_KEY_ID_NULL).
pub fn handle(key: kf_key_id_t) -> Status<KeyHandle> {
    let id = (key & 0xFFFF) as u16;
    let version = (key >> 16) as u16;
    if id == 0 {
        return Err(KF_ERROR_INVALID_ARGUMENT);
    }
    Ok(if version == 0 {
        KeyHandle::newest(id)
    } else {
        KeyHandle::version(id, version)
    })
}

/// The key id of `id` version `version`.
pub fn key_id(id: u16, version: u16) -> kf_key_id_t {
    u32::from(id) | u32::from(version) << 16
}

/// The algorithm of a key type and size.
pub fn algorithm(key_type: u16, bits: u16) -> Status<Algorithm> {
    Ok(match (key_type, bits) {
        (KF_KEY_TYPE_AES, 128) => Algorithm::Aes128,
        (KF_KEY_TYPE_AES, 192) => Algorithm::Aes192,
        (KF_KEY_TYPE_AES, 256) => Algorithm::Aes256,
        (KF_KEY_TYPE_DES, 128) => Algorithm::Tdes2,
        (KF_KEY_TYPE_DES, 192) => Algorithm::Tdes3,
        (KF_KEY_TYPE_HMAC, 256) => Algorithm::HmacSha256,
        _ => return Err(KF_ERROR_NOT_SUPPORTED),
    })
}

/// The key type and size of an algorithm.
pub fn type_bits(a: Algorithm) -> (u16, u16) {
    match a {
        Algorithm::Aes128 => (KF_KEY_TYPE_AES, 128),
        Algorithm::Aes192 => (KF_KEY_TYPE_AES, 192),
        Algorithm::Aes256 => (KF_KEY_TYPE_AES, 256),
        Algorithm::Tdes2 => (KF_KEY_TYPE_DES, 128),
        Algorithm::Tdes3 => (KF_KEY_TYPE_DES, 192),
        _ => (KF_KEY_TYPE_HMAC, 256),
    }
}

const USAGE_MAP: [(u32, Usage); 8] = [
    (KF_KEY_USAGE_EXPORT, Usage::EXPORT),
    (KF_KEY_USAGE_ENCRYPT, Usage::ENCRYPT),
    (KF_KEY_USAGE_DECRYPT, Usage::DECRYPT),
    (KF_KEY_USAGE_SIGN_MESSAGE, Usage::MAC_GENERATE),
    (KF_KEY_USAGE_VERIFY_MESSAGE, Usage::MAC_VERIFY),
    (KF_KEY_USAGE_DERIVE, Usage::DERIVE),
    (KF_KEY_USAGE_WRAP, Usage::WRAP),
    (KF_KEY_USAGE_UNWRAP, Usage::UNWRAP),
];

/// keyfort's usage set from `KF_KEY_USAGE_*` flags and a `KF_KEY_PURPOSE_*` value;
/// unknown bits and unknown purposes are refused.
pub fn usage(flags: u32) -> Status<Usage> {
    let mut u = Usage::NONE;
    let mut known = KF_KEY_PURPOSE_MASK;
    for (f, v) in USAGE_MAP {
        known |= f;
        if flags & f != 0 {
            u = u | v;
        }
    }
    if flags & !known != 0 {
        return Err(KF_ERROR_INVALID_ARGUMENT);
    }
    // The purpose code is the high byte of keyfort's usage bits.
    let code = u16::try_from(flags >> 24).map_err(|_| KF_ERROR_INVALID_ARGUMENT)?;
    Usage::from_bits(u.bits() | (code << 8)).ok_or(KF_ERROR_INVALID_ARGUMENT)
}

/// `KF_KEY_USAGE_*` flags and the `KF_KEY_PURPOSE_*` value of a usage set.
pub fn usage_flags(u: Usage) -> u32 {
    let modes = USAGE_MAP
        .iter()
        .filter(|(_, v)| u.bits() & v.bits() == v.bits())
        .fold(0, |acc, (f, _)| acc | f);
    modes | (u32::from(u.bits() >> 8) << 24)
}

/// What a new key is to be, checked: algorithm, usage, label, use limit.
#[derive(Debug)]
pub struct NewKey<'a> {
    /// The key id (1 to 65535).
    pub id: u16,
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The usage policy.
    pub usage: Usage,
    /// The label.
    pub label: &'a [u8],
    /// The use limit, if any.
    pub use_limit: Option<u32>,
}

impl kf_key_attributes_t {
    /// The checked request these attributes make.
    pub fn new_key(&self) -> Status<NewKey<'_>> {
        if self.lifetime != KF_KEY_LIFETIME_PERSISTENT {
            return Err(KF_ERROR_NOT_SUPPORTED);
        }
        let id = (self.id & 0xFFFF) as u16;
        if id == 0 {
            return Err(KF_ERROR_INVALID_ARGUMENT);
        }
        let len = usize::try_from(self.label_len).map_err(|_| KF_ERROR_INVALID_ARGUMENT)?;
        let label = self.label.get(..len).ok_or(KF_ERROR_INVALID_ARGUMENT)?;
        Ok(NewKey {
            id,
            algorithm: algorithm(self.key_type, self.bits)?,
            usage: usage(self.usage)?,
            label,
            use_limit: (self.use_limit != 0).then_some(self.use_limit),
        })
    }

    /// The attributes of a stored key version.
    pub fn from_info(k: &KeyInfo) -> Self {
        let (key_type, bits) = type_bits(k.algorithm);
        let mut label = [0u8; KF_LABEL_MAX];
        let mut n = 0u32;
        for (d, s) in label.iter_mut().zip(k.label()) {
            *d = *s;
            n += 1;
        }
        Self {
            id: key_id(k.id, k.version),
            key_type,
            bits,
            usage: usage_flags(k.usage),
            lifetime: KF_KEY_LIFETIME_PERSISTENT,
            use_limit: k.use_limit.unwrap_or(0),
            uses: k.uses,
            // The `KF_KEY_STATE_*` values are the store's state codes.
            state: u32::from(k.state.code()),
            label_len: n,
            label,
        }
    }
}

impl From<AuditEvent> for kf_audit_event_t {
    fn from(e: AuditEvent) -> Self {
        let code = match e.code {
            AuditCode::Formatted => 1,
            AuditCode::Generated => 2,
            AuditCode::Imported => 3,
            AuditCode::ImportedWrapped => 4,
            AuditCode::Rotated => 5,
            AuditCode::Revoked => 6,
            AuditCode::Destroyed => 7,
            AuditCode::UseCounted => 8,
            AuditCode::Exported => 9,
            AuditCode::BackupImported => 10,
            AuditCode::StatePut => 11,
            AuditCode::TamperWipe => 12,
            _ => 255,
        };
        Self {
            code,
            id: e.id,
            version: e.version,
            seq: e.seq,
            counter: e.gen,
        }
    }
}
