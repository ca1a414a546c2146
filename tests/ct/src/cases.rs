//! The bookkeeping of a constant-time test's child: memcheck errors per case, a
//! branch-free equality whose only declassified value is its verdict, and the operation
//! tallies the report prints.
use crate::{count_errors, declassify_usize};
use std::format;
use std::string::String;
use std::vec::Vec;

/// Memcheck's new errors while `f` runs.
pub fn errors_in(f: impl FnOnce()) -> usize {
    let before = count_errors();
    f();
    count_errors() - before
}

/// Whether `a` (possibly secret) equals `b`: the difference is folded without a branch
/// and only the one-word verdict is declassified, so the comparison itself is no report.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    let d = a
        .iter()
        .zip(b)
        .fold(0usize, |acc, (x, y)| acc | usize::from(x ^ y));
    a.len() == b.len() && declassify_usize(d) == 0
}

/// One operation's cases: how many ran, and each one that had memcheck errors or a
/// wrong result.
pub struct Op {
    /// What the cases run.
    pub name: &'static str,
    /// Cases run.
    pub cases: usize,
    /// One line per case with memcheck errors or a wrong result.
    pub failures: Vec<String>,
}

impl Op {
    /// No cases yet.
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            cases: 0,
            failures: Vec::new(),
        }
    }

    /// Runs one case; `f` returns whether its (declassified) result was right.
    pub fn case(&mut self, what: &str, f: impl FnOnce() -> bool) {
        let mut right = false;
        let errs = errors_in(|| right = f());
        self.cases += 1;
        if errs != 0 {
            self.failures
                .push(format!("{}: {what}: {errs} memcheck error(s)", self.name));
        }
        if !right {
            self.failures
                .push(format!("{}: {what}: wrong result", self.name));
        }
    }

    /// `"<name>: <n> case(s), 0 memcheck errors"` or the failure count.
    pub fn summary(&self) -> String {
        format!(
            "{}: {} case(s), {}",
            self.name,
            self.cases,
            if self.failures.is_empty() {
                "0 memcheck errors".into()
            } else {
                format!("{} failure(s)", self.failures.len())
            }
        )
    }
}
