//! Runs every on-target self-test (`keyfort_testkit::selftest::all()` and the board's), prints one
//! line per test and `N passed, N failed`, and exits QEMU with status 0 only if all passed.
#![no_std]
#![no_main]

use keyfort_firmware::{board, board_selftest};

#[cortex_m_rt::entry]
fn main() -> ! {
    board::stack::paint();
    defmt::println!(
        "keyfort self-test on {=str} ({=str})",
        board::MACHINE.name,
        board::MACHINE.core
    );
    let (mut passed, mut failed) = (0u32, 0u32);
    for t in keyfort_testkit::selftest::all().chain(board_selftest::TESTS) {
        match (t.run)() {
            Ok(()) => {
                passed += 1;
                defmt::println!("test {=str} ... ok", t.name);
            }
            Err(msg) => {
                failed += 1;
                defmt::println!("test {=str} ... FAILED: {=str}", t.name, msg);
            }
        }
    }
    let (used, size) = (board::stack::used(), board::stack::size());
    if used >= size {
        failed += 1;
        defmt::println!("test board::stack_within_ram ... FAILED: stack overflow");
    } else {
        passed += 1;
        defmt::println!(
            "test board::stack_within_ram ... ok ({=usize} of {=usize} bytes used)",
            used,
            size
        );
    }
    defmt::println!("{=u32} passed, {=u32} failed", passed, failed);
    board::exit(if failed == 0 { 0 } else { board::EXIT_FAILED })
}
