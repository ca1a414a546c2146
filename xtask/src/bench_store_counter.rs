//! BENCH.md's counter-budget section: monotonic counter steps per store operation, as
//! `tests/tests/store_counter_budget.rs` measures and asserts them (the store manual's
//! "Rollback" states the window they give).
use crate::bench_report::sources::Table;
use crate::ctx::Ctx;
use crate::sh;
use std::process::Command;

/// Runs the counter-budget test (which asserts each row) and takes its table.
pub fn bench_section(ctx: &mut Ctx) -> Result<Table, String> {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(&ctx.root).args([
        "test",
        "-q",
        "-p",
        "keyfort-tests",
        "--test",
        "store_counter_budget",
        "counter_steps_per_operation_are_as_budgeted",
        "--",
        "--nocapture",
    ]);
    let out = sh::output(&mut cmd).ok_or("the counter-budget test failed")?;
    let rows = parse(&out);
    if rows.is_empty() {
        return Err("the counter-budget test printed no table".into());
    }
    Ok(Table {
        how: "host mock flash, 8 sectors of 4 KiB, 4 keys, a counter shared across \
              reboots; `tests/tests/store_counter_budget.rs` \
              (`counter_steps_per_operation_are_as_budgeted` asserts each row). Command: \
              `./x bench`."
            .into(),
        columns: vec![
            "operation".into(),
            "runs".into(),
            "counter steps / op".into(),
        ],
        rows,
        targets: Vec::new(),
    })
}

/// The rows of the test's Markdown table (header and rule skipped).
fn parse(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| operation"))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn table_rows_are_taken_and_the_header_is_not() {
        let out = "running 1 test\n| operation | runs | counter steps / op |\n|---|---:|---:|\n| format | 1 | 1.000 |\n| rotate | 1 | 1.000 |\ntest ok\n";
        assert_eq!(
            parse(out),
            vec![vec!["format", "1", "1.000"], vec!["rotate", "1", "1.000"]]
        );
        assert!(parse("no table here").is_empty());
    }
}
