//! The payment engineer's everyday tools, run as a process: `kcv` against published check
//! values, `components combine | split`, `--json` on every command (parsed with
//! serde_json), the documented exit statuses (1 bad input, 2 usage, 3 integrity, 4
//! refused), upper-case hex, the same DUKPT commands for AES and TDES, KSN separators,
//! `--any-counter`, and `tr31 unwrap` hiding non-exportable keys unless asked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
use common::{assert_fails, assert_fails_with, keyfort, ok_stdout, TR31_KBPK, WRAP_B1};
use serde_json::Value;
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kf-tools-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `keyfort --json args`, asserts success and parses stdout as one JSON object.
fn json(args: &[&str]) -> Value {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    let out = ok_stdout(&a);
    assert_eq!(out.lines().count(), 1, "{args:?}: one line of JSON: {out}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"));
    assert!(v.is_object(), "{args:?}: {out}");
    v
}

fn is_upper_hex(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
}

/// Published KCVs: psec 1.3's `des.generate_kcv` example (08D7, printed here with its
/// third byte), TR-31:2018 A.7.2.1 (TDES, CB9DEA), TR-31:2018 A.7.4 (AES CMAC, 08793E) and
/// an AES-256 key exported by a Thales payShield 10k (0A00E3), the last three as listed
/// in openemv/tr31 `test/tr31_decrypt_test.c`; AES-128 of the zero block under the zero
/// key (66E94B...) for the legacy AES form.
#[test]
fn kcv_published_values() {
    for (alg, key, extra, want) in [
        (
            "tdes",
            "0123456789ABCDEFFEDCBA9876543210",
            &[][..],
            "08D7B4",
        ),
        ("tdes", "F039121BEC83D26B169BDCD5B22AAF8F", &[], "CB9DEA"),
        ("aes", "3F419E1CB7079442AA37474C2EFBF8B8", &[], "08793E"),
        (
            "aes",
            "be19e6a07a760f10ef8e83a226b63aad141f463fddd4f47db244b4023ec3cacc",
            &[],
            "0A00E3",
        ),
        (
            "aes",
            "00000000000000000000000000000000",
            &["--method", "legacy"],
            "66E94B",
        ),
    ] {
        let mut args = vec!["kcv", "--algorithm", alg, "--key", key];
        args.extend_from_slice(extra);
        assert_eq!(ok_stdout(&args), format!("{want}\n"), "{args:?}");
        let v = json(&args);
        assert_eq!(v["kcv"], want);
        assert_eq!(v["algorithm"], alg);
    }
    // Five bytes (CMAC method): extends the three-byte value.
    let five = ok_stdout(&[
        "kcv",
        "--algorithm",
        "aes",
        "--key",
        "3F419E1CB7079442AA37474C2EFBF8B8",
        "--kcv-length",
        "5",
    ]);
    assert_eq!(five.len(), 11);
    assert!(five.starts_with("08793E"), "{five}");
    // Negative control: the legacy method on the same AES key gives another value.
    let legacy = ok_stdout(&[
        "kcv",
        "--algorithm",
        "aes",
        "--key",
        "3F419E1CB7079442AA37474C2EFBF8B8",
        "--method",
        "legacy",
    ]);
    assert_ne!(legacy, "08793E\n");
}

#[test]
fn kcv_expect_and_exit_statuses() {
    let key = "0123456789ABCDEFFEDCBA9876543210";
    let base = ["kcv", "--algorithm", "tdes", "--key", key, "--expect-kcv"];
    let mut ok = base.to_vec();
    ok.push("08d7b4");
    assert_eq!(ok_stdout(&ok), "08D7B4\n");
    let mut bad = base.to_vec();
    bad.push("08D7B5");
    let e = assert_fails_with(&bad, &[key], 3);
    assert!(e.contains("differs"), "{e}");
    // Bad input: wrong key length, a 5-byte legacy KCV, bad hex in the expectation.
    assert_fails(&["kcv", "--algorithm", "aes", "--key", "0011"], &[]);
    assert_fails(
        &[
            "kcv",
            "--algorithm",
            "tdes",
            "--key",
            key,
            "--kcv-length",
            "5",
        ],
        &[key],
    );
    let mut hexbad = base.to_vec();
    hexbad.push("zz");
    assert_fails(&hexbad, &[key]);
    // Usage error (the argument parser): no --algorithm.
    assert_eq!(keyfort(&["kcv", "--key", key]).status.code(), Some(2));
}

