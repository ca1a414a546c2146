//! Instructions across the boundary (`tz-mode` = `bench`): the Non-secure SysTick under
//! QEMU's `-icount`, calibrated on a two-instruction loop as the bench firmware does
//! (`qemu/firmware/src/bin/bench.rs`). Lines in `ns.log`:
//! - `bench-calib <n1> <ticks1> <n2> <ticks2>`;
//! - `bench-op <name> <reps> <ticks>`.
use keyfort_secure_client::abi::raw;
use keyfort_secure_client::{systick, Client};

use crate::log::line;

fn measure(name: &str, reps: u32, f: impl FnMut()) {
    let t = systick::ticks(reps, f);
    line(format_args!("bench-op {name} {reps} {t}"));
}

/// Runs the measurements; returns the exit status.
pub fn run() -> i32 {
    systick::start();
    let [n1, a, n2, b] = systick::calibrate();
    line(format_args!("bench-calib {n1} {a} {n2} {b}"));
    let Ok(mut kf) = Client::open() else {
        line(format_args!("bench: the store does not open"));
        return 1;
    };
    if kf.dukpt_factory_inject().is_err() {
        line(format_args!("bench: no DUKPT terminal"));
        return 1;
    }
    measure("empty", 100, || {});
    let mut counter = 0u32;
    let out = &mut counter as *mut u32 as u32;
    // The lightest entry: a checked output word and the terminal's counter.
    measure("entry-round-trip-dukpt-status", 100, || {
        // SAFETY: a veneer call; `out` is a live Non-secure word.
        unsafe { raw::kfs_dukpt_status(out) };
    });
    let msg = [0x41u8; 112];
    measure("dukpt-transaction-through-boundary", 10, || {
        let Ok(tx) = kf.dukpt_begin() else { return };
        let (mut blk, mut enc, mut tag) = ([0u8; 16], [0u8; 32], [0u8; 16]);
        let _ = kf.dukpt_encrypt_pin(&tx, b"1234", b"4111111111111111", &mut blk);
        let _ = kf.dukpt_encrypt_data(&tx, &[0; 16], &msg[..32], &mut enc);
        let _ = kf.dukpt_cmac(&tx, &msg, &mut tag);
        let _ = kf.dukpt_end(tx);
    });
    line(format_args!("bench-done"));
    systick::stop();
    0
}
