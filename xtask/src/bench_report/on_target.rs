//! On-target tables: instructions, peak stack and sizes on the QEMU boards.
use super::{fmt_n, op, vs_aes, Measured, OTHER_OPS, VS_AES, WRAP_OPS};
use crate::bench_target::{self, SIZE_BINS};
use std::fmt::Write as _;

/// KW/KWP: keyfort vs aes-kw per board, and vs the bare AES calls.
pub(super) fn kw_table(r: &mut String, m: &Measured) {
    let boards = m.boards;
    // KW/KWP table.
    let _ = writeln!(r, "## KW / KWP on target: instructions per operation\n");
    let _ = writeln!(
        r,
        "keyfort vs RustCrypto `aes-kw` 0.3 in the same firmware (ratio = keyfort / aes-kw; \
         below 1 is faster). `-128`: 16-byte key under an AES-128 KEK; `-256`: 32-byte key \
         under an AES-256 KEK; KEK expanded beforehand unless `+ks` (key schedule included). \
         `vs AES` = keyfort / (the 6n AES block calls the standard requires, each at the cost \
         of one `keyfort::block::Aes` call measured alone (average of 12 in a row), + the key \
         schedule for `+ks`): below 1 means the whole wrap costs less than 6n separate \
         block calls (inside the wrap the backend is set up once, see `BlockJob`).\n"
    );
    let _ = write!(r, "| operation |");
    for b in boards {
        let _ = write!(r, " {} keyfort | aes-kw | ratio | vs AES |", b.board.core);
    }
    let _ = write!(r, "\n|---|");
    for _ in boards {
        let _ = write!(r, "---:|---:|---:|---:|");
    }
    let _ = writeln!(r);
    for (k, p, calls) in WRAP_OPS {
        let _ = write!(r, "| {k} |");
        for b in boards {
            let wide = k.ends_with("256");
            let unwrap = k.contains("unwrap");
            let blk = op(
                b,
                match (wide, unwrap) {
                    (false, false) => "aes128-encrypt-block",
                    (false, true) => "aes128-decrypt-block",
                    (true, false) => "aes256-encrypt-block",
                    (true, true) => "aes256-decrypt-block",
                },
            );
            let ks = if k.contains("+ks") {
                op(
                    b,
                    if wide {
                        "aes256-key-schedule"
                    } else {
                        "aes128-key-schedule"
                    },
                )
            } else {
                Some(0.0)
            };
            let bare = match (blk, ks) {
                (Some(x), Some(y)) => Some(*calls as f64 * x + y),
                _ => None,
            };
            match (op(b, k), op(b, p)) {
                (Some(a), Some(c)) => {
                    let _ = write!(
                        r,
                        " {} | {} | {:.2} | {} |",
                        fmt_n(a),
                        fmt_n(c),
                        a / c,
                        bare.map_or("-".into(), |x| format!("{:.2}", a / x))
                    );
                }
                _ => {
                    let _ = write!(r, " - | - | - | - |");
                }
            }
        }
        let _ = writeln!(r);
    }
    let _ = writeln!(r);
}

/// The other operations: instructions and peak stack per board.
pub(super) fn other_ops(r: &mut String, m: &Measured) {
    let boards = m.boards;
    // Other ops.
    let _ = writeln!(
        r,
        "## Other operations on target: instructions (peak stack)\n"
    );
    let _ = write!(r, "| operation |");
    for b in boards {
        let _ = write!(r, " {} |", b.board.core);
    }
    let _ = write!(r, "\n|---|");
    for _ in boards {
        let _ = write!(r, "---:|");
    }
    let _ = writeln!(r);
    for (k, what) in OTHER_OPS {
        let _ = write!(r, "| {what} |");
        for b in boards {
            match b.ops.get(*k) {
                Some(o) => {
                    let _ = write!(r, " {} ({} B) |", fmt_n(o.instrs), o.stack);
                }
                None => {
                    let _ = write!(r, " - |");
                }
            }
        }
        let _ = writeln!(r);
    }
    let _ = writeln!(
        r,
        "\nNo peer runs these in the same firmware: no maintained Rust DUKPT or TR-31 crate \
         for `no_std` was found. The GPL-3.0 `paysec-dukpt` (std, host only) cannot be linked \
         into keyfort's firmware by policy; it is measured on the host as a separate process \
         (below).\n"
    );
}

