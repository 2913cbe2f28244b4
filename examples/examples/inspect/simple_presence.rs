//! `inspect` kinds for the `simple-presence` documents: `winfo`
//! (application/watcherinfo+xml), `iscomposing`
//! (application/im-iscomposing+xml) and `imdn` (message/imdn+xml). Each
//! prints the document written back from its lossless tree, unknown
//! extensions included. (Not yet listed in `KINDS`: the lead wires them.)

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

/// Parses a watcherinfo document and writes it back.
pub(crate) fn run_winfo(args: &[String]) -> Outcome {
    let (path, bytes) = input(args, "winfo")?;
    let d = simple_presence::doc::winfo::WatcherInfo::parse(&bytes)
        .map_err(|e| format!("{path}: {e}"))?;
    Ok(finish(d.to_bytes()))
}

/// Parses an isComposing document and writes it back.
pub(crate) fn run_iscomposing(args: &[String]) -> Outcome {
    let (path, bytes) = input(args, "iscomposing")?;
    let d = simple_presence::doc::iscomposing::IsComposing::parse(&bytes)
        .map_err(|e| format!("{path}: {e}"))?;
    Ok(finish(d.to_bytes()))
}

/// Parses an IMDN document and writes it back.
pub(crate) fn run_imdn(args: &[String]) -> Outcome {
    let (path, bytes) = input(args, "imdn")?;
    let d = simple_presence::doc::imdn::Imdn::parse(&bytes).map_err(|e| format!("{path}: {e}"))?;
    Ok(finish(d.to_bytes()))
}
