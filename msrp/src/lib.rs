//! Sans-IO MSRP.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod chat;
pub mod chunk;
pub mod cpim;
pub mod error;
pub mod header;
pub mod parse;
pub mod relay;
pub mod sdp;
pub mod session;
pub mod status;
pub mod uri;

pub use chunk::{Chunk, ChunkHead, Flag, StartLine};
pub use error::{
    FormatError, ParseError, ParseErrorKind, ProtocolError, UriError, UriErrorKind, UsageError,
};
pub use header::{
    ByteRange, Expires, FailureReport, Headers, ReportMode, Status, SuccessReport, TypedHeader,
};
pub use parse::{parse_stream, Limits, ParseEvent, Parser};
pub use session::{Event, MessageSpec, Session, SessionConfig, SuccessReportMode, Transmit};
pub use status::{Method, StatusCode};
pub use uri::MsrpUri;