/// The "vs AES" table: each operation's instructions over the cost of the AES calls its
/// standard requires, each call at its cost measured alone in the same run.
pub(super) fn vs_aes_table(r: &mut String, m: &Measured) {
    let boards = m.boards;
    let _ = writeln!(
        r,
        "### Other operations vs the AES calls their standard requires\n\n\
         keyfort's instructions / (the AES key schedules and block calls the standard needs \
         for the operation, each at the cost of one `keyfort::block::Aes` call measured alone \
         in the same run: the key schedule row, and the average single-block encrypt / \
         decrypt of 12 in a row). Below 1: cheaper than that many separate calls, because \
         independent blocks under one key go through the fixsliced AES two at a time \
         (`Aes::encrypt2`: two blocks cost about one); above 1: the rest is keyfort's own \
         work (key copies into wiped holders, a 1.5 KiB stack scrub after each dropped key \
         schedule, register bookkeeping, hex parsing and the MAC compare for TR-31). The \
         TDES and store rows are not broken down: no TDES block cost is measured here, and \
         the store's cost is mostly HMAC-SHA256 over its records and flash access, whose \
         SHA-256 cost is not measured on target.\n"
    );
    let _ = write!(r, "| operation | AES calls counted |");
    for b in boards {
        let _ = write!(r, " {} |", b.board.core);
    }
    let _ = write!(r, "\n|---|---|");
    for _ in boards {
        let _ = write!(r, "---:|");
    }
    let _ = writeln!(r);
    for (k, what, ks, enc, dec, wide) in VS_AES {
        let _ = write!(r, "| {k} | {what} |");
        for b in boards {
            match vs_aes(b, k, *ks, *enc, *dec, *wide) {
                Some(v) => {
                    let _ = write!(r, " {v:.2} |");
                }
                None => {
                    let _ = write!(r, " - |");
                }
            }
        }
        let _ = writeln!(r);
    }
    let _ = writeln!(r);
}

/// Peak stack of the KW/KWP operations.
pub(super) fn wrap_stack(r: &mut String, m: &Measured) {
    let boards = m.boards;
    // Stack of the wrap ops.
    let _ = writeln!(r, "## Peak stack per KW/KWP operation (bytes)\n");
    let _ = write!(r, "| operation |");
    for b in boards {
        let _ = write!(r, " {} keyfort | aes-kw |", b.board.core);
    }
    let _ = write!(r, "\n|---|");
    for _ in boards {
        let _ = write!(r, "---:|---:|");
    }
    let _ = writeln!(r);
    for (k, p, _) in WRAP_OPS {
        let _ = write!(r, "| {k} |");
        for b in boards {
            let s = |n: &str| b.ops.get(n).map_or("-".into(), |o| o.stack.to_string());
            let _ = write!(r, " {} | {} |", s(k), s(p));
        }
        let _ = writeln!(r);
    }
    let _ = writeln!(r);
}

/// Section sizes per feature, and the demo firmware's.
pub(super) fn firmware_sizes(r: &mut String, m: &Measured) {
    let (sizes, demo) = (m.sizes, m.demo);
    // Sizes.
    let _ = writeln!(r, "## Firmware size per feature\n");
    let _ = writeln!(
        r,
        "One small firmware per feature (`qemu/firmware/src/bin/bench_size_*.rs`); the \
         feature's cost is its sections minus the baseline's (board support, defmt logger, \
         semihosting). Bytes. Profile `{}`: opt-level \"z\" with \
         `--cfg sha2_backend_soft=\"compact\"` in the rustflags, the `sha2` crate's \
         loop (not unrolled) SHA-256: 6.5 to 9 KiB less `.text` on these cores, but SHA-256 \
         (store sealing, HMAC-DRBG, HMAC) slower (the store's operations took 1.15x to 1.3x \
         the instructions on Cortex-M3 in a trial); every speed row of this report is \
         measured without it.\n",
        bench_target::SIZE_Z_SHA2_COMPACT
    );
    for (target, rows) in sizes {
        let _ = writeln!(
            r,
            "### {target}\n\n| firmware | profile | .text | .rodata | .data+.bss | feature .text | feature .rodata | feature .data+.bss |\n|---|---|---:|---:|---:|---:|---:|---:|"
        );
        for (bin, profile, s) in rows {
            let base = rows
                .iter()
                .find(|x| x.0 == "bench_size_base" && &x.1 == profile)
                .map(|x| x.2)
                .unwrap_or_default();
            let what = SIZE_BINS.iter().find(|x| x.0 == bin).map_or("", |x| x.1);
            let _ = writeln!(
                r,
                "| {what} | {profile} | {} | {} | {} | {} | {} | {} |",
                s.text,
                s.rodata,
                s.data + s.bss,
                s.text as i64 - base.text as i64,
                s.rodata as i64 - base.rodata as i64,
                (s.data + s.bss) as i64 - (base.data + base.bss) as i64
            );
        }
        let _ = writeln!(r);
    }
    let _ = writeln!(
        r,
        "Demo terminal firmware (`terminal`, microbit): .text {} / .rodata {} / .data+.bss {}, \
         peak stack {}. KW demo firmware (`demo`): .text {} / .rodata {} / .data+.bss {}. \
         Self-test firmware (microbit): .data+.bss {}, stack high-water {}.\n",
        demo.terminal.text,
        demo.terminal.rodata,
        demo.terminal.data + demo.terminal.bss,
        demo.terminal_stack.as_ref().map_or_else(
            |e| format!("not measured ({e})"),
            |s| format!("{} of {} bytes", s.used, s.size)
        ),
        demo.kw_demo.text,
        demo.kw_demo.rodata,
        demo.kw_demo.data + demo.kw_demo.bss,
        demo.selftest_static.data + demo.selftest_static.bss,
        demo.selftest_stack
            .as_ref()
            .map_or_else(|e| e.clone(), |(u, s)| format!("{u} of {s} bytes"))
    );
}
