//! `./x bench --compare REV`: every figure of BENCH.md that differs from BENCH.md at git
//! revision `REV`, each marked better or worse, worse first.
//!
//! A figure is a table cell that starts with a number, matched by section, row (first
//! cell) and column. A cell like `58,186 (3784 B)` holds two figures, the count and the
//! peak stack. Lower is better except in the columns that count work per time or divide
//! a peer's cost by keyfort's (`/s`, `peer / keyfort`, `paysec / keyfort`). The issue
//! target tables (prose verdicts) and the peers' own columns ([`PEER_COLUMNS`]) are
//! skipped. Host figures depend on the machine of each
//! run (nanoseconds, and ratios to peers in other languages or processes): compare them
//! only between runs on one machine; instruction counts, stack and sizes carry across. Informational: it always succeeds once both files are read.
use std::process::Command;

use crate::sh;

/// Columns that hold a peer's figures, not keyfort's: an exact header, or a prefix.
const PEER_COLUMNS: [&str; 5] = ["aes-kw", "peer ns", "paysec /s", "paysec ns", "their cost"];

/// Columns that name what a row measures beside its first cell.
const LABEL_COLUMNS: [&str; 2] = ["peer", "profile"];

/// Whether `column` holds a peer's figures.
fn is_peer(column: &str) -> bool {
    PEER_COLUMNS
        .iter()
        .any(|p| column == *p || column.starts_with(p))
}

/// One figure: where it is and its value.
#[derive(Debug, Clone, PartialEq)]
struct Figure {
    section: String,
    row: String,
    column: String,
    value: f64,
    higher_is_better: bool,
}

/// The figures of a BENCH.md text.
fn figures(text: &str) -> Vec<Figure> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut header: Option<Vec<String>> = None;
    let mut last_row = String::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix('#') {
            section = h.trim_start_matches('#').trim().to_string();
            header = None;
            continue;
        }
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let cells: Vec<String> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect();
        let Some(cols) = &header else {
            header = Some(qualified(&cells));
            continue;
        };
        if cells.iter().all(|c| c.chars().all(|ch| "-: ".contains(ch))) {
            continue; // the alignment row
        }
        if section.starts_with("Targets of") {
            continue;
        }
        // A row is named by its first cell (a continuation row with an empty one by the
        // row above it) and its label cells ([`LABEL_COLUMNS`]: the peer, the profile),
        // which tell apart the rows that share a first cell.
        let first = cells.first().cloned().unwrap_or_default();
        if !first.is_empty() {
            last_row = first;
        }
        let words: Vec<&str> = cols
            .iter()
            .zip(&cells)
            .filter(|(h, c)| LABEL_COLUMNS.contains(&h.as_str()) && !c.is_empty())
            .map(|(_, c)| c.as_str())
            .collect();
        let mut row = if words.is_empty() {
            last_row.clone()
        } else {
            format!("{last_row} [{}]", words.join(", "))
        };
        // A name still taken in this section: numbered, in order of appearance.
        let taken = |r: &str| {
            out.iter()
                .any(|f: &Figure| f.section == section && f.row == r)
        };
        if taken(&row) {
            let base = row.clone();
            let mut n = 2;
            while taken(&row) {
                row = format!("{base} #{n}");
                n += 1;
            }
        }
        for (column, cell) in cols.iter().zip(&cells).skip(1) {
            let raw = column.rsplit(": ").next().unwrap_or(column);
            if is_peer(raw) {
                continue;
            }
            let higher_is_better = ["/s", "peer / keyfort", "paysec / keyfort"]
                .iter()
                .any(|m| column.contains(m));
            let (count, stack) = numbers(cell);
            for (value, column, higher_is_better) in [
                (count, column.clone(), higher_is_better),
                (stack, format!("{column}, peak stack"), false),
            ] {
                if let Some(value) = value {
                    out.push(Figure {
                        section: section.clone(),
                        row: row.clone(),
                        column,
                        value,
                        higher_is_better,
                    });
                }
            }
        }
    }
    out
}

/// A header row's names, each that occurs more than once qualified by the nearest unique
/// name before it (`Cortex-M3 keyfort: ratio`, where every core has a `ratio` column).
fn qualified(header: &[String]) -> Vec<String> {
    let once = |h: &String| header.iter().filter(|x| *x == h).count() == 1;
    let mut group = String::new();
    header
        .iter()
        .map(|h| {
            if once(h) {
                group = h.clone();
                h.clone()
            } else {
                format!("{group}: {h}")
            }
        })
        .collect()
}

/// The leading number of a cell (thousands separators and bold marks allowed) and the
/// `N B` stack figure in parentheses after it, if any.
fn numbers(cell: &str) -> (Option<f64>, Option<f64>) {
    let lead = |s: &str| -> Option<f64> {
        let s = s.trim().trim_start_matches('*');
        let n: String = s
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
            .filter(|c| *c != ',')
            .collect();
        n.parse().ok()
    };
    let count = lead(cell);
    let stack = cell
        .split_once('(')
        .filter(|(_, rest)| rest.trim_end().ends_with("B)"))
        .and_then(|(_, rest)| lead(rest));
    (count, stack.filter(|_| count.is_some()))
}

