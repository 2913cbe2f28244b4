//! Multi-party chat basics (RFC 7701): the MSRP switch of a chat room
//! focus. Each participant has a [`Session`] toward the switch; messages
//! (wrapped in message/cpim, section 6) sent to the room URI are copied to
//! every other participant that accepts the wrapped type, messages whose
//! CPIM `To` names one participant go to that participant only (private
//! messages, section 6.2), and NICKNAME requests reserve nicknames
//! (section 7).
//!
//! Simplifications, said plainly: the switch forwards a message once it is
//! complete (the "fast forwarding" of section 6.1 is optional) and caps the
//! message size (413 above it); errors found after the chunks were
//! acknowledged (403 wrong sender or several To headers, 404 unknown
//! recipient, 428 recipient without private messaging) go back as failure
//! REPORTs (allowed by RFC 4975 section 7.1.4) without the CPIM wrapper
//! that section 6.2 asks for on 428 reports; nicknames are compared after
//! trimming and Unicode lower-casing, not the full RFC 7700 preparation.
//! Conference event packages and the `chatroom` SDP attribute are out of
//! scope.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::cpim::Cpim;
use crate::header::{name, ByteRange};
use crate::session::{type_accepted, Event, MessageSpec, Session, SessionConfig, Transmit};
use crate::status::{Method, StatusCode};
use crate::uri::write_path;
use crate::UsageError;
use bytes::{Bytes, BytesMut};
use std::collections::HashMap;
use std::time::Instant;

/// A participant's handle inside one room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParticipantId(pub u32);

/// Room policy.
#[derive(Debug, Clone)]
pub struct ChatRoomConfig {
    /// The room's URI (what participants put in CPIM `To` for the room).
    pub room_uri: String,
    /// Whether NICKNAME is allowed (403 otherwise).
    pub allow_nicknames: bool,
    /// Nicknames nobody may take.
    pub reserved_nicknames: Vec<String>,
    /// Largest message the switch takes (and holds until complete).
    pub max_message_size: u64,
}

/// What the room reports to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChatEvent {
    /// A participant took a nickname.
    Nickname {
        /// Who.
        participant: ParticipantId,
        /// The nickname as requested (without quotes).
        nickname: String,
    },
    /// A message was copied to these participants.
    Forwarded {
        /// The sender.
        from: ParticipantId,
        /// The recipients.
        to: Vec<ParticipantId>,
        /// Whether it was a private message.
        private: bool,
    },
    /// A message was refused with this status (sent in a failure REPORT).
    Refused {
        /// The sender.
        from: ParticipantId,
        /// Why.
        status: StatusCode,
    },
}

struct Participant {
    id: ParticipantId,
    identity: String,
    session: Session,
    nickname: Option<String>,
    accept_wrapped: Vec<String>,
    private_messages: bool,
    buffers: HashMap<String, (BytesMut, Vec<crate::MsrpUri>)>,
}

/// The MSRP switch of one chat room.
pub struct ChatRoom {
    cfg: ChatRoomConfig,
    participants: Vec<Participant>,
    next_id: u32,
    events: std::collections::VecDeque<ChatEvent>,
    turn: usize,
}

impl std::fmt::Debug for ChatRoom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatRoom")
            .field("room_uri", &self.cfg.room_uri)
            .field("participants", &self.participants.len())
            .finish_non_exhaustive()
    }
}

/// The address inside `<...>` of a CPIM `From`/`To` value (or the value).
pub fn addr_of(v: &str) -> &str {
    match (v.find('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => v.get(a + 1..b).unwrap_or(v),
        _ => v.trim(),
    }
}

fn same_uri(a: &str, b: &str) -> bool {
    // SIP URI parameters (e.g. ;transport=tcp) do not change who it is.
    let strip = |s: &str| {
        s.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    strip(addr_of(a)) == strip(addr_of(b))
}

/// Reads a Use-Nickname value: a quoted string of 1 to 1023 octets
/// (RFC 7701 section 7.1, `qdtext / qd-esc` of RFC 4975).
pub fn parse_nickname(v: &str) -> Option<String> {
    let inner = v.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' | '\r' | '\n' => return None,
            c => out.push(c),
        }
    }
    (!out.is_empty() && out.len() <= 1023).then_some(out)
}

fn fold_nickname(n: &str) -> String {
    n.trim().to_lowercase()
}

impl ChatRoom {
    /// An empty room.
    pub fn new(cfg: ChatRoomConfig) -> Self {
        ChatRoom {
            cfg,
            participants: Vec::new(),
            next_id: 1,
            events: std::collections::VecDeque::new(),
            turn: 0,
        }
    }

