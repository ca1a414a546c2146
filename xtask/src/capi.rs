//! The C API (`capi/`): its generated header (`./x gen-header`, drift-checked), the
//! header compiled as C99 and C++, and the host C test program against published vectors
//! under AddressSanitizer and UndefinedBehaviorSanitizer.
use crate::ctx::{from, Ctx, Outcome};
use crate::sh;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const HEADER: &str = "capi/include/keyfort.h";

/// The header as cbindgen generates it from `capi/src` and `capi/cbindgen.toml`.
pub fn generate(root: &Path) -> Result<String, String> {
    let dir = root.join("capi");
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml"))?;
    let bindings = cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .map_err(|e| format!("cbindgen: {e}"))?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// `./x gen-header`: writes `capi/include/keyfort.h`.
pub fn gen_header(root: &Path) -> Result<bool, String> {
    let h = generate(root)?;
    let path = root.join(HEADER);
    std::fs::write(&path, h).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(true)
}

fn work_dir(root: &Path) -> Result<PathBuf, String> {
    let d = root.join("target/capi");
    std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    Ok(d)
}

/// Step: the committed header equals a fresh one, and compiles warning-free as C99 and
/// as C++.
pub fn header_step(ctx: &mut Ctx) -> Outcome {
    from(header_check(&ctx.root))
}

fn header_check(root: &Path) -> Result<String, String> {
    let fresh = generate(root)?;
    let committed = std::fs::read_to_string(root.join(HEADER))
        .map_err(|e| format!("{HEADER}: {e} (run ./x gen-header)"))?;
    if fresh != committed {
        return Err(format!(
            "{HEADER} is stale: it differs from what cbindgen generates now (run ./x gen-header and commit)"
        ));
    }
    let dir = work_dir(root)?;
    let src = dir.join("header_only.c");
    std::fs::write(
        &src,
        "#include \"keyfort.h\"\nint main(void) { return 0; }\n",
    )
    .map_err(|e| e.to_string())?;
    let inc = root.join("capi/include");
    sh::run(
        Command::new("gcc")
            .args([
                "-std=c99",
                "-Wall",
                "-Wextra",
                "-Wpedantic",
                "-Werror",
                "-I",
            ])
            .arg(&inc)
            .arg(&src)
            .arg("-o")
            .arg(dir.join("header_c99")),
    )?;
    sh::run(
        Command::new("g++")
            .args(["-x", "c++", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(&inc)
            .arg(&src)
            .arg("-o")
            .arg(dir.join("header_cxx")),
    )?;
    Ok(format!(
        "{HEADER} matches cbindgen ({} lines); compiles with gcc -std=c99 and g++",
        fresh.lines().count()
    ))
}

/// Step: builds the static library, prepares the vector file from the published vectors,
/// builds `capi/tests/capi_test.c` with ASan + UBSan against it and runs it.
pub fn c_tests_step(ctx: &mut Ctx) -> Outcome {
    from(c_tests(&ctx.root))
}

/// Builds the host static library (`target/release/libkeyfort_capi.a`).
fn build_host_lib(root: &Path) -> Result<(), String> {
    sh::run(Command::new("cargo").current_dir(root).args([
        "build",
        "--release",
        "-p",
        "keyfort-capi",
    ]))
}

/// Compiles the host C test program (`capi/tests/capi_test.c`, warning-free C99) with
/// `flags` against the host static library into `exe`.
fn build_c_test(root: &Path, flags: &[&str], exe: &Path) -> Result<(), String> {
    sh::run(
        Command::new("gcc")
            .args(["-std=c99", "-Wall", "-Wextra", "-Werror"])
            .args(flags)
            .arg("-I")
            .arg(root.join("capi/include"))
            .arg(root.join("capi/tests/capi_test.c"))
            .arg(root.join("target/release/libkeyfort_capi.a"))
            .args(["-lpthread", "-ldl", "-lm", "-o"])
            .arg(exe),
    )
}

fn c_tests(root: &Path) -> Result<String, String> {
    build_host_lib(root)?;
    let dir = work_dir(root)?;
    let (vectors, counts) = vector_file()?;
    let vpath = dir.join("vectors.txt");
    std::fs::write(&vpath, vectors).map_err(|e| e.to_string())?;
    let exe = dir.join("capi_test");
    build_c_test(
        root,
        &[
            "-g",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all",
            "-fno-omit-frame-pointer",
        ],
        &exe,
    )?;
    let out = Command::new(&exe)
        .arg(&vpath)
        .env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
        .env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    let last = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("capi_test:"))
        .unwrap_or("no summary line")
        .to_string();
    if !out.status.success() || !last.ends_with(" 0 failed") {
        return Err(format!("C tests failed ({}): {last}", out.status));
    }
    Ok(format!("{last} (vectors: {counts})"))
}

fn vectors_dir() -> Result<PathBuf, String> {
    let dir = std::env::var_os("KEYFORT_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::root().join("../shared/vectors"));
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(format!(
            "test vectors not found at {} (set KEYFORT_VECTORS or put ../shared beside the repository)",
            dir.display()
        ))
    }
}

fn load(rel: &str) -> Result<Value, String> {
    let p = vectors_dir()?.join(rel);
    let s = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_str(&s).map_err(|e| format!("{}: {e}", p.display()))
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

/// The vector file the C test reads: one vector per line, space-separated fields, each
/// line naming its source. Returns the file and a count per kind.
fn vector_file() -> Result<(String, String), String> {
    let mut f = String::new();
    let (mut kw, mut tr31, mut dukpt) = (0, 0, 0);
    // Key wrap: RFC 3394 / 5649 examples and Wycheproof v1, where the wrapped key is an
    // AES key size keyfort stores and the KEK is at least as strong (keyfort's rule).
    let rfc = load("keywrap/rfc_vectors.json")?;
    for (scheme, list) in [("kw", &rfc["kw"]), ("kwp", &rfc["kwp"])] {
        for v in list.as_array().into_iter().flatten() {
            let (kek, key, ct) = (s(v, "kek"), s(v, "key_data"), s(v, "ciphertext"));
            if wrap_fits(kek.len() / 2, key.len() / 2) {
                let src = s(v, "rfc_section").replace(' ', "_");
                writeln!(f, "{scheme} {src} {kek} {key} {ct} valid").map_err(|e| e.to_string())?;
                kw += 1;
            }
        }
    }
    for (scheme, file) in [
        ("kw", "keywrap/wycheproof/testvectors_v1/aes_wrap_test.json"),
        ("kwp", "keywrap/wycheproof/testvectors_v1/aes_kwp_test.json"),
    ] {
        let j = load(file)?;
        for g in j["testGroups"].as_array().into_iter().flatten() {
            for t in g["tests"].as_array().into_iter().flatten() {
                let (kek, msg, ct) = (s(t, "key"), s(t, "msg"), s(t, "ct"));
                let result = s(t, "result");
                let key_len = if result == "valid" {
                    msg.len() / 2
                } else {
                    // An invalid ciphertext: tried as the key size its length implies.
                    (ct.len() / 2).saturating_sub(8)
                };
                if result == "acceptable" || ct.is_empty() || !wrap_fits(kek.len() / 2, key_len) {
                    continue;
                }
                let id = t["tcId"].as_u64().unwrap_or(0);
                let key = if msg.is_empty() { "-" } else { msg };
                writeln!(
                    f,
                    "{scheme} wycheproof-{scheme}-tc{id} {kek} {key} {ct} {result}"
                )
                .map_err(|e| e.to_string())?;
                kw += 1;
            }
        }
    }
    // TR-31: every block of a version keyfort imports (B, D, E), positive ones whose key
    // keyfort stores with a check value (AES, TDEA), and every negative one.
    let t = load("tr31/tr31_vectors.json")?;
    for v in t["vectors"].as_array().into_iter().flatten() {
        let block = s(v, "key_block");
        let kbpk = s(v, "kbpk");
        if block.is_empty() || block.contains(' ') || kbpk.is_empty() {
            continue;
        }
        let version = block.as_bytes()[0];
        if !matches!(version, b'B' | b'D' | b'E') {
            continue;
        }
        let id = s(v, "id");
        if s(v, "expect") == "ok" {
            let key = s(v, "expected_key");
            let kbpk_b =
                keyfort_testkit::hex::decode(kbpk).ok_or_else(|| format!("{id}: KBPK: not hex"))?;
            // Only blocks whose header maps onto a stored policy are importable; the
            // mapping is keyfort's import rule (checked by the Rust TR-31 tests).
            // The vector's KBPK is what its version and length say.
            let Ok(alg) = keyfort::tr31::Header::parse(block.as_bytes())
                .and_then(|h| keyfort::tr31::kbpk_algorithm(h.version, kbpk_b.len()))
            else {
                continue;
            };
            let Ok(kbpk_t) = keyfort::key::TypedKey::raw(&kbpk_b, alg) else {
                continue;
            };
            let Ok(imp) = keyfort::tr31::import(&kbpk_t, block.as_bytes()) else {
                continue;
            };
            use keyfort::attributes::Algorithm as A;
            let kind = match imp.algorithm {
                A::Aes128 | A::Aes192 | A::Aes256 => "aes",
                A::Tdes2 | A::Tdes3 => "des",
                _ => continue,
            };
            let kbpk_kind = if version == b'B' { "des" } else { "aes" };
            writeln!(f, "tr31 {id} {kbpk_kind} {kbpk} {block} ok {kind} {key}")
                .map_err(|e| e.to_string())?;
        } else {
            let kbpk_kind = if version == b'B' { "des" } else { "aes" };
            if !matches!(kbpk.len(), 32 | 48 | 64) {
                continue;
            }
            writeln!(f, "tr31 {id} {kbpk_kind} {kbpk} {block} error - -")
                .map_err(|e| e.to_string())?;
        }
        tr31 += 1;
    }
    // AES DUKPT (X9.24-3): the initial keys, then the operation vectors on AES-128 working
    // keys that the C API performs (CMAC and HMAC with the MAC generation key, CBC with
    // the data encryption key), by initial key and counter.
    let d = load("dukpt/aes_dukpt_vectors.json")?;
    let vs = d["vectors"].as_array().cloned().unwrap_or_default();
    let ik_of = |bdk: &str, ikid: &str| {
        vs.iter()
            .find(|v| {
                s(v, "category") == "initial_key"
                    && s(v, "bdk") == bdk
                    && s(v, "initial_key_id") == ikid
            })
            .map(|v| s(&v["expected"], "initial_key").to_string())
    };
    let mut ops: Vec<(String, u64, String)> = Vec::new();
    for v in &vs {
        if s(v, "category") != "operation" || s(v, "bdk_type") != "AES128" {
            continue;
        }
        let op = match (
            s(v, "operation"),
            s(v, "key_usage"),
            s(v, "working_key_type"),
        ) {
            ("aes_cmac", "mac_generation", "AES128") => "cmac",
            ("hmac_sha256", "mac_generation", "HMAC128") => "hmac",
            ("aes_cbc_encrypt", "data_encryption_encrypt", "AES128") => "cbc",
            _ => continue,
        };
        let (bdk, ikid) = (s(v, "bdk"), s(v, "initial_key_id"));
        let Some(ik) = ik_of(bdk, ikid) else { continue };
        let inputs = &v["inputs"];
        let mut data = s(inputs, "data_ascii").as_bytes().to_vec();
        if op == "cbc" {
            data.resize(data.len().div_ceil(16) * 16, 0);
        }
        let iv = if op == "cbc" { s(inputs, "iv") } else { "-" };
        let counter = v["transaction_counter"].as_u64().unwrap_or(0);
        let line = format!(
            "dukpt {} {ik} {ikid} {counter} {op} {iv} {} {}",
            s(v, "id"),
            keyfort_testkit::hex::encode(&data),
            s(&v["expected"], "output")
        );
        ops.push((ikid.to_string(), counter, line));
    }
    ops.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    for (_, _, line) in ops {
        writeln!(f, "{line}").map_err(|e| e.to_string())?;
        dukpt += 1;
    }
    Ok((f, format!("{kw} KW/KWP, {tr31} TR-31, {dukpt} AES DUKPT")))
}

/// Whether keyfort stores an unwrapped key of `key_len` bytes (AES 16/24/32) under a KEK
/// of `kek_len` bytes (at least as strong).
fn wrap_fits(kek_len: usize, key_len: usize) -> bool {
    matches!(key_len, 16 | 24 | 32) && matches!(kek_len, 16 | 24 | 32) && kek_len >= key_len
}

/// One board the C example firmware runs on.
struct FwBoard {
    machine: &'static str,
    target: &'static str,
    cflags: &'static [&'static str],
}

const FW_BOARDS: [FwBoard; 2] = [
    FwBoard {
        machine: "mps2-an386",
        target: "thumbv7em-none-eabihf",
        cflags: &[
            "-mcpu=cortex-m4",
            "-mthumb",
            "-mfloat-abi=hard",
            "-mfpu=fpv4-sp-d16",
        ],
    },
    FwBoard {
        machine: "microbit",
        target: "thumbv6m-none-eabi",
        cflags: &["-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft"],
    },
];

/// The BDK the example firmware's initial key comes from (X9.24-3 test vector aes-0001;
/// TEST ONLY), and what each transaction MACs, encrypts and PIN-encrypts.
const FW_BDK: &str = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
const FW_MSG: &[u8] = b"4012345678909D987";
const FW_PIN: &[u8] = b"1234";
const FW_PAN: &[u8] = b"4111111111111111";
/// Records the firmware prints: 4 transactions, a close and re-open, 1 more.
const FW_RECORDS: u32 = 5;

/// Step: the C example firmware (`capi/examples/firmware`) built with arm-none-eabi-gcc
/// against the static library, run on QEMU on a Cortex-M4 and a Cortex-M0; the host
/// verifies every transaction record with keyfort's host-side DUKPT.
pub fn firmware_step(ctx: &mut Ctx) -> Outcome {
    if ctx.env.route != crate::toolchain::Route::Rustup {
        return Outcome::Skip(
            "needs rustup's thumb targets (route 1) to build the static library".into(),
        );
    }
    if let Err(e) = crate::toolchain::ensure_arm_gcc() {
        return Outcome::Skip(format!("arm-none-eabi-gcc cannot be installed: {e}"));
    }
    let mut notes = Vec::new();
    for b in &FW_BOARDS {
        match firmware_on(&ctx.root, b) {
            Ok(n) => notes.push(n),
            Err(e) => return Outcome::Fail(format!("{}: {e}", b.machine)),
        }
    }
    Outcome::Pass(notes.join("; "))
}

/// Builds the C example firmware for `b` against the release static library; returns
/// the ELF and its directory.
fn build_firmware(root: &Path, b: &FwBoard) -> Result<(PathBuf, PathBuf), String> {
    sh::run(Command::new("cargo").current_dir(root).args([
        "build",
        "--release",
        "-p",
        "keyfort-capi",
        "--target",
        b.target,
    ]))?;
    let dir = work_dir(root)?.join(format!("fw-{}", b.machine));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let src = root.join("capi/examples/firmware");
    let elf = dir.join("capi-firmware.elf");
    sh::run(
        Command::new("arm-none-eabi-gcc")
            .current_dir(&src)
            .args(b.cflags)
            .args([
                "-std=c99",
                "-Os",
                "-g",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-ffreestanding",
                "-ffunction-sections",
                "-fdata-sections",
                "-nostartfiles",
                "-Wl,--gc-sections",
                "-Wl,-z,noexecstack",
                "-I",
            ])
            .arg(root.join("capi/include"))
            .arg("-T")
            .arg(format!("{}.ld", b.machine))
            .args(["startup.c", "main.c"])
            .arg(root.join(format!("target/{}/release/libkeyfort_capi.a", b.target)))
            .args(["-lgcc", "-o"])
            .arg(&elf),
    )?;
    Ok((elf, dir))
}

fn firmware_on(root: &Path, b: &FwBoard) -> Result<String, String> {
    let (elf, dir) = build_firmware(root, b)?;
    let text = sh::output(Command::new("arm-none-eabi-size").arg(&elf))
        .and_then(|s| {
            s.lines()
                .nth(1)?
                .split_whitespace()
                .next()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "?".into());
    let mut q = Command::new("timeout");
    q.current_dir(&dir)
        .args(["120", "qemu-system-arm", "-machine", b.machine])
        .args([
            "-display",
            "none",
            "-monitor",
            "none",
            "-serial",
            "none",
            "-nographic",
        ])
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(&elf);
    println!("  $ {}", sh::show(&q));
    let out = q.output().map_err(|e| format!("cannot run QEMU: {e}"))?;
    let text_out =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    print!("{text_out}");
    if !out.status.success() || !text_out.contains("capi-firmware: done") {
        return Err(format!("firmware did not finish ({})", out.status));
    }
    let n = verify_records(&text_out)?;
    Ok(format!(
        "{} ({}): {n} transactions verified, .text {text} B",
        b.machine, b.target
    ))
}

/// Checks every `TX` record against keys the host derives from the BDK: the KSN
/// counters run 1, 2, ... (no counter reused across the re-open), the AES-CMAC and the
/// AES-CBC ciphertext match, and the PIN block decrypts to the PIN.
fn verify_records(log: &str) -> Result<u32, String> {
    use keyfort::dukpt::aes::{AesBdk, AesKsn, KeyUsage, WorkingKeyType};
    use keyfort::transaction::{data, mac, pin};
    let bdk = keyfort::key::TypedKey::raw_aes(
        &keyfort_testkit::hex::decode(FW_BDK).ok_or("FW_BDK: not hex")?,
    )
    .map_err(keyfort::dukpt::DukptError::from)
    .and_then(|k| AesBdk::new(&k))
    .map_err(|e| e.to_string())?;
    let mut n = 0u32;
    for line in log.lines().filter(|l| l.starts_with("TX ")) {
        let f: Vec<Vec<u8>> = line
            .split_whitespace()
            .skip(1)
            .map(keyfort_testkit::hex::decode)
            .collect::<Option<_>>()
            .ok_or_else(|| format!("malformed record: {line}: not hex"))?;
        let [ksn, tag, enc, block] = f.as_slice() else {
            return Err(format!("malformed record: {line}"));
        };
        let ksn = AesKsn::from_bytes(ksn).map_err(|e| e.to_string())?;
        n += 1;
        if ksn.counter() != n {
            return Err(format!("record {n} has counter {}", ksn.counter()));
        }
        let key = |u| {
            bdk.working_key(&ksn, u, WorkingKeyType::Aes128)
                .map_err(|e| e.to_string())
        };
        let mk = key(KeyUsage::MacGeneration)?;
        let want = mac::aes_cmac(&mk.typed().map_err(|e| e.to_string())?, FW_MSG)
            .map_err(|e| e.to_string())?;
        if want.as_slice() != tag.as_slice() {
            return Err(format!("record {n}: MAC does not verify"));
        }
        let mut buf = FW_MSG.to_vec();
        buf.resize(32, 0);
        let dk = key(KeyUsage::DataEncrypt)?;
        data::aes_cbc_encrypt(&dk.typed().map_err(|e| e.to_string())?, &[0; 16], &mut buf)
            .map_err(|e| e.to_string())?;
        if &buf != enc {
            return Err(format!("record {n}: ciphertext does not match"));
        }
        let block: [u8; 16] = block
            .as_slice()
            .try_into()
            .map_err(|_| format!("record {n}: PIN block length"))?;
        let pk = key(KeyUsage::PinEncryption)?;
        let p = pin::format4_decrypt(&pk.typed().map_err(|e| e.to_string())?, &block, FW_PAN)
            .map_err(|e| format!("record {n}: PIN block: {e}"))?;
        if p.expose() != FW_PIN {
            return Err(format!("record {n}: PIN block holds another PIN"));
        }
    }
    if n != FW_RECORDS {
        return Err(format!("{n} records, expected {FW_RECORDS}"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::verify_records;

    /// The records the example firmware printed (deterministic: test entropy).
    const LOG: &str = "\
TX 123456789012345600000001 A2EB5C1C35809E58404E873C3C411E31 E5AFA5B408A3310E3D779C8A9A2AE29448BD5B4232582090DB703AF647205A79 BC9CF14C687CE04630CB9F1E858A4540
TX 123456789012345600000002 4D104704C53491A60944193DCAF6B411 A17A9658EE0F451D6CA11B65B592EF9C5F90BB175D926F1457B63B3273042476 3462E220460DE4AF2145E3248584437C
TX 123456789012345600000003 6A18904AA8E966A03505F5EEBDAEBD82 E289C32A084A39419A6C147DE40B53A67BABE2BD22DC3D5EE09B002E83B93ACE 498B02EF6AAC24A43080272D51ACB66D
TX 123456789012345600000004 77BBD3FB827158B9B12880B0794D1C74 D074C0F81866781B92D008C8EA6A3947319B94361C7ECD3C1736020E0D57E629 76BDA23492FC014BA36CA52C64BB0E18
TX 123456789012345600000005 C0CE6DA1F4434AD16EEEBF486C9616CD 8F222D79AE7F942BF74D3EA9E364C0000D0C94AD7EA0A8CCF23330FCA4B1D0D0 B090DAF39F17C4092ABA939C6189B30B
capi-firmware: done
";

    #[test]
    fn host_verification_accepts_the_firmware_records_and_catches_each_tampering() {
        assert_eq!(verify_records(LOG), Ok(5));
        // Negative controls: one changed field each, and a record dropped or replayed.
        for (from, to) in [
            ("A2EB5C1C", "A2EB5C1D"),             // MAC
            ("E5AFA5B4", "E5AFA5B5"),             // ciphertext
            ("BC9CF14C", "BC9CF14D"),             // PIN block
            ("600000002 4D10", "600000001 4D10"), // counter reused
        ] {
            let bad = LOG.replacen(from, to, 1);
            assert_ne!(bad, LOG);
            assert!(verify_records(&bad).is_err(), "not caught: {from} -> {to}");
        }
        let dropped: String = LOG.lines().skip(1).map(|l| format!("{l}\n")).collect();
        assert!(verify_records(&dropped).is_err());
    }
}

/// The C API's own figures for BENCH.md (`./x capi-measure` prints them).
#[derive(Debug, Clone)]
pub struct CapiFigures {
    /// Host ns per call (median of 15 rounds of 200,000 calls, `-O2`, no sanitizers),
    /// by entry point: `kf_dukpt_end` (almost no work behind the boundary: the
    /// boundary's own cost) and `kf_get_key_attributes` (a key lookup besides).
    pub boundary_ns: Vec<(String, f64)>,
    /// The C example firmware's sections (`.text` includes the vector table) per QEMU
    /// machine and target, built as `./x test capi` builds it (`-Os`, gc-sections).
    pub firmware: Vec<(&'static str, &'static str, crate::bench_target::Sizes)>,
}

/// Measures [`CapiFigures`]: builds `capi/tests/capi_test.c` in its `--bench` mode
/// against the host static library and runs it, then builds the C example firmware for
/// each board and reads its sections. For `./x bench` (BENCH.md's C API rows).
pub fn measure(root: &Path) -> Result<CapiFigures, String> {
    build_host_lib(root)?;
    let exe = work_dir(root)?.join("capi_bench");
    build_c_test(root, &["-O2"], &exe)?;
    let out = sh::output(Command::new(&exe).arg("--bench")).ok_or("capi_bench failed")?;
    let boundary_ns: Vec<(String, f64)> = out
        .lines()
        .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            ["capi_bench", name, ns] => Some((name.to_string(), ns.parse().ok()?)),
            _ => None,
        })
        .collect();
    if boundary_ns.len() != 2 {
        return Err(format!("capi_bench: unexpected output: {out}"));
    }
    crate::toolchain::ensure_arm_gcc()?;
    let mut firmware = Vec::new();
    for b in &FW_BOARDS {
        let (elf, _) = build_firmware(root, b)?;
        firmware.push((b.machine, b.target, crate::bench_target::sizes(&elf)?));
    }
    Ok(CapiFigures {
        boundary_ns,
        firmware,
    })
}

/// `./x capi-measure`: prints [`measure`]'s figures.
/// BENCH.md's C API section, from [`measure`].
pub fn bench_section(ctx: &mut Ctx) -> Result<crate::bench_report::sources::Table, String> {
    let f = measure(&ctx.root)?;
    let mut t = crate::bench_report::sources::Table {
        how: "host x86-64: `capi/tests/capi_test.c --bench` against the host static library \
              (`-O2`, no sanitizers), median ns per call of 15 rounds of 200,000 calls; \
              firmware: the C example firmware as `./x test capi` builds it (`-Os`, \
              gc-sections, `arm-none-eabi-gcc`), sections read from the ELF. Command: \
              `./x bench` (or `./x capi-measure`)."
            .into(),
        columns: vec!["what".into(), "figure".into()],
        ..Default::default()
    };
    for (name, ns) in &f.boundary_ns {
        t.rows.push(vec![
            format!("C boundary, host: `{name}`"),
            format!("{ns:.1} ns/call"),
        ]);
    }
    for (machine, target, s) in &f.firmware {
        t.rows.push(vec![
            format!("C example firmware, {machine} ({target})"),
            format!(
                ".text {} B, .rodata {} B, .data {} B, .bss {} B",
                s.text, s.rodata, s.data, s.bss
            ),
        ]);
    }
    Ok(t)
}

/// `./x capi-measure`: prints [`measure`]'s figures.
pub fn measure_cmd(root: &Path) -> Result<bool, String> {
    let f = measure(root)?;
    for (name, ns) in &f.boundary_ns {
        println!("capi boundary (host): {name} {ns:.1} ns/call");
    }
    for (machine, target, s) in &f.firmware {
        println!(
            "capi example firmware {machine} ({target}): .text {} B, .rodata {} B, .data {} B, .bss {} B",
            s.text, s.rodata, s.data, s.bss
        );
    }
    Ok(true)
}
