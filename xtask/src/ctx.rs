//! What every step gets and gives back: the shared state [`Ctx`] (repository root, the
//! environment setup found, on-target results) and the step's [`Outcome`]. Depends on no
//! step, so the step modules and the plan (`steps.rs`) import it without a cycle.
use crate::{boards::Board, toolchain::Env};
use std::path::PathBuf;

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
