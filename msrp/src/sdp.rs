//! A small SDP (RFC 4566) reader and writer, enough for MSRP media
//! (RFC 4975 section 8): `m=message <port> TCP/MSRP|TCP/TLS/MSRP *` and the
//! WebSocket protos `TCP/WS/MSRP` / `TCP/WSS/MSRP` (RFC 7977 section 8),
//! `a=path`, `a=accept-types`, `a=accept-wrapped-types`, `a=max-size`,
//! `a=setup` (RFC 6135), and the file transfer attributes of RFC 5547
//! (`file-selector`, `file-transfer-id`, `file-disposition`, `file-date`,
//! `file-icon`, `file-range`), and `a=fingerprint` (RFC 8122 section 5) for
//! sessions over TLS (RFC 4975 section 14.4): read at media level with a
//! fallback to session level ([`Sdp::fingerprints`]), written with
//! [`MsrpDescription::to_sdp_with_fingerprints`] or
//! [`Media::set_fingerprints`].
//!
//! Every line is kept in order, so lines this module does not know (RTP
//! media, bandwidth, encryption keys) survive a round trip. Offer/answer
//! negotiation beyond building the two documents (e.g. comparing codecs)
//! is out of scope.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::error::{FingerprintError, FormatError, UriError};
use crate::fingerprint::Fingerprint;
use crate::uri::{parse_path, write_path, MsrpUri};
use std::fmt;

/// Largest SDP document accepted.
pub const MAX_SDP: usize = 64 * 1024;
/// Most lines accepted.
pub const MAX_LINES: usize = 512;

/// One `<type>=<value>` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdpLine {
    /// The type letter (`v`, `o`, `m`, `a`, ...).
    pub kind: char,
    /// Everything after `=`.
    pub value: String,
}

/// One media section: its `m=` line first, then its other lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// The lines, the `m=` line first.
    pub lines: Vec<SdpLine>,
}

/// A session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdp {
    /// Session-level lines (`v=`, `o=`, `s=`, `c=`, `t=`, ...).
    pub session: Vec<SdpLine>,
    /// Media sections in order.
    pub media: Vec<Media>,
}

/// `a=setup` values (RFC 4145 section 4, used for MSRP by RFC 6135).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// Opens the connection.
    Active,
    /// Accepts the connection.
    Passive,
    /// Either (offers only).
    ActPass,
    /// Not now.
    HoldConn,
}

impl Setup {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::ActPass => "actpass",
            Setup::HoldConn => "holdconn",
        }
    }
    /// Reads an attribute value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "active" => Setup::Active,
            "passive" => Setup::Passive,
            "actpass" => Setup::ActPass,
            "holdconn" => Setup::HoldConn,
            _ => return None,
        })
    }
    /// The answer to an offer's setup (RFC 6135 section 4.1: the answerer
    /// of `actpass` is `active`).
    pub fn answer_to(offer: Option<Setup>) -> Setup {
        match offer {
            Some(Setup::Active) => Setup::Passive,
            Some(Setup::Passive) => Setup::Active,
            Some(Setup::HoldConn) => Setup::HoldConn,
            Some(Setup::ActPass) | None => Setup::Active,
        }
    }
}

/// The media direction attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `sendrecv` (the default).
    SendRecv,
    /// `sendonly`.
    SendOnly,
    /// `recvonly`.
    RecvOnly,
    /// `inactive`.
    Inactive,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
    /// The direction an answerer takes (RFC 3264 section 6.1).
    pub fn reversed(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }
}

/// The RFC 5547 `file-selector`: the file's name, type, size and hash.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileSelector {
    /// `name:"..."` (percent-encoding kept as written).
    pub name: Option<String>,
    /// `type:type/subtype[;params]`.
    pub media_type: Option<String>,
    /// `size:N` in bytes.
    pub size: Option<u64>,
    /// `hash:algorithm:XX:XX...` as (algorithm, hex value).
    pub hash: Option<(String, String)>,
}

