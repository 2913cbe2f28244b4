//! The connection side: one [`Endpoint`] demultiplexes the chunks of any
//! number of connections to the [`Session`]s they belong to, by the first
//! URI of To-Path (RFC 4975 section 6.1 comparison), binds each session to
//! the first connection that carries it, and refuses what belongs nowhere:
//! 481 for a session it does not know, 506 for a session already bound to
//! another connection (RFC 4975 section 10.10).
//!
//! A session used alone (one connection, one session) can take bytes
//! directly with [`Session::handle_input`]; the endpoint is for the shared
//! case, as quinn splits its endpoint from its connections.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::chunk::{ChunkHead, Flag};
use crate::error::ParseError;
use crate::header::{name, FailureReport, ReportMode};
use crate::parse::{Limits, ParseEvent, Parser};
use crate::session::{Event, Session, Transmit};
use crate::status::{Method, StatusCode};
use crate::uri::parse_path;
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

/// The application's name for one transport connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

/// A session's handle inside an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionHandle(pub usize);

/// What an endpoint reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointEvent {
    /// An event of one session.
    Session(SessionHandle, Event),
    /// A connection sent a malformed stream: close it.
    ConnectionError(ConnectionId, ParseError),
}

enum Route {
    /// Between chunks.
    Idle,
    /// The current chunk belongs to this session.
    To(usize),
    /// The current chunk is refused; answer when it ends (if at all).
    Refuse(Option<(ChunkHead, StatusCode)>),
}

struct Conn {
    parser: Parser,
    route: Route,
    broken: bool,
}

struct Slot {
    session: Session,
    conn: Option<ConnectionId>,
}

/// Routes chunks between connections and sessions.
pub struct Endpoint {
    limits: Limits,
    slots: Vec<Slot>,
    conns: HashMap<ConnectionId, Conn>,
    out: VecDeque<(ConnectionId, Transmit)>,
    events: VecDeque<EndpointEvent>,
    turn: usize,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("sessions", &self.slots.len())
            .field("connections", &self.conns.len())
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// An endpoint parsing every connection with these caps.
    pub fn new(limits: Limits) -> Self {
        Endpoint {
            limits,
            slots: Vec::new(),
            conns: HashMap::new(),
            out: VecDeque::new(),
            events: VecDeque::new(),
            turn: 0,
        }
    }

    /// Adds a session, already bound to `conn` when we opened the
    /// connection for it (the active side), unbound otherwise.
    pub fn add_session(&mut self, session: Session, conn: Option<ConnectionId>) -> SessionHandle {
        self.slots.push(Slot { session, conn });
        SessionHandle(self.slots.len() - 1)
    }

    /// A session, to send messages on it.
    pub fn session_mut(&mut self, h: SessionHandle) -> Option<&mut Session> {
        self.slots.get_mut(h.0).map(|s| &mut s.session)
    }

    /// The connection a session is bound to.
    pub fn connection_of(&self, h: SessionHandle) -> Option<ConnectionId> {
        self.slots.get(h.0).and_then(|s| s.conn)
    }

    /// Forgets a closed connection: its sessions become unbound.
    pub fn close_connection(&mut self, conn: ConnectionId) {
        self.conns.remove(&conn);
        for s in &mut self.slots {
            if s.conn == Some(conn) {
                s.conn = None;
            }
        }
    }

    fn find_session(&self, head: &ChunkHead) -> Option<usize> {
        let to = parse_path(head.headers.get_str(name::TO_PATH)?).ok()?;
        let first = to.first()?;
        self.slots
            .iter()
            .position(|s| s.session.config().local_uri.matches(first))
    }

    /// Feeds bytes received on a connection.
    pub fn handle_input(&mut self, now: Instant, conn: ConnectionId, data: Bytes) {
        let limits = self.limits;
        let c = self.conns.entry(conn).or_insert_with(|| Conn {
            parser: Parser::new(limits),
            route: Route::Idle,
            broken: false,
        });
        if c.broken {
            return;
        }
        c.parser.push(data);
        loop {
            let Some(c) = self.conns.get_mut(&conn) else {
                return;
            };
            let ev = match c.parser.poll() {
                Ok(Some(ev)) => ev,
                Ok(None) => return,
                Err(e) => {
                    c.broken = true;
                    self.events
                        .push_back(EndpointEvent::ConnectionError(conn, e));
                    return;
                }
            };
            self.on_event(now, conn, ev);
        }
    }

