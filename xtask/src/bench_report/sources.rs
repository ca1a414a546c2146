//! Sections measured by other parts of keyfort (the TrustZone boundary, the C API, the
//! layered store, ...), each from a function its owner supplies.
//!
//! To add a section: write `fn measure(ctx: &mut Ctx) -> Result<Table, String>` next to
//! the code it measures (it may build and run firmware; `Err` says why it could not
//! measure, and BENCH.md prints that instead of numbers) and add one [`Source`] line to
//! [`SOURCES`]. `./x bench` calls every `measure` after its own measurements and writes
//! one section per source, in this order, after the built-in sections. Each target a
//! source states goes in its own table, met or not.
use crate::steps::Ctx;
use std::fmt::Write as _;

/// A part of keyfort that measures its own BENCH.md section.
pub struct Source {
    /// The section's heading (without `##`).
    pub heading: &'static str,
    /// Measures; called once per `./x bench`.
    pub measure: fn(&mut Ctx) -> Result<Table, String>,
}

/// The sources, in report order (one line each).
pub const SOURCES: &[Source] = &[];

/// What a source measured.
#[derive(Debug, Default)]
pub struct Table {
    /// How it was measured (machine or board, command, what a number counts): printed
    /// under the heading.
    pub how: String,
    /// Column names; the first names the row.
    pub columns: Vec<String>,
    /// Rows, one cell per column.
    pub rows: Vec<Vec<String>>,
    /// The source's targets, each met or not.
    pub targets: Vec<Target>,
}

/// One target line.
#[derive(Debug)]
pub struct Target {
    /// What the target is, with the peer or bound it is measured against.
    pub what: String,
    /// Met or not.
    pub met: bool,
    /// The measured value or ratio.
    pub value: String,
}

/// Runs every source's `measure`, in [`SOURCES`] order.
pub fn measure_all(ctx: &mut Ctx) -> Vec<Result<Table, String>> {
    SOURCES
        .iter()
        .map(|s| {
            println!("==> {}", s.heading);
            let t = (s.measure)(ctx);
            if let Err(e) = &t {
                println!("  not measured: {e}");
            }
            t
        })
        .collect()
}

/// The section writer: one section per source.
pub(super) fn write_all(r: &mut String, m: &super::Measured) {
    for (s, t) in SOURCES.iter().zip(m.extra) {
        write_one(r, s.heading, t);
    }
}

fn write_one(r: &mut String, heading: &str, t: &Result<Table, String>) {
    let _ = writeln!(r, "\n## {heading}\n");
    let t = match t {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(r, "**not measured**: {e}");
            return;
        }
    };
    if !t.how.is_empty() {
        let _ = writeln!(r, "{}\n", t.how);
    }
    if !t.targets.is_empty() {
        let _ = writeln!(r, "| target | result | ratio / value |\n|---|---|---|");
        for x in &t.targets {
            let _ = writeln!(r, "| {} | {} | {} |", x.what, super::met(x.met), x.value);
        }
        let _ = writeln!(r);
    }
    if !t.columns.is_empty() {
        let _ = writeln!(r, "| {} |", t.columns.join(" | "));
        let _ = writeln!(
            r,
            "|---|{}",
            "---:|".repeat(t.columns.len().saturating_sub(1))
        );
        for row in &t.rows {
            let _ = writeln!(r, "| {} |", row.join(" | "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{write_one, Table, Target};

    #[test]
    fn a_table_renders_its_targets_and_rows() {
        let t = Table {
            how: "QEMU mps2-an505, `./x bench`".into(),
            columns: vec!["operation".into(), "instructions".into()],
            rows: vec![vec!["round trip".into(), "1,234".into()]],
            targets: vec![Target {
                what: "round trip <= 2,000 instructions".into(),
                met: false,
                value: "1,234".into(),
            }],
        };
        let mut r = String::new();
        write_one(&mut r, "TrustZone", &Ok(t));
        assert!(r.starts_with("\n## TrustZone\n\nQEMU mps2-an505"), "{r}");
        assert!(r.contains("| round trip <= 2,000 instructions | **not met** | 1,234 |"));
        assert!(r.contains("| operation | instructions |\n|---|---:|\n| round trip | 1,234 |"));
    }

    #[test]
    fn a_failed_measurement_says_why_and_shows_no_numbers() {
        let mut r = String::new();
        write_one(&mut r, "C boundary", &Err("firmware did not build".into()));
        assert_eq!(
            r,
            "\n## C boundary\n\n**not measured**: firmware did not build\n"
        );
    }
}
