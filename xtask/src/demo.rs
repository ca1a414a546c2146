//! The host side of `./x demo`: builds the demo firmware, runs it on every QEMU board in
//! its own persistent device directory (`target/devices/<machine>-demo`), and prints
//! what each board did.
use crate::{
    boards::BOARDS,
    checks,
    qemu::{self, Cut, Ending, Run},
    steps::Ctx,
    toolchain::firmware_elf,
};
use std::time::Duration;

/// Runs the demo; false if any board failed.
pub fn run(ctx: &mut Ctx) -> bool {
    println!(
        "\n==> building the demo firmware for {} boards",
        BOARDS.len()
    );
    if let Err(e) = checks::build_firmware(ctx) {
        println!("demo: build failed: {e}");
        return false;
    }
    let mut ok = true;
    for b in BOARDS {
        println!("\n--- {} ({}, {}) ---", b.machine, b.core, b.target);
        let device = ctx
            .root
            .join("target")
            .join("devices")
            .join(format!("{}-demo", b.machine));
        let r = qemu::provision_device(&device).and_then(|()| {
            qemu::run(&Run {
                board: b,
                elf: firmware_elf(&ctx.root, ctx.env.route, b.target, "bin", "demo"),
                device,
                timeout: Duration::from_secs(60),
                cut: Cut::default(),
                echo: Some("  ".into()),
            })
        });
        match r {
            Ok(out) if out.ending == Ending::Exited(0) => {}
            Ok(out) => {
                ok = false;
                println!("  demo failed on {}: {}", b.machine, out.describe());
            }
            Err(e) => {
                ok = false;
                println!("  demo failed on {}: {e}", b.machine);
            }
        }
    }
    println!(
        "\ndemo: {}",
        if ok {
            "all boards OK"
        } else {
            "FAILED on some board"
        }
    );
    ok
}