    fn on_event(&mut self, now: Instant, conn: ConnectionId, ev: ParseEvent) {
        if let ParseEvent::Head(head) = &ev {
            let route = self.route_head(conn, head);
            if let Some(c) = self.conns.get_mut(&conn) {
                c.route = route;
            }
        }
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let is_end = matches!(ev, ParseEvent::End(_));
        match &mut c.route {
            Route::To(i) => {
                let i = *i;
                if let Some(s) = self.slots.get_mut(i) {
                    s.session.handle_parse_event(now, ev);
                }
                self.drain(i);
            }
            Route::Refuse(answer) => {
                if is_end {
                    if let Some((head, code)) = answer.take() {
                        let mut resp = ChunkHead::response(&head.tid, code);
                        let from = head.headers.get_str(name::FROM_PATH).unwrap_or("").trim();
                        let to = if head.method() == Some(&Method::SEND) {
                            from.split(' ').next().unwrap_or("")
                        } else {
                            from
                        };
                        let _ = resp.headers.push(name::TO_PATH, to.to_owned());
                        let first = head
                            .headers
                            .get_str(name::TO_PATH)
                            .unwrap_or("")
                            .split(' ')
                            .find(|s| !s.is_empty());
                        let _ = resp
                            .headers
                            .push(name::FROM_PATH, first.unwrap_or("").to_owned());
                        let mut b = Vec::with_capacity(256);
                        resp.write(&mut b);
                        resp.write_end(Flag::Complete, &mut b);
                        self.out.push_back((
                            conn,
                            Transmit {
                                segments: vec![b.into()],
                            },
                        ));
                    }
                }
            }
            Route::Idle => {}
        }
        if is_end {
            if let Some(c) = self.conns.get_mut(&conn) {
                c.route = Route::Idle;
            }
        }
    }

    fn route_head(&mut self, conn: ConnectionId, head: &ChunkHead) -> Route {
        let is_request = head.method().is_some();
        let refuse = |code: StatusCode| {
            // REPORTs and responses are never answered; a SEND with
            // Failure-Report "no" neither.
            let silent = !is_request
                || head.method() == Some(&Method::REPORT)
                || matches!(
                    head.headers.typed::<FailureReport>(),
                    Some(Ok(FailureReport(ReportMode::No)))
                );
            Route::Refuse((!silent).then(|| (head.clone(), code)))
        };
        let Some(i) = self.find_session(head) else {
            return refuse(StatusCode::NO_SUCH_SESSION);
        };
        let Some(slot) = self.slots.get_mut(i) else {
            return refuse(StatusCode::NO_SUCH_SESSION);
        };
        match slot.conn {
            Some(c) if c != conn => refuse(StatusCode::WRONG_CONNECTION),
            Some(_) => Route::To(i),
            None => {
                slot.conn = Some(conn);
                Route::To(i)
            }
        }
    }

    fn drain(&mut self, i: usize) {
        while let Some(e) = self.slots.get_mut(i).and_then(|s| s.session.poll_event()) {
            self.events
                .push_back(EndpointEvent::Session(SessionHandle(i), e));
        }
    }

    /// The next bytes to write and on which connection: refusals first,
    /// then the sessions' output in turn (sessions not bound to a
    /// connection wait).
    pub fn poll_transmit(&mut self, now: Instant) -> Option<(ConnectionId, Transmit)> {
        if let Some(t) = self.out.pop_front() {
            return Some(t);
        }
        let n = self.slots.len();
        for k in 0..n {
            let i = (self.turn + k) % n;
            let Some(slot) = self.slots.get_mut(i) else {
                continue;
            };
            let Some(conn) = slot.conn else { continue };
            if let Some(t) = slot.session.poll_transmit(now) {
                self.turn = i + 1;
                return Some((conn, t));
            }
        }
        None
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<EndpointEvent> {
        for i in 0..self.slots.len() {
            self.drain(i);
        }
        self.events.pop_front()
    }

    /// The earliest session deadline.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.slots
            .iter_mut()
            .filter_map(|s| s.session.poll_timeout())
            .min()
    }

    /// Runs the sessions' timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        for i in 0..self.slots.len() {
            if let Some(s) = self.slots.get_mut(i) {
                s.session.handle_timeout(now);
            }
            self.drain(i);
        }
    }
}
