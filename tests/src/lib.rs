//! Helpers shared by keyfort's host integration tests: finding `../shared/vectors` and
//! reading hex.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::path::PathBuf;

/// The vectors folder: `$KEYFORT_VECTORS`, else `../shared/vectors` beside the
/// repository. Panics (failing the test) with the folder's name when it is missing: a
/// test never skips silently.
pub fn vectors_dir() -> PathBuf {
    let dir = std::env::var_os("KEYFORT_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"));
    assert!(
        dir.is_dir(),
        "test vectors not found at {} (set KEYFORT_VECTORS or put ../shared beside the repository)",
        dir.display()
    );
    dir
}

/// Reads and parses a JSON vector file under [`vectors_dir`].
pub fn load_json(rel: &str) -> serde_json::Value {
    let path = vectors_dir().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON in {}: {e}", path.display()))
}

/// Decodes hex, failing the test on bad input.
pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}"))
}
