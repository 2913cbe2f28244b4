//! `inspect sip FILE`: one SIP message read as a datagram (RFC 3261 18.3:
//! bytes after Content-Length are ignored), validated, and printed in
//! canonical form (full header names; the headers sip-core decodes printed
//! from their typed form).

use crate::Outcome;
use sip_core::{Limits, Message};

/// Line and column (1-based) of a byte offset, for error messages.
fn line_col(buf: &[u8], offset: usize) -> (usize, usize) {
    let before = buf.get(..offset.min(buf.len())).unwrap_or_default();
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

/// Parses, validates and prints one message.
pub(crate) fn run(args: &[String]) -> Outcome {
    let [path] = args else {
        return Err("usage: inspect sip FILE".into());
    };
    let buf = examples::read_input(path)?;
    let msg = match Message::parse_datagram(buf.clone(), &Limits::default()) {
        Ok(m) => m,
        Err(e) => {
            let (line, col) = line_col(&buf, e.offset);
            let code = e.status_code();
            return Err(format!(
                "{path}: {e} (line {line}, column {col}); a server answers {} {}",
                code,
                code.canonical_reason().unwrap_or("")
            ));
        }
    };
    if let Err(e) = msg.validate() {
        let code = e.status_code();
        return Err(format!(
            "{path}: invalid message: {e}; a server answers {} {}",
            code,
            code.canonical_reason().unwrap_or("")
        ));
    }
    Ok(msg.to_canonical().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        assert_eq!(line_col(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_col(b"ab", 99), (1, 3));
    }
}