#[test]
fn components_combine_with_kcvs() {
    let dir = tmp("combine");
    // Two components of psec's example key 0123...3210 (KCV 08D7B4).
    let (c1, c2) = (
        "11111111111111112222222222222222",
        "1032547698BADCFEDCFE98BA54761032",
    );
    let f1 = dir.join("c1.hex");
    std::fs::write(&f1, format!("{c1}\n")).unwrap();
    let f1 = f1.to_str().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_keyfort"))
        .args([
            "components",
            "combine",
            "--algorithm",
            "tdes",
            "--component-file",
            f1,
            "--component-env",
            "KF_C2",
            "--expect-kcv",
            "08D7B4",
        ])
        .env("KF_C2", c2)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("key kcv:     08D7B4"), "{out}");
    // Each component's own KCV, and no key or component bytes unless asked.
    let kcv1 = ok_stdout(&["kcv", "--algorithm", "tdes", "--key", c1]);
    assert!(
        out.contains(&format!("component 1: kcv {}", kcv1.trim())),
        "{out}"
    );
    for s in [c1, c2, "0123456789ABCDEFFEDCBA9876543210"] {
        assert!(!out.contains(s), "{out}");
    }
    // --show-key prints it; JSON has every KCV.
    let args = [
        "components",
        "combine",
        "--algorithm",
        "tdes",
        "--component",
        c1,
        "--component",
        c2,
    ];
    let mut show = args.to_vec();
    show.push("--show-key");
    assert!(ok_stdout(&show).contains("key:         0123456789ABCDEFFEDCBA9876543210"));
    let v = json(&args);
    assert_eq!(v["kcv"], "08D7B4");
    assert_eq!(v["components"].as_array().unwrap().len(), 2);
    assert_eq!(v["components"][0]["kcv"], kcv1.trim());
    assert!(v.get("key").is_none());
    // Wrong expectation: integrity failure. One component: bad input.
    let mut wrong = args.to_vec();
    wrong.extend(["--expect-kcv", "08D7B5"]);
    assert_fails_with(&wrong, &[c1, c2], 3);
    assert_fails(
        &[
            "components",
            "combine",
            "--algorithm",
            "tdes",
            "--component",
            c1,
        ],
        &[c1],
    );
    assert_fails(
        &[
            "components",
            "combine",
            "--algorithm",
            "tdes",
            "--component",
            c1,
            "--component",
            "0011223344556677",
        ],
        &[c1],
    );
}