impl FileSelector {
    /// Reads the attribute value.
    pub fn parse(v: &str) -> Result<Self, FormatError> {
        let mut f = FileSelector::default();
        let mut rest = v.trim();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix("name:\"") {
                let end = r
                    .find('"')
                    .ok_or(FormatError::new("file-selector name not closed", 0))?;
                f.name = Some(r.get(..end).unwrap_or("").to_owned());
                rest = r.get(end + 1..).unwrap_or("");
            } else {
                let end = rest.find(' ').unwrap_or(rest.len());
                let (item, r) = rest
                    .split_at_checked(end)
                    .ok_or(FormatError::new("file-selector", 0))?;
                rest = r;
                if let Some(t) = item.strip_prefix("type:") {
                    f.media_type = Some(t.to_owned());
                } else if let Some(s) = item.strip_prefix("size:") {
                    f.size = Some(
                        s.parse()
                            .map_err(|_| FormatError::new("file-selector size", 0))?,
                    );
                } else if let Some(h) = item.strip_prefix("hash:") {
                    let (alg, val) = h
                        .split_once(':')
                        .ok_or(FormatError::new("file-selector hash", 0))?;
                    if val.is_empty() || !val.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
                        return Err(FormatError::new("file-selector hash value", 0));
                    }
                    f.hash = Some((alg.to_owned(), val.to_owned()));
                } else {
                    return Err(FormatError::new("unknown file-selector item", 0));
                }
            }
            rest = rest.trim_start();
        }
        Ok(f)
    }

    /// Formats a hash value the RFC 5547 way: upper-case hex bytes joined
    /// by colons.
    pub fn hex_hash(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

impl fmt::Display for FileSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(n) = &self.name {
            parts.push(format!("name:\"{n}\""));
        }
        if let Some(t) = &self.media_type {
            parts.push(format!("type:{t}"));
        }
        if let Some(s) = self.size {
            parts.push(format!("size:{s}"));
        }
        if let Some((a, v)) = &self.hash {
            parts.push(format!("hash:{a}:{v}"));
        }
        f.write_str(&parts.join(" "))
    }
}

impl Media {
    fn m_fields(&self) -> Vec<&str> {
        self.lines
            .first()
            .map(|l| l.value.split(' ').collect())
            .unwrap_or_default()
    }
    /// The media type (`message` for MSRP).
    pub fn media_type(&self) -> &str {
        self.m_fields().first().copied().unwrap_or("")
    }
    /// The port of the `m=` line.
    pub fn port(&self) -> Option<u16> {
        self.m_fields().get(1).and_then(|p| p.parse().ok())
    }
    /// The transport protocol of the `m=` line.
    pub fn proto(&self) -> &str {
        self.m_fields().get(2).copied().unwrap_or("")
    }
    /// Whether this is MSRP media (`m=message` with an MSRP proto).
    pub fn is_msrp(&self) -> bool {
        self.media_type() == "message"
            && matches!(
                self.proto(),
                "TCP/MSRP" | "TCP/TLS/MSRP" | "TCP/WS/MSRP" | "TCP/WSS/MSRP"
            )
    }
    /// Whether the proto is a TLS one (TCP/TLS/MSRP or TCP/WSS/MSRP).
    pub fn is_secure(&self) -> bool {
        matches!(self.proto(), "TCP/TLS/MSRP" | "TCP/WSS/MSRP")
    }
    /// Every value of attribute `name` (`a=name:value`, or `""` for a flag).
    pub fn attrs<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.lines
            .iter()
            .filter(|l| l.kind == 'a')
            .filter_map(move |l| match l.value.split_once(':') {
                Some((n, v)) if n == name => Some(v),
                None if l.value == name => Some(""),
                _ => None,
            })
    }
    /// The first value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.lines
            .iter()
            .filter(|l| l.kind == 'a')
            .find_map(|l| match l.value.split_once(':') {
                Some((n, v)) if n == name => Some(v),
                None if l.value == name => Some(""),
                _ => None,
            })
    }
    /// Sets attribute `name` (replacing the first, else appending).
    pub fn set_attr(&mut self, name: &str, value: Option<&str>) {
        let text = match value {
            Some(v) => format!("{name}:{v}"),
            None => name.to_owned(),
        };
        let pos = self.lines.iter().position(|l| {
            l.kind == 'a'
                && (l.value == name || l.value.split_once(':').is_some_and(|(n, _)| n == name))
        });
        match pos.and_then(|i| self.lines.get_mut(i)) {
            Some(l) => l.value = text,
            None => self.lines.push(SdpLine {
                kind: 'a',
                value: text,
            }),
        }
    }
    /// `a=path` as URIs.
    pub fn path(&self) -> Option<Result<Vec<MsrpUri>, UriError>> {
        self.attr("path").map(parse_path)
    }
    /// `a=accept-types` as a list.
    pub fn accept_types(&self) -> Vec<&str> {
        self.attr("accept-types")
            .map(|v| v.split_whitespace().collect())
            .unwrap_or_default()
    }
    /// `a=accept-wrapped-types` as a list.
    pub fn accept_wrapped_types(&self) -> Vec<&str> {
        self.attr("accept-wrapped-types")
            .map(|v| v.split_whitespace().collect())
            .unwrap_or_default()
    }
    /// `a=max-size` in bytes.
    pub fn max_size(&self) -> Option<u64> {
        self.attr("max-size").and_then(|v| v.trim().parse().ok())
    }
    /// `a=setup`.
    pub fn setup(&self) -> Option<Setup> {
        self.attr("setup").and_then(Setup::parse)
    }
    /// The direction attribute (sendrecv when absent).
    pub fn direction(&self) -> Direction {
        for d in [
            Direction::SendOnly,
            Direction::RecvOnly,
            Direction::Inactive,
            Direction::SendRecv,
        ] {
            if self.attr(d.as_str()).is_some() {
                return d;
            }
        }
        Direction::SendRecv
    }
    /// `a=file-selector`.
    pub fn file_selector(&self) -> Option<Result<FileSelector, FormatError>> {
        self.attr("file-selector").map(FileSelector::parse)
    }
    /// `a=file-transfer-id`.
    pub fn file_transfer_id(&self) -> Option<&str> {
        self.attr("file-transfer-id")
    }
    /// `a=file-disposition` (`render`, `attachment`, ...).
    pub fn file_disposition(&self) -> Option<&str> {
        self.attr("file-disposition")
    }
    /// `a=file-date` as (`creation`/`modification`/`read`, date) pairs.
    pub fn file_date(&self) -> Vec<(&str, &str)> {
        let Some(v) = self.attr("file-date") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut rest = v.trim();
        while let Some((kind, r)) = rest.split_once(":\"") {
            let Some(end) = r.find('"') else { break };
            out.push((kind.trim(), r.get(..end).unwrap_or("")));
            rest = r.get(end + 1..).unwrap_or("").trim_start();
        }
        out
    }
    /// `a=file-icon` (a `cid:` URL).
    pub fn file_icon(&self) -> Option<&str> {
        self.attr("file-icon")
    }
    /// `a=file-range` as (start, stop), 1-based, stop `None` for `*`.
    pub fn file_range(&self) -> Option<(u64, Option<u64>)> {
        let (a, b) = self.attr("file-range")?.trim().split_once('-')?;
        let start = a.parse().ok()?;
        let stop = if b == "*" {
            None
        } else {
            Some(b.parse().ok()?)
        };
        Some((start, stop))
    }
}

