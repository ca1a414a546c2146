//! Host tables: ns per operation next to the peers, the paysec-dukpt comparison, the
//! key store's time and flash wear.
use super::{bench_host, fmt_n, median, Measured};
use std::fmt::Write as _;

/// ns per operation, keyfort next to its peers.
pub(super) fn ns_table(r: &mut String, m: &Measured) {
    let host = m.host;
    // Host.
    let _ = writeln!(r, "## Host: ns per operation\n");
    let rounds = host.stats.values().map(|s| s.rounds).max().unwrap_or(0);
    let _ = writeln!(
        r,
        "keyfort and `aes-kw` in one process (`bench/src/main.rs`, AES-NI / VAES through the \
         `aes` crate's run-time detection); Python peers in the same run (`bench/peers.py`). \
         How: each operation is timed in {rounds} rounds of a batch of calls sized to about \
         0.2 ms (short against a scheduler time slice, so on this shared machine most \
         batches run undisturbed and a preempted one is an outlier); keyfort and its \
         `aes-kw` counterpart run back to back in every round, in alternating order. \
         `keyfort ns` is the median over rounds with the interquartile range and the fastest round; for `aes-kw` \
         the ratio is the median of the per-round ratios (so a slow moment of the machine \
         hits both sides of it), with its quartiles. Python peers: best of their own \
         repeats. Ratio = peer time / keyfort time (above 1: keyfort is faster). Single \
         thread; derivations per second per core = 1e9 / median ns.\n"
    );
    let _ = writeln!(
        r,
        "| operation | keyfort ns, median (IQR) | peer | peer ns | peer / keyfort |\n|---|---:|---|---:|---:|"
    );
    let rows: &[(&str, &[(&str, &str)])] = &[
        (
            "kw-wrap-128",
            &[
                ("aeskw-kw-wrap-128", "aes-kw"),
                ("openssl-kw-wrap-128", "pyca/cryptography"),
            ],
        ),
        (
            "kw-unwrap-128",
            &[
                ("aeskw-kw-unwrap-128", "aes-kw"),
                ("openssl-kw-unwrap-128", "pyca/cryptography"),
            ],
        ),
        (
            "kwp-wrap-128",
            &[
                ("aeskw-kwp-wrap-128", "aes-kw"),
                ("openssl-kwp-wrap-128", "pyca/cryptography"),
            ],
        ),
        (
            "kwp-unwrap-128",
            &[
                ("aeskw-kwp-unwrap-128", "aes-kw"),
                ("openssl-kwp-unwrap-128", "pyca/cryptography"),
            ],
        ),
        (
            "kw-wrap-256",
            &[
                ("aeskw-kw-wrap-256", "aes-kw"),
                ("openssl-kw-wrap-256", "pyca/cryptography"),
            ],
        ),
        (
            "kw-unwrap-256",
            &[
                ("aeskw-kw-unwrap-256", "aes-kw"),
                ("openssl-kw-unwrap-256", "pyca/cryptography"),
            ],
        ),
        (
            "kwp-wrap-256",
            &[
                ("aeskw-kwp-wrap-256", "aes-kw"),
                ("openssl-kwp-wrap-256", "pyca/cryptography"),
            ],
        ),
        (
            "kwp-unwrap-256",
            &[
                ("aeskw-kwp-unwrap-256", "aes-kw"),
                ("openssl-kwp-unwrap-256", "pyca/cryptography"),
            ],
        ),
        ("kw-wrap+ks-128", &[("aeskw-kw-wrap+ks-128", "aes-kw")]),
        ("kw-wrap+ks-256", &[("aeskw-kw-wrap+ks-256", "aes-kw")]),
        (
            "dukpt-aes-host-derive-1bit",
            &[("pyref-aes-dukpt-derive-1bit", "Python X9.24-3 on OpenSSL")],
        ),
        (
            "dukpt-aes-host-derive-8bits",
            &[("pyref-aes-dukpt-derive-8bits", "Python X9.24-3 on OpenSSL")],
        ),
        (
            "dukpt-aes-host-derive-16bits",
            &[("pyref-aes-dukpt-derive-16bits", "Python X9.24-3 on OpenSSL")],
        ),
        (
            "dukpt-tdes-host-derive-1bit",
            &[
                ("pydukpt-tdes-dukpt-derive-1bit", "pydukpt 0.1.0"),
                ("dukpt101-tdes-dukpt-derive-1bit", "dukpt 1.0.1"),
            ],
        ),
        (
            "dukpt-tdes-host-derive-8bits",
            &[
                ("pydukpt-tdes-dukpt-derive-8bits", "pydukpt 0.1.0"),
                ("dukpt101-tdes-dukpt-derive-8bits", "dukpt 1.0.1"),
            ],
        ),
        (
            "dukpt-tdes-host-derive-10bits",
            &[
                ("pydukpt-tdes-dukpt-derive-10bits", "pydukpt 0.1.0"),
                ("dukpt101-tdes-dukpt-derive-10bits", "dukpt 1.0.1"),
            ],
        ),
    ];
    for (k, peers) in rows {
        let Some(kf) = host.ns.get(*k) else { continue };
        let kf_cell = host.stats.get(*k).map_or(format!("{kf:.0}"), |s| {
            format!(
                "{:.0} ({:.0}-{:.0}; min {:.0})",
                s.median, s.p25, s.p75, s.min
            )
        });
        for (i, (p, label)) in peers.iter().enumerate() {
            let first = if i == 0 {
                format!("{k} | {kf_cell}")
            } else {
                " | ".to_string()
            };
            let pair = host.ratios.get(&(k.to_string(), p.to_string()));
            match (host.ns.get(*p), pair) {
                (Some(pn), Some(x)) => {
                    let _ = writeln!(
                        r,
                        "| {first} | {label} | {pn:.0} | {:.2} (IQR {:.2}-{:.2}) |",
                        1.0 / x.median,
                        1.0 / x.p75,
                        1.0 / x.p25
                    );
                }
                (Some(pn), None) => {
                    let _ = writeln!(r, "| {first} | {label} | {pn:.0} | {:.2} |", pn / kf);
                }
                (None, _) => {
                    let _ = writeln!(r, "| {first} | {label} | not run | - |");
                }
            }
        }
    }
}