#[test]
fn components_split_then_combine() {
    let dir = tmp("split");
    let parts = dir.join("parts");
    std::fs::create_dir_all(&parts).unwrap();
    let key = "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6";
    let key_kcv = ok_stdout(&["kcv", "--algorithm", "aes", "--key", key]);
    let v = json(&[
        "components",
        "split",
        "--algorithm",
        "aes",
        "--key",
        key,
        "--count",
        "3",
        "--out-dir",
        parts.to_str().unwrap(),
    ]);
    assert_eq!(v["kcv"], key_kcv.trim());
    let comps = v["components"].as_array().unwrap();
    assert_eq!(comps.len(), 3);
    let mut args = vec![
        "components".to_string(),
        "combine".into(),
        "--algorithm".into(),
        "aes".into(),
        "--show-key".into(),
    ];
    for (i, c) in comps.iter().enumerate() {
        let f = parts.join(format!("component-{}.hex", i + 1));
        assert_eq!(c["file"], f.to_str().unwrap());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let text = std::fs::read_to_string(&f).unwrap();
        assert_ne!(text.trim(), key);
        assert!(c.get("component").is_none(), "not printed unless asked");
        args.extend(["--component-file".into(), f.display().to_string()]);
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ok_stdout(&a);
    assert!(out.contains(&format!("key:         {key}")), "{out}");
    // Negative control: two of the three do not give the key.
    let out2 = ok_stdout(&a[..a.len() - 2]);
    assert!(!out2.contains(key));
    // Writing over an existing component file is refused (exit 4); no destination at all
    // is bad input.
    let split = [
        "components",
        "split",
        "--algorithm",
        "aes",
        "--key",
        key,
        "--count",
        "2",
        "--out-dir",
        parts.to_str().unwrap(),
    ];
    assert_fails_with(&split, &[key], 4);
    assert_fails(&split[..8], &[key]);
}

#[test]
fn json_on_every_command() {
    use common::{CT_4_1, KEK_4_1, KEY_4_1};
    assert_eq!(json(&["version"])["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        json(&["kw", "wrap", "--kek", KEK_4_1, "--key", KEY_4_1])["wrapped"],
        CT_4_1
    );
    assert_eq!(
        json(&["kw", "unwrap", "--kek", KEK_4_1, "--wrapped", CT_4_1])["key"],
        KEY_4_1
    );
    assert!(is_upper_hex(
        json(&["kwp", "wrap", "--kek", KEK_4_1, "--key", "0011"])["wrapped"]
            .as_str()
            .unwrap()
    ));
    let bdk = "0123456789ABCDEFFEDCBA9876543210";
    let v = json(&[
        "dukpt",
        "tdes",
        "initial-key",
        "--bdk",
        bdk,
        "--ksn",
        "FFFF9876543210E00000",
    ]);
    assert_eq!(v["key"], "6AC292FAA1315B4D858AB3A3D7D5933A");
    let v = json(&[
        "dukpt",
        "tdes",
        "working-key",
        "--bdk",
        bdk,
        "--ksn",
        "FFFF9876543210E00001",
        "--usage",
        "pin",
    ]);
    assert_eq!(v["key"], "042666B49184CF5C68DE9628D0397B36");
    assert_eq!(v["ksn"], "FFFF9876543210E00001");
    for args in [
        &["initial-key", "--ikid", "1234567890123456"][..],
        &[
            "update-key",
            "--ksn",
            "123456789012345600000001",
            "--key-type",
            "aes128",
        ],
        &[
            "working-key",
            "--ksn",
            "123456789012345600000001",
            "--usage",
            "pin-encryption",
            "--key-type",
            "aes128",
        ],
    ] {
        let mut a = vec!["dukpt", "aes"];
        a.extend_from_slice(&args[..1]);
        a.extend(["--bdk", "FEDCBA9876543210F1F1F1F1F1F1F1F1"]);
        a.extend_from_slice(&args[1..]);
        assert!(is_upper_hex(json(&a)["key"].as_str().unwrap()), "{a:?}");
    }
    let block = json(&WRAP_B1)["block"].as_str().unwrap().to_string();
    let h = json(&["tr31", "header", "--block", &block]);
    assert_eq!(h["key_usage"], "B1");
    assert_eq!(h["exportability"], "N");
    let u = json(&["tr31", "unwrap", "--kbpk", TR31_KBPK, "--block", &block]);
    assert_eq!(u["key_usage"], "B1");
    assert!(u.get("key").is_none());
    assert!(is_upper_hex(u["kcv"].as_str().unwrap()));
    assert!(json(&["kcv", "--algorithm", "aes", "--key", KEY_4_1])["kcv"].is_string());
    let v = json(&[
        "components",
        "split",
        "--algorithm",
        "aes",
        "--key",
        KEY_4_1,
        "--count",
        "2",
        "--show-components",
    ]);
    assert!(is_upper_hex(
        v["components"][1]["component"].as_str().unwrap()
    ));
    // The store commands.
    let dir = tmp("json-store");
    let img = dir.join("img");
    let img = img.to_str().unwrap();
    let dev = "00".repeat(32);
    let st = |cmd: &str, rest: &[&str]| {
        let mut a = vec!["store", cmd, "--image", img, "--device-secret", &dev];
        a.extend_from_slice(rest);
        json(&a)
    };
    assert_eq!(st("create", &[])["size"], 16384);
    let v = st(
        "import",
        &[
            "--id",
            "7",
            "--algorithm",
            "aes128",
            "--usage",
            "decrypt",
            "--key",
            KEY_4_1,
        ],
    );
    assert_eq!(
        (v["id"].as_u64(), v["version"].as_u64()),
        (Some(7), Some(1))
    );
    let v = st("list", &[]);
    assert_eq!(v["keys"][0]["id"], 7);
    assert_eq!(v["keys"][0]["algorithm"], "aes128");
    assert_eq!(st("verify", &[])["verified"], 1);
    // A failure with --json: one JSON line on stderr with the exit status.
    let o = keyfort(&[
        "--json",
        "kw",
        "unwrap",
        "--kek",
        KEK_4_1,
        "--wrapped",
        "00",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let e: Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(e["exit_code"], 1);
    assert!(e["error"].is_string());
}

/// The exit statuses of the README's table, one command each: 3 for every integrity
/// failure (key wrap, TR-31 MAC, store authentication, KCV), 1 for bad input of the same
/// commands.
#[test]
fn exit_statuses_tell_integrity_from_bad_input() {
    use common::{CT_4_1, KEK_4_1};
    let mut wrong_kek = KEK_4_1.to_string();
    wrong_kek.replace_range(0..2, "FF");
    assert_fails_with(
        &["kw", "unwrap", "--kek", &wrong_kek, "--wrapped", CT_4_1],
        &[],
        3,
    );
    assert_fails(
        &["kw", "unwrap", "--kek", &wrong_kek, "--wrapped", "00"],
        &[],
    );
    let block = ok_stdout(&WRAP_B1).trim().to_string();
    let mut wrong_kbpk = TR31_KBPK.to_string();
    wrong_kbpk.replace_range(0..2, "00");
    assert_fails_with(
        &["tr31", "unwrap", "--kbpk", &wrong_kbpk, "--block", &block],
        &[],
        3,
    );
    assert_fails(
        &[
            "tr31",
            "unwrap",
            "--kbpk",
            TR31_KBPK,
            "--block",
            &block[..40],
        ],
        &[],
    );
    // A store image under another device secret does not authenticate.
    let dir = tmp("exit-store");
    let img = dir.join("img");
    let img = img.to_str().unwrap();
    let (a, b) = ("11".repeat(32), "22".repeat(32));
    ok_stdout(&["store", "create", "--image", img, "--device-secret", &a]);
    assert_fails_with(
        &["store", "list", "--image", img, "--device-secret", &b],
        &[],
        3,
    );
    assert_fails(
        &["store", "list", "--image", img, "--device-secret", "00"],
        &[],
    );
    // Usage error.
    assert_eq!(keyfort(&["kw", "unwrap", "--nope"]).status.code(), Some(2));
}

#[test]
fn dukpt_same_commands_ksn_separators_and_any_counter() {
    let bdk = "0123456789ABCDEFFEDCBA9876543210";
    let plain = ok_stdout(&[
        "dukpt",
        "tdes",
        "working-key",
        "--bdk",
        bdk,
        "--ksn",
        "FFFF9876543210E00001",
        "--usage",
        "pin",
    ]);
    assert_eq!(plain, "042666B49184CF5C68DE9628D0397B36\n");
    for ksn in [
        "FFFF 9876 5432 10E0 0001",
        "FFFF-9876-5432-10E0-0001",
        "ff:ff:98:76:54:32:10:e0:00:01",
    ] {
        let o = ok_stdout(&[
            "dukpt",
            "tdes",
            "working-key",
            "--bdk",
            bdk,
            "--ksn",
            ksn,
            "--usage",
            "pin",
        ]);
        assert_eq!(o, plain, "{ksn}");
    }
    // The old names still work.
    let old = ok_stdout(&[
        "dukpt",
        "tdes",
        "key",
        "--bdk",
        bdk,
        "--ksn",
        "FFFF9876543210E00001",
        "--variant",
        "pin",
    ]);
    assert_eq!(old, plain);
    // AES initial-key from a KSN (any counter) equals the one from its initial key ID.
    let abdk = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
    let by_ikid = ok_stdout(&[
        "dukpt",
        "aes",
        "initial-key",
        "--bdk",
        abdk,
        "--ikid",
        "1234 5678 9012 3456",
    ]);
    let by_ksn = ok_stdout(&[
        "dukpt",
        "aes",
        "initial-key",
        "--bdk",
        abdk,
        "--ksn",
        "123456789012345600000005",
    ]);
    assert_eq!(by_ikid, by_ksn);
    // Counters no device produces: refused (bad input) unless --any-counter.
    let tdes_odd = [
        "dukpt",
        "tdes",
        "working-key",
        "--bdk",
        bdk,
        "--ksn",
        "FFFF9876543210E007FF",
        "--usage",
        "pin",
    ];
    let e = assert_fails(&tdes_odd, &[bdk]);
    assert!(e.contains("one-bits"), "{e}");
    let mut any = tdes_odd.to_vec();
    any.push("--any-counter");
    let k = ok_stdout(&any);
    assert!(is_upper_hex(k.trim()) && k.trim().len() == 32);
    let aes_odd = [
        "dukpt",
        "aes",
        "working-key",
        "--bdk",
        abdk,
        "--ksn",
        "12345678901234560001FFFF",
        "--usage",
        "pin-encryption",
        "--key-type",
        "aes128",
    ];
    assert_fails(&aes_odd, &[abdk]);
    let mut any = aes_odd.to_vec();
    any.push("--any-counter");
    assert!(is_upper_hex(ok_stdout(&any).trim()));
    // --any-counter does not change the key of a counter a device does produce.
    let mut same = vec![
        "dukpt",
        "tdes",
        "working-key",
        "--bdk",
        bdk,
        "--ksn",
        "FFFF9876543210E00001",
        "--usage",
        "pin",
    ];
    same.push("--any-counter");
    assert_eq!(ok_stdout(&same), plain);
}

#[test]
fn tr31_unwrap_shows_non_exportable_keys_only_when_asked() {
    use common::TR31_KEY;
    let block = ok_stdout(&WRAP_B1).trim().to_string();
    let args = ["tr31", "unwrap", "--kbpk", TR31_KBPK, "--block", &block];
    let out = ok_stdout(&args);
    assert!(!out.contains(TR31_KEY), "{out}");
    assert!(out.contains("--show-clear-key"), "{out}");
    // The KCV instead: the one `kcv` computes for the key.
    let kcv = ok_stdout(&["kcv", "--algorithm", "aes", "--key", TR31_KEY]);
    assert!(
        out.contains(&format!("kcv:            {} (CMAC)", kcv.trim())),
        "{out}"
    );
    let mut show = args.to_vec();
    show.push("--show-clear-key");
    assert!(ok_stdout(&show).contains(&format!("key:            {TR31_KEY}")));
    // TR-31:2018 A.7.4 is exportable (E): its key is shown, with the published KCV.
    let out = ok_stdout(&[
        "tr31",
        "unwrap",
        "--kbpk",
        "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6",
        "--block",
        "D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34",
    ]);
    assert!(out.contains("kcv:            08793E (CMAC)"), "{out}");
    assert!(
        out.contains("key:            3F419E1CB7079442AA37474C2EFBF8B8"),
        "{out}"
    );
    // A TDES block from a Thales payShield 10k (non-exportable, version A): legacy KCV
    // 5C9405 as the HSM printed it, key hidden.
    let out = ok_stdout(&[
        "tr31",
        "unwrap",
        "--legacy",
        "--kbpk",
        "EFE0853B256B583D868F251CE99EA1D9",
        "--block",
        "A0072K0TN00N0000F40D5672C6D0EC86F860BA88D44D00F0CA9A8CE8CD2F640287A9A9EB",
    ]);
    assert!(out.contains("kcv:            5C9405 (legacy)"), "{out}");
    assert!(!out.contains("5DB50B454F8389ADCE573BE50861F2BF"), "{out}");
}

/// `store import-wrapped`: RFC 3394 4.1's wrapped key imported under a KEK held in the
/// image, by id. A wrong KEK fails its integrity check (3); a KEK without `unwrap` is
/// refused by its policy (4); neither stores anything.
#[test]
fn store_import_wrapped_under_a_stored_kek() {
    use common::{CT_4_1, KEK_4_1};
    let dir = tmp("import-wrapped");
    let img = dir.join("img");
    let img = img.to_str().unwrap();
    let dev = "33".repeat(32);
    let st = |cmd: &str, rest: &[&str]| {
        let mut a = vec!["store", cmd, "--image", img, "--device-secret", &dev];
        a.extend_from_slice(rest);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |a: &[String]| ok_stdout(&a.iter().map(String::as_str).collect::<Vec<_>>());
    run(&st("create", &[]));
    let mut wrong = KEK_4_1.to_string();
    wrong.replace_range(30..32, "00");
    for (id, kek, usage) in [
        ("1", KEK_4_1, "unwrap"),
        ("2", wrong.as_str(), "unwrap"),
        ("3", KEK_4_1, "decrypt,wrap"),
    ] {
        run(&st(
            "import",
            &[
                "--id",
                id,
                "--algorithm",
                "aes128",
                "--usage",
                usage,
                "--key",
                kek,
            ],
        ));
    }
    let wrapped = |kek_id: &str, id: &str| {
        st(
            "import-wrapped",
            &[
                "--id",
                id,
                "--algorithm",
                "aes128",
                "--usage",
                "encrypt",
                "--kek-id",
                kek_id,
                "--scheme",
                "kw",
                "--wrapped",
                CT_4_1,
            ],
        )
    };
    let a = wrapped("2", "10");
    assert_fails_with(&a.iter().map(String::as_str).collect::<Vec<_>>(), &[], 3);
    let a = wrapped("3", "10");
    assert_fails_with(&a.iter().map(String::as_str).collect::<Vec<_>>(), &[], 4);
    assert!(!run(&st("list", &[])).contains("id=10 "));
    assert!(run(&wrapped("1", "10")).contains("imported key 10 version 1"));
    let v = json(
        &st("list", &[])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let k = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == 10)
        .expect("imported");
    assert_eq!(k["usage"], "encrypt");
}

/// The exit statuses are documented where a user looks first: `keyfort --help`.
#[test]
fn help_documents_exit_statuses_and_json() {
    let help = ok_stdout(&["--help"]);
    for s in [
        "Exit status: 0 success; 1 bad input",
        "2 command-line usage error",
        "3 integrity failure",
        "4 refused",
        "--json",
    ] {
        assert!(help.contains(s), "{s}: {help}");
    }
}
