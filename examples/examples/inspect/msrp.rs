//! `inspect msrp FILE`: a byte stream of one or more MSRP chunks, printed
//! chunk by chunk (start line, headers, body with non-printable bytes
//! escaped, continuation flag). Exit 1 on a malformed chunk or a stream
//! that ends inside a chunk.

use crate::Outcome;
use msrp::{Flag, Limits, ParseEvent, Parser};
use std::fmt::Write as _;

/// Escapes a body for one-line display: printable ASCII as is, `\\`, `\r`,
/// `\n`, `\t` and `\xNN` for the rest.
fn escape(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
}

fn flag_name(f: Flag) -> &'static str {
    match f {
        Flag::Complete => "$ (message complete)",
        Flag::More => "+ (more chunks follow)",
        Flag::Abort => "# (message aborted)",
    }
}

/// Runs the kind.
pub(crate) fn run(args: &[String]) -> Outcome {
    let [path] = args else {
        return Err("usage: inspect msrp FILE".into());
    };
    let data = examples::read_input(path)?;
    let mut parser = Parser::new(Limits::default());
    parser.push(data.into());
    let mut out = String::new();
    let mut n = 0usize;
    let mut body_len = 0usize;
    let mut body = String::new();
    let mut has_body = false;
    loop {
        let ev = parser
            .poll()
            .map_err(|e| format!("{path}: malformed MSRP: {e}"))?;
        let Some(ev) = ev else { break };
        match ev {
            ParseEvent::Head(h) => {
                n += 1;
                let _ = writeln!(out, "== chunk {n}");
                let mut head = Vec::new();
                let mut h2 = h.clone();
                h2.has_body = false;
                h2.write(&mut head);
                out.push_str(&String::from_utf8_lossy(&head));
                body_len = 0;
                body.clear();
                has_body = h.has_body;
            }
            ParseEvent::Body(b) => {
                body_len += b.len();
                escape(&mut body, &b);
            }
            ParseEvent::End(flag) => {
                if has_body {
                    let _ = writeln!(out, "-- body ({body_len} bytes): {body}");
                } else {
                    let _ = writeln!(out, "-- no body");
                }
                let _ = writeln!(out, "-- end-line flag: {}", flag_name(flag));
            }
        }
    }
    parser
        .finish()
        .map_err(|e| format!("{path}: stream ends inside a chunk: {e}"))?;
    if n == 0 {
        return Err(format!("{path}: no MSRP chunk in the input"));
    }
    Ok(out.into_bytes())
}
