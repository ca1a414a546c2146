//! Counter steps per store operation: how much of a hardware counter's range each
//! operation spends under the store's counter budget (the manual's "Rollback"). One
//! home for the figures: `tests/tests/store_counter_budget.rs` checks them and the store
//! benchmark prints them for BENCH.md.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)] // test data: bytes wrap on purpose
use super::{Dev, SharedCounter, TestRng, DEV_A};
use keyfort::attributes::{Algorithm, Usage};
use keyfort::store::{KeyHandle, KeyStore};
use keyfort::wrap::Kek;
use keyfort_testkit::MockFlash;

/// The flash the figures are for: 8 sectors of 4 KiB (the nRF52840's page size).
pub type StepsFlash = MockFlash<{ 8 * 4096 }, 4096>;
type S = KeyStore<(StepsFlash, Dev, TestRng, SharedCounter)>;

/// One row: the operation, how many times it ran, counter steps per run.
pub struct StepsRow {
    pub op: &'static str,
    pub runs: u32,
    pub steps_per_op: f64,
}

/// Runs each operation on a store with 4 keys and returns the counter steps it took.
pub fn counter_steps_per_op() -> Vec<StepsRow> {
    let c = SharedCounter::default();
    let mut rows = Vec::new();
    let mut row = |op, runs: u32, before: u32, after: u32| {
        rows.push(StepsRow {
            op,
            runs,
            steps_per_op: f64::from(after - before) / f64::from(runs),
        })
    };
    let now = |c: &SharedCounter| c.0.get();
    let b = now(&c);
    let mut s = S::format((StepsFlash::new(), Dev(DEV_A), TestRng(1), c.clone())).unwrap();
    row("format", 1, b, now(&c));
    for id in 1..=4u16 {
        let usage = Usage::ENCRYPT | Usage::DECRYPT | Usage::EXPORT;
        s.import(id, b"k", Algorithm::Aes128, usage, &[id as u8; 16], None)
            .unwrap();
    }
    let reopen = |s: S, seed| S::open((s.into_flash(), Dev(DEV_A), TestRng(seed), c.clone()));
    let b = now(&c);
    let mut s = reopen(s, 2).unwrap();
    row("open", 1, b, now(&c));
    let b = now(&c);
    s.put_state(1, &[1; 64]).unwrap();
    row("first write after open (a state write)", 1, b, now(&c));
    let b = now(&c);
    for i in 0..200u32 {
        s.put_state(1, &[i as u8; 64]).unwrap();
    }
    row("put_state, 64 B (compactions included)", 200, b, now(&c));
    let b = now(&c);
    for i in 0..200u32 {
        s.put_state(2, &[i as u8; 536]).unwrap();
    }
    row(
        "put_state, 536 B: an AES-128 DUKPT state at its largest (compactions included)",
        200,
        b,
        now(&c),
    );
    let b = now(&c);
    for i in 0..200u32 {
        s.put_state(2, &[i as u8; 1048]).unwrap();
    }
    row(
        "put_state, 1048 B: an AES-256 DUKPT state at its largest (compactions included)",
        200,
        b,
        now(&c),
    );
    let b = now(&c);
    s.generate(10, b"g", Algorithm::Aes128, Usage::ENCRYPT, None)
        .unwrap();
    row("generate", 1, b, now(&c));
    let b = now(&c);
    for _ in 0..10 {
        s.with_key(KeyHandle::newest(1), Usage::ENCRYPT, |_| ())
            .unwrap();
    }
    row("with_key (no use limit)", 10, b, now(&c));
    s.generate(11, b"l", Algorithm::Aes128, Usage::ENCRYPT, Some(100))
        .unwrap();
    let b = now(&c);
    for _ in 0..10 {
        s.with_key(KeyHandle::newest(11), Usage::ENCRYPT, |_| ())
            .unwrap();
    }
    row("with_key (use-limited: the use is counted)", 10, b, now(&c));
    let kek = Kek::new(
        &keyfort::key::TypedKey::<keyfort::key::KeyWrapUnwrap>::raw_aes(&[9; 32]).unwrap(),
    )
    .unwrap();
    let mut blob = [0u8; keyfort::store::backup::MAX_BACKUP_LEN];
    let b = now(&c);
    s.export_backup(KeyHandle::newest(2), &kek, &mut blob)
        .unwrap();
    row("export_backup", 1, b, now(&c));
    let b = now(&c);
    s.rotate(3).unwrap();
    row("rotate", 1, b, now(&c));
    let b = now(&c);
    s.revoke(3, 1).unwrap();
    row("revoke", 1, b, now(&c));
    let b = now(&c);
    s.destroy(4, None).unwrap();
    row("destroy (tombstone, then compaction)", 1, b, now(&c));
    let b = now(&c);
    s.tamper_wipe().unwrap();
    row("tamper_wipe", 1, b, now(&c));
    rows
}

/// The rows as a Markdown table (for BENCH.md).
pub fn counter_steps_table(rows: &[StepsRow]) -> String {
    let mut t = String::from("| operation | runs | counter steps / op |\n|---|---:|---:|\n");
    for r in rows {
        t.push_str(&format!(
            "| {} | {} | {:.3} |\n",
            r.op, r.runs, r.steps_per_op
        ));
    }
    t
}