    /// Adds a participant known by `identity` (its SIP AoR or anonymous
    /// URI), with the session the focus negotiated for it, the wrapped
    /// types it accepts (`accept-wrapped-types`) and whether it takes
    /// private messages.
    pub fn join(
        &mut self,
        identity: &str,
        mut session: SessionConfig,
        accept_wrapped: Vec<String>,
        private_messages: bool,
    ) -> Result<ParticipantId, UsageError> {
        session.reject_unknown_methods = false;
        session.accept_types = vec!["message/cpim".into()];
        session.max_message_size = Some(self.cfg.max_message_size);
        session.seed ^= u64::from(self.next_id) << 32;
        let id = ParticipantId(self.next_id);
        self.next_id += 1;
        self.participants.push(Participant {
            id,
            identity: identity.to_owned(),
            session: Session::new(session)?,
            nickname: None,
            accept_wrapped,
            private_messages,
            buffers: HashMap::new(),
        });
        Ok(id)
    }

    /// Removes a participant (its nickname is released).
    pub fn leave(&mut self, id: ParticipantId) {
        self.participants.retain(|p| p.id != id);
    }

    /// A participant's nickname.
    pub fn nickname(&self, id: ParticipantId) -> Option<&str> {
        self.participants
            .iter()
            .find(|p| p.id == id)?
            .nickname
            .as_deref()
    }

    /// The participants.
    pub fn participants(&self) -> Vec<ParticipantId> {
        self.participants.iter().map(|p| p.id).collect()
    }

    fn index(&self, id: ParticipantId) -> Option<usize> {
        self.participants.iter().position(|p| p.id == id)
    }

    /// Feeds bytes received from a participant's connection.
    pub fn handle_input(&mut self, now: Instant, from: ParticipantId, data: Bytes) {
        let Some(i) = self.index(from) else { return };
        if let Some(p) = self.participants.get_mut(i) {
            p.session.handle_input(now, data);
        }
        self.drain(i);
    }

    fn drain(&mut self, i: usize) {
        loop {
            let Some(ev) = self
                .participants
                .get_mut(i)
                .and_then(|p| p.session.poll_event())
            else {
                return;
            };
            let Some(p) = self.participants.get_mut(i) else {
                return;
            };
            match ev {
                Event::Request(chunk) if chunk.head.method() == Some(&Method::NICKNAME) => {
                    self.on_nickname(i, &chunk.head);
                }
                Event::Request(chunk) => {
                    p.session
                        .respond(&chunk.head, StatusCode::NOT_IMPLEMENTED, &[]);
                }
                Event::MessageStart {
                    message_id,
                    from_path,
                    ..
                } => {
                    p.buffers.insert(message_id, (BytesMut::new(), from_path));
                }
                Event::Data {
                    message_id,
                    offset,
                    data,
                } => {
                    if let Some((buf, _)) = p.buffers.get_mut(&message_id) {
                        // The session caps offsets at max_message_size.
                        let end = offset as usize + data.len();
                        if buf.len() < end {
                            buf.resize(end, 0);
                        }
                        if let Some(dst) = buf.get_mut(offset as usize..end) {
                            dst.copy_from_slice(&data);
                        }
                    }
                }
                Event::MessageComplete { message_id, .. } => {
                    if let Some((buf, from_path)) = p.buffers.remove(&message_id) {
                        self.route(i, &message_id, buf.freeze(), &from_path);
                    }
                }
                Event::MessageAborted { message_id, .. } => {
                    p.buffers.remove(&message_id);
                }
                _ => {}
            }
        }
    }

    fn on_nickname(&mut self, i: usize, head: &crate::ChunkHead) {
        let Some(me) = self.participants.get(i) else {
            return;
        };
        let code = if !self.cfg.allow_nicknames {
            StatusCode::FORBIDDEN
        } else {
            match head
                .headers
                .get_str(name::USE_NICKNAME)
                .and_then(parse_nickname)
            {
                None => StatusCode::BAD_NICKNAME,
                Some(nick) => {
                    let folded = fold_nickname(&nick);
                    let reserved = self
                        .cfg
                        .reserved_nicknames
                        .iter()
                        .any(|r| fold_nickname(r) == folded);
                    let taken = self.participants.iter().any(|p| {
                        !same_uri(&p.identity, &me.identity)
                            && p.nickname
                                .as_deref()
                                .is_some_and(|n| fold_nickname(n) == folded)
                    });
                    if reserved || taken {
                        StatusCode::NICKNAME_IN_USE
                    } else {
                        let id = me.id;
                        if let Some(p) = self.participants.get_mut(i) {
                            p.nickname = Some(nick.clone());
                        }
                        self.events.push_back(ChatEvent::Nickname {
                            participant: id,
                            nickname: nick,
                        });
                        StatusCode::OK
                    }
                }
            }
        };
        if let Some(p) = self.participants.get_mut(i) {
            p.session.respond(head, code, &[]);
        }
    }

