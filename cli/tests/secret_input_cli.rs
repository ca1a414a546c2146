//! Keys from files, standard input and environment variables (`--NAME-file PATH`,
//! `--NAME-file -`, `--NAME-env VAR`, hex or `--secret-format raw`), run as a process:
//! every form gives byte-identical output to the (test-only) `--NAME HEX` form, for every
//! secret argument of every command; and no failure ever shows the secret, in hex (either
//! case) or as raw bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// How a secret is handed to `keyfort`.
#[derive(Clone, Copy, Debug)]
enum Form {
    /// `--NAME HEX` (test keys only).
    Arg,
    /// `--NAME-file PATH`, hex with a trailing newline.
    HexFile,
    /// `--NAME-file PATH --secret-format raw`, the bytes.
    RawFile,
    /// `--NAME-file -`, hex on standard input (upper case, surrounded by white space).
    HexStdin,
    /// `--NAME-file - --secret-format raw`, the bytes on standard input.
    RawStdin,
    /// `--NAME-env VAR`, hex.
    HexEnv,
}

const FORMS: [Form; 6] = [
    Form::Arg,
    Form::HexFile,
    Form::RawFile,
    Form::HexStdin,
    Form::RawStdin,
    Form::HexEnv,
];

fn tmp(name: &str) -> PathBuf {
    let name: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let d = std::env::temp_dir().join(format!("kf-secret-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One `keyfort` invocation under construction.
struct Run {
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
    env: Vec<(String, String)>,
}

impl Run {
    fn new(args: &[&str]) -> Self {
        Self {
            args: args.iter().map(|s| s.to_string()).collect(),
            stdin: None,
            env: Vec::new(),
        }
    }

    /// Adds secret `name` (e.g. `kek`, hex value `hex`) in `form`; files go into `dir`.
    fn secret(mut self, name: &str, hex: &str, form: Form, dir: &Path) -> Self {
        let bytes = hex::decode(hex).unwrap();
        let file = dir.join(format!("{name}.{form:?}"));
        match form {
            Form::Arg => self.args.extend([format!("--{name}"), hex.into()]),
            Form::HexFile => {
                std::fs::write(&file, format!("{hex}\n")).unwrap();
                self.args
                    .extend([format!("--{name}-file"), file.display().to_string()]);
            }
            Form::RawFile => {
                std::fs::write(&file, &bytes).unwrap();
                self.args.extend([
                    format!("--{name}-file"),
                    file.display().to_string(),
                    "--secret-format".into(),
                    "raw".into(),
                ]);
            }
            Form::HexStdin => {
                self.stdin = Some(format!("  {}\r\n", hex.to_uppercase()).into_bytes());
                self.args.extend([format!("--{name}-file"), "-".into()]);
            }
            Form::RawStdin => {
                self.stdin = Some(bytes);
                self.args.extend([
                    format!("--{name}-file"),
                    "-".into(),
                    "--secret-format".into(),
                    "raw".into(),
                ]);
            }
            Form::HexEnv => {
                let var = format!("KF_TEST_{}", name.to_uppercase().replace('-', "_"));
                self.env.push((var.clone(), hex.into()));
                self.args.extend([format!("--{name}-env"), var]);
            }
        }
        self
    }

    fn args(mut self, more: &[&str]) -> Self {
        self.args.extend(more.iter().map(|s| s.to_string()));
        self
    }

    fn output(self) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_keyfort"));
        c.args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        if let Some(data) = &self.stdin {
            stdin.write_all(data).unwrap();
        }
        drop(stdin);
        child.wait_with_output().unwrap()
    }
}

/// Runs `base` with secret `name` in every form; asserts success and that every form's
/// stdout is byte-identical to the `--NAME HEX` form's. Returns that output.
fn same_output(base: &[&str], name: &str, hex: &str, rest: &[&str]) -> Vec<u8> {
    let dir = tmp(&format!("{}-{name}", base.join("-")));
    let mut want: Option<Vec<u8>> = None;
    for form in FORMS {
        let o = Run::new(base)
            .secret(name, hex, form, &dir)
            .args(rest)
            .output();
        assert!(
            o.status.success(),
            "{base:?} --{name} as {form:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!o.stdout.is_empty(), "{base:?} {form:?}: no output");
        match &want {
            None => want = Some(o.stdout),
            Some(w) => assert_eq!(
                String::from_utf8_lossy(w),
                String::from_utf8_lossy(&o.stdout),
                "{base:?} --{name} as {form:?}"
            ),
        }
    }
    want.unwrap()
}

use common::{
    CT_4_1 as WRAPPED, CT_5649, KEK_4_1 as KEK, KEK_5649, KEY_4_1 as KEY, KEY_5649,
    TR31_KBPK as KBPK, TR31_KEY, WRAP_B1,
};

#[test]
fn key_wrap_every_secret_every_form() {
    let out = same_output(&["kw", "wrap"], "kek", KEK, &["--key", KEY]);
    assert_eq!(out, format!("{WRAPPED}\n").as_bytes());
    let out = same_output(&["kw", "wrap"], "key", KEY, &["--kek", KEK]);
    assert_eq!(out, format!("{WRAPPED}\n").as_bytes());
    let out = same_output(&["kw", "unwrap"], "kek", KEK, &["--wrapped", WRAPPED]);
    assert_eq!(out, format!("{KEY}\n").as_bytes());
    let kwp = same_output(&["kwp", "wrap"], "kek", KEK_5649, &["--key", KEY_5649]);
    assert_eq!(kwp, format!("{CT_5649}\n").as_bytes());
    same_output(&["kwp", "wrap"], "key", KEY_5649, &["--kek", KEK_5649]);
    same_output(&["kwp", "unwrap"], "kek", KEK_5649, &["--wrapped", CT_5649]);
}

#[test]
fn key_wrap_both_secrets_off_the_command_line() {
    // KEK from a file, key on standard input: the RFC's wrapped key, nothing on argv.
    let dir = tmp("both");
    let o = Run::new(&["kw", "wrap"])
        .secret("kek", KEK, Form::HexFile, &dir)
        .secret("key", KEY, Form::HexStdin, &dir)
        .output();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.stdout, format!("{WRAPPED}\n").as_bytes());
}

const AES_BDK: &str = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
const TDES_BDK: &str = "0123456789ABCDEFFEDCBA9876543210";

#[test]
fn dukpt_bdk_every_command_every_form() {
    let (aes, tdes) = (AES_BDK.to_lowercase(), TDES_BDK.to_lowercase());
    let cases: [(&str, &str, &str, &[&str]); 5] = [
        ("aes", "initial-key", &aes, &["--ikid", "1234567890123456"]),
        (
            "aes",
            "working-key",
            &aes,
            &[
                "--ksn",
                "123456789012345600000001",
                "--usage",
                "pin-encryption",
                "--key-type",
                "aes128",
            ],
        ),
        (
            "aes",
            "update-key",
            &aes,
            &["--ikid", "1234567890123456", "--key-type", "aes128"],
        ),
        ("tdes", "ipek", &tdes, &["--ksn", "FFFF9876543210E00000"]),
        (
            "tdes",
            "key",
            &tdes,
            &["--ksn", "FFFF9876543210E00001", "--variant", "pin"],
        ),
    ];
    for (scheme, cmd, bdk, rest) in cases {
        same_output(&["dukpt", scheme, cmd], "bdk", bdk, rest);
    }
}

/// The header options of the tr31 tests' B1 block.
const TR31_HEADER: &[&str] = WRAP_B1.split_at(6).1;

fn ok_stdout(o: Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn tr31_kbpk_and_key_every_form() {
    let dir = tmp("tr31");
    // A block made with the argument form: every KBPK form unwraps it identically.
    let block = common::ok_stdout(&WRAP_B1).trim().to_string();
    let out = same_output(
        &["tr31", "unwrap"],
        "kbpk",
        KBPK,
        &["--block", &block, "--show-clear-key"],
    );
    let want_key = format!("key:            {}\n", TR31_KEY.to_uppercase());
    assert!(String::from_utf8(out.clone()).unwrap().contains(&want_key));
    // Wrapping is randomised: a block made with each form of each secret unwraps (with the
    // argument form) to the same output as the argument-form block.
    for (name, hex, other) in [
        ("kbpk", KBPK, ["--key", TR31_KEY]),
        ("key", TR31_KEY, ["--kbpk", KBPK]),
    ] {
        for form in FORMS {
            let b = ok_stdout(
                Run::new(&["tr31", "wrap"])
                    .secret(name, hex, form, &dir)
                    .args(&other)
                    .args(TR31_HEADER)
                    .output(),
            );
            let o = common::ok_stdout(&[
                "tr31",
                "unwrap",
                "--kbpk",
                KBPK,
                "--block",
                b.trim(),
                "--show-clear-key",
            ]);
            assert_eq!(o.as_bytes(), &out[..], "tr31 wrap --{name} as {form:?}");
        }
    }
}

const DEV: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const STORE_KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";

#[test]
fn store_device_secret_and_key_every_form() {
    let dir = tmp("store");
    let mut lists = Vec::new();
    for form in FORMS {
        let img = dir.join(format!("{form:?}.img"));
        let img = img.to_str().unwrap();
        // Created with the device secret in `form`, the key imported in `form`...
        ok_stdout(
            Run::new(&["store", "create", "--image", img])
                .secret("device-secret", DEV, form, &dir)
                .output(),
        );
        let imported = ok_stdout(
            Run::new(&["store", "import", "--image", img, "--device-secret", DEV])
                .secret("key", STORE_KEY, form, &dir)
                .args(&[
                    "--id",
                    "7",
                    "--algorithm",
                    "aes128",
                    "--usage",
                    "encrypt,decrypt",
                ])
                .output(),
        );
        assert_eq!(imported, "imported key 7 version 1\n");
        // ...opens with the argument form (the store's MACs check the device secret), and
        // listing and verifying with every form of the device secret prints the same.
        let list = same_output(
            &["store", "list", "--image", img],
            "device-secret",
            DEV,
            &[],
        );
        same_output(
            &["store", "verify", "--image", img],
            "device-secret",
            DEV,
            &[],
        );
        lists.push(list);
    }
    assert!(lists.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn demo_provision_bdk_every_form() {
    let bdk = "00112233445566778899aabbccddeeff0011223344556677";
    for form in FORMS {
        let base = tmp(&format!("demo-{form:?}"));
        let (device, host) = (base.join("device"), base.join("host"));
        ok_stdout(
            Run::new(&[
                "demo",
                "provision",
                "--device",
                device.to_str().unwrap(),
                "--host",
                host.to_str().unwrap(),
            ])
            .secret("bdk", bdk, form, &base)
            .output(),
        );
        assert_eq!(
            std::fs::read_to_string(host.join("bdk.hex")).unwrap(),
            bdk.to_uppercase(),
            "{form:?}"
        );
    }
}

/// Asserts the failure contract of secret-input errors: exit status 1 (bad input), one
/// line on stderr, nothing on stdout, and the secret nowhere in stderr: not in hex (either
/// case), not as its raw bytes.
fn assert_fails_without(o: &Output, what: &str, secret_hex: &str) -> String {
    assert_fails_without_code(o, what, secret_hex, 1)
}

/// [`assert_fails_without`] with exit status `code` (3: an integrity check failed).
fn assert_fails_without_code(o: &Output, what: &str, secret_hex: &str, code: i32) -> String {
    assert_eq!(o.status.code(), Some(code), "{what}");
    assert!(o.stdout.is_empty(), "{what}: stdout not empty");
    assert_no_secret(&o.stderr, what, secret_hex);
    let err = String::from_utf8(o.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{what}: {err:?}");
    err
}

fn assert_no_secret(stderr: &[u8], what: &str, secret_hex: &str) {
    let text = String::from_utf8_lossy(stderr).to_lowercase();
    assert!(
        !text.contains(&secret_hex.to_lowercase()),
        "{what}: stderr shows the secret: {text}"
    );
    let raw = hex::decode(secret_hex).unwrap();
    assert!(
        !stderr.windows(raw.len()).any(|w| w == raw),
        "{what}: stderr holds the secret's bytes"
    );
}

#[test]
fn failures_never_show_the_secret() {
    let dir = tmp("fail");
    // A 15-byte KEK (wrong length) in every form.
    let short = "a1b2c3d4e5f60718293a4b5c6d7e8f";
    for form in FORMS {
        let o = Run::new(&["kw", "wrap", "--key", KEY])
            .secret("kek", short, form, &dir)
            .output();
        let e = assert_fails_without(&o, &format!("short KEK as {form:?}"), short);
        assert!(e.contains("kw wrap"), "{e}");
    }
    // A KEK file that is not hex but holds a secret-looking run of hex digits.
    let secretish = "5eC4e7a1b2c3d4e5f60718293a4b5c6d";
    let f = dir.join("not-hex");
    std::fs::write(&f, format!("{secretish}zz\n")).unwrap();
    let kek_file = |f: &Path| {
        Run::new(&[
            "kw",
            "wrap",
            "--key",
            KEY,
            "--kek-file",
            f.to_str().unwrap(),
        ])
        .output()
    };
    let e = assert_fails_without(&kek_file(&f), "not hex", secretish);
    assert!(e.contains("--kek-file: not valid hex"), "{e}");
    // Odd number of digits, in the environment.
    let o = Run::new(&["kw", "wrap", "--key", KEY, "--kek-env", "KF_ODD"]);
    let o = Run {
        env: vec![("KF_ODD".into(), format!("{secretish}0"))],
        ..o
    }
    .output();
    assert_fails_without(&o, "odd hex in env", secretish);
    // An unset variable and a missing file: named, nothing else.
    let o = Run::new(&["kw", "wrap", "--key", KEY, "--kek-env", "KF_UNSET_VAR_X"]).output();
    let e = assert_fails_without(&o, "unset env", KEY);
    assert!(e.contains("KF_UNSET_VAR_X is not set"), "{e}");
    assert_fails_without(
        &kek_file(Path::new("/nonexistent/kek")),
        "missing file",
        KEY,
    );
    // An empty file.
    let empty = dir.join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let e = assert_fails_without(&kek_file(&empty), "empty file", KEY);
    assert!(e.contains("empty"), "{e}");
    // Two secrets from standard input: the second is refused (not read as empty).
    let o = Run::new(&["kw", "wrap", "--kek-file", "-", "--key-file", "-"]);
    let o = Run {
        stdin: Some(format!("{KEK}\n").into_bytes()),
        ..o
    }
    .output();
    let e = assert_fails_without(&o, "two from stdin", KEK);
    assert_no_secret(&o.stderr, "two from stdin", KEY);
    assert!(e.contains("only one secret"), "{e}");
    // A failed unwrap under a KEK from standard input.
    let mut bad = WRAPPED.to_string();
    bad.replace_range(0..2, "1e");
    for form in [Form::HexStdin, Form::RawStdin, Form::RawFile] {
        let o = Run::new(&["kw", "unwrap", "--wrapped", &bad])
            .secret("kek", KEK, form, &dir)
            .output();
        let e = assert_fails_without_code(&o, &format!("bad unwrap, KEK as {form:?}"), KEK, 3);
        assert_no_secret(&o.stderr, "bad unwrap", KEY);
        assert!(e.contains("integrity"), "{e}");
    }
    // Wrong BDK length, wrong device-secret length, wrong KBPK: no secret shown.
    let bdk15 = "00112233445566778899aabbccddee";
    let o = Run::new(&["dukpt", "tdes", "ipek", "--ksn", "FFFF9876543210E00000"])
        .secret("bdk", bdk15, Form::RawStdin, &dir)
        .output();
    assert_fails_without(&o, "short BDK", bdk15);
    let img = dir.join("s.img");
    let o = Run::new(&["store", "create", "--image", img.to_str().unwrap()])
        .secret("device-secret", &DEV[..62], Form::HexFile, &dir)
        .output();
    assert_fails_without(&o, "short device secret", &DEV[..62]);
    let block = common::ok_stdout(&WRAP_B1);
    let wrong = KBPK.replace("88E1", "88E2");
    let o = Run::new(&["tr31", "unwrap", "--block", block.trim()])
        .secret("kbpk", &wrong, Form::HexEnv, &dir)
        .output();
    assert_fails_without_code(&o, "wrong KBPK", &wrong, 3);
    assert_no_secret(&o.stderr, "wrong KBPK", TR31_KEY);
}

#[test]
fn clap_usage_errors_do_not_echo_secrets() {
    let dir = tmp("clap");
    // Two sources for one secret: clap refuses (exit 2) naming the options only.
    let o = Run::new(&["kw", "wrap", "--key", KEY])
        .secret("kek", KEK, Form::Arg, &dir)
        .secret("kek", KEK, Form::HexFile, &dir)
        .output();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be used with"));
    assert_no_secret(&o.stderr, "conflict", KEK);
    assert_no_secret(&o.stderr, "conflict", KEY);
    // No source at all: required.
    let o = Run::new(&["kw", "unwrap", "--wrapped", WRAPPED]).output();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--kek-file"));
}
