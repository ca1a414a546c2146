//! `keyfort demo verify`: the payment host checks every transaction.
use super::{host_file, Dirs};
use crate::cmd::failure::Failure;
use crate::cmd::output;
use keyfort::dukpt::aes::{AesBdk, AesKsn, KeyUsage, WorkingKeyType};
use keyfort::transaction::{data, mac, pin};
use keyfort_testkit::demo::files;
use keyfort_testkit::demo::record::{self, Record, CARDS};
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use zeroize::Zeroizing;

/// Reads a hex file of the host directory into a wiped buffer.
pub fn hex_file(p: &Path) -> Result<Zeroizing<Vec<u8>>, String> {
    let s =
        Zeroizing::new(std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?);
    hex::decode(s.trim())
        .map(Zeroizing::new)
        .map_err(|_| format!("{}: not hex", p.display()))
}

/// The BDK and initial key ID of a provisioned demo.
pub fn host_keys(host: &Path) -> Result<(AesBdk, [u8; 8]), String> {
    let bdk = keyfort::key::TypedKey::raw_aes(&hex_file(&host_file(host, files::BDK_HEX))?)
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k))
        .map_err(|e| format!("BDK: {e}"))?;
    let id = hex_file(&host_file(host, files::IKID_HEX))?;
    let ikid = <[u8; 8]>::try_from(id.as_slice()).map_err(|_| "ikid.hex: 8 bytes expected")?;
    Ok((bdk, ikid))
}

/// What a verified record said.
struct Row {
    counter: u32,
    amount: String,
    pan: String,
}

fn check(bdk: &AesBdk, ikid: &[u8; 8], r: &Record<'_>) -> Result<Row, String> {
    if !r.well_formed() {
        return Err("malformed record".into());
    }
    let ksn = AesKsn::from_bytes(r.ksn()).map_err(|e| format!("KSN: {e}"))?;
    if ksn.initial_key_id() != *ikid {
        return Err("KSN of another terminal".into());
    }
    let dk = bdk.derivation_key(&ksn).map_err(|e| format!("KSN: {e}"))?;
    let key = |u| {
        dk.working_key(u, WorkingKeyType::Aes128)
            .map_err(|e| format!("derivation: {e}"))
    };
    let mac_key = key(KeyUsage::MacGeneration)?;
    mac::verify_aes_cmac(
        &mac_key.typed().map_err(|e| format!("MAC key: {e}"))?,
        r.maced(),
        r.mac(),
    )
    .map_err(|_| "MAC does not verify")?;
    let card = CARDS[r.card()];
    let (want_pan, want_pin) = (card.pan, card.pin);
    let mut cd = Zeroizing::new(r.card_data());
    let data_key = key(KeyUsage::DataEncrypt)?;
    data::aes_cbc_decrypt(
        &data_key.typed().map_err(|e| format!("data key: {e}"))?,
        &[0u8; 16],
        cd.as_mut(),
    )
    .map_err(|_| "card data")?;
    if *cd != record::card_data(want_pan.as_bytes()) {
        return Err("card data does not decrypt to the card".into());
    }
    let pin_key = key(KeyUsage::PinEncryption)?;
    let p = pin::format4_decrypt(
        &pin_key.typed().map_err(|e| format!("PIN key: {e}"))?,
        &r.pin_block(),
        want_pan.as_bytes(),
    )
    .map_err(|_| "PIN block does not decrypt")?;
    if p.expose() != want_pin.as_bytes() {
        return Err("wrong PIN in the PIN block".into());
    }
    let msg = String::from_utf8_lossy(r.message()).to_string();
    let amount = msg
        .strip_prefix("AMT=")
        .and_then(|m| m.get(..13))
        .map(|a| {
            let a = a.trim_start_matches('0');
            if a.starts_with('.') {
                format!("0{a}")
            } else {
                a.to_string()
            }
        })
        .unwrap_or_default();
    let pan = format!("{}...{}", &want_pan[..4], &want_pan[want_pan.len() - 4..]);
    Ok(Row {
        counter: ksn.counter(),
        amount,
        pan,
    })
}

/// Verifies `transactions.bin`; prints the table and the summary.
pub fn run(d: &Dirs, expect: Option<usize>, table: bool) -> Result<(), Failure> {
    let text = !output::json();
    let table = table && text;
    let (bdk, ikid) = host_keys(&d.host)?;
    let path = d.device_file(files::RECORDS);
    let bytes = std::fs::read(&path).unwrap_or_default();
    let (recs, torn) = record::split(&bytes);
    let recs: Vec<Record<'_>> = recs.collect();
    let mut seen: HashMap<u32, usize> = HashMap::new();
    let (mut ok, mut failed) = (0usize, 0usize);
    let mut counters = Vec::new();
    let mut failures = Vec::new();
    if table {
        println!("   #  KSN                       counter  amount          card           result");
    }
    for (i, r) in recs.iter().enumerate() {
        let ksn_hex = hex::encode_upper(r.ksn());
        let res = check(&bdk, &ikid, r).and_then(|row| match seen.insert(row.counter, i) {
            Some(first) => Err(format!(
                "KSN counter {} reused (first in #{})",
                row.counter,
                first + 1
            )),
            None => Ok(row),
        });
        match res {
            Ok(row) => {
                ok += 1;
                counters.push(row.counter);
                if table {
                    println!(
                        "  {:>2}  {ksn_hex}  {:>7}  {:<14}  {:<13}  verified (MAC, PIN, card data)",
                        i + 1,
                        row.counter,
                        row.amount,
                        row.pan
                    );
                }
            }
            Err(why) => {
                failed += 1;
                if text {
                    println!("  {:>2}  {ksn_hex}  FAILED: {why}", i + 1);
                }
                failures.push(json!({ "index": i + 1, "ksn": ksn_hex, "error": why }));
            }
        }
    }
    counters.sort_unstable();
    let gaps: Vec<String> = counters
        .windows(2)
        .filter(|w| w[1] != w[0] + 1)
        .map(|w| format!("{}..{}", w[0] + 1, w[1] - 1))
        .collect();
    if !text {
        output::print_json(json!({
            "transactions": recs.len(),
            "verified": ok,
            "failed": failed,
            "failures": failures,
            "counters": { "first": counters.first(), "last": counters.last(),
                          "distinct": seen.len(), "skipped": gaps },
            "torn_bytes": torn,
        }))?;
    }
    if text {
        println!("  transactions sent    {:>4}", recs.len());
        println!("  verified             {ok:>4}");
        println!("  failed               {failed:>4}");
        println!(
            "  KSN counters         {}, {} distinct{}",
            match (counters.first(), counters.last()) {
                (Some(a), Some(b)) => format!("{a}..{b}"),
                _ => "none".into(),
            },
            seen.len(),
            if gaps.is_empty() {
                String::new()
            } else {
                format!(" (skipped, never used: {})", gaps.join(", "))
            }
        );
        if torn > 0 {
            println!(
            "  torn record at the end ({torn} bytes, the power cut came mid-write): not counted"
        );
        }
    }
    if failed > 0 {
        return Err(Failure::integrity(format!(
            "{failed} of {} transactions failed verification",
            recs.len()
        )));
    }
    if let Some(n) = expect {
        if recs.len() != n {
            return Err(format!("expected {n} transactions, got {}", recs.len()).into());
        }
    }
    Ok(())
}