/// The host DUKPT derivation next to the AES calls X9.24-3 requires.
pub(super) fn dukpt_vs_aes(r: &mut String, m: &Measured) {
    let host = m.host;
    // How close the host DUKPT derivation is to its AES calls.
    if let (Some(ks), Some(blk)) = (
        host.ns.get("aes128-key-schedule"),
        host.ns.get("aes128-encrypt-block"),
    ) {
        let _ = writeln!(
            r,
            "\nAES DUKPT host derivation vs the AES calls X9.24-3 requires for it (AES-128 BDK \
             and keys, counter with b one-bits: b + 2 block encryptions (initial key, one per \
             one-bit, the working key) and b + 1 key schedules (the initial key and each \
             intermediate key), at this run's median cost of one call of the `aes` crate: \
             key schedule {ks:.1} ns, one block {blk:.1} ns):\n\n\
             | operation | AES calls | their cost, ns | keyfort ns | keyfort / AES calls |\n|---|---|---:|---:|---:|"
        );
        for (k, b) in [
            ("dukpt-aes-host-derive-1bit", 1.0),
            ("dukpt-aes-host-derive-8bits", 8.0),
            ("dukpt-aes-host-derive-16bits", 16.0),
        ] {
            if let Some(kf) = host.ns.get(k) {
                let cost = (b + 2.0) * blk + (b + 1.0) * ks;
                let _ = writeln!(
                    r,
                    "| {k} | {} blocks + {} key schedules | {cost:.0} | {kf:.0} | {:.2} |",
                    b + 2.0,
                    b + 1.0,
                    kf / cost
                );
            }
        }
        let _ = writeln!(
            r,
            "\nHow: on a CPU with AES-NI an AES-128 chain \
             runs on keyfort-aes's lane engine (`keyfort_aes::lanes`, through \
             `block::AesLanes128`): the whole chain from the BDK to the derivation key is \
             one call (`chain128`), each step's key expanded on the fly inside its one block \
             (`AESENCLAST` makes each round key's `SubWord`) and kept in a vector register, \
             so no key schedule is built, stored or wiped, and the BDK is kept as its 16 \
             bytes. Other key sizes, and CPUs without AES-NI: each step's schedule is \
             encryption-only and expanded straight into a local wiped when the step ends \
             (`block::AesEnc::with_key`). Either way keyfort's hygiene is in the figure: one \
             stack scrub per derivation after the whole chain (`dukpt::aes::host::scrubbed`: \
             512 bytes on the lane engine, 8 KiB on schedules; `tests/tests/dukpt_stack.rs` \
             reads the stack back and finds no key of the chain), the returned key's own \
             scrub when the benchmark drops it, the initial and intermediate keys in wiped \
             holders. Target <= 1.2x: see the \
             targets of issue 14 at the top."
        );
    }
}

