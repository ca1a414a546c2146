//! The device's flash image file as NOR flash (4 KiB sectors, 4-byte programming, as the
//! QEMU boards' semihosted flash), and the host-side seams the store needs.
use std::io::Read;
use std::path::Path;

/// The QEMU boards' store flash: 16 sectors of 4 KiB (`keyfort_board_qemu::FLASH_SIZE`).
pub const FLASH_SIZE: usize = 64 * 1024;
/// Erase sector size of the QEMU boards' flash.
pub const SECTOR: usize = 4096;

/// The QEMU boards' flash as an image in memory.
pub type ImageFlash = crate::cmd::host::ImageFlash<SECTOR>;
pub use crate::cmd::host::{os_rng, HostSecret};

/// Loads `device-secret.bin` from the device directory.
pub fn device_secret(device: &Path) -> Result<HostSecret, String> {
    let p = device.join("device-secret.bin");
    let mut s = [0u8; 32];
    std::fs::File::open(&p)
        .and_then(|mut f| f.read_exact(&mut s))
        .map_err(|e| format!("{}: {e}", p.display()))?;
    Ok(HostSecret::new(s))
}
