//! `keyfort demo` end to end on the host, without QEMU: `provision` writes a factory
//! image that keyfort's terminal glue accepts (the TR-31 block imports under the sealed
//! KBPK, DUKPT loads); a host-side stand-in for the terminal firmware writes transaction
//! records in the firmware's layout; `verify` accepts them and refuses a record with one
//! changed byte, a record from another BDK and a repeated KSN; `scan` finds a key planted
//! in a RAM dump and none in the image.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::cast_possible_truncation)]
use keyfort::dukpt::aes::{AesTerminal, AesTransaction, KeyUsage, WorkingKeyType};
use keyfort::store::{KeyHandle, KeyStore};
use keyfort::terminal::{self, StoreStatePersist};
use keyfort::transaction::{data, mac, pin};
use keyfort_testkit::demo::factory;
use keyfort_testkit::demo::record::{self, TransactionCrypto};
use keyfort_testkit::platform::SharedCounter;
use keyfort_testkit::{MockFlash, TestRng, TestSecret};
use std::path::{Path, PathBuf};
use std::process::Command;

type Flash = MockFlash<{ 64 * 1024 }, 4096>;

/// One transaction's crypto with its working keys, as the terminal firmware does it.
struct TxCrypto<'a>(&'a AesTransaction);

impl TxCrypto<'_> {
    fn key(&self, u: KeyUsage) -> keyfort::dukpt::aes::AesWorkingKey {
        self.0.working_key(u, WorkingKeyType::Aes128).unwrap()
    }
}

impl TransactionCrypto for TxCrypto<'_> {
    type Error = ();
    fn pin_block(&mut self, pin_digits: &[u8], pan: &[u8]) -> Result<[u8; 16], ()> {
        let k = self.key(KeyUsage::PinEncryption);
        let k = k.typed().unwrap();
        Ok(pin::format4_encrypt(&k, pin_digits, pan, &mut TestRng(9)).unwrap())
    }
    fn encrypt_card(&mut self, card: &mut [u8; 32]) -> Result<(), ()> {
        let k = self.key(KeyUsage::DataEncrypt);
        let k = k.typed().unwrap();
        data::aes_cbc_encrypt(&k, &[0; 16], card).unwrap();
        Ok(())
    }
    fn mac(&mut self, maced: &[u8]) -> Result<[u8; 16], ()> {
        let k = self.key(KeyUsage::MacGeneration);
        let k = k.typed().unwrap();
        Ok(mac::aes_cmac(&k, maced).unwrap())
    }
}

