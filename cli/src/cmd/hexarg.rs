//! Hex arguments: parsed into buffers that are wiped when dropped.
use zeroize::Zeroizing;

/// Parses a hex string (upper or lower case, no separators) into a wiped-on-drop buffer.
pub fn parse(name: &str, s: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    hex::decode(s.trim())
        .map(Zeroizing::new)
        .map_err(|_| format!("{name}: not valid hex"))
}
