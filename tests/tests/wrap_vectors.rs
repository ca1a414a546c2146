//! Every key-wrap vector in `../shared/vectors/keywrap/` against keyfort's AES-KW / AES-KWP:
//! Wycheproof v1 and legacy, the RFC 3394 / RFC 5649 examples with their derived negatives,
//! and pyca/cryptography's Botan KWP set. Each vector is reported by its source and id.
//!
//! Verdicts: a `valid` vector must wrap to exactly its ciphertext and unwrap back (into a
//! buffer and in place); an `invalid` one must fail to unwrap (with the output buffer all
//! zero when the failure is the integrity check) and must not wrap to its ciphertext.
//! `acceptable` vectors follow the policy written in `keyfort::wrap`'s module docs
//! ([`decide_acceptable`]); an `acceptable` vector with a flag the policy does not name fails
//! the test, so a new upstream flag forces a decision.
#![allow(
    clippy::cast_possible_truncation,
    clippy::integer_division_remainder_used,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod wrap_support;

use keyfort::wrap::{Kek, WrapError};
use keyfort_tests::{load_json, unhex, vectors_dir};
use wrap_support::Alg;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expect {
    Accept,
    Reject,
}

/// One vector, normalised.
struct Vector {
    id: String,
    alg: Alg,
    kek: Vec<u8>,
    /// `None` where the source gives no plaintext (negatives derived from a ciphertext).
    msg: Option<Vec<u8>>,
    ct: Vec<u8>,
    expect: Expect,
}

/// keyfort's policy for Wycheproof `acceptable` vectors (module docs of `keyfort::wrap`,
/// "Length policy"):
/// * KW `ShortKey` (8-byte key, RFC 3394 single-block shortcut): rejected.
/// * KWP `SmallKey`: accepted for 1..=15-byte keys, rejected for the empty key.
/// * KWP `WeakWrapping` (KEK shorter than the wrapped key): accepted.
fn decide_acceptable(alg: Alg, flags: &[String], msg_len: usize, id: &str) -> Expect {
    let has = |f: &str| flags.iter().any(|x| x == f);
    match alg {
        Alg::Kw if has("ShortKey") => Expect::Reject,
        Alg::Kwp if has("SmallKey") && msg_len == 0 => Expect::Reject,
        Alg::Kwp if has("SmallKey") => Expect::Accept,
        Alg::Kwp if has("WeakWrapping") => Expect::Accept,
        _ => panic!("{id}: acceptable vector with flags {flags:?} not covered by the policy"),
    }
}