fn kf(dirs: &(PathBuf, PathBuf), args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_keyfort"))
        .arg("demo")
        .arg(args[0])
        .arg("--device")
        .arg(&dirs.0)
        .arg("--host")
        .arg(&dirs.1)
        .args(&args[1..])
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

fn dirs(name: &str) -> (PathBuf, PathBuf) {
    let base = std::env::temp_dir().join(format!("kf-demo-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    (base.join("device"), base.join("host"))
}

/// The terminal firmware's first boot and `n` transactions, on the host: returns the
/// records in the firmware's layout (qemu/firmware/src/bin/terminal.rs).
fn terminal_records(device: &Path, n: usize) -> Vec<u8> {
    let mut flash = Flash::new();
    let image = std::fs::read(device.join("flash.bin")).unwrap();
    flash.as_bytes_mut().copy_from_slice(&image);
    let secret: [u8; 32] = std::fs::read(device.join("device-secret.bin")).unwrap()[..32]
        .try_into()
        .unwrap();
    let mut s = KeyStore::open((
        flash,
        TestSecret(secret),
        TestRng(3),
        SharedCounter::default(),
    ))
    .unwrap();
    let mut block = [0u8; 256];
    let len = s.get_state(factory::INJECTION_SLOT, &mut block).unwrap();
    let kbpk = KeyHandle::newest(factory::KBPK_ID);
    terminal::import_tr31(&mut s, kbpk, &block[..len], factory::INITIAL_KEY_ID).unwrap();
    let ik = KeyHandle::newest(factory::INITIAL_KEY_ID);
    let mut t: AesTerminal = terminal::load_initial_key(&mut s, ik, factory::DUKPT_SLOT).unwrap();
    let mut out = Vec::new();
    for _ in 0..n {
        let tx = t
            .next_transaction(&mut StoreStatePersist::new(&mut s, factory::DUKPT_SLOT))
            .unwrap();
        let r = record::build(tx.ksn().as_bytes(), &mut TxCrypto(&tx)).unwrap();
        out.extend_from_slice(&r);
    }
    out
}

#[test]
fn provision_then_verify_accepts_good_records_and_refuses_bad_ones() {
    let d = dirs("verify");
    let (ok, out, err) = kf(&d, &["provision"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("TR-31 block") && out.contains("factory image"),
        "{out}"
    );
    let records = terminal_records(&d.0, 5);
    let file = d.0.join("transactions.bin");
    std::fs::write(&file, &records).unwrap();
    let (ok, out, err) = kf(&d, &["verify", "--expect", "5", "--table"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("verified                5"), "{out}");

    // Each single changed byte of a record (outside the reserved bytes) is refused.
    for at in [9usize, 25, 40, 70, 99, 115] {
        let mut bad = records.clone();
        bad[128 + at] ^= 0x01;
        std::fs::write(&file, &bad).unwrap();
        let (ok, out, err) = kf(&d, &["verify"]);
        assert!(!ok, "byte {at} changed, still verified: {out}");
        assert!(err.contains("1 of 5 transactions failed"), "{err}");
    }
    // A repeated KSN (the same record twice) is refused.
    let mut dup = records.clone();
    dup.extend_from_slice(&records[..128]);
    std::fs::write(&file, &dup).unwrap();
    let (ok, out, _) = kf(&d, &["verify"]);
    assert!(!ok && out.contains("reused"), "{out}");
    // Records from another terminal's BDK (a second provisioning) are refused.
    let other = dirs("other");
    assert!(kf(&other, &["provision"]).0);
    std::fs::write(&file, terminal_records(&other.0, 2)).unwrap();
    let (ok, _, err) = kf(&d, &["verify"]);
    assert!(!ok && err.contains("2 of 2"), "{err}");
    // Fewer records than expected.
    std::fs::write(&file, &records[..256]).unwrap();
    let (ok, _, err) = kf(&d, &["verify", "--expect", "5"]);
    assert!(!ok && err.contains("expected 5"), "{err}");
}

#[test]
fn scan_finds_a_planted_key_and_none_in_the_sealed_image() {
    let d = dirs("scan");
    assert!(kf(&d, &["provision"]).0);
    std::fs::write(d.0.join("transactions.bin"), terminal_records(&d.0, 3)).unwrap();
    let mut ram = vec![0u8; 4096];
    std::fs::write(d.0.join("ram.bin"), &ram).unwrap();
    let (ok, out, err) = kf(&d, &["scan"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("65536 bytes searched: 0 key(s) found"),
        "{out}"
    );
    // The store still holds the KBPK: --expect-wiped must refuse.
    let (ok, _, _) = kf(&d, &["scan", "--expect-wiped"]);
    assert!(!ok);
    // The KBPK planted in the RAM dump is found.
    let kbpk = hex::decode(
        std::fs::read_to_string(d.1.join("kbpk.hex"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    ram[1000..1032].copy_from_slice(&kbpk);
    std::fs::write(d.0.join("ram.bin"), &ram).unwrap();
    let (ok, out, _) = kf(&d, &["scan"]);
    assert!(!ok && out.contains("FOUND KBPK"), "{out}");
}

/// `--json` on the demo commands: one summary object each; a record that does not verify
/// exits with status 3 (an integrity failure) after printing the summary.
#[test]
fn json_summaries_and_exit_3_for_a_failed_check() {
    let d = dirs("json");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_keyfort"))
            .args(["--json", "demo", args[0], "--device"])
            .arg(&d.0)
            .arg("--host")
            .arg(&d.1)
            .args(&args[1..])
            .output()
            .unwrap()
    };
    let parse = |o: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
    };
    let o = run(&["provision"]);
    assert!(o.status.success());
    let v = parse(&o);
    assert_eq!(v["bdk_bits"], 128);
    let ikid = v["initial_key_id"].as_str().unwrap();
    assert_eq!(ikid, ikid.to_uppercase());
    let records = terminal_records(&d.0, 3);
    let file = d.0.join("transactions.bin");
    std::fs::write(&file, &records).unwrap();
    let o = run(&["verify", "--expect", "3"]);
    assert!(o.status.success());
    let v = parse(&o);
    assert_eq!(
        (v["verified"].as_u64(), v["failed"].as_u64()),
        (Some(3), Some(0))
    );
    let mut bad = records.clone();
    bad[128 + 40] ^= 1;
    std::fs::write(&file, &bad).unwrap();
    let o = run(&["verify"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(parse(&o)["failed"], 1);
    let o = run(&["scan"]);
    assert!(o.status.success());
    let v = parse(&o);
    assert_eq!(v["found"]["flash"], 0);
    assert!(v["store"]["keys"].as_u64().unwrap() >= 1);
}