    fn refuse(
        &mut self,
        i: usize,
        message_id: &str,
        total: u64,
        from_path: &[crate::MsrpUri],
        code: StatusCode,
    ) {
        let Some(p) = self.participants.get_mut(i) else {
            return;
        };
        let range = ByteRange {
            start: 1,
            end: Some(total),
            total: Some(total),
        };
        p.session
            .send_report(message_id, &write_path(from_path), Some(range), code);
        let from = p.id;
        self.events
            .push_back(ChatEvent::Refused { from, status: code });
    }

    fn route(&mut self, i: usize, message_id: &str, body: Bytes, from_path: &[crate::MsrpUri]) {
        let total = body.len() as u64;
        let Some(sender) = self.participants.get(i) else {
            return;
        };
        let sender_id = sender.id;
        let Ok(cpim) = Cpim::parse(&body) else {
            return self.refuse(i, message_id, total, from_path, StatusCode::BAD_REQUEST);
        };
        if !cpim.from().is_some_and(|f| same_uri(f, &sender.identity)) {
            return self.refuse(i, message_id, total, from_path, StatusCode::FORBIDDEN);
        }
        let tos: Vec<&str> = cpim
            .headers
            .iter()
            .filter(|h| h.prefix.is_none() && h.name.eq_ignore_ascii_case("To"))
            .map(|h| h.value.as_str())
            .collect();
        let [to] = tos.as_slice() else {
            return self.refuse(i, message_id, total, from_path, StatusCode::FORBIDDEN);
        };
        let wrapped = cpim.content_type().unwrap_or("text/plain").to_owned();
        let private = !same_uri(to, &self.cfg.room_uri);
        let recipients: Vec<usize> = if private {
            let r: Vec<usize> = (0..self.participants.len())
                .filter(|&k| {
                    self.participants
                        .get(k)
                        .is_some_and(|p| same_uri(&p.identity, to))
                })
                .collect();
            if r.is_empty() {
                return self.refuse(i, message_id, total, from_path, StatusCode::NOT_FOUND);
            }
            if r.iter().any(|&k| {
                self.participants
                    .get(k)
                    .is_some_and(|p| !p.private_messages)
            }) {
                return self.refuse(
                    i,
                    message_id,
                    total,
                    from_path,
                    StatusCode::NO_PRIVATE_MESSAGES,
                );
            }
            r
        } else {
            (0..self.participants.len())
                .filter(|&k| k != i)
                .filter(|&k| {
                    self.participants
                        .get(k)
                        .is_some_and(|p| type_accepted(&p.accept_wrapped, &wrapped))
                })
                .collect()
        };
        let mut to_ids = Vec::new();
        for k in recipients {
            if let Some(p) = self.participants.get_mut(k) {
                // The content is copied as received (section 6.1): the same
                // bytes, shared, not re-encoded.
                if p.session
                    .send_message(MessageSpec::new("message/cpim"), body.clone())
                    .is_ok()
                {
                    to_ids.push(p.id);
                }
            }
        }
        self.events.push_back(ChatEvent::Forwarded {
            from: sender_id,
            to: to_ids,
            private,
        });
    }

    /// The next bytes to write, and to which participant.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<(ParticipantId, Transmit)> {
        let n = self.participants.len();
        for k in 0..n {
            let i = (self.turn + k) % n;
            if let Some(p) = self.participants.get_mut(i) {
                if let Some(t) = p.session.poll_transmit(now) {
                    self.turn = i + 1;
                    return Some((p.id, t));
                }
            }
        }
        None
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ChatEvent> {
        self.events.pop_front()
    }

    /// The earliest deadline of the participants' sessions.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.participants
            .iter_mut()
            .filter_map(|p| p.session.poll_timeout())
            .min()
    }

    /// Runs the participants' timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        for i in 0..self.participants.len() {
            if let Some(p) = self.participants.get_mut(i) {
                p.session.handle_timeout(now);
            }
            self.drain(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nickname_syntax() {
        assert_eq!(
            parse_nickname("\"Alice the great\"").as_deref(),
            Some("Alice the great")
        );
        assert_eq!(parse_nickname("\"a\\\"b\"").as_deref(), Some("a\"b"));
        assert_eq!(parse_nickname("\"\""), None);
        assert_eq!(parse_nickname("Alice"), None);
        assert_eq!(parse_nickname(&format!("\"{}\"", "x".repeat(1024))), None);
    }

    #[test]
    fn uri_matching_ignores_display_names_and_params() {
        assert!(same_uri(
            "<sip:chatroom22@chat.example.com;transport=tcp>",
            "sip:chatroom22@chat.example.com"
        ));
        assert!(same_uri(
            "Bob <sip:bob@example.com>",
            "<sip:BOB@example.com>"
        ));
        assert!(!same_uri(
            "<sip:bob@example.com>",
            "<sip:carol@example.com>"
        ));
    }
}
