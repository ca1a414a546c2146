//! The board's own on-target self-tests (NOR rules, persistence, entropy, counter, tamper
//! pin). They use scratch files in the device directory, never the store's flash image.
use crate::board::{
    counter::FileCounter,
    entropy::HostEntropy,
    files,
    flash::{FlashError, SemihostFlash, ERASE_SIZE},
    secret::TestDeviceSecret,
    tamper::HostTamperPin,
};
use embedded_hal::digital::InputPin;
use embedded_storage::nor_flash::{NorFlash, ReadNorFlash};
use keyfort::platform::{DeviceSecret, MonotonicCounter};
use keyfort_testkit::selftest::{check, Test};
use rand_core::TryRng;

/// The tests of this board.
pub const TESTS: &[Test] = &[
    Test {
        name: "board::flash_erase_sets_all_bits",
        run: flash_erase_sets_all_bits,
    },
    Test {
        name: "board::flash_program_only_clears_bits",
        run: flash_program_only_clears_bits,
    },
    Test {
        name: "board::flash_rejects_misaligned_and_out_of_range",
        run: flash_rejects_bad_ranges,
    },
    Test {
        name: "board::flash_survives_reopen",
        run: flash_survives_reopen,
    },
    Test {
        name: "board::entropy_reads_differ",
        run: entropy_reads_differ,
    },
    Test {
        name: "board::counter_only_goes_up",
        run: counter_only_goes_up,
    },
    Test {
        name: "board::tamper_pin_follows_host_file",
        run: tamper_pin_follows_host_file,
    },
    Test {
        name: "board::device_secret_is_provisioned",
        run: device_secret_is_provisioned,
    },
];

const SCRATCH_SIZE: u32 = 2 * ERASE_SIZE as u32;

fn scratch() -> Result<SemihostFlash, &'static str> {
    SemihostFlash::open(files::SCRATCH_FLASH, SCRATCH_SIZE).map_err(|_| "cannot open scratch flash")
}

fn flash_erase_sets_all_bits() -> Result<(), &'static str> {
    let mut f = scratch()?;
    f.write(ERASE_SIZE as u32 - 8, &[0u8; 16])
        .map_err(|_| "write failed")?;
    f.erase(0, ERASE_SIZE as u32).map_err(|_| "erase failed")?;
    let mut b = [0u8; 16];
    f.read(ERASE_SIZE as u32 - 8, &mut b)
        .map_err(|_| "read failed")?;
    check(b[..8] == [0xFF; 8], "erased sector does not read 0xFF")?;
    check(b[8..] == [0; 8], "erase touched the next sector")
}

fn flash_program_only_clears_bits() -> Result<(), &'static str> {
    let mut f = scratch()?;
    f.erase(0, ERASE_SIZE as u32).map_err(|_| "erase failed")?;
    f.write(16, &[0x0F, 0xF0, 0xAA, 0x55])
        .map_err(|_| "first write failed")?;
    f.write(16, &[0xFF, 0x0F, 0xFF, 0xF0])
        .map_err(|_| "second write failed")?;
    let mut b = [0u8; 4];
    f.read(16, &mut b).map_err(|_| "read failed")?;
    check(
        b == [0x0F, 0x00, 0xAA, 0x50],
        "program did not AND into the old value",
    )
}

fn flash_rejects_bad_ranges() -> Result<(), &'static str> {
    let mut f = scratch()?;
    check(
        f.write(2, &[0; 4]) == Err(FlashError::NotAligned),
        "unaligned offset accepted",
    )?;
    check(
        f.write(0, &[0; 3]) == Err(FlashError::NotAligned),
        "unaligned length accepted",
    )?;
    check(
        f.erase(100, 4196) == Err(FlashError::NotAligned),
        "unaligned erase accepted",
    )?;
    check(
        f.write(SCRATCH_SIZE - 4, &[0; 8]) == Err(FlashError::OutOfBounds),
        "write past the end accepted",
    )?;
    let mut b = [0u8; 2];
    check(
        f.read(SCRATCH_SIZE - 1, &mut b) == Err(FlashError::OutOfBounds),
        "read past end",
    )?;
    check(f.capacity() == SCRATCH_SIZE as usize, "wrong capacity")
}

fn flash_survives_reopen() -> Result<(), &'static str> {
    {
        let mut f = scratch()?;
        f.erase(ERASE_SIZE as u32, SCRATCH_SIZE)
            .map_err(|_| "erase failed")?;
        f.write(ERASE_SIZE as u32, b"keyf")
            .map_err(|_| "write failed")?;
    }
    let mut f = scratch()?;
    let mut b = [0u8; 4];
    f.read(ERASE_SIZE as u32, &mut b)
        .map_err(|_| "read failed")?;
    check(&b == b"keyf", "data lost on reopen")
}

fn entropy_reads_differ() -> Result<(), &'static str> {
    let mut e = HostEntropy::open().map_err(|_| "cannot open host entropy")?;
    let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
    e.try_fill_bytes(&mut a)
        .map_err(|_| "entropy read failed")?;
    e.try_fill_bytes(&mut b)
        .map_err(|_| "entropy read failed")?;
    check(a != b && a != [0; 16], "entropy repeats or is zero")
}

fn counter_only_goes_up() -> Result<(), &'static str> {
    let mut c = FileCounter::open(c"scratch-counter.bin").map_err(|_| "cannot open counter")?;
    let v = c.read().map_err(|_| "read failed")?;
    let w = c.increment().map_err(|_| "increment failed")?;
    check(v.checked_add(1) == Some(w), "increment did not add one")?;
    let mut again = FileCounter::open(c"scratch-counter.bin").map_err(|_| "reopen failed")?;
    check(again.read() == Ok(w), "counter not persisted")
}

fn tamper_pin_follows_host_file() -> Result<(), &'static str> {
    let path = c"scratch-tamper";
    let mut pin = HostTamperPin::new(path);
    semihosting::fs::write(path, b"1").map_err(|_| "cannot write tamper file")?;
    check(pin.is_high() == Ok(true), "asserted line reads low")?;
    semihosting::fs::write(path, b"0").map_err(|_| "cannot write tamper file")?;
    check(pin.is_low() == Ok(true), "released line reads high")
}

fn device_secret_is_provisioned() -> Result<(), &'static str> {
    let s = TestDeviceSecret::load(files::DEVICE_SECRET).map_err(|_| "device secret missing")?;
    s.with_secret(|k| check(k.iter().any(|&b| b != 0), "device secret is all zero"))
}
