//! Shared plumbing for the workspace's runnable examples (see `examples/`).
//!
//! The programs themselves live in `examples/examples/`; run one with
//! `cargo run --example NAME`.

use std::io::Read;

/// Reads a whole input named on the command line: a file path, or `-` for
/// standard input.
pub fn read_input(path: &str) -> Result<Vec<u8>, String> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("reading stdin: {e}"))?;
        Ok(buf)
    } else {
        std::fs::read(path).map_err(|e| format!("reading {path}: {e}"))
    }
}