/// A changed figure: its new value and place, and its old value.
type Change = (Figure, f64);

/// The figures of `new` that differ from `old`'s: (worse, better).
fn changes(old: &[Figure], new: &[Figure]) -> (Vec<Change>, Vec<Change>) {
    let (mut worse, mut better) = (Vec::new(), Vec::new());
    for n in new {
        let Some(o) = old
            .iter()
            .find(|o| o.section == n.section && o.row == n.row && o.column == n.column)
        else {
            continue;
        };
        if o.value == n.value {
            continue;
        }
        let up = n.value > o.value;
        if up == n.higher_is_better {
            better.push((n.clone(), o.value));
        } else {
            worse.push((n.clone(), o.value));
        }
    }
    (worse, better)
}

/// `./x bench --compare REV`.
pub fn run(root: &std::path::Path, rev: &str) -> Result<bool, String> {
    let old = sh::output(
        Command::new("git")
            .current_dir(root)
            .args(["show", &format!("{rev}:BENCH.md")]),
    )
    .ok_or_else(|| format!("git show {rev}:BENCH.md failed"))?;
    let new =
        std::fs::read_to_string(root.join("BENCH.md")).map_err(|e| format!("BENCH.md: {e}"))?;
    let (old, new) = (figures(&old), figures(&new));
    let (worse, better) = changes(&old, &new);
    let gone: Vec<&Figure> = old
        .iter()
        .filter(|o| {
            !new.iter()
                .any(|n| n.section == o.section && n.row == o.row && n.column == o.column)
        })
        .collect();
    for (title, list) in [("worse", &worse), ("better", &better)] {
        println!("## {} figures {title} than at {rev}", list.len());
        for (f, was) in list {
            println!(
                "- {} | {} | {}: {} -> {}",
                f.section, f.row, f.column, was, f.value
            );
        }
    }
    println!("## {} figures of {rev} with no row now", gone.len());
    for f in gone {
        println!("- {} | {} | {}: {}", f.section, f.row, f.column, f.value);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "## Other operations\n\n| operation | Cortex-M0 | aes-kw | paysec / keyfort |\n|---|---:|---:|---:|\n| load | 311,108 (3832 B) | 5 | 1.5 |\n| tx | 100 | 5 | 2.0 |\n|  | 8 | 1 | 1.0 |\n\n## Targets of issue 9\n\n| target | result |\n|---|---|\n| x | 12 |\n";
    const NEW: &str = "## Other operations\n\n| operation | Cortex-M0 | aes-kw | paysec / keyfort |\n|---|---:|---:|---:|\n| load | 319,134 (3840 B) | 9 | 1.4 |\n| tx | 90 | 1 | 2.5 |\n|  | 7 | 1 | 1.0 |\n\n## Targets of issue 9\n\n| target | result |\n|---|---|\n| x | 99 |\n";

    #[test]
    fn rows_that_share_a_first_cell_are_told_apart_by_their_words() {
        let t = "## S\n\n| op | profile | .text |\n|---|---|---:|\n| base | release | 10 |\n| base | size-z | 9 |\n|  | peer x | 5 |\n";
        let rows: Vec<String> = figures(t).into_iter().map(|f| f.row).collect();
        assert_eq!(rows, ["base [release]", "base [size-z]", "base [peer x]"]);
    }

    #[test]
    fn repeated_columns_are_named_by_their_group_and_a_peer_column_stays_a_peer() {
        let t = "## S\n\n| op | M0 keyfort | aes-kw | ratio | M3 keyfort | aes-kw | ratio |\n|---|---:|---:|---:|---:|---:|---:|\n| w | 1 | 2 | 0.5 | 3 | 4 | 0.7 |\n";
        let cols: Vec<String> = figures(t).into_iter().map(|f| f.column).collect();
        assert_eq!(
            cols,
            [
                "M0 keyfort",
                "M0 keyfort: ratio",
                "M3 keyfort",
                "M3 keyfort: ratio"
            ]
        );
    }

    #[test]
    fn a_cell_gives_its_count_and_its_peak_stack() {
        assert_eq!(numbers("58,186 (3784 B)"), (Some(58186.0), Some(3784.0)));
        assert_eq!(numbers("**1.02x**"), (Some(1.02), None));
        assert_eq!(numbers("- (RAM)"), (None, None));
        assert_eq!(numbers("0.57 (IQR 0.5-0.6)"), (Some(0.57), None));
    }

    #[test]
    fn lower_counts_and_higher_peer_ratios_are_better_and_targets_and_peers_are_skipped() {
        let (worse, better) = changes(&figures(OLD), &figures(NEW));
        let names = |l: &[Change]| -> Vec<String> {
            l.iter()
                .map(|(f, _)| format!("{} {}", f.row, f.column))
                .collect()
        };
        assert_eq!(
            names(&worse),
            [
                "load Cortex-M0",
                "load Cortex-M0, peak stack",
                "load paysec / keyfort"
            ]
        );
        assert_eq!(
            names(&better),
            ["tx Cortex-M0", "tx paysec / keyfort", "tx #2 Cortex-M0"]
        );
    }
}
