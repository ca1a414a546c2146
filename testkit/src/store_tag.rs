//! The store's record tag, recomputed outside the store for the on-target data-address
//! check (`./x test ct-data`, firmware `ct_data`): HMAC-SHA256 over the concatenated
//! parts, truncated to [`TAG_LEN`] bytes, compared in constant time with `subtle` as the
//! store compares every record, sector header and root slot. Test-only: keyfort does
//! not export its internals.
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// The store's tag length (its `format::TAG_LEN`, crate-private).
pub const TAG_LEN: usize = 16;

/// The tag over `parts` under `key` (a zero tag if HMAC refused the key, which it never
/// does: HMAC takes any key length).
pub fn store_tag(key: &[u8], parts: &[&[u8]]) -> [u8; TAG_LEN] {
    let mut t = [0u8; TAG_LEN];
    let Ok(mut m) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return t;
    };
    for p in parts {
        m.update(p);
    }
    let mut full: [u8; 32] = m.finalize().into_bytes().into();
    t.copy_from_slice(&full[..TAG_LEN]);
    full.zeroize();
    t
}

/// The tag check: [`store_tag`] recomputed and compared in constant time with `tag`.
pub fn store_tag_check(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    let t = store_tag(key, parts);
    t.len() == tag.len() && bool::from(t.ct_eq(tag))
}
