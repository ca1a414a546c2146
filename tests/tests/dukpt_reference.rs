//! Optional cross-check against an independent implementation: PyPI `pydukpt` 0.1.0
//! (MIT licence; TDES DUKPT only, written from X9.24-1-2009), run through Python.
//!
//! Ignored by default because it needs Python with `pydukpt` installed:
//!
//! ```text
//! python3 -m venv /tmp/pyref && /tmp/pyref/bin/pip install pydukpt==0.1.0
//! KEYFORT_PYTHON=/tmp/pyref/bin/python cargo test -p keyfort-tests --test dukpt_reference -- --ignored
//! ```
//!
//! When run, it fails (never skips) if Python or the package is missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use keyfort::dukpt::tdes::{TdesBdk, TdesKsn, TdesTerminal, TdesVariant};
use keyfort::dukpt::NoPersist;
use std::io::Write;
use std::process::{Command, Stdio};

const SCRIPT: &str = r#"
import sys, pydukpt
bdk = bytes.fromhex(sys.argv[1])
for line in sys.stdin:
    ksn = bytes.fromhex(line.strip())
    ipek = pydukpt.derive_ipek(bdk, ksn)
    k = pydukpt.derive_key(ipek, ksn)
    try:
        nxt = pydukpt.next_ksn(ksn).hex()
    except pydukpt.KSNExhaustedError:
        nxt = "exhausted"
    print(" ".join(x.hex().upper() if isinstance(x, bytes) else x for x in [
        ipek, k, pydukpt.pin_key(k), pydukpt.mac_request_key(k), pydukpt.mac_response_key(k),
        pydukpt.data_request_key(k), pydukpt.data_response_key(k), nxt.upper()]))
"#;

#[test]
#[ignore = "needs Python with pydukpt (see module docs)"]
fn tdes_agrees_with_pydukpt() {
    let bdk_hex = "0123456789ABCDEFFEDCBA9876543210";
    let bdk = TdesBdk::new(
        &keyfort::key::TypedKey::raw(
            &hex::decode(bdk_hex).unwrap(),
            keyfort::attributes::Algorithm::Tdes2,
        )
        .unwrap(),
    )
    .unwrap();
    let iksn = TdesKsn::from_bytes(&hex::decode("FFFF9876543210E00000").unwrap()).unwrap();
    let ipek = bdk.ipek(&iksn);
    // Our terminal's counter sequence: the first 3000 and the last ones before end of life.
    let mut ksns = Vec::new();
    let mut t = TdesTerminal::load(&ipek, &mut NoPersist).unwrap();
    for _ in 0..3000 {
        ksns.push(*t.next_transaction(&mut NoPersist).unwrap().ksn());
    }
    let mut t = TdesTerminal::load_at_counter(&ipek, 0x1F_E000, &mut NoPersist).unwrap();
    while let Ok(tx) = t.next_transaction(&mut NoPersist) {
        ksns.push(*tx.ksn());
    }
    let python = std::env::var("KEYFORT_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(&python)
        .args(["-c", SCRIPT, bdk_hex])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    {
        let mut stdin = child.stdin.take().unwrap();
        for k in &ksns {
            writeln!(stdin, "{}", hex::encode_upper(k.as_bytes())).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python failed (is pydukpt installed?)"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), ksns.len());
    for (i, (ksn, line)) in ksns.iter().zip(&lines).enumerate() {
        let f: Vec<&str> = line.split(' ').collect();
        let ck = bdk.current_key(ksn).unwrap();
        let ours = [
            hex::encode_upper(bdk.ipek(ksn).expose()),
            hex::encode_upper(ck.expose()),
            hex::encode_upper(ck.variant(TdesVariant::Pin).expose()),
            hex::encode_upper(ck.variant(TdesVariant::MacRequest).expose()),
            hex::encode_upper(ck.variant(TdesVariant::MacResponse).expose()),
            hex::encode_upper(ck.variant(TdesVariant::DataRequest).expose()),
            hex::encode_upper(ck.variant(TdesVariant::DataResponse).expose()),
        ];
        for (j, o) in ours.iter().enumerate() {
            assert_eq!(
                o,
                f[j],
                "KSN {} field {j}",
                hex::encode_upper(ksn.as_bytes())
            );
        }
        // The next counter: pydukpt's rule vs our terminal's actual next KSN.
        let want_next = ksns.get(i + 1).map(|k| hex::encode_upper(k.as_bytes()));
        if let Some(w) = want_next {
            if f[7] != "EXHAUSTED" && i != 2999 {
                assert_eq!(
                    f[7],
                    w,
                    "next KSN after {}",
                    hex::encode_upper(ksn.as_bytes())
                );
            }
        }
    }
    assert_eq!(lines.last().unwrap().split(' ').nth(7), Some("EXHAUSTED"));
    println!(
        "pydukpt agrees on {} KSNs (7 keys each) and on the counter sequence",
        ksns.len()
    );
}