/// Reads every `a=fingerprint` value among `lines`.
fn fingerprints_in(lines: &[SdpLine]) -> Result<Vec<Fingerprint>, FingerprintError> {
    lines
        .iter()
        .filter(|l| l.kind == 'a')
        .filter_map(|l| l.value.strip_prefix("fingerprint:"))
        .map(Fingerprint::parse)
        .collect()
}

impl Media {
    /// The `a=fingerprint` values of this media section only (RFC 8122
    /// section 5); empty when it has none. A malformed value is an error,
    /// never skipped. [`Sdp::fingerprints_for`] adds the fallback to the
    /// session-level attribute.
    pub fn fingerprints(&self) -> Result<Vec<Fingerprint>, FingerprintError> {
        fingerprints_in(&self.lines)
    }

    /// Replaces this section's `a=fingerprint` lines by `fingerprints`
    /// (written after the other lines).
    pub fn set_fingerprints(&mut self, fingerprints: &[Fingerprint]) {
        self.lines
            .retain(|l| !(l.kind == 'a' && l.value.starts_with("fingerprint:")));
        for fp in fingerprints {
            self.lines.push(SdpLine {
                kind: 'a',
                value: format!("fingerprint:{fp}"),
            });
        }
    }
}

impl Sdp {
    /// The session-level `a=fingerprint` values.
    pub fn session_fingerprints(&self) -> Result<Vec<Fingerprint>, FingerprintError> {
        fingerprints_in(&self.session)
    }

    /// The fingerprints that apply to `media`: its own `a=fingerprint`
    /// lines, or the session-level ones when it has none (RFC 8122
    /// section 5).
    pub fn fingerprints_for(&self, media: &Media) -> Result<Vec<Fingerprint>, FingerprintError> {
        let own = media.fingerprints()?;
        if own.is_empty() {
            self.session_fingerprints()
        } else {
            Ok(own)
        }
    }

    /// The fingerprints that apply to the first MSRP media section (empty
    /// when there is none, or no fingerprint).
    pub fn fingerprints(&self) -> Result<Vec<Fingerprint>, FingerprintError> {
        match self.msrp_media() {
            Some(m) => self.fingerprints_for(m),
            None => Ok(Vec::new()),
        }
    }

