//! BENCH.md from the measurements of `./x bench`: one writer per section, run in the
//! order of [`SECTIONS`]; each reads what it needs from [`Measured`].
//!
//! - `targets`: the target tables (issue 14, issue 9), each line met or not;
//! - `on_target`: instruction counts, stack and sizes on the QEMU boards;
//! - `host`: ns per operation, the peers, the key store;
//! - `sources`: sections measured by other parts of keyfort (see [`sources::SOURCES`]):
//!   to add one, write a `fn(&mut Ctx) -> Result<sources::Table, String>` and add one line.
mod host;
mod on_target;
pub mod sources;
mod targets;

use crate::{
    bench_host::{self, HostBench},
    bench_target::{BoardBench, Sizes},
    ctx::Ctx,
    sh,
};
use std::{fmt::Write as _, process::Command};

/// Everything a section may read.
pub struct Measured<'a> {
    /// The context (repository root, firmware route).
    pub ctx: &'a Ctx,
    /// On-target instruction counts, per board.
    pub boards: &'a [BoardBench],
    /// Size rows per target triple.
    pub sizes: &'a [(&'a str, SizeRows)],
    /// The demo firmware on the Cortex-M0.
    pub demo: &'a DemoFit,
    /// Host timings.
    pub host: &'a HostBench,
    /// The other sources' tables (or why each was not measured), in [`sources::SOURCES`] order.
    pub extra: &'a [Result<sources::Table, String>],
    /// How long the run took, seconds.
    pub secs: u64,
}

/// The demo terminal firmware on the microbit (sections, and its real peak stack from its
/// own painted-stack mark, as in `demo-verify`), the KW demo's sections, and the self-test
/// firmware's stack high-water mark there.
pub struct DemoFit {
    pub terminal: Sizes,
    pub terminal_stack: Result<crate::demo::StackPeak, String>,
    pub kw_demo: Sizes,
    /// `(used, size)`, or how the run ended when it printed no mark.
    pub selftest_stack: Result<(u64, u64), String>,
    pub selftest_static: Sizes,
}

/// Size rows of one target: (binary, profile, sizes).
pub type SizeRows = Vec<(String, String, Sizes)>;

/// A section writer.
type Writer = fn(&mut String, &Measured);

/// BENCH.md's sections, in order.
const SECTIONS: &[Writer] = &[
    header,
    targets::issue14,
    targets::issue9,
    on_target::kw_table,
    on_target::other_ops,
    on_target::vs_aes_table,
    on_target::wrap_stack,
    on_target::firmware_sizes,
    host::ns_table,
    host::dukpt_vs_aes,
    host::paysec,
    host::per_second,
    host::python_peers,
    host::store,
    sources::write_all,
];

/// The whole report.
pub fn render(m: &Measured) -> String {
    let mut r = String::new();
    for w in SECTIONS {
        w(&mut r, m);
    }
    r
}

/// KW/KWP operations with an `aes-kw` peer: (keyfort op, peer op, semiblocks n, AES
/// calls the standard needs).
pub(super) const WRAP_OPS: &[(&str, &str, usize)] = &[
    ("kw-wrap-128", "aeskw-kw-wrap-128", 12),
    ("kw-unwrap-128", "aeskw-kw-unwrap-128", 12),
    ("kwp-wrap-128", "aeskw-kwp-wrap-128", 12),
    ("kwp-unwrap-128", "aeskw-kwp-unwrap-128", 12),
    ("kw-wrap-256", "aeskw-kw-wrap-256", 24),
    ("kw-unwrap-256", "aeskw-kw-unwrap-256", 24),
    ("kwp-wrap-256", "aeskw-kwp-wrap-256", 24),
    ("kwp-unwrap-256", "aeskw-kwp-unwrap-256", 24),
    ("kw-wrap+ks-128", "aeskw-kw-wrap+ks-128", 12),
    ("kw-wrap+ks-256", "aeskw-kw-wrap+ks-256", 24),
];

