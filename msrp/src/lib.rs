//! Sans-IO MSRP: the Message Session Relay Protocol that carries chat, group
//! chat and file transfer between the users of two networks, exact on the
//! wire and streaming, so a file of any size passes in constant memory.
//!
//! # What it implements
//!
//! | RFC | what | where |
//! |---|---|---|
//! | 4975 | chunks, end-line framing, headers, URIs and their comparison (6.1), sessions: chunking, interruption, reassembly, transaction responses, success and failure REPORTs, the 30 s transaction timeout; several sessions on one connection (481, 506) | [`chunk`], [`parse`], [`header`], [`uri`], [`session`], [`endpoint`] |
//! | 4976 | relays: AUTH with digest, Use-Path, Expires, forwarding through one or more relays | [`relay`] |
//! | 7977 | MSRP over WebSocket: `ws`/`wss` URI transports, `TCP/WS[S]/MSRP` SDP protos (same chunks) | [`uri`], [`sdp`] |
//! | 4566 subset, 4975 section 8, 6135, 5547 | SDP for chat and file transfer offers and answers | [`sdp`] |
//! | 3862, 5438 | message/cpim wrapping with `NS:` namespaces and IMDN headers | [`cpim`] |
//! | 7701 | the chat room switch: fan-out, private messages, nicknames | [`chat`] |
//! | 8122 section 5, 4975 section 14.4 | `a=fingerprint`, checking a TLS peer's certificate against it before chunks flow | [`fingerprint`], [`sdp`], [`session`] |
//!
//! Not implemented: TLS and WebSocket framing themselves (the application
//! owns the connection), relays that re-chunk messages, the RFC 7700
//! nickname preparation (nicknames are compared case-folded), conference
//! event packages and the SDP `chatroom` attribute.
//!
//! # Framing
//!
//! A chunk ends at `CRLF "-------" transaction-id flag CRLF`, never by
//! Byte-Range (several RFC examples carry a Byte-Range that does not match
//! their body). The [`Parser`] finds the end-line with `memchr::memmem`
//! across any split of reads and hands out body bytes as zero-copy slices of
//! the buffers it was given. Every size is capped ([`Limits`]).
//!
//! ```
//! use msrp::{Chunk, Flag, Method};
//!
//! let wire = b"MSRP a786hjs2 SEND\r\n\
//! To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
//! From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
//! Message-ID: 87652491\r\n\
//! Byte-Range: 1-25/25\r\n\
//! Content-Type: text/plain\r\n\
//! \r\n\
//! Hey Bob, are you there?\r\n\
//! -------a786hjs2$\r\n";
//! let (chunk, used) = Chunk::parse(wire).unwrap();
//! assert_eq!(used, wire.len());
//! assert_eq!(chunk.head.method(), Some(&Method::SEND));
//! assert_eq!(chunk.body.as_ref(), b"Hey Bob, are you there?");
//! assert_eq!(chunk.flag, Flag::Complete);
//! assert_eq!(chunk.to_bytes().unwrap(), wire); // lossless
//! ```
//!
//! # The session contract
//!
//! A [`Session`] never reads a clock or touches a socket. After any
//! `handle_*` call, drain [`Session::poll_transmit`] (write the segments to
//! the connection, in order) and [`Session::poll_event`], then read
//! [`Session::poll_timeout`] and call [`Session::handle_timeout`] when it
//! passes.
//!
//! ```no_run
//! use bytes::Bytes;
//! use msrp::{Event, MessageSpec, MsrpUri, Session, SessionConfig};
//! use std::io::{Read, Write};
//! use std::time::Instant;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let me = MsrpUri::parse("msrp://alice.example.com:7654/iau39;tcp")?;
//! let peer = MsrpUri::parse("msrp://bob.example.com:8888/9di4ea;tcp")?;
//! let mut session = Session::new(SessionConfig::new(me, vec![peer]))?;
//! let mut conn = std::net::TcpStream::connect("bob.example.com:8888")?;
//! conn.set_read_timeout(Some(std::time::Duration::from_millis(100)))?;
//! # #[allow(clippy::disallowed_methods)]
//! let now = Instant::now();
//! session.send_message(MessageSpec::new("text/plain"), Bytes::from_static(b"Hi Bob"))?;
//! let mut buf = vec![0u8; 64 * 1024];
//! loop {
//!     # #[allow(clippy::disallowed_methods)]
//!     let now = Instant::now();
//!     while let Some(t) = session.poll_transmit(now) {
//!         for segment in &t.segments {
//!             conn.write_all(segment)?;
//!         }
//!     }
//!     while let Some(event) = session.poll_event() {
//!         match event {
//!             Event::Data { message_id, offset, data } => {
//!                 println!("{message_id} @{offset}: {}", String::from_utf8_lossy(&data));
//!             }
//!             Event::MessageFailed { status, .. } => eprintln!("failed: {status}"),
//!             Event::StreamError(e) => return Err(e.into()),
//!             _ => {}
//!         }
//!     }
//!     if session.poll_timeout().is_some_and(|t| t <= now) {
//!         session.handle_timeout(now);
//!     }
//!     match conn.read(&mut buf) {
//!         Ok(0) => break,
//!         Ok(n) => session.handle_input(now, Bytes::copy_from_slice(&buf[..n])),
//!         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
//!             || e.kind() == std::io::ErrorKind::TimedOut => {}
//!         Err(e) => return Err(e.into()),
//!     }
//! }
//! # let _ = now;
//! # Ok(())
//! # }
//! ```
//!
//! # Over TLS
//!
//! The crate has no TLS dependency: the application runs the handshake
//! (`msrps:` URIs, `TCP/TLS/MSRP`) and hands the result in. Between two
//! endpoints the certificates are usually self-signed and authenticated by
//! the `a=fingerprint` each side put in its SDP (RFC 4975 section 14.4,
//! RFC 8122 section 5), whose integrity the SIP signalling protects:
//!
//! 1. Each side puts the fingerprint of its own certificate in its offer or
//!    answer ([`sdp::MsrpDescription::to_sdp_with_fingerprints`], computed
//!    with [`Fingerprint::of_certificate`]).
//! 2. Each side configures its session with the fingerprints of the
//!    peer's SDP ([`sdp::Sdp::fingerprints`] into
//!    [`SessionConfig::peer_certificate`]). A session whose To-Path is one
//!    `msrps:` URI waits for a certificate by default and refuses when no
//!    fingerprint was set.
//! 3. After the TLS handshake, and before feeding any received byte, the
//!    application passes the peer's end-entity certificate (DER) to
//!    [`Session::handle_peer_certificate`] (or to [`fingerprint::verify`]
//!    when it manages connections itself, e.g. with an
//!    [`endpoint::Endpoint`]). On a mismatch the session raises
//!    [`Event::PeerRefused`], sends nothing more, and the application
//!    closes the connection.
//!
//! ```
//! use msrp::fingerprint::{Fingerprint, HashFunc};
//! use msrp::sdp::{MsrpDescription, Sdp};
//! use msrp::{MsrpUri, PeerCertificate, Session};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let my_cert_der = b"our certificate (DER)";
//! let me = MsrpUri::parse("msrps://alice.example.com:7654/iau39;tcp")?;
//! let mine = MsrpDescription::chat("alice.example.com", 7654, me);
//! let fp = Fingerprint::of_certificate(HashFunc::Sha256, my_cert_der).ok_or("sha-256")?;
//! let offer: Sdp = mine.to_sdp_with_fingerprints("alice", 1, &[fp]);
//! # let answer_bytes = {
//! #     let bob = MsrpUri::parse("msrps://bob.example.net:8888/9di4ea;tcp")?;
//! #     let d = MsrpDescription::chat("bob.example.net", 8888, bob);
//! #     let f = Fingerprint::of_certificate(HashFunc::Sha256, b"bob's certificate").ok_or("x")?;
//! #     d.to_sdp_with_fingerprints("bob", 2, &[f]).to_bytes()
//! # };
//! // ... the offer goes out in an INVITE, the answer comes back ...
//! let answer = Sdp::parse(&answer_bytes)?;
//! let mut cfg = mine
//!     .session_config(&MsrpDescription::from_sdp(&answer)?)
//!     .ok_or("no path")?;
//! cfg.peer_certificate = PeerCertificate::Fingerprints(answer.fingerprints()?);
//! let mut session = Session::new(cfg)?;
//! assert!(session.awaits_peer_certificate());
//! // ... TLS handshake done; the TLS library gives the peer's certificate:
//! let peer_cert_der = b"bob's certificate";
//! session.handle_peer_certificate(peer_cert_der)?; // Err: close the connection
//! # let _ = offer;
//! # Ok(())
//! # }
//! ```

pub mod chat;
pub mod chunk;
pub mod cpim;
pub mod endpoint;
pub mod error;
pub mod fingerprint;
pub mod header;
pub mod parse;
pub mod relay;
pub mod sdp;
pub mod session;
pub mod status;
pub mod uri;

pub use bytes::Bytes;
pub use chunk::{Chunk, ChunkHead, Flag, StartLine};
pub use error::{
    FingerprintError, FormatError, ParseError, ParseErrorKind, ProtocolError, UriError,
    UriErrorKind, UsageError,
};
pub use fingerprint::{Fingerprint, HashFunc};
pub use header::{
    ByteRange, Expires, FailureReport, Headers, ReportMode, Status, SuccessReport, TypedHeader,
};
pub use parse::{parse_stream, Limits, ParseEvent, Parser};
pub use session::{
    Event, MessageSpec, PeerCertificate, Session, SessionConfig, SuccessReportMode, Transmit,
};
pub use status::{Method, StatusCode};
pub use uri::MsrpUri;