    /// Parses a description (CRLF or LF line ends).
    pub fn parse(data: &[u8]) -> Result<Sdp, FormatError> {
        if data.len() > MAX_SDP {
            return Err(FormatError::new("SDP too large", 0));
        }
        let text = std::str::from_utf8(data).map_err(|_| FormatError::new("SDP not UTF-8", 0))?;
        let mut sdp = Sdp {
            session: Vec::new(),
            media: Vec::new(),
        };
        for (i, raw) in text.split('\n').enumerate() {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.is_empty() {
                continue;
            }
            if i >= MAX_LINES {
                return Err(FormatError::new("too many SDP lines", i + 1));
            }
            let mut chars = line.chars();
            let (Some(kind), Some('=')) = (chars.next(), chars.next()) else {
                return Err(FormatError::new("line is not <type>=<value>", i + 1));
            };
            if !kind.is_ascii_lowercase() {
                return Err(FormatError::new(
                    "line type is not a lower-case letter",
                    i + 1,
                ));
            }
            let l = SdpLine {
                kind,
                value: chars.as_str().to_owned(),
            };
            if kind == 'm' {
                sdp.media.push(Media { lines: vec![l] });
            } else if let Some(m) = sdp.media.last_mut() {
                m.lines.push(l);
            } else {
                sdp.session.push(l);
            }
        }
        if sdp.session.first().is_none_or(|l| l.kind != 'v') {
            return Err(FormatError::new("SDP does not start with v=", 1));
        }
        Ok(sdp)
    }

    /// Writes the description with CRLF line ends.
    pub fn write(&self, out: &mut Vec<u8>) {
        let all = self
            .session
            .iter()
            .chain(self.media.iter().flat_map(|m| m.lines.iter()));
        for l in all {
            out.extend_from_slice(format!("{}={}\r\n", l.kind, l.value).as_bytes());
        }
    }

    /// The description as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write(&mut v);
        v
    }

    /// The first MSRP media section.
    pub fn msrp_media(&self) -> Option<&Media> {
        self.media.iter().find(|m| m.is_msrp())
    }

    /// The first MSRP media section, mutable.
    pub fn msrp_media_mut(&mut self) -> Option<&mut Media> {
        self.media.iter_mut().find(|m| m.is_msrp())
    }
}

impl fmt::Display for Sdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

/// What one side puts in its MSRP media description.
#[derive(Debug, Clone)]
pub struct MsrpDescription {
    /// The host for `o=` and `c=` (name or address).
    pub host: String,
    /// The port of the `m=` line (9 for WebSocket clients, RFC 7977).
    pub port: u16,
    /// Our MSRP path (relays first, our URI last).
    pub path: Vec<MsrpUri>,
    /// Media types we accept.
    pub accept_types: Vec<String>,
    /// Types we accept only inside a wrapper such as message/cpim.
    pub accept_wrapped_types: Vec<String>,
    /// Largest message we take.
    pub max_size: Option<u64>,
    /// Connection setup role (RFC 6135).
    pub setup: Option<Setup>,
    /// Direction.
    pub direction: Direction,
    /// A file transfer (RFC 5547), if this is one.
    pub file: Option<FileTransfer>,
}

/// The RFC 5547 attributes of a file transfer.
#[derive(Debug, Clone, Default)]
pub struct FileTransfer {
    /// The file selector.
    pub selector: FileSelector,
    /// A unique id of this transfer.
    pub transfer_id: String,
    /// `render` or `attachment`.
    pub disposition: Option<String>,
    /// Dates as (`creation`/`modification`/`read`, RFC 5322 date).
    pub dates: Vec<(String, String)>,
    /// A `cid:` URL of an icon.
    pub icon: Option<String>,
    /// The range to send, 1-based, `None` stop for the end.
    pub range: Option<(u64, Option<u64>)>,
}

impl MsrpDescription {
    /// A chat description: sendrecv, accepting `message/cpim` and
    /// `text/plain`, wrapped `*`, `setup:actpass`.
    pub fn chat(host: &str, port: u16, uri: MsrpUri) -> Self {
        MsrpDescription {
            host: host.to_owned(),
            port,
            path: vec![uri],
            accept_types: vec!["message/cpim".into(), "text/plain".into()],
            accept_wrapped_types: vec!["*".into()],
            max_size: None,
            setup: Some(Setup::ActPass),
            direction: Direction::SendRecv,
            file: None,
        }
    }

