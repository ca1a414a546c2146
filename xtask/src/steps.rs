//! The test plan: named steps run in order, each timed, then a summary.
//!
//! To add a step, write a `fn(&mut Ctx) -> Outcome` (in its own module if it is more than
//! a few lines) and add ONE line to [`TEST_STEPS`].
use crate::{
    boards::Board, checks, ct_trace, demo, demo_persistence, fuzz, ontarget, published,
    toolchain::Env,
};
use std::{path::PathBuf, time::Instant};

/// How a step ended.
#[derive(Debug)]
pub enum Outcome {
    /// Passed; the note says what it covered.
    Pass(String),
    /// Not run, on purpose (the reason is shown); does not fail the command.
    Skip(String),
    /// Failed; the reason is shown.
    Fail(String),
}

/// Turns a `Result` into an outcome.
pub fn from(r: Result<String, String>) -> Outcome {
    match r {
        Ok(s) => Outcome::Pass(s),
        Err(e) => Outcome::Fail(e),
    }
}

/// One board's on-target results, for the summary.
#[derive(Debug)]
pub struct BoardResult {
    /// The board.
    pub board: &'static Board,
    /// Tests passed and failed, if the firmware got to its closing line.
    pub counts: Option<(u32, u32)>,
    /// How the run ended, for people.
    pub ending: String,
}

/// State shared by the steps.
#[derive(Debug)]
pub struct Ctx {
    /// The repository root.
    pub root: PathBuf,
    /// What setup found.
    pub env: Env,
    /// Filled by the on-target step.
    pub boards: Vec<BoardResult>,
}

/// A named step.
pub struct Step {
    /// Shown in the progress lines and the summary.
    pub name: &'static str,
    /// Runs it.
    pub run: fn(&mut Ctx) -> Outcome,
}

/// What `./x test` runs, in order.
pub const TEST_STEPS: &[Step] = &[
    Step {
        name: "fmt (host + firmware workspaces)",
        run: checks::fmt,
    },
    Step {
        name: "clippy (host workspace)",
        run: checks::clippy_host,
    },
    Step {
        name: "clippy (firmware, 4 targets + nrf52840)",
        run: checks::clippy_firmware,
    },
    Step {
        name: "host tests",
        run: checks::host_tests,
    },
    Step {
        name: "gen --check (keyfort-aes assembly + S-box model = their generators' output)",
        run: crate::gen::step,
    },
    Step {
        name: "capi: header drift, C99 + C++ compile",
        run: crate::capi::header_step,
    },
    Step {
        name: "capi: host C tests (vectors, bad inputs; ASan + UBSan)",
        run: crate::capi::c_tests_step,
    },
    Step {
        name: "capi: C firmware on mps2-an386 + microbit, host verifies transactions",
        run: crate::capi::firmware_step,
    },
    Step {
        name: "packaging (cargo package: keyfort-aes, keyfort, board crates)",
        run: published::packaging,
    },
    Step {
        name: "msrv (rust-version = the dependencies' highest, builds core)",
        run: published::msrv,
    },
    Step {
        name: "docs (cargo doc --all-features, warnings denied)",
        run: published::docs,
    },
    Step {
        name: "no-wipe-not-a-feature (a dependent cannot turn the wipes off)",
        run: published::no_wipe_not_a_feature,
    },
    Step {
        name: "firmware build (4 targets)",
        run: checks::firmware_build,
    },
    Step {
        name: "nrf52840 board build",
        run: checks::nrf52840_build,
    },
    Step {
        name: "firmware template outside the workspace (M4F + M0)",
        run: crate::template::step,
    },
    Step {
        name: "runner self-check (fail, panic, fault, hang)",
        run: ontarget::runner_check,
    },
    Step {
        name: "on-target self-tests (4 QEMU boards)",
        run: ontarget::selftests,
    },
    Step {
        name: "ct-trace (unwrap and AES block instruction traces, M0 + M3 + M4)",
        run: ct_trace::step,
    },
    Step {
        name: "ct-data (instruction + data addresses under unicorn, M0 + M4)",
        run: crate::ct_data::step,
    },
    Step {
        name: "memscan: keys gone from RAM and flash",
        run: crate::memscan::step,
    },
    Step {
        name: "memscan: tamper wipe across a power cut",
        run: crate::memscan::tamper_cut_step,
    },
    Step {
        name: "persistence: power-cut campaign at flash operations (M3 + M33)",
        run: demo_persistence::step,
    },
    Step {
        name: "demo-verify (terminal on microbit)",
        run: demo::verify_step,
    },
    Step {
        name: "tz: Non-secure load/store/jump into Secure faults (mps2-an505)",
        run: crate::tz::faults_step,
    },
    Step {
        name: "tz: bad pointers refused at every Secure entry",
        run: crate::tz::boundary_step,
    },
    Step {
        name: "tz: no key in registers after Secure entries (+ no-clear control)",
        run: crate::tz::registers_step,
    },
    Step {
        name: "tz: demo across the boundary (mps2-an505), scans after tamper",
        run: demo::tz_step,
    },
    Step {
        name: "fuzz (10 s per target)",
        run: fuzz::run_all,
    },
];

/// Runs `steps`, prints the summary, and returns true if none failed.
pub fn run(ctx: &mut Ctx, steps: &[&Step]) -> bool {
    let started = Instant::now();
    let mut results = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        println!("\n==> [{}/{}] {}", i + 1, steps.len(), s.name);
        let t = Instant::now();
        let out = (s.run)(ctx);
        let secs = t.elapsed().as_secs_f64();
        match &out {
            Outcome::Pass(n) => println!("<== PASS {} ({secs:.1} s) {n}", s.name),
            Outcome::Skip(n) => println!("<== SKIP {} ({secs:.1} s) {n}", s.name),
            Outcome::Fail(n) => println!("<== FAIL {} ({secs:.1} s) {n}", s.name),
        }
        results.push((s.name, out, secs));
    }
    summary(ctx, &results, started.elapsed().as_secs_f64())
}

fn summary(ctx: &Ctx, results: &[(&str, Outcome, f64)], total: f64) -> bool {
    println!("\n==================== keyfort test summary ====================");
    println!("firmware toolchain: {}", ctx.env.route.describe());
    if !ctx.boards.is_empty() {
        println!("on-target self-tests:");
        for b in &ctx.boards {
            let label = format!("{} ({})", b.board.machine, b.board.core);
            match b.counts {
                Some((p, f)) => println!("  {label:<26} {p} passed, {f} failed  [{}]", b.ending),
                None => println!("  {label:<26} no result  [{}]", b.ending),
            }
        }
    }
    println!("steps:");
    let (mut pass, mut fail, mut skip) = (0, 0, 0);
    for (name, out, secs) in results {
        let (tag, note) = match out {
            Outcome::Pass(n) => {
                pass += 1;
                ("PASS", n)
            }
            Outcome::Skip(n) => {
                skip += 1;
                ("SKIP", n)
            }
            Outcome::Fail(n) => {
                fail += 1;
                ("FAIL", n)
            }
        };
        println!("  {tag}  {name:<42} {secs:>6.1} s  {note}");
    }
    println!("total time: {total:.0} s");
    println!("steps: {pass} passed, {fail} failed, {skip} skipped");
    fail == 0
}
