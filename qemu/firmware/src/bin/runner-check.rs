//! Checks the runner, not keyfort: does what the host file `mode` in the device directory
//! says (`fail`: one passing and one failing test; `panic`; `fault`: a HardFault; `hang`), so `./x test` can
//! prove that a failure, a panic and a hang each fail the run.
#![no_std]
#![no_main]

use keyfort_firmware::board;

#[cortex_m_rt::entry]
fn main() -> ! {
    let mut mode = [0u8; 8];
    let n = board::read_host_file(c"mode", &mut mode).unwrap_or(0);
    match &mode[..n] {
        b"fail" => {
            defmt::println!("test runner_check::passes ... ok");
            defmt::println!("test runner_check::fails ... FAILED: failing on purpose");
            defmt::println!("1 passed, 1 failed");
            board::exit(board::EXIT_FAILED)
        }
        b"panic" => {
            let v = core::hint::black_box(7u32);
            if v == 7 {
                panic!("panicking on purpose with {}", v);
            }
            board::exit(0)
        }
        b"fault" => {
            defmt::println!("executing an undefined instruction on purpose");
            cortex_m::asm::udf()
        }
        b"hang" => {
            defmt::println!("hanging on purpose");
            #[allow(clippy::empty_loop)]
            loop {}
        }
        _ => {
            defmt::println!("runner-check: no or unknown mode file");
            board::exit(2)
        }
    }
}