    /// Builds a complete SDP document (`session_id` goes into `o=`).
    pub fn to_sdp(&self, user: &str, session_id: u64) -> Sdp {
        let ip = if self.host.contains(':') {
            "IP6"
        } else {
            "IP4"
        };
        let l = |kind: char, value: String| SdpLine { kind, value };
        let session = vec![
            l('v', "0".into()),
            l(
                'o',
                format!("{user} {session_id} {session_id} IN {ip} {}", self.host),
            ),
            l('s', "-".into()),
            l('c', format!("IN {ip} {}", self.host)),
            l('t', "0 0".into()),
        ];
        let last = self.path.last();
        let proto = match (
            last.is_some_and(MsrpUri::is_websocket),
            last.is_some_and(MsrpUri::is_secure),
        ) {
            (true, true) => "TCP/WSS/MSRP",
            (true, false) => "TCP/WS/MSRP",
            (false, true) => "TCP/TLS/MSRP",
            (false, false) => "TCP/MSRP",
        };
        let mut m = Media {
            lines: vec![l('m', format!("message {} {proto} *", self.port))],
        };
        if self.direction != Direction::SendRecv {
            m.lines.push(l('a', self.direction.as_str().into()));
        }
        m.lines.push(l(
            'a',
            format!("accept-types:{}", self.accept_types.join(" ")),
        ));
        if !self.accept_wrapped_types.is_empty() {
            m.lines.push(l(
                'a',
                format!(
                    "accept-wrapped-types:{}",
                    self.accept_wrapped_types.join(" ")
                ),
            ));
        }
        if let Some(s) = self.max_size {
            m.lines.push(l('a', format!("max-size:{s}")));
        }
        m.lines
            .push(l('a', format!("path:{}", write_path(&self.path))));
        if let Some(s) = self.setup {
            m.lines.push(l('a', format!("setup:{}", s.as_str())));
        }
        if let Some(f) = &self.file {
            m.lines
                .push(l('a', format!("file-selector:{}", f.selector)));
            m.lines
                .push(l('a', format!("file-transfer-id:{}", f.transfer_id)));
            if let Some(d) = &f.disposition {
                m.lines.push(l('a', format!("file-disposition:{d}")));
            }
            if !f.dates.is_empty() {
                let d: Vec<String> = f
                    .dates
                    .iter()
                    .map(|(k, v)| format!("{k}:\"{v}\""))
                    .collect();
                m.lines.push(l('a', format!("file-date:{}", d.join(" "))));
            }
            if let Some(i) = &f.icon {
                m.lines.push(l('a', format!("file-icon:{i}")));
            }
            if let Some((a, b)) = f.range {
                let stop = b.map(|b| b.to_string()).unwrap_or_else(|| "*".into());
                m.lines.push(l('a', format!("file-range:{a}-{stop}")));
            }
        }
        Sdp {
            session,
            media: vec![m],
        }
    }

    /// Builds a complete SDP document as [`MsrpDescription::to_sdp`] does,
    /// with an `a=fingerprint` line per fingerprint of our certificate in
    /// the media section (RFC 4975 section 14.4: required for
    /// `TCP/TLS/MSRP` between endpoints).
    pub fn to_sdp_with_fingerprints(
        &self,
        user: &str,
        session_id: u64,
        fingerprints: &[Fingerprint],
    ) -> Sdp {
        let mut sdp = self.to_sdp(user, session_id);
        if let Some(m) = sdp.media.first_mut() {
            m.set_fingerprints(fingerprints);
        }
        sdp
    }

    /// Reads the MSRP description out of a document.
    pub fn from_sdp(sdp: &Sdp) -> Result<Self, FormatError> {
        let m = sdp
            .msrp_media()
            .ok_or(FormatError::new("no MSRP media line", 0))?;
        let path = m
            .path()
            .ok_or(FormatError::new("MSRP media without a=path", 0))?
            .map_err(|_| FormatError::new("bad URI in a=path", 0))?;
        let host = sdp
            .session
            .iter()
            .chain(m.lines.iter())
            .rfind(|l| l.kind == 'c')
            .and_then(|l| l.value.split(' ').nth(2))
            .unwrap_or("")
            .to_owned();
        let file = match m.file_selector() {
            None => None,
            Some(sel) => Some(FileTransfer {
                selector: sel?,
                transfer_id: m.file_transfer_id().unwrap_or("").to_owned(),
                disposition: m.file_disposition().map(str::to_owned),
                dates: m
                    .file_date()
                    .into_iter()
                    .map(|(a, b)| (a.to_owned(), b.to_owned()))
                    .collect(),
                icon: m.file_icon().map(str::to_owned),
                range: m.file_range(),
            }),
        };
        Ok(MsrpDescription {
            host,
            port: m.port().unwrap_or(0),
            path,
            accept_types: m.accept_types().into_iter().map(str::to_owned).collect(),
            accept_wrapped_types: m
                .accept_wrapped_types()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            max_size: m.max_size(),
            setup: m.setup(),
            direction: m.direction(),
            file,
        })
    }

