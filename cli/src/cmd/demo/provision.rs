//! `keyfort demo provision`: the key-injection bench and the factory.
use super::image::{device_secret, os_rng, ImageFlash, FLASH_SIZE};
use super::Dirs;
use keyfort::attributes::{Algorithm, Usage};
use keyfort::dukpt::aes::AesBdk;
use keyfort::platform::NoCounter;
use keyfort::store::KeyStore;
use keyfort::tr31::{self, HeaderSpec, OptBlock};
use keyfort_testkit::demo::{factory, files};
use rand_core::Rng;
use std::fs;
use zeroize::Zeroizing;

fn write(p: &std::path::Path, data: &[u8]) -> Result<(), String> {
    fs::write(p, data).map_err(|e| format!("{}: {e}", p.display()))
}

/// Creates the BDK (or takes `bdk`), the initial key, the key block and the image.
pub fn run(d: &Dirs, bdk: Option<Zeroizing<Vec<u8>>>) -> Result<(), String> {
    for dir in [&d.device, &d.host] {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut rng = os_rng()?;
    let secret_file = d.device.join("device-secret.bin");
    if !secret_file.exists() {
        let mut s = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(s.as_mut());
        write(&secret_file, s.as_ref())?;
    }

    // Payment host: the BDK (TEST ONLY: kept in a file; a real host keeps it in an HSM).
    let bdk_bytes = match bdk {
        Some(b) => b,
        None => {
            let mut b = Zeroizing::new(vec![0u8; 16]);
            rng.fill_bytes(&mut b);
            b
        }
    };
    let bdk = keyfort::key::TypedKey::raw_aes(&bdk_bytes)
        .map_err(keyfort::dukpt::DukptError::from)
        .and_then(|k| AesBdk::new(&k))
        .map_err(|e| format!("--bdk: {e}"))?;
    let mut ikid = [0u8; 8];
    rng.fill_bytes(&mut ikid);
    let ik = bdk
        .initial_key(&ikid)
        .map_err(|e| format!("initial key: {e}"))?;

    // Key-injection bench: the terminal's KBPK and the key block.
    let mut kbpk = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(kbpk.as_mut());
    let spec = HeaderSpec {
        key_usage: *b"B1",
        algorithm: b'A',
        mode_of_use: b'X',
        key_version: *b"00",
        exportability: b'N',
    };
    let ikid_hex = hex::encode_upper(ikid);
    let opt = [OptBlock {
        id: *b"IK",
        data: ikid_hex.as_bytes(),
    }];
    let mut block = [0u8; 512];
    let host_kbpk = keyfort::key::TypedKey::<keyfort::key::KbpkWrap>::raw(
        kbpk.as_ref(),
        keyfort::attributes::Algorithm::Aes256,
    )
    .map_err(|e| format!("KBPK: {e}"))?;
    let n = tr31::wrap(&host_kbpk, &spec, &opt, ik.expose(), &mut rng, &mut block)
        .map_err(|e| format!("TR-31 wrap: {e}"))?;
    let block = &block[..n];

    // Factory: the device's flash image, sealed under its device secret.
    let err = |e: keyfort::store::Error| format!("store: {e}");
    let flash = ImageFlash::new(vec![0xFF; FLASH_SIZE]);
    let mut store =
        KeyStore::format((flash, device_secret(&d.device)?, os_rng()?, NoCounter)).map_err(err)?;
    store
        .import(
            factory::KBPK_ID,
            b"kbpk",
            Algorithm::Aes256,
            Usage::KBPK_UNWRAP,
            kbpk.as_ref(),
            None,
        )
        .map_err(err)?;
    store
        .put_state(factory::INJECTION_SLOT, block)
        .map_err(err)?;
    let image = store.into_flash().0;
    write(&d.device.join("flash.bin"), &image)?;
    // A new device: counter at zero, nothing sent yet.
    let _ = fs::remove_file(d.device.join("counter.bin"));
    for f in [files::RECORDS, files::RAM_DUMP, files::PLAN] {
        let _ = fs::remove_file(d.device_file(f));
    }
    write(
        &d.host_file(files::BDK_HEX),
        hex::encode_upper(&bdk_bytes).as_bytes(),
    )?;
    write(
        &d.host_file(files::KBPK_HEX),
        hex::encode_upper(kbpk.as_ref()).as_bytes(),
    )?;
    write(&d.host_file(files::IKID_HEX), ikid_hex.as_bytes())?;

    let header = std::str::from_utf8(&block[..block.len().min(40)]).unwrap_or("?");
    if crate::cmd::output::json() {
        return crate::cmd::output::print_json(serde_json::json!({
            "bdk_bits": bdk_bytes.len() * 8,
            "initial_key_id": ikid_hex,
            "key_block_header": header,
            "key_block_length": n,
            "image": d.device.join("flash.bin").display().to_string(),
            "image_bytes": image.len(),
        }))
        .map_err(|f| f.msg);
    }
    println!(
        "host: BDK (AES-{}) ready; initial key derived for initial key ID {ikid_hex}",
        bdk_bytes.len() * 8
    );
    println!(
        "host: initial key wrapped in a TR-31 block under the terminal's AES-256 KBPK: {header}... ({n} chars)"
    );
    println!(
        "host: factory image {} ({} KiB): KBPK sealed under the device secret, key block in the injection slot",
        d.device.join("flash.bin").display(),
        image.len() / 1024
    );
    Ok(())
}
