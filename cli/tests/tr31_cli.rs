//! `keyfort tr31 wrap | unwrap | header` end to end, with published blocks from
//! `../shared/vectors/tr31/tr31_vectors.json`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
use common::{assert_fails, assert_fails_with, keyfort};
use std::path::PathBuf;
use std::process::Output;

fn vector(id: &str) -> serde_json::Value {
    let dir = std::env::var_os("KEYFORT_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"));
    let path = dir.join("tr31/tr31_vectors.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("test vectors not found at {}: {e}", path.display()));
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    j["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("vector {id} missing"))
        .clone()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

use common::{TR31_KBPK as KBPK, TR31_KEY as KEY, WRAP_B1};

#[test]
fn wrap_then_unwrap_round_trips() {
    let o = keyfort(&WRAP_B1);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let block = stdout(&o).trim().to_string();
    assert!(block.starts_with("D0144B1AX00N0000"), "{block}");
    assert!(!block.contains(KEY), "key must not appear in the block");
    let o = keyfort(&[
        "tr31",
        "unwrap",
        "--kbpk",
        KBPK,
        "--block",
        &block,
        "--show-clear-key",
    ]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains(&format!("key:            {KEY}")), "{out}");
    assert!(out.contains("derive (non-exportable)"), "{out}");
    // A second wrap of the same key differs (random padding, so a different MAC/IV).
    let o2 = keyfort(&WRAP_B1);
    assert_ne!(stdout(&o2).trim(), block);
}

#[test]
fn unwraps_published_block() {
    let v = vector("openemv_t6_D");
    let o = keyfort(&[
        "tr31",
        "unwrap",
        "--kbpk",
        v["kbpk"].as_str().unwrap(),
        "--block",
        v["key_block"].as_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let want = v["expected_key"].as_str().unwrap().to_uppercase();
    assert!(stdout(&o).contains(&format!("key:            {want}")));
}

#[test]
fn header_needs_no_kbpk_and_lists_optional_blocks() {
    let v = vector("paysec_D_aes128_ks_pb");
    let o = keyfort(&[
        "tr31",
        "header",
        "--block",
        v["key_block"].as_str().unwrap(),
    ]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("key usage:      P0"), "{out}");
    assert!(out.contains("  KS: 00604B120F9292800000"), "{out}");
    assert!(out.contains("  PB: 0000"), "{out}");
    assert!(out.contains("header length:  48"), "{out}");
}

#[test]
fn failures_are_one_stderr_line_without_key_material() {
    let v = vector("openemv_t6_D");
    let block = v["key_block"].as_str().unwrap();
    let key = v["expected_key"].as_str().unwrap().to_uppercase();
    let mut wrong = v["kbpk"].as_str().unwrap().to_string();
    wrong.replace_range(0..2, "00");
    let err = assert_fails_with(
        &["tr31", "unwrap", "--kbpk", &wrong, "--block", block],
        &[&key],
        3,
    );
    assert!(err.contains("authentication failed"), "{err}");
    // Versions A and C only with --legacy.
    let a = vector("openemv_t1_A");
    let args = [
        "tr31",
        "unwrap",
        "--kbpk",
        a["kbpk"].as_str().unwrap(),
        "--block",
        a["key_block"].as_str().unwrap(),
    ];
    let o = keyfort(&args);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unsupported key block version"));
    let mut legacy = args.to_vec();
    legacy.push("--legacy");
    assert!(keyfort(&legacy).status.success());
    // Bad hex argument.
    assert_fails(&["tr31", "unwrap", "--kbpk", "zz", "--block", block], &[]);
}

#[test]
fn wrap_with_optional_blocks() {
    let mut args = WRAP_B1.to_vec();
    args.extend_from_slice(&["--opt", "KS=00604B120F9292800000"]);
    let o = keyfort(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let block = stdout(&o).trim().to_string();
    let o = keyfort(&["tr31", "header", "--block", &block]);
    let out = stdout(&o);
    assert!(out.contains("  KS: 00604B120F9292800000"), "{out}");
    assert!(out.contains("  PB: "), "{out}");
    let o = keyfort(&[
        "tr31",
        "unwrap",
        "--kbpk",
        KBPK,
        "--block",
        &block,
        "--show-clear-key",
    ]);
    assert!(stdout(&o).contains(&format!("key:            {KEY}")));
}
