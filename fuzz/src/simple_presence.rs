//! Fuzz entry points for the `simple-presence` document parsers
//! (watcherinfo, isComposing, IMDN) and the border's view-bundle reader.
//!
//! Each takes arbitrary bytes, must not panic, and for what parses asserts
//! that writing it back and parsing again gives an equal value.

use simple_presence::doc::imdn::Imdn;
use simple_presence::doc::iscomposing::IsComposing;
use simple_presence::doc::winfo::WatcherInfo;
use simple_presence::views::{self, Delegated, ViewBundle};
use sip_core::header::MediaType;
use sip_core::Bytes;

/// `application/watcherinfo+xml`.
pub fn winfo(data: &[u8]) {
    if let Ok(w) = WatcherInfo::parse(data) {
        let again = WatcherInfo::parse(&w.to_bytes()).expect("written watcherinfo reparses");
        assert_eq!(again.lists(), w.lists());
        assert_eq!((again.version(), again.state()), (w.version(), w.state()));
    }
}

/// `application/im-iscomposing+xml`.
pub fn iscomposing(data: &[u8]) {
    if let Ok(c) = IsComposing::parse(data) {
        let again = IsComposing::parse(&c.to_bytes()).expect("written isComposing reparses");
        assert_eq!((again.state(), again.refresh()), (c.state(), c.refresh()));
        assert_eq!(again.content_type(), c.content_type());
    }
}

/// `message/imdn+xml`.
pub fn imdn(data: &[u8]) {
    if let Ok(n) = Imdn::parse(data) {
        let again = Imdn::parse(&n.to_bytes()).expect("written IMDN reparses");
        assert_eq!(again.message_id(), n.message_id());
        assert_eq!((again.kind(), again.status()), (n.kind(), n.status()));
    }
}

/// The border's per-view bundle, delegated body and watcher list readers
/// (`multipart/mixed` with a fixed boundary, and `text/uri-list`).
pub fn view_bundle(data: &[u8]) {
    let Some(m) = MediaType::new("multipart", "mixed").and_then(|m| m.with_param("boundary", "b"))
    else {
        return;
    };
    let body = Bytes::copy_from_slice(data);
    if let Ok(b) = ViewBundle::parse(&m, &body) {
        let (ct, again) = b.build();
        assert_eq!(
            ViewBundle::parse(&ct.0, &again).expect("written bundle reparses"),
            b
        );
    }
    let _ = Delegated::parse(&m, &body);
    if let Ok(l) = views::parse_uri_list(data) {
        assert_eq!(
            views::parse_uri_list(&views::write_uri_list(&l)).expect("list reparses"),
            l
        );
    }
}

/// Every role (agent, border from a peer and from inside, watcher, pager,
/// list server) fed one datagram: nothing may panic.
pub fn roles(data: &[u8]) {
    use simple_presence::agent::{AgentConfig, PresenceAgent};
    use simple_presence::border::{Border, BorderConfig, PeerEntry};
    use simple_presence::identity::PeerIdentity;
    use simple_presence::views::PeerMode;
    use sip_core::Message;
    let Ok(m) = Message::parse_datagram(Bytes::copy_from_slice(data), &views::limits()) else {
        return;
    };
    #[allow(clippy::disallowed_methods)]
    let now = std::time::Instant::now();
    let mut agent = PresenceAgent::new(AgentConfig::new("example.net"));
    let mut border = Border::new(BorderConfig::new(
        "example.net",
        vec![PeerEntry::new("example.com", PeerMode::PerView)],
    ));
    let mut watcher = simple_presence::watcher::PresenceWatcher::new("sip:a@example.net");
    let mut pager = simple_presence::pager::Pager::new("sip:a@example.net");
    let mut list = simple_presence::list::ListAgent::new("example.net", Default::default());
    match &m {
        Message::Request(q) => {
            let _ = agent.handle_request(now, q);
            let _ = watcher.handle_notify(now, q);
            let _ = pager.handle_message("2026-01-01T00:00:00Z", q);
            let _ = list.handle_request(now, q);
        }
        Message::Response(x) => {
            agent.handle_response(x);
            watcher.handle_response(now, x);
            list.handle_response(now, x);
        }
    }
    border.handle_peer(now, &PeerIdentity::from_domains(["example.com"]), m.clone());
    border.handle_inside(now, m);
    while border.poll_transmit().is_some() {}
}
