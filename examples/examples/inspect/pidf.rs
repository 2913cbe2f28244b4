//! `inspect` kinds for the `pidf` documents: `pidf` (application/pidf+xml)
//! and `pidf-diff` (application/pidf-diff+xml, a `pidf-full` or a
//! `pidf-diff`). Both print the document written back from the typed model,
//! unknown extensions included.

use crate::Outcome;

fn input(args: &[String], kind: &str) -> Result<(String, Vec<u8>), String> {
    let [path] = args else {
        return Err(format!("usage: inspect {kind} FILE"));
    };
    Ok((path.clone(), examples::read_input(path)?))
}

fn finish(mut out: Vec<u8>) -> Vec<u8> {
    out.push(b'\n');
    out
}

/// Parses a PIDF document and writes it back.
pub(crate) fn run(args: &[String]) -> Outcome {
    let (path, bytes) = input(args, "pidf")?;
    let doc = pidf::Presence::parse(&bytes).map_err(|e| format!("{path}: {e}"))?;
    Ok(finish(doc.to_xml()))
}

/// Parses a partial PIDF document (`pidf-full` or `pidf-diff`) and writes it
/// back.
pub(crate) fn run_diff(args: &[String]) -> Outcome {
    let (path, bytes) = input(args, "pidf-diff")?;
    let doc = pidf::partial::PartialDoc::parse(&bytes).map_err(|e| format!("{path}: {e}"))?;
    Ok(finish(doc.to_xml()))
}
