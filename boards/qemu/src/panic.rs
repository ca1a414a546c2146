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
