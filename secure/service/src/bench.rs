//! `./x tz-bench`, Secure side: when the device file `tz-mode` says `bench`, the same
//! service operations the Non-secure bench calls through the boundary are first timed
//! here, in-process (the Secure SysTick under `-icount`, calibrated in the same run):
//! defmt lines `bench-calib <n1> <ticks1> <n2> <ticks2>` and
//! `bench-op <name> <reps> <ticks>`.
use crate::api::bench_in_process;
use keyfort_secure_client::systick;

/// Runs the in-process measurements if the host asked for the bench.
pub fn in_process_if_asked() {
    let mut mode = [0u8; 16];
    let n = keyfort_board_qemu::read_host_file(c"tz-mode", &mut mode).unwrap_or(0);
    if mode.get(..n).map(<[u8]>::trim_ascii) != Some(b"bench".as_slice()) {
        return;
    }
    systick::start();
    let [n1, a, n2, b] = systick::calibrate();
    defmt::println!("bench-calib {=u32} {=u32} {=u32} {=u32}", n1, a, n2, b);
    bench_in_process(&mut |name, reps, f| {
        let t = systick::ticks(reps, f);
        defmt::println!("bench-op {=str} {=u32} {=u32}", name, reps, t);
    });
    systick::stop();
}
