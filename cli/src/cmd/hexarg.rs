//! Hex arguments: parsed into buffers that are wiped when dropped.
use zeroize::Zeroizing;

/// Parses a hex string (upper or lower case, no separators) into a wiped-on-drop buffer.
pub fn parse(name: &str, s: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    hex::decode(s.trim())
        .map(Zeroizing::new)
        .map_err(|_| format!("{name}: not valid hex"))
}

/// Parses a KSN or initial key ID: hex with optional separators (spaces, dashes, colons),
/// as KSNs are printed on receipts, logs and HSM consoles (`FFFF 9876 5432 10E0 0000`,
/// `FFFF-9876-5432-10E0-0000`, `FF:FF:98:...`).
pub fn parse_ksn(name: &str, s: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '-' | ':'))
        .collect();
    parse(name, &digits)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ksn_separators() {
        let want = parse("k", "FFFF9876543210E00001").unwrap();
        for s in [
            "FFFF 9876 5432 10E0 0001",
            "FFFF-9876-5432-10E0-0001",
            "FF:FF:98:76:54:32:10:E0:00:01",
            "ffff9876543210e00001",
            " FFFF\t9876543210E00001 ",
        ] {
            assert_eq!(parse_ksn("k", s).unwrap(), want, "{s}");
        }
        for bad in ["FFFF.9876", "FFFF_9876", "FFF", "GG"] {
            assert!(parse_ksn("k", bad).is_err(), "{bad}");
        }
    }
}
