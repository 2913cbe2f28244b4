//! Whatever arrives, no role panics: arbitrary datagrams, and well-formed
//! requests with arbitrary bodies and peering headers, fed to every role.

use std::time::Instant;

use proptest::prelude::*;
use simple_presence::agent::{AgentConfig, PresenceAgent};
use simple_presence::border::{Border, BorderConfig, PeerEntry};
use simple_presence::identity::PeerIdentity;
use simple_presence::pager::Pager;
use simple_presence::sip::{content_type, NewRequest};
use simple_presence::views::{self, PeerMode};
use simple_presence::watcher::PresenceWatcher;
use sip_core::{Bytes, Message, Method};

struct Roles {
    agent: PresenceAgent,
    border: Border,
    watcher: PresenceWatcher,
    pager: Pager,
    list: simple_presence::list::ListAgent,
}

fn roles() -> Roles {
    Roles {
        agent: PresenceAgent::new(AgentConfig::new("example.net")),
        border: Border::new(BorderConfig::new(
            "example.net",
            vec![PeerEntry::new("example.com", PeerMode::Delegated)],
        )),
        watcher: PresenceWatcher::new("sip:alice@example.net"),
        pager: Pager::new("sip:alice@example.net"),
        list: simple_presence::list::ListAgent::new("example.net", Default::default()),
    }
}

fn feed(r: &mut Roles, now: Instant, m: Message) {
    let conn = PeerIdentity::from_domains(["example.com"]);
    if let Message::Request(q) = &m {
        let _ = r.agent.handle_request(now, q);
        let _ = r.watcher.handle_notify(now, q);
        let _ = r.pager.handle_message("2026-01-01T00:00:00Z", q);
        let _ = r.list.handle_request(now, q);
    }
    if let Message::Response(x) = &m {
        r.agent.handle_response(x);
        r.watcher.handle_response(now, x);
        r.list.handle_response(now, x);
    }
    r.border.handle_peer(now, &conn, m.clone());
    r.border.handle_inside(now, m);
    while r.border.poll_transmit().is_some() {}
    while r.agent.poll_transmit().is_some() {}
    r.agent.handle_timeout(now);
    r.border.handle_timeout(now);
}

const METHODS: [&str; 5] = ["SUBSCRIBE", "NOTIFY", "PUBLISH", "MESSAGE", "OPTIONS"];
const TYPES: [&str; 7] = [
    "application/pidf+xml",
    "application/pidf-diff+xml",
    "text/uri-list",
    "message/cpim",
    "application/im-iscomposing+xml",
    "application/watcherinfo+xml",
    "text/plain",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn arbitrary_datagrams(data in prop::collection::vec(any::<u8>(), 0..600)) {
        let mut r = roles();
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        if let Ok(m) = Message::parse_datagram(Bytes::from(data), &views::limits()) {
            feed(&mut r, now, m);
        }
    }

    #[test]
    fn well_formed_requests_with_arbitrary_content(
        method in 0..5usize,
        ty in 0..7usize,
        event in prop::sample::select(vec!["presence", "presence.winfo", "message-summary"]),
        peering in prop::option::of(prop::sample::select(vec!["per-view", "delegated", "x"])),
        from in prop::sample::select(vec!["sip:bob@example.com", "sip:eve@evil.org", "sip:border@example.com", "sip:carol@example.net"]),
        body in prop::collection::vec(any::<u8>(), 0..300),
        texty in "[ -~\r\n]{0,300}",
    ) {
        let mut r = roles();
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        let m = Method::from_bytes(METHODS[method].as_bytes()).unwrap();
        for b in [Bytes::from(body), Bytes::from(texty)] {
            let Some(mut q) = (NewRequest {
                method: m.clone(),
                to: "sip:bob@example.net",
                from,
                tag: "t",
                call_id: "c",
                contact: Some(from),
                event: Some(event),
                expires: Some(600),
            })
            .build(Some((&content_type(TYPES[ty]).unwrap(), b))) else { continue };
            if let Some(p) = peering {
                q.headers_mut().push(views::peering_name(), p);
            }
            feed(&mut r, now, Message::Request(q));
        }
    }
}