fn wycheproof(file: &str, alg: Alg, source: &str, acceptable: &mut usize) -> Vec<Vector> {
    let json = load_json(&format!("keywrap/wycheproof/{file}"));
    let declared = json["numberOfTests"].as_u64().unwrap() as usize;
    let mut out = Vec::new();
    for g in json["testGroups"].as_array().unwrap() {
        for t in g["tests"].as_array().unwrap() {
            let id = format!("{source} tcId {}", t["tcId"]);
            let msg = unhex(t["msg"].as_str().unwrap());
            let flags: Vec<String> = t["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect();
            let expect = match t["result"].as_str().unwrap() {
                "valid" => Expect::Accept,
                "invalid" => Expect::Reject,
                "acceptable" => {
                    *acceptable += 1;
                    decide_acceptable(alg, &flags, msg.len(), &id)
                }
                r => panic!("{id}: unknown result {r}"),
            };
            out.push(Vector {
                id,
                alg,
                kek: unhex(t["key"].as_str().unwrap()),
                msg: Some(msg),
                ct: unhex(t["ct"].as_str().unwrap()),
                expect,
            });
        }
    }
    assert_eq!(out.len(), declared, "{source}: numberOfTests mismatch");
    out
}

fn rfc() -> Vec<Vector> {
    let json = load_json("keywrap/rfc_vectors.json");
    let mut out = Vec::new();
    for (key, alg) in [("kw", Alg::Kw), ("kwp", Alg::Kwp)] {
        for t in json[key].as_array().unwrap() {
            out.push(Vector {
                id: format!("rfc_vectors.json {}", t["rfc_section"].as_str().unwrap()),
                alg,
                kek: unhex(t["kek"].as_str().unwrap()),
                msg: Some(unhex(t["key_data"].as_str().unwrap())),
                ct: unhex(t["ciphertext"].as_str().unwrap()),
                expect: Expect::Accept,
            });
        }
    }
    for (i, t) in json["derived_negative"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert_eq!(t["result"], "invalid");
        out.push(Vector {
            id: format!("rfc_vectors.json derived_negative[{i}]"),
            alg: match t["alg"].as_str().unwrap() {
                "kw" => Alg::Kw,
                "kwp" => Alg::Kwp,
                a => panic!("derived_negative[{i}]: unknown alg {a}"),
            },
            kek: unhex(t["kek"].as_str().unwrap()),
            msg: None,
            ct: unhex(t["ciphertext"].as_str().unwrap()),
            expect: Expect::Reject,
        });
    }
    out
}

fn botan() -> Vec<Vector> {
    let path = vectors_dir().join("keywrap/kwp_botan.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = Vec::new();
    let (mut count, mut kek, mut input) = (None, None, None);
    for line in text.lines().map(str::trim) {
        let Some((k, v)) = line.split_once(" = ") else {
            continue;
        };
        match k {
            "COUNT" => count = Some(v.to_string()),
            "Key" => kek = Some(unhex(v)),
            "Input" => input = Some(unhex(v)),
            "Output" => out.push(Vector {
                id: format!("kwp_botan.txt COUNT {}", count.take().unwrap()),
                alg: Alg::Kwp,
                kek: kek.take().unwrap(),
                msg: Some(input.take().unwrap()),
                ct: unhex(v),
                expect: Expect::Accept,
            }),
            _ => panic!("kwp_botan.txt: unknown field {k}"),
        }
    }
    assert_eq!(out.len(), 129, "kwp_botan.txt: expected 129 records");
    out
}

/// Checks one vector; `Err` names what went wrong.
fn check(v: &Vector) -> Result<(), String> {
    let kek = keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&v.kek)
        .map_err(keyfort::wrap::WrapError::from)
        .and_then(|k| Kek::new(&k))
        .map_err(|e| format!("KEK rejected: {e:?}"))?;
    // Output buffers are larger than needed and pre-filled, to see what is written.
    let cap = v.ct.len().max(v.msg.as_ref().map_or(0, Vec::len)) + 32;
    match v.expect {
        Expect::Accept => {
            let msg = v.msg.as_ref().unwrap();
            let mut out = vec![0xEEu8; cap];
            let n = v
                .alg
                .wrap(&kek, msg, &mut out)
                .map_err(|e| format!("wrap: {e:?}"))?;
            if out[..n] != v.ct[..] {
                return Err("wrap gives a different ciphertext".into());
            }
            let mut buf = vec![0xEEu8; cap];
            buf[..msg.len()].copy_from_slice(msg);
            let n = v
                .alg
                .wrap_in_place(&kek, &mut buf, msg.len())
                .map_err(|e| format!("wrap_in_place: {e:?}"))?;
            if buf[..n] != v.ct[..] {
                return Err("wrap_in_place gives a different ciphertext".into());
            }
            let mut out = vec![0xEEu8; cap];
            let n = v
                .alg
                .unwrap(&kek, &v.ct, &mut out)
                .map_err(|e| format!("unwrap: {e:?}"))?;
            if out[..n] != msg[..] {
                return Err("unwrap gives different key data".into());
            }
            let mut buf = vec![0xEEu8; cap];
            buf[..v.ct.len()].copy_from_slice(&v.ct);
            let n = v
                .alg
                .unwrap_in_place(&kek, &mut buf, v.ct.len())
                .map_err(|e| format!("unwrap_in_place: {e:?}"))?;
            if buf[..n] != msg[..] {
                return Err("unwrap_in_place gives different key data".into());
            }
        }
        Expect::Reject => {
            let mut out = vec![0xEEu8; cap];
            match v.alg.unwrap(&kek, &v.ct, &mut out) {
                Ok(_) => return Err("unwrap accepted an invalid vector".into()),
                Err(WrapError::Integrity) if out.iter().any(|&b| b != 0) => {
                    return Err("unwrap failed but left non-zero bytes in the buffer".into())
                }
                Err(_) => {}
            }
            let mut buf = vec![0xEEu8; cap];
            buf[..v.ct.len()].copy_from_slice(&v.ct);
            match v.alg.unwrap_in_place(&kek, &mut buf, v.ct.len()) {
                Ok(_) => return Err("unwrap_in_place accepted an invalid vector".into()),
                Err(WrapError::Integrity) if buf.iter().any(|&b| b != 0) => {
                    return Err("unwrap_in_place failed but left non-zero bytes".into())
                }
                Err(_) => {}
            }
            if let Some(msg) = &v.msg {
                let mut out = vec![0xEEu8; cap];
                if let Ok(n) = v.alg.wrap(&kek, msg, &mut out) {
                    if out[..n] == v.ct[..] {
                        return Err("wrap produces the invalid ciphertext".into());
                    }
                }
            }
        }
    }
    Ok(())
}

#[test]
fn every_keywrap_vector() {
    let mut acceptable = [0usize; 4];
    let sources: Vec<(&str, Vec<Vector>, usize)> = vec![
        (
            "wycheproof v1 aes_wrap_test.json",
            wycheproof(
                "testvectors_v1/aes_wrap_test.json",
                Alg::Kw,
                "v1 aes_wrap_test.json",
                &mut acceptable[0],
            ),
            acceptable[0],
        ),
        (
            "wycheproof v1 aes_kwp_test.json",
            wycheproof(
                "testvectors_v1/aes_kwp_test.json",
                Alg::Kwp,
                "v1 aes_kwp_test.json",
                &mut acceptable[1],
            ),
            acceptable[1],
        ),
        (
            "wycheproof legacy kw_test.json",
            wycheproof(
                "testvectors_legacy/kw_test.json",
                Alg::Kw,
                "legacy kw_test.json",
                &mut acceptable[2],
            ),
            acceptable[2],
        ),
        (
            "wycheproof legacy kwp_test.json",
            wycheproof(
                "testvectors_legacy/kwp_test.json",
                Alg::Kwp,
                "legacy kwp_test.json",
                &mut acceptable[3],
            ),
            acceptable[3],
        ),
        ("rfc_vectors.json", rfc(), 0),
        ("kwp_botan.txt", botan(), 0),
    ];
    let mut failures = Vec::new();
    let mut total = 0;
    for (name, vectors, acc) in &sources {
        let (mut ok, mut accepted, mut rejected) = (0, 0, 0);
        for v in vectors {
            match check(v) {
                Ok(()) => {
                    ok += 1;
                    match v.expect {
                        Expect::Accept => accepted += 1,
                        Expect::Reject => rejected += 1,
                    }
                }
                Err(why) => failures.push(format!("{}: {why}", v.id)),
            }
        }
        total += vectors.len();
        println!(
            "{name}: {ok}/{} pass ({accepted} accepted, {rejected} rejected; \
             {acc} 'acceptable' decided by policy)",
            vectors.len()
        );
    }
    println!(
        "key wrap vectors: {total} checked, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
