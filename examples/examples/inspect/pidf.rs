//! `inspect` kinds for the `pidf` documents.

use crate::Outcome;

/// Placeholder until the kind lands: refuses with a clear error.
pub(crate) fn run(_args: &[String]) -> Outcome {
    Err("this kind is not built yet".into())
}

/// Placeholder until the kind lands: refuses with a clear error.
pub(crate) fn run_diff(_args: &[String]) -> Outcome {
    Err("this kind is not built yet".into())
}