/// The other on-target operations (no peer in the same firmware).
pub(super) const OTHER_OPS: &[(&str, &str)] = &[
    (
        "aes128-key-schedule",
        "AES-128 key schedule (`keyfort::block::Aes`: keyfort-aes, its assembly on M3/M4/M33 and its portable model on M0)",
    ),
    (
        "aes128-encrypt-block",
        "AES-128 encrypt one block (average of 12 in a row)",
    ),
    (
        "aes128-decrypt-block",
        "AES-128 decrypt one block (average of 12 in a row)",
    ),
    ("aes256-key-schedule", "AES-256 key schedule"),
    (
        "keyfort-aes128-key-schedule",
        "AES-128 key schedule, keyfort-aes alone (`keyfort_aes::Aes::new` and its drop, which wipes the round keys; no `block::Aes` wrapper, no stack scrub)",
    ),
    (
        "keyfort-aes256-key-schedule",
        "AES-256 key schedule, keyfort-aes alone",
    ),
    (
        "aes256-encrypt-block",
        "AES-256 encrypt one block (average of 12 in a row)",
    ),
    (
        "aes256-decrypt-block",
        "AES-256 decrypt one block (average of 12 in a row)",
    ),
    (
        "aes128-encrypt2",
        "AES-128 encrypt two blocks in one call (`Aes::encrypt2`, average of 12)",
    ),
    (
        "aes128-decrypt2",
        "AES-128 decrypt two blocks in one call (`Aes::decrypt2`, average of 12)",
    ),
    (
        "dukpt-aes-terminal-load",
        "AES DUKPT terminal: load initial key (32 registers)",
    ),
    (
        "dukpt-aes-terminal-tx-avg",
        "AES DUKPT terminal transaction + PIN key, average of first 40",
    ),
    (
        "dukpt-aes-terminal-tx-worst",
        "AES DUKPT terminal transaction + PIN key, worst of first 40",
    ),
    (
        "dukpt-aes-host-derive-1bit",
        "AES DUKPT host: BDK+KSN to PIN key, counter with 1 one-bit",
    ),
    (
        "dukpt-aes-host-derive-16bits",
        "AES DUKPT host: BDK+KSN to PIN key, 16 one-bits (worst)",
    ),
    (
        "dukpt-aes256-terminal-load",
        "AES-256 DUKPT terminal: load initial key (32 registers of 2 blocks)",
    ),
    (
        "dukpt-aes256-host-derive-16bits",
        "AES-256 DUKPT host: BDK+KSN to AES-256 PIN key, 16 one-bits",
    ),
    (
        "dukpt-tdes-host-derive-1bit",
        "TDES DUKPT host: BDK+KSN to PIN key, 1 one-bit",
    ),
    (
        "dukpt-tdes-host-derive-10bits",
        "TDES DUKPT host: BDK+KSN to PIN key, 10 one-bits (worst)",
    ),
    (
        "tr31-unwrap-d-aes256",
        "TR-31 unwrap, version D, AES-256 KBPK (TR-31:2018 A.7.4)",
    ),
    (
        "tr31-unwrap-b-tdes",
        "TR-31 unwrap, version B, TDES KBPK (TR-31:2018 A.7.2.2)",
    ),
    (
        "store-put-n4",
        "store: put (generate) a key, 4 keys, 4 x 1 KiB RAM flash (not on M0: RAM)",
    ),
    ("store-get-n4", "store: get (with_key), 4 keys"),
    ("store-open-n4", "store: open with 4 keys"),
    ("store-rotate-n4", "store: rotate a key, 4 keys"),
];

/// On-target operations next to the AES calls their standard requires: (op, what is
/// counted, key schedules, encryptions, decryptions, AES-256 or not).
pub(super) const VS_AES: &[(&str, &str, f64, f64, f64, bool)] = &[
    (
        "dukpt-aes-terminal-load",
        "1 key schedule (initial key) + 32 blocks (one per register)",
        1.0,
        32.0,
        0.0,
        false,
    ),
    (
        "dukpt-aes-terminal-tx-avg",
        "per transaction: 1 key schedule (the register's key) + 1 block (PIN key) + 0.95 blocks (new registers: counters 1..40 need 38)",
        1.0,
        1.95,
        0.0,
        false,
    ),
    (
        "dukpt-aes-terminal-tx-worst",
        "counter 32: 1 key schedule + 1 block (PIN key) + 5 blocks (registers 0..4)",
        1.0,
        6.0,
        0.0,
        false,
    ),
    (
        "dukpt-aes-host-derive-1bit",
        "2 key schedules + 3 blocks (initial key, 1 step, PIN key; BDK expanded beforehand)",
        2.0,
        3.0,
        0.0,
        false,
    ),
    (
        "dukpt-aes-host-derive-16bits",
        "17 key schedules + 18 blocks",
        17.0,
        18.0,
        0.0,
        false,
    ),
    (
        "dukpt-aes256-terminal-load",
        "AES-256: 1 key schedule + 64 blocks (two per register)",
        1.0,
        64.0,
        0.0,
        true,
    ),
    (
        "dukpt-aes256-host-derive-16bits",
        "AES-256: 17 key schedules + 36 blocks (two per derivation, 18 derivations)",
        17.0,
        36.0,
        0.0,
        true,
    ),
    (
        "tr31-unwrap-d-aes256",
        "AES-256: 3 key schedules (KBPK, KBEK, KBAK) + 5 blocks (CMAC subkey + 4 derived blocks) + 2 decryptions (payload) + 4 blocks (CMAC of 48 bytes, subkey included)",
        3.0,
        9.0,
        2.0,
        true,
    ),
];

