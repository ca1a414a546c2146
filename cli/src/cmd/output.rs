//! How a command prints its result: text (the default) or one JSON object (`--json`).
//!
//! Hex is upper case everywhere (as HSM consoles print it); input hex may be either case.
//! In JSON the field names are snake case and hex values are strings. A JSON result that
//! holds key material (an unwrapped key the user asked for) is serialised into a buffer
//! that is wiped after writing, and every string of the value is wiped before it is freed.
use std::io::Write;
use std::sync::OnceLock;

use serde_json::Value;
use zeroize::{Zeroize, Zeroizing};

use super::failure::Failure;

static JSON: OnceLock<bool> = OnceLock::new();

/// Sets the output format for this process (from `--json`; once).
pub fn set_json(on: bool) {
    let _ = JSON.set(on);
}

/// Whether results are printed as JSON.
pub fn json() -> bool {
    JSON.get().copied().unwrap_or(false)
}

/// Upper-case hex: the one hex case keyfort prints.
pub fn hex(b: &[u8]) -> String {
    hex::encode_upper(b)
}

/// Upper-case hex of secret bytes, in a buffer wiped when dropped.
pub fn secret_hex(b: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(hex::encode_upper(b))
}

/// Prints `v` as one line of JSON on standard output, then wipes every string in it.
pub fn print_json(mut v: Value) -> Result<(), Failure> {
    let mut buf = Zeroizing::new(Vec::with_capacity(4096));
    let r = serde_json::to_writer(&mut *buf, &v);
    wipe(&mut v);
    r.map_err(|e| Failure::refused(format!("JSON output: {e}")))?;
    buf.push(b'\n');
    let mut out = std::io::stdout().lock();
    out.write_all(&buf)
        .and_then(|()| out.flush())
        .map_err(|e| Failure::refused(format!("standard output: {}", e.kind())))
}

/// Wipes every string (keys and values) of a JSON value.
fn wipe(v: &mut Value) {
    match v {
        Value::String(s) => s.zeroize(),
        Value::Array(a) => a.iter_mut().for_each(wipe),
        Value::Object(m) => {
            for (_, x) in m.iter_mut() {
                wipe(x);
            }
        }
        _ => {}
    }
}

/// Prints a failure: one line on standard error, JSON (`{"error": ..., "exit_code": ...}`)
/// with `--json`.
pub fn print_failure(f: &Failure) {
    if json() {
        let v = serde_json::json!({ "error": f.msg, "exit_code": f.exit as i32 });
        eprintln!("{v}");
    } else {
        eprintln!("keyfort: {}", f.msg);
    }
}
