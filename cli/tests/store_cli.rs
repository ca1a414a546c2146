//! `keyfort store` end to end: create, import, list, verify; wrong device secret and
//! bad input fail with one key-free line; the image holds no key bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::integer_division_remainder_used
)]
mod common;
use common::run;

const DEV: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const OTHER: &str = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";

/// `keyfort store <cmd> --image <img> --device-secret <dev> <rest...>`.
fn store(cmd: &str, img: &str, dev: &str, rest: &[&str]) -> (bool, String, String) {
    let mut args = vec!["store", cmd, "--image", img, "--device-secret", dev];
    args.extend_from_slice(rest);
    run(&args)
}

#[test]
fn create_import_list_verify() {
    let dir = std::env::temp_dir().join(format!("kf-store-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let img = dir.join("dev.img");
    let img = img.to_str().unwrap();
    let (ok, out, _) = store("create", img, DEV, &["--size", "16384", "--sector", "4096"]);
    assert!(ok, "{out}");
    assert_eq!(std::fs::metadata(img).unwrap().len(), 16384);
    let (ok, out, err) = store(
        "import",
        img,
        DEV,
        &[
            "--id",
            "1",
            "--label",
            "pin-key",
            "--algorithm",
            "aes128",
            "--usage",
            "encrypt,decrypt",
            "--key",
            KEY,
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("imported key 1 version 1"));
    let (ok, _, err) = store(
        "import",
        img,
        DEV,
        &[
            "--id",
            "2",
            "--label",
            "mac",
            "--algorithm",
            "hmac-sha256",
            "--usage",
            "mac-generate",
            "--key",
            &"ab".repeat(32),
            "--use-limit",
            "5",
        ],
    );
    assert!(ok, "{err}");
    let (ok, out, _) = store("list", img, DEV, &[]);
    assert!(ok);
    assert!(
        out.contains(
            "id=1 version=1 label=\"pin-key\" algorithm=aes128 usage=encrypt,decrypt state=active"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "id=2 version=1 label=\"mac\" algorithm=hmac-sha256 usage=mac-generate state=active"
        ) && out.contains("limit=5 period_left=none"),
        "{out}"
    );
    assert!(!out.to_lowercase().contains(KEY));
    let (ok, out, _) = store("verify", img, DEV, &[]);
    assert!(ok);
    assert!(out.contains("ok: 2 key versions, 1 decrypted"), "{out}");
    // No key bytes in the image.
    let raw = std::fs::read(img).unwrap();
    let key = hex::decode(KEY).unwrap();
    assert!(!raw.windows(8).any(|w| w == &key[..8]));
    // Wrong device: one line, no key material, exit 1.
    let (ok, out, err) = store("verify", img, OTHER, &[]);
    assert!(!ok && out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("does not authenticate"), "{err}");
    // Bad inputs.
    let (ok, _, err) = store(
        "import",
        img,
        DEV,
        &[
            "--id",
            "3",
            "--algorithm",
            "aes256",
            "--usage",
            "encrypt",
            "--key",
            KEY,
        ],
    );
    assert!(
        !ok && err.contains("bad length") && !err.contains(KEY),
        "{err}"
    );
    let (ok, _, err) = store(
        "import",
        img,
        DEV,
        &[
            "--id",
            "1",
            "--algorithm",
            "aes128",
            "--usage",
            "encrypt",
            "--key",
            KEY,
        ],
    );
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = store(
        "import",
        img,
        DEV,
        &[
            "--id",
            "4",
            "--algorithm",
            "rc4",
            "--usage",
            "encrypt",
            "--key",
            KEY,
        ],
    );
    assert!(!ok && err.contains("--algorithm"), "{err}");
    // A flipped bit in the image is reported, not ignored.
    let mut raw = std::fs::read(img).unwrap();
    let pos = raw.windows(7).position(|w| w == b"pin-key").unwrap();
    raw[pos] ^= 1;
    std::fs::write(img, &raw).unwrap();
    let (ok, _, err) = store("verify", img, DEV, &[]);
    assert!(!ok && err.contains("corrupted"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
