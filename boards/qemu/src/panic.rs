//! Panic handler: prints where the panic happened and exits QEMU with
//! [`crate::EXIT_PANIC`]. The panic *message* is not printed: a message can carry
//! formatted data, and nothing that could be key material may reach the log.

use core::panic::PanicInfo;

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    match info.location() {
        Some(l) => defmt::println!(
            "PANIC at {=str}:{=u32} (message withheld: it may carry data)",
            l.file(),
            l.line()
        ),
        None => defmt::println!("PANIC (no location; message withheld)"),
    }
    crate::exit(crate::EXIT_PANIC)
}

/// A fault (bad memory access, undefined instruction, stack overflow into a fault) ends
/// the run at once instead of looping until the runner's timeout.
// `unsafe fn`: the signature cortex-m-rt requires for HardFault; it reads nothing unsafely.
#[allow(unsafe_code)]
#[cortex_m_rt::exception]
unsafe fn HardFault(ef: &cortex_m_rt::ExceptionFrame) -> ! {
    defmt::println!("HARDFAULT at pc={=u32:#010x}", ef.pc());
    crate::exit(crate::EXIT_PANIC)
}
