//! Shared plumbing for the workspace's runnable examples (see `examples/`).
//!
//! The programs themselves live in `examples/examples/`; run one with
//! `cargo run --example NAME`. The library crates do no I/O; this crate is
//! the only place with a runtime (tokio) and a clock:
//!
//! - [`net::Driver`]: one [`sip_core::endpoint::Endpoint`] over a UDP socket
//!   and a TCP listener on the same loopback address, with outgoing TCP
//!   connections opened on demand and reused for the answers (RFC 3261
//!   18.2.2: responses and in-dialog requests go back over the connection
//!   the request came in on).
//! - [`tls`]: mutual TLS between peer networks with rustls: a demo PKI
//!   (a CA and per-domain certificates with `sip:` URI subjectAltNames),
//!   the names of a verified peer certificate turned into a
//!   [`simple_presence::identity::PeerIdentity`] (RFC 5922), and SIP framing
//!   over a TLS stream.
//! - [`msrp_cli`]: what `msrp-chat`, `msrp-send-file` and `msrp-recv-file`
//!   share: INVITE-negotiated MSRP sessions over TCP and files streamed in
//!   constant memory.
//! - [`args::Args`]: a tiny command-line reader (`--name value`, `--flag`,
//!   positionals), enough for the programs' `--help` forms.
//! - [`read_input`], [`seed`], [`pidf_type`] and friends: small helpers.
//!
//! The driver follows the endpoint's contract: after every `handle_*` or
//! `send_*` it drains `poll_transmit` (writing to the sockets) and
//! `poll_event` (queueing for the program), and only then reads
//! `poll_timeout` to know how long it may sleep.
//!
//! Embedding the crates in an event loop of your own needs none of this:
//! the endpoint takes bytes, the time and the sender's address, and hands
//! back bytes to send and events. A pager-mode MESSAGE over a blocking UDP
//! socket, waiting for its final response (the same text is in
//! the README's interop guide):
//!
//! ```no_run
//! use sip_core::endpoint::{Endpoint, EndpointConfig, Event, Peer};
//! use sip_core::header::{ContentType, MediaType};
//! use sip_core::{pager, NameAddr, Uri};
//! use std::net::UdpSocket;
//! use std::time::{Duration, Instant};
//!
//! let socket = UdpSocket::bind("127.0.0.1:0")?;
//! let server = Peer::udp("127.0.0.1:5070".parse()?);
//! let mut ep = Endpoint::new(EndpointConfig::for_addr(socket.local_addr()?));
//! let text = ContentType(MediaType::new("text", "plain").ok_or("media type")?);
//! let from = NameAddr::new(Uri::parse_str("sip:alice@127.0.0.1")?);
//! let to = Uri::parse_str("sip:sink@127.0.0.1:5070")?;
//! let msg = pager::message(&mut ep, from, to, &text, "hello");
//! let id = pager::send(&mut ep, Instant::now(), msg, server)?;
//! let mut buf = vec![0u8; 65_535];
//! loop {
//!     // After any handle_* or send: drain transmits, then events...
//!     while let Some(t) = ep.poll_transmit() {
//!         socket.send_to(&t.contents, t.destination.addr)?;
//!     }
//!     while let Some(ev) = ep.poll_event() {
//!         match ev {
//!             Event::Response { transaction, response }
//!                 if transaction == id && !response.status().is_provisional() =>
//!             {
//!                 println!("MESSAGE -> {}", response.status().as_u16());
//!                 return Ok(());
//!             }
//!             Event::Failed { .. } => return Err("no answer (Timer F)".into()),
//!             _ => {}
//!         }
//!     }
//!     // ...then sleep until a datagram comes or the next timer is due.
//!     let due = ep.poll_timeout().map(|t| t.saturating_duration_since(Instant::now()));
//!     socket.set_read_timeout(Some(due.unwrap_or(Duration::from_secs(1)).max(Duration::from_millis(1))))?;
//!     match socket.recv_from(&mut buf) {
//!         Ok((n, from)) => ep.handle_input(Instant::now(), Peer::udp(from), buf[..n].to_vec()),
//!         Err(_) => ep.handle_timeout(Instant::now()),
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Examples read the clock and pass it in; the library crates never do.
#![allow(clippy::disallowed_methods)]

use std::io::Read;

pub mod args;
pub mod msrp_cli;
pub mod net;
pub mod tls;

use sip_core::header::{ContentType, MediaType};

/// `println!` that never panics: a closed standard output (`watcher |
/// head`) drops the line instead of aborting the program.
#[macro_export]
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

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

/// A seed for branches, tags, Call-IDs and entity-tags that differs from
/// run to run (time and process id), so two runs of a program never send
/// the same branch to a peer that still remembers the first one.
pub fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 32) ^ 0x5eed_5eed
}

/// A `Content-Type` of `type/subtype`.
///
/// # Panics
/// Only for a literal that is not a media type (a programming error).
pub fn content_type(mtype: &str, subtype: &str) -> ContentType {
    ContentType(MediaType::new(mtype, subtype).expect("literal media type"))
}

/// `application/pidf+xml` (RFC 3863).
pub fn pidf_type() -> ContentType {
    content_type("application", "pidf+xml")
}

/// Whether `ct` is `mtype/subtype` (case-insensitive, parameters ignored).
pub fn is_type(ct: Option<&ContentType>, mtype: &str, subtype: &str) -> bool {
    ct.is_some_and(|c| {
        c.0.mtype().eq_ignore_ascii_case(mtype.as_bytes())
            && c.0.subtype().eq_ignore_ascii_case(subtype.as_bytes())
    })
}

/// A one-line summary of a PIDF document: the basic status and notes of
/// each tuple, or why it did not parse.
pub fn pidf_summary(body: &[u8]) -> String {
    match pidf::Presence::parse(body) {
        Ok(p) => {
            let mut out = format!("entity={}", p.entity.as_deref().unwrap_or("-"));
            for t in &p.tuples {
                let basic = match t.status.basic {
                    Some(pidf::Basic::Open) => "open",
                    Some(pidf::Basic::Closed) => "closed",
                    _ => "-",
                };
                out.push_str(&format!(" tuple={} basic={basic}", t.id));
                for n in &t.notes {
                    out.push_str(&format!(" note={:?}", n.text));
                }
            }
            for n in &p.notes {
                out.push_str(&format!(" note={:?}", n.text));
            }
            out
        }
        Err(e) => format!("unparsable PIDF: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_reads_basic_and_note() {
        let doc = pidf::Presence::new("sip:alice@127.0.0.1").tuple(
            pidf::Tuple::new("t1")
                .basic(pidf::Basic::Closed)
                .note(pidf::Note::new("gone home")),
        );
        let s = pidf_summary(&doc.to_xml());
        assert!(s.contains("basic=closed"), "{s}");
        assert!(s.contains("gone home"), "{s}");
        assert!(pidf_summary(b"<nope").starts_with("unparsable"));
    }

    #[test]
    fn type_check_ignores_case_and_params() {
        let ct = pidf_type();
        assert!(is_type(Some(&ct), "Application", "PIDF+XML"));
        assert!(!is_type(Some(&ct), "text", "plain"));
        assert!(!is_type(None, "text", "plain"));
    }
}