    /// Builds our answer to `offer` (RFC 4975 section 8, RFC 5547 section
    /// 8.2, RFC 6135): direction reversed, setup answered, for a file
    /// transfer the selector and transfer id echoed.
    pub fn answer(
        offer: &MsrpDescription,
        host: &str,
        port: u16,
        path: Vec<MsrpUri>,
        accept_types: Vec<String>,
    ) -> Self {
        MsrpDescription {
            host: host.to_owned(),
            port,
            path,
            accept_types,
            accept_wrapped_types: offer.accept_wrapped_types.clone(),
            max_size: None,
            setup: Some(Setup::answer_to(offer.setup)),
            direction: offer.direction.reversed(),
            file: offer.file.as_ref().map(|f| FileTransfer {
                selector: f.selector.clone(),
                transfer_id: f.transfer_id.clone(),
                disposition: None,
                dates: Vec::new(),
                icon: None,
                range: f.range,
            }),
        }
    }
}

impl MsrpDescription {
    /// The session settings this side's description and the peer's imply
    /// (RFC 4975 section 8): our URI is the last of our path, we send to
    /// the peer's path, accept our accept-types, cap messages at our
    /// max-size, and receive only if our direction allows it.
    pub fn session_config(&self, peer: &MsrpDescription) -> Option<crate::SessionConfig> {
        let local = self.path.last()?.clone();
        let mut cfg = crate::SessionConfig::new(local, peer.path.clone());
        cfg.accept_types = self.accept_types.clone();
        cfg.max_message_size = self.max_size;
        cfg.may_receive = matches!(self.direction, Direction::SendRecv | Direction::RecvOnly);
        Some(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 5547 figure 2, with the folded file-selector joined on one line
    // (the fold is only how the RFC prints it).
    const FIG2: &str = "v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\n\
s=\r\n\
c=IN IP4 host.atlanta.example.com\r\n\
t=0 0\r\n\
m=message 7654 TCP/MSRP *\r\n\
i=This is my latest picture\r\n\
a=sendonly\r\n\
a=accept-types:message/cpim\r\n\
a=accept-wrapped-types:*\r\n\
a=path:msrp://atlanta.example.com:7654/jshA7we;tcp\r\n\
a=file-selector:name:\"My cool picture.jpg\" type:image/jpeg size:32349 hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E\r\n\
a=file-transfer-id:vBnG916bdberum2fFEABR1FR3ExZMUrd\r\n\
a=file-disposition:attachment\r\n\
a=file-date:creation:\"Mon, 15 May 2006 15:01:31 +0300\"\r\n\
a=file-icon:cid:id2@alicepc.example.com\r\n\
a=file-range:1-32349\r\n";

    #[test]
    fn rfc5547_figure_2() {
        let sdp = Sdp::parse(FIG2.as_bytes()).unwrap();
        assert_eq!(sdp.to_bytes(), FIG2.as_bytes());
        let m = sdp.msrp_media().unwrap();
        assert_eq!(
            (m.port(), m.proto(), m.direction()),
            (Some(7654), "TCP/MSRP", Direction::SendOnly)
        );
        let f = m.file_selector().unwrap().unwrap();
        assert_eq!(f.name.as_deref(), Some("My cool picture.jpg"));
        assert_eq!(f.media_type.as_deref(), Some("image/jpeg"));
        assert_eq!(f.size, Some(32349));
        assert_eq!(f.hash.as_ref().map(|h| h.0.as_str()), Some("sha-1"));
        assert_eq!(
            m.file_transfer_id(),
            Some("vBnG916bdberum2fFEABR1FR3ExZMUrd")
        );
        assert_eq!(m.file_disposition(), Some("attachment"));
        assert_eq!(
            m.file_date(),
            vec![("creation", "Mon, 15 May 2006 15:01:31 +0300")]
        );
        assert_eq!(m.file_icon(), Some("cid:id2@alicepc.example.com"));
        assert_eq!(m.file_range(), Some((1, Some(32349))));
        assert_eq!(m.accept_wrapped_types(), vec!["*"]);
        let d = MsrpDescription::from_sdp(&sdp).unwrap();
        assert_eq!(d.host, "host.atlanta.example.com");
        // Written back through the typed form, the selector reads the same.
        let again = d.to_sdp("alice", 1);
        let d2 = MsrpDescription::from_sdp(&again).unwrap();
        assert_eq!(d2.file.as_ref().unwrap().selector, f);
        assert_eq!(d2.direction, Direction::SendOnly);
        // The answer: recvonly, selector and id echoed.
        let bob = MsrpUri::parse("msrp://bobpc.example.com:8888/9di4ea;tcp").unwrap();
        let ans = MsrpDescription::answer(
            &d,
            "bobpc.example.com",
            8888,
            vec![bob],
            vec!["message/cpim".into()],
        );
        let ans_sdp = ans.to_sdp("bob", 2);
        let am = ans_sdp.msrp_media().unwrap();
        assert_eq!(am.direction(), Direction::RecvOnly);
        assert_eq!(
            am.file_transfer_id(),
            Some("vBnG916bdberum2fFEABR1FR3ExZMUrd")
        );
        assert_eq!(am.setup(), Some(Setup::Active));
    }

    #[test]
    fn session_settings_from_offer_and_answer() {
        let alice = MsrpUri::parse("msrp://a.example:7654/s1;tcp").unwrap();
        let bob = MsrpUri::parse("msrp://b.example:8888/s2;tcp").unwrap();
        let mut offer = MsrpDescription::chat("a.example", 7654, alice.clone());
        offer.max_size = Some(4096);
        let answer = MsrpDescription::answer(
            &offer,
            "b.example",
            8888,
            vec![bob.clone()],
            vec!["text/plain".into()],
        );
        let a = offer.session_config(&answer).unwrap();
        assert!(a.local_uri.matches(&alice));
        assert_eq!(a.to_path, vec![bob.clone()]);
        assert_eq!(a.max_message_size, Some(4096));
        assert!(a.may_receive);
        let mut send_only = answer.clone();
        send_only.direction = Direction::SendOnly;
        let b = send_only.session_config(&offer).unwrap();
        assert!(!b.may_receive);
        assert_eq!(b.accept_types, vec!["text/plain".to_owned()]);
    }

    #[test]
    fn chat_offers_for_each_transport() {
        for (uri, proto) in [
            ("msrp://a.example:7654/s1;tcp", "TCP/MSRP"),
            ("msrps://a.example:7654/s1;tcp", "TCP/TLS/MSRP"),
            ("msrps://df7jal23ls0d.invalid/s1;wss", "TCP/WSS/MSRP"),
            ("msrp://df7jal23ls0d.invalid/s1;ws", "TCP/WS/MSRP"),
        ] {
            let d = MsrpDescription::chat("a.example", 7654, MsrpUri::parse(uri).unwrap());
            let sdp = d.to_sdp("alice", 7);
            let bytes = sdp.to_bytes();
            let back = Sdp::parse(&bytes).unwrap();
            assert_eq!(back, sdp);
            let m = back.msrp_media().unwrap();
            assert_eq!(m.proto(), proto);
            assert_eq!(m.path().unwrap().unwrap()[0].to_string(), uri);
            assert_eq!(m.setup(), Some(Setup::ActPass));
            assert_eq!(m.accept_types(), vec!["message/cpim", "text/plain"]);
        }
    }

    #[test]
    fn rfc4975_figure_19_fingerprint() {
        // RFC 4975 section 14.4 figure 19, the fingerprint joined on one line.
        let src = "v=0\r\no=alice 1 1 IN IP4 atlanta.example.com\r\ns=-\r\n\
c=IN IP4 atlanta.example.com\r\nt=0 0\r\n\
m=message 7654 TCP/TLS/MSRP *\r\n\
a=accept-types:text/plain\r\n\
a=path:msrps://atlanta.example.com:7654/jshA7weso3ks;tcp\r\n\
a=fingerprint:SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB\r\n";
        let sdp = Sdp::parse(src.as_bytes()).unwrap();
        let m = sdp.msrp_media().unwrap();
        assert!(m.is_secure());
        let fps = m.fingerprints().unwrap();
        assert_eq!(fps.len(), 1);
        assert_eq!(fps[0].hash(), &crate::fingerprint::HashFunc::Sha1);
        assert_eq!(fps[0].digest()[19], 0xAB);
        assert_eq!(sdp.fingerprints().unwrap(), fps);
        assert_eq!(sdp.to_bytes(), src.as_bytes());
    }

    #[test]
    fn fingerprints_media_level_then_session_level() {
        use crate::fingerprint::HashFunc;
        let a = Fingerprint::of_certificate(HashFunc::Sha256, b"cert a").unwrap();
        let b = Fingerprint::of_certificate(HashFunc::Sha256, b"cert b").unwrap();
        let c = Fingerprint::of_certificate(HashFunc::Sha512, b"cert b").unwrap();
        let session_level = format!(
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\na=fingerprint:{a}\r\nt=0 0\r\n\
m=message 1 TCP/TLS/MSRP *\r\na=path:msrps://h:1/s;tcp\r\n\
m=message 2 TCP/TLS/MSRP *\r\na=fingerprint:{b}\r\na=fingerprint:{c}\r\na=path:msrps://h:2/t;tcp\r\n"
        );
        let sdp = Sdp::parse(session_level.as_bytes()).unwrap();
        // The first section has none of its own: the session's applies.
        assert_eq!(sdp.media[0].fingerprints().unwrap(), vec![]);
        assert_eq!(
            sdp.fingerprints_for(&sdp.media[0]).unwrap(),
            vec![a.clone()]
        );
        assert_eq!(sdp.fingerprints().unwrap(), vec![a.clone()]);
        // The second has its own, which win over the session's.
        assert_eq!(
            sdp.fingerprints_for(&sdp.media[1]).unwrap(),
            vec![b.clone(), c.clone()]
        );
        assert_eq!(sdp.session_fingerprints().unwrap(), vec![a.clone()]);
        // A malformed value is an error, not skipped.
        let bad = session_level.replace("a=fingerprint:sha-512", "a=fingerprint:sha-512 zz");
        let sdp = Sdp::parse(bad.as_bytes()).unwrap();
        assert!(sdp.fingerprints_for(&sdp.media[1]).is_err());
        // No fingerprint anywhere.
        let plain = Sdp::parse(b"v=0\r\nm=message 9 TCP/MSRP *\r\n").unwrap();
        assert_eq!(plain.fingerprints().unwrap(), vec![]);
    }

    #[test]
    fn offers_carry_fingerprints() {
        use crate::fingerprint::HashFunc;
        let me = MsrpUri::parse("msrps://a.example:7654/s1;tcp").unwrap();
        let fp = Fingerprint::of_certificate(HashFunc::Sha256, b"my cert").unwrap();
        let fp2 = Fingerprint::of_certificate(HashFunc::Sha384, b"my cert").unwrap();
        let d = MsrpDescription::chat("a.example", 7654, me);
        let sdp = d.to_sdp_with_fingerprints("alice", 3, &[fp.clone(), fp2.clone()]);
        let text = String::from_utf8(sdp.to_bytes()).unwrap();
        assert!(
            text.contains(&format!("\r\na=fingerprint:{fp}\r\n")),
            "{text}"
        );
        let back = Sdp::parse(text.as_bytes()).unwrap();
        let m = back.msrp_media().unwrap();
        assert_eq!(m.proto(), "TCP/TLS/MSRP");
        assert_eq!(m.fingerprints().unwrap(), vec![fp.clone(), fp2]);
        // Setting again replaces, never duplicates.
        let mut again = back.clone();
        again
            .msrp_media_mut()
            .unwrap()
            .set_fingerprints(std::slice::from_ref(&fp));
        assert_eq!(again.fingerprints().unwrap(), vec![fp]);
        again.msrp_media_mut().unwrap().set_fingerprints(&[]);
        assert_eq!(again.fingerprints().unwrap(), vec![]);
        // The rest of the description is unchanged.
        assert_eq!(
            MsrpDescription::from_sdp(&again).unwrap().path,
            MsrpDescription::from_sdp(&back).unwrap().path
        );
    }

    #[test]
    fn unknown_lines_survive_and_errors_name_lines() {
        let src = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nb=AS:64\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\nm=message 9 TCP/MSRP *\r\na=x-custom\r\na=path:msrp://h/s;tcp\r\n";
        let sdp = Sdp::parse(src.as_bytes()).unwrap();
        assert_eq!(sdp.to_bytes(), src.as_bytes());
        assert_eq!(sdp.media.len(), 2);
        assert!(sdp.msrp_media().unwrap().attr("x-custom").is_some());
        assert_eq!(Sdp::parse(b"v=0\r\nbogus\r\n").unwrap_err().line, 2);
        assert_eq!(Sdp::parse(b"s=x\r\n").unwrap_err().line, 1);
        assert!(FileSelector::parse("size:abc").is_err());
        assert!(FileSelector::parse("name:\"x").is_err());
    }
}