/// Title, date, commit, machine, toolchains, how on-target counts are taken.
fn header(r: &mut String, m: &Measured) {
    let (ctx, boards, secs) = (m.ctx, m.boards, m.secs);
    let date = cmd_line(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]));
    let commit = cmd_line(
        Command::new("git")
            .current_dir(&ctx.root)
            .args(["describe", "--always", "--dirty"]),
    );
    let _ = writeln!(r, "# keyfort benchmarks\n");
    let _ = writeln!(
        r,
        "Generated by `./x bench` (xtask/src/bench*.rs); do not edit by hand.\n"
    );
    let _ = writeln!(
        r,
        "- date: {date}; keyfort commit `{commit}`; run took {secs} s"
    );
    let _ = writeln!(r, "- machine: {}", machine());
    let _ = writeln!(
        r,
        "- host toolchain: {}; firmware: {}",
        cmd_line(Command::new("rustc").arg("--version")),
        ctx.env.route.describe()
    );
    let _ = writeln!(
        r,
        "- QEMU: {}",
        cmd_line(Command::new("qemu-system-arm").arg("--version"))
    );
    let _ = writeln!(
        r,
        "- on target: instructions counted with `-icount shift=7` and SysTick on the core \
         clock, calibrated in the same run on a 2-instruction loop (QEMU models no cycles: \
         instructions, not cycles); firmware profile release (opt-level \"s\", LTO thin, \
         codegen-units 1). Peak stack: painted stack, bytes below the measuring frame \
         (values under ~100 bytes read as ~100).\n"
    );

    let cal: Vec<String> = boards
        .iter()
        .map(|b| format!("{} {:.3}", b.board.machine, b.ticks_per_instr))
        .collect();
    let _ = writeln!(
        r,
        "- SysTick ticks per instruction (calibration): {}\n",
        cal.join(", ")
    );
}

pub(super) fn cmd_line(cmd: &mut Command) -> String {
    sh::output(cmd)
        .and_then(|s| s.lines().next().map(|l| l.trim().to_string()))
        .unwrap_or_else(|| "?".into())
}

pub(super) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    let aesni = std::fs::read_to_string("/proc/cpuinfo")
        .map(|s| s.split_whitespace().any(|w| w == "aes"))
        .unwrap_or(false);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_else(|| "?".into());
    format!(
        "{cpu} ({cores} cores visible, AES-NI {}), {os}",
        if aesni { "yes" } else { "no" }
    )
}

pub(super) fn op(b: &BoardBench, name: &str) -> Option<f64> {
    b.ops.get(name).map(|o| o.instrs)
}

/// Operation `k`'s instructions on `b` over the AES calls its standard needs (`ks` key
/// schedules, `enc` encryptions, `dec` decryptions, of AES-256 if `wide`), each at the
/// cost of one `keyfort::block::Aes` call measured alone in the same run ([`VS_AES`]);
/// `None` when a figure is missing.
pub(super) fn vs_aes(
    b: &BoardBench,
    k: &str,
    ks: f64,
    enc: f64,
    dec: f64,
    wide: bool,
) -> Option<f64> {
    let (kn, en, dn) = if wide {
        (
            "aes256-key-schedule",
            "aes256-encrypt-block",
            "aes256-decrypt-block",
        )
    } else {
        (
            "aes128-key-schedule",
            "aes128-encrypt-block",
            "aes128-decrypt-block",
        )
    };
    let cost = ks * op(b, kn)? + enc * op(b, en)? + dec * op(b, dn)?;
    Some(op(b, k)? / cost)
}

pub(super) fn fmt_n(x: f64) -> String {
    let s = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(super) fn kib(x: u64) -> String {
    format!("{:.1} KiB", x as f64 / 1024.0)
}

pub(super) fn met(ok: bool) -> &'static str {
    if ok {
        "**met**"
    } else {
        "**not met**"
    }
}

/// The median of `v`, if any.
pub(super) fn median(v: Option<&Vec<f64>>) -> Option<f64> {
    v.filter(|v| !v.is_empty())
        .map(|v| bench_host::paysec::quantile(v, 0.5))
}