/// The paysec-dukpt comparison (separate process).
pub(super) fn paysec(r: &mut String, m: &Measured) {
    let host = m.host;
    let p = &host.paysec;
    let _ = writeln!(
        r,
        "\n### AES DUKPT vs paysec-dukpt 0.2.0 (a separate process)\n\n\
         `paysec-dukpt` 0.2.0 (crates.io, GPL-3.0, with `paysec-crypto-rustcrypto` 0.3.0: \
         RustCrypto's `aes` with AES-NI) is a Rust AES DUKPT implementation. It is never a \
         dependency of any keyfort crate: `./x bench` writes a scratch crate under \
         `target/paysec-peer/` (its own `[workspace]`, outside keyfort's; its `main` is \
         `xtask/src/bench_paysec_peer.rs.in`), builds it, and runs it as a separate process \
         (`xtask/src/bench_paysec.rs`). Both sides first print the AES-128 PIN keys of the \
         same KSNs (three fixed ones and the whole stream; keyfort's stream keys through \
         its batch API), which must be identical or paysec is not timed. Then process \
         slices alternate keyfort (`keyfort-bench peer-time`) and paysec, the order \
         reversed every other slice; each slice times every operation in 15 rounds of \
         about 0.2 ms batches (the stream: 4 passes, each timed in chunks of 128 \
         transactions, the pass's value its median chunk, so a preempted chunk on this \
         shared machine is dropped). ns = median over all rounds; ratio = paysec / keyfort \
         per slice (slice medians), median over slices, with the range. paysec's API takes \
         the BDK bytes for every derivation (it expands the BDK each time and a full \
         encrypt+decrypt schedule per block); `derive-bdk-*` does the same work on \
         keyfort's side (`AesBdk::new` + `working_key`).\n"
    );
    if let Some(why) = &p.skipped {
        let _ = writeln!(r, "paysec-dukpt did not run: {why}\n");
        return;
    }
    let _ = writeln!(
        r,
        "Keys identical for {} KSNs. Stream: {} transactions from {} terminals, each a random \
         terminal and a random non-zero counter with at most 16 one-bits (fixed seed).\n",
        fmt_n(p.keys_checked as f64),
        fmt_n(bench_host::paysec::TRANSACTIONS as f64),
        fmt_n(f64::from(bench_host::paysec::TERMINALS))
    );
    let _ = writeln!(
        r,
        "| keyfort operation | paysec operation | what | keyfort ns | paysec ns | paysec / keyfort (range over slices) | keyfort /s/core | paysec /s/core |\n|---|---|---|---:|---:|---:|---:|---:|"
    );
    for (a, b, what) in bench_host::paysec::PAIRS {
        let (Some(x), Some(y)) = (median(p.keyfort.get(*a)), median(p.paysec.get(*b))) else {
            continue;
        };
        let rr = p.ratios.get(&(a.to_string(), b.to_string()));
        let cell = rr.map_or("-".into(), |v| {
            format!(
                "{:.2} ({:.2}-{:.2})",
                1.0 / bench_host::paysec::quantile(v, 0.5),
                1.0 / bench_host::paysec::quantile(v, 1.0),
                1.0 / bench_host::paysec::quantile(v, 0.0)
            )
        });
        let _ = writeln!(
            r,
            "| {a} | {b} | {what} | {x:.0} | {y:.0} | {cell} | {} | {} |",
            fmt_n(1e9 / x),
            fmt_n(1e9 / y)
        );
    }
    let _ = writeln!(r);
}

/// DUKPT derivations per second per core.
pub(super) fn per_second(r: &mut String, m: &Measured) {
    let host = m.host;
    let _ = writeln!(r, "\nDUKPT derivations per second per core (keyfort):");
    for (k, v) in &host.ns {
        if k.starts_with("dukpt-") {
            let _ = writeln!(r, "- {k}: {} /s", fmt_n(1e9 / v));
        }
    }
}

/// What the Python peers are.
pub(super) fn python_peers(r: &mut String, m: &Measured) {
    let host = m.host;
    let _ = writeln!(
        r,
        "\nPeers: pyca/cryptography's `aes_key_wrap` runs the RFC 3394 loop in Python over \
         OpenSSL AES-ECB (its time is mostly Python). The AES DUKPT peer is a plain Python \
         reading of X9.24-3 over OpenSSL AES (in `bench/peers.py`, checked against the \
         X9.24-3 supplement vector before timing): no independent AES DUKPT implementation \
         is published on the registries reachable here (PyPI's `dukpt` and `pydukpt` are \
         TDES only; npm's `dukpt` \"AES\" mode is IDTech's TDES-keyed scheme). Python \
         notes: {}.\n",
        if host.notes.is_empty() {
            "-".to_string()
        } else {
            host.notes.join("; ")
        }
    );
}

/// The key store on the mock flash.
pub(super) fn store(r: &mut String, m: &Measured) {
    let host = m.host;
    let _ = writeln!(
        r,
        "## Key store: time and flash wear per operation (host, MockFlash)\n\n\
         `KeyStore` on the store's `MockFlash` (8 sectors of 4 KiB; it counts programmed \
         bytes and erased sectors), N keys (AES-128, no use limit), `NoCounter`. `open` \
         re-opens an image holding N keys; `rotate` rotates each key once (compactions \
         included when a sector fills); `format` erases every sector. The store holds at \
         most 32 key versions, and a compaction writes every live record and the audit \
         ring into one sector: a 4 KiB sector holds about 22 key versions next to a full \
         audit ring (the store's documented capacities), so with N = 16 the rotation \
         stops with `Full` part of the way (the run's notes say where) and has no row. \
         On-target instruction counts of the same operations (N = 4, RAM-backed flash, \
         not on the Cortex-M0: it does not fit its 16 KiB with the flash in RAM) are in \
         the table above.\n"
    );
    let _ = writeln!(
        r,
        "| operation | ns / op | flash bytes written / op | sectors erased / op |\n|---|---:|---:|---:|"
    );
    for (name, ns, bytes, erased) in &host.store {
        let _ = writeln!(r, "| {name} | {ns:.0} | {bytes:.0} | {erased:.2} |");
    }
}
