//! Sections measured by other parts of keyfort (the TrustZone boundary, the C API, the
//! layered store, ...), each from a function its owner supplies.
//!
//! To add a section: write `fn measure(ctx: &mut Ctx) -> Result<Table, String>` next to
//! the code it measures (it may build and run firmware; `Err` says why it could not
//! measure, and BENCH.md prints that instead of numbers) and add one [`Source`] line to
//! [`SOURCES`]. `./x bench` calls every `measure` after its own measurements and writes
//! one section per source, in this order, after the built-in sections. Each target a
//! source states goes in its own table, met or not.
use crate::ctx::Ctx;
use std::fmt::Write as _;

/// A part of keyfort that measures its own BENCH.md section.
pub struct Source {
    /// The section's heading (without `##`).
    pub heading: &'static str,
    /// Measures; called once per `./x bench`.
    pub measure: fn(&mut Ctx) -> Result<Table, String>,
}

/// The sources, in report order (one line each).
pub const SOURCES: &[Source] = &[
    Source {
        heading: "TrustZone-M boundary (Cortex-M33)",
        measure: crate::tz::bench_section,
    },
    Source {
        heading: "C API (capi)",
        measure: crate::capi::bench_section,
    },
    Source {
        heading: "Counter steps per store operation",
        measure: crate::bench_store_counter::bench_section,
    },
];

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

/// `./x bench --sources`: measures the sources only and writes their sections into
/// `report` (an existing BENCH.md), each replacing its old section or appended, each
/// saying it was measured separately (when, at which commit).
pub fn splice(report: &str, tables: &[Result<Table, String>], stamp: &str) -> String {
    let mut r = report.trim_end().to_string();
    r.push('\n');
    for (s, t) in SOURCES.iter().zip(tables) {
        let mut section = String::new();
        write_one(&mut section, s.heading, t);
        let _ = writeln!(
            section,
            "\nThis section: measured by `./x bench --sources` ({stamp}), apart from the run above."
        );
        let head = format!("\n## {}\n", s.heading);
        r = match r.find(&head) {
            Some(at) => {
                let after = at + head.len();
                let end = r[after..].find("\n## ").map_or(r.len(), |e| after + e);
                format!("{}{}\n{}", &r[..at], section.trim_end(), &r[end..])
            }
            None => format!("{}\n{}", r.trim_end(), section.trim_end()),
        };
        if !r.ends_with('\n') {
            r.push('\n');
        }
    }
    r
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
    use super::{splice, write_one, Table, Target, SOURCES};

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

    #[test]
    fn splice_replaces_a_section_and_keeps_the_rest() {
        let h = SOURCES[0].heading;
        let old = format!("# B\n\n## A\n\nkept\n\n## {h}\n\nold figure\n\n## Z\n\nlast\n");
        let t: Vec<Result<Table, String>> =
            SOURCES.iter().map(|_| Err("not run".to_string())).collect();
        let new = splice(&old, &t, "now");
        assert!(new.contains("kept") && new.contains("last"));
        assert!(!new.contains("old figure"));
        assert_eq!(new.matches(&format!("## {h}\n")).count(), 1);
        // The other sources, absent before, are appended once each.
        for s in &SOURCES[1..] {
            assert_eq!(new.matches(&format!("## {}\n", s.heading)).count(), 1);
        }
        assert_eq!(splice(&new, &t, "now"), new);
    }
}
