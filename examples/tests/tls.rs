//! Two peering borders over real mutual TLS on 127.0.0.1 (issue 12): the
//! certificates come from `examples::tls::DemoPki`, the identity of each
//! connection from the peer's verified certificate (RFC 5922), and the
//! library's `Border` enforces it.
//!
//! - a presence subscription from example.com to example.net crosses the
//!   TLS link and alice gets bob's document;
//! - a connection whose certificate (from the same CA) is for example.org,
//!   not in the peer table, is refused, and so is a handshake with a
//!   certificate from another CA;
//! - a request whose From domain the connection's certificate does not
//!   cover gets 403;
//! - an MSRP session over TLS whose peer certificate does not match the
//!   SDP fingerprint is refused, and one that matches carries a message.
#![allow(clippy::disallowed_methods)] // a test of real sockets reads the clock

mod common;

use common::{bin, Running};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use examples::tls::{self, Credentials, DemoPki, Framed, PeerCert, SipReader};
use msrp::{Fingerprint, HashFunc, MessageSpec, MsrpUri, PeerCertificate, Session, SessionConfig};
use simple_presence::agent::{AgentConfig, PresenceAgent};
use simple_presence::border::{
    Border, BorderConfig, Dest, LinkTransport, PeerEntry, Refusal, Refused,
};
use simple_presence::views::{self, PeerMode};
use simple_presence::watcher::PresenceWatcher;
use sip_core::publication::Publisher;
use sip_core::{Bytes, Message, Uri};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsStream;

const COM: &str = "example.com";
const NET: &str = "example.net";
const HUB: &str = "hub.example.org";
const ORG: &str = "example.org";
const ALICE: &str = "sip:alice@example.com";
const BOB: &str = "sip:bob@example.net";
/// Longest wait for anything on a connection.
const WAIT: Duration = Duration::from_secs(5);

type Stream = TlsStream<TcpStream>;

/// A PKI in a fresh temporary folder, removed when dropped.
struct Pki(DemoPki);

impl Pki {
    fn new() -> Pki {
        Pki(DemoPki::in_temp_dir("test CA").expect("demo CA"))
    }

    fn creds(&self, domain: &str) -> Credentials {
        self.0.issue(domain).expect("issue a certificate")
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.0.dir());
    }
}

/// A border's TLS listener for one connection: the handshake verifies the
/// client certificate against the CA, then a certificate that
/// authenticates no domain of `peers` is refused (the connection closed
/// before any request is read).
async fn accept_one(
    creds: &Credentials,
    peers: Vec<PeerEntry>,
) -> (
    SocketAddr,
    tokio::task::JoinHandle<Result<(Stream, PeerCert), String>>,
) {
    let config = creds.server_config().expect("server config");
    let l = TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let addr = l.local_addr().expect("address");
    let h = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.map_err(|e| e.to_string())?;
        let (mut s, peer) = tls::accept(config, tcp)
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        if peer.peer_in(&peers).is_none() {
            let _ = tokio::time::timeout(WAIT, s.shutdown()).await;
            return Err(format!("not a peer: {}", peer.domains()));
        }
        Ok((s, peer))
    });
    (addr, h)
}

/// One side of a TLS link, split for reading and writing.
struct Link {
    rd: SipReader<ReadHalf<Stream>>,
    wr: WriteHalf<Stream>,
    peer: PeerCert,
}

impl Link {
    fn new(s: Stream, peer: PeerCert) -> Link {
        let (rd, wr) = tokio::io::split(s);
        Link {
            rd: SipReader::new(rd, views::limits()),
            wr,
            peer,
        }
    }

    async fn send(&mut self, m: &Message) {
        tls::write_message(&mut self.wr, m)
            .await
            .expect("write on the TLS link");
    }

    /// The next SIP message, `None` when the peer closed or broke the
    /// connection, or nothing came within [`WAIT`].
    async fn next(&mut self) -> Option<Message> {
        loop {
            match tokio::time::timeout(WAIT, self.rd.next()).await {
                Ok(Ok(Some(Framed::Message(m)))) => return Some(*m),
                Ok(Ok(Some(_))) => continue,
                _ => return None,
            }
        }
    }
}

fn border(domain: &str, peers: Vec<PeerEntry>) -> (Border, Arc<Mutex<Vec<Refused>>>) {
    let mut b = Border::new(BorderConfig::new(domain, peers));
    let log: Arc<Mutex<Vec<Refused>>> = Arc::default();
    let l = log.clone();
    b.set_log(Box::new(move |r: &Refused| {
        if let Ok(mut v) = l.lock() {
            v.push(r.clone());
        }
    }));
    (b, log)
}

/// A SUBSCRIBE to bob@example.net from `from`, as a peer border relays it.
fn subscribe_from(from: &str) -> Message {
    let text = format!(
        "SUBSCRIBE sips:bob@example.net SIP/2.0\r\n\
         Via: SIP/2.0/TLS border.example.com;branch=z9hG4bKt1\r\n\
         Max-Forwards: 70\r\n\
         From: <{from}>;tag=t1\r\n\
         To: <sips:bob@example.net>\r\n\
         Call-ID: t1@example.com\r\n\
         CSeq: 1 SUBSCRIBE\r\n\
         Event: presence\r\n\
         Expires: 600\r\n\
         Contact: <sips:border@example.com>\r\n\
         Content-Length: 0\r\n\r\n"
    );
    Message::parse_datagram(Bytes::from(text), &views::limits()).expect("a SUBSCRIBE")
}

/// example.net's presence agent with bob's document, alice allowed.
fn net_agent() -> PresenceAgent {
    let now = Instant::now();
    let mut agent = PresenceAgent::new(AgentConfig::new(NET));
    let rules = policy::RuleSet::parse(
        format!(
            r#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"
    xmlns:pr="urn:ietf:params:xml:ns:pres-rules"><rule id="a"><conditions><identity><one id="{ALICE}"/></identity></conditions>
  <actions><pr:sub-handling>allow</pr:sub-handling></actions>
  <transformations><pr:provide-services><pr:all-services/></pr:provide-services>
  <pr:provide-all-attributes/></transformations></rule></ruleset>"#
        )
        .as_bytes(),
    )
    .expect("rules");
    agent.set_rules(now, BOB, rules);
    let uri = Uri::parse_str(BOB).expect("bob's URI");
    let mut p = Publisher::new(
        &uri,
        &format!("<{BOB}>;tag=pub"),
        "pub.bob",
        "presence",
        3600,
        Duration::from_millis(500),
    );
    let doc = format!(
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{BOB}\">\
         <tuple id=\"im\"><status><basic>open</basic></status>\
         <note>over TLS</note></tuple></presence>"
    );
    let ct = simple_presence::sip::content_type("application/pidf+xml").expect("PIDF type");
    let r = p
        .publish(now, &ct, Bytes::from(doc))
        .expect("a PUBLISH request");
    let answer = agent.handle_request(now, &r);
    assert_eq!(answer.status().as_u16(), 200, "bob's PUBLISH");
    agent
}

#[tokio::test]
async fn a_subscription_crosses_the_tls_link() {
    let pki = Pki::new();
    let (com_creds, net_creds) = (pki.creds(COM), pki.creds(NET));
    let (addr, accepted) = accept_one(
        &net_creds,
        vec![PeerEntry::new(COM, PeerMode::PerView).tls()],
    )
    .await;
    let (s, net_cert) = tls::connect(com_creds.client_config().expect("config"), addr, NET)
        .await
        .expect("example.com connects to example.net");
    let (ns, com_cert) = accepted
        .await
        .expect("accept task")
        .expect("example.net accepts example.com");
    assert!(net_cert.identity.covers(NET) && !net_cert.identity.covers(COM));
    assert!(com_cert.identity.covers(COM) && !com_cert.identity.covers(NET));
    let mut com_link = Link::new(s, net_cert);
    let mut net_link = Link::new(ns, com_cert);

    let (mut com, _) = border(COM, vec![PeerEntry::new(NET, PeerMode::PerView).tls()]);
    let (mut net, net_log) = border(NET, vec![PeerEntry::new(COM, PeerMode::PerView).tls()]);
    let mut agent = net_agent();
    let mut alice = PresenceWatcher::new(ALICE);
    let sub = alice
        .subscribe(Instant::now(), BOB, "presence", false)
        .expect("alice's SUBSCRIBE");
    com.handle_inside(Instant::now(), Message::Request(sub));

    let mut crossed = 0;
    let deadline = Instant::now() + WAIT;
    loop {
        // Run everything inside both networks until quiet.
        loop {
            let now = Instant::now();
            let mut busy = false;
            while let Some(r) = alice.poll_transmit() {
                busy = true;
                com.handle_inside(now, Message::Request(r));
            }
            while let Some(t) = com.poll_transmit() {
                busy = true;
                match (t.dest, t.message) {
                    (Dest::Peer { tls, .. }, m) => {
                        assert!(tls, "a TLS peer gets everything over TLS");
                        com_link.send(&m).await;
                        crossed += 1;
                    }
                    (Dest::Inside, Message::Response(x)) => alice.handle_response(now, &x),
                    (Dest::Inside, Message::Request(r)) => {
                        let x = alice.handle_notify(now, &r);
                        com.handle_inside(now, Message::Response(x));
                    }
                }
            }
            while let Some(r) = agent.poll_transmit() {
                busy = true;
                net.handle_inside(now, Message::Request(r));
            }
            while let Some(t) = net.poll_transmit() {
                busy = true;
                match (t.dest, t.message) {
                    (Dest::Peer { .. }, m) => {
                        net_link.send(&m).await;
                        crossed += 1;
                    }
                    (Dest::Inside, Message::Request(r)) => {
                        let x = agent.handle_request(now, &r);
                        net.handle_inside(now, Message::Response(x));
                    }
                    (Dest::Inside, Message::Response(x)) => agent.handle_response(&x),
                }
            }
            if !busy {
                break;
            }
        }
        let got = alice
            .presence(BOB)
            .map(|p| {
                let mut out = Vec::new();
                p.write(&mut out);
                String::from_utf8_lossy(&out).into_owned()
            })
            .unwrap_or_default();
        if got.contains("over TLS") {
            break;
        }
        assert!(Instant::now() < deadline, "alice has no document of bob's");
        tokio::select! {
            m = com_link.rd.next() => match m {
                Ok(Some(Framed::Message(m))) => com.handle_peer_over(
                    Instant::now(), &com_link.peer.identity, LinkTransport::Tls, *m),
                Ok(Some(_)) => {}
                other => panic!("example.com's side of the link ended: {other:?}"),
            },
            m = net_link.rd.next() => match m {
                Ok(Some(Framed::Message(m))) => net.handle_peer_over(
                    Instant::now(), &net_link.peer.identity, LinkTransport::Tls, *m),
                Ok(Some(_)) => {}
                other => panic!("example.net's side of the link ended: {other:?}"),
            },
            () = tokio::time::sleep(WAIT) => panic!("nothing arrived on the link"),
        }
    }
    // SUBSCRIBE, its 200, the NOTIFY and its 200 at least.
    assert!(crossed >= 4, "{crossed} messages crossed");
    assert_eq!(
        net.stats().refused,
        0,
        "{:?}",
        net_log.lock().map(|l| l.clone())
    );
    assert_eq!(com.stats().backends, 1);
}

#[tokio::test]
async fn an_untrusted_network_is_refused_at_the_connection() {
    let pki = Pki::new();
    let net_creds = pki.creds(NET);
    let peers = vec![PeerEntry::new(COM, PeerMode::PerView).tls()];

    // example.org: a valid certificate from the same CA, but no peer.
    let (addr, accepted) = accept_one(&net_creds, peers.clone()).await;
    let org = pki.creds(ORG);
    let (s, peer) = tls::connect(org.client_config().expect("config"), addr, NET)
        .await
        .expect("the handshake itself succeeds: the CA signed example.org");
    let mut org_link = Link::new(s, peer);
    org_link
        .send(&subscribe_from(&format!("sip:mallory@{ORG}")))
        .await;
    let refused = accepted.await.expect("accept task");
    assert_eq!(refused.err().as_deref(), Some("not a peer: [example.org]"));
    assert!(
        org_link.next().await.is_none(),
        "example.org gets no answer, the connection is closed"
    );

    // A certificate claiming example.com from a CA example.net does not
    // trust: the handshake fails.
    let (addr, accepted) = accept_one(&net_creds, peers).await;
    let rogue = DemoPki::in_temp_dir("rogue CA").expect("rogue CA");
    let mut fake = rogue.issue(COM).expect("issue");
    fake.roots = net_creds.roots.clone();
    let client = tls::connect(fake.client_config().expect("config"), addr, NET).await;
    let refused = accepted.await.expect("accept task");
    let _ = std::fs::remove_dir_all(rogue.dir());
    let why = refused.err().unwrap_or_default();
    assert!(why.contains("UnknownIssuer"), "{why}");
    if let Ok((s, peer)) = client {
        // TLS 1.3: the client finished first; the alert shows on reading.
        let mut l = Link::new(s, peer);
        assert!(l.next().await.is_none());
    }
}

#[tokio::test]
async fn a_from_domain_the_certificate_does_not_cover_gets_403() {
    let pki = Pki::new();
    let (com_creds, net_creds) = (pki.creds(COM), pki.creds(NET));
    let peers = vec![
        PeerEntry::new(COM, PeerMode::PerView).tls(),
        PeerEntry::new(HUB, PeerMode::PerView).tls(),
    ];
    let (mut net, log) = border(NET, peers.clone());
    let (addr, accepted) = accept_one(&net_creds, peers).await;
    let (s, peer) = tls::connect(com_creds.client_config().expect("config"), addr, NET)
        .await
        .expect("connect");
    let mut com_link = Link::new(s, peer);
    let (ns, com_cert) = accepted.await.expect("accept task").expect("accepted");
    let mut net_link = Link::new(ns, com_cert);

    // Authenticated as example.com, claiming to be the clearing house.
    com_link
        .send(&subscribe_from(&format!("sip:eve@{HUB}")))
        .await;
    let m = net_link.next().await.expect("the SUBSCRIBE arrives");
    net.handle_peer_over(
        Instant::now(),
        &net_link.peer.identity,
        LinkTransport::Tls,
        m,
    );
    let mut answered = 0;
    while let Some(t) = net.poll_transmit() {
        assert!(
            matches!(t.dest, Dest::Peer { .. }),
            "nothing goes inside: {:?}",
            t.dest
        );
        net_link.send(&t.message).await;
        answered += 1;
    }
    assert_eq!(answered, 1);
    match com_link.next().await {
        Some(Message::Response(r)) => assert_eq!(r.status().as_u16(), 403),
        other => panic!("expected a 403, got {other:?}"),
    }
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0].reason,
        Refusal::NotAuthenticated {
            claimed: HUB.into(),
            presented: vec![COM.into()],
        }
    );
    assert_eq!(net.stats().refused, 1);

    // The same connection may speak for its own domain.
    com_link.send(&subscribe_from(ALICE)).await;
    let m = net_link.next().await.expect("the SUBSCRIBE arrives");
    net.handle_peer_over(
        Instant::now(),
        &net_link.peer.identity,
        LinkTransport::Tls,
        m,
    );
    let t = net.poll_transmit().expect("relayed");
    assert_eq!(
        t.dest,
        Dest::Inside,
        "alice's SUBSCRIBE goes to example.net"
    );
    assert_eq!(net.stats().refused, 1);
}

/// One MSRP session over TLS, alice listening, bob connecting, each
/// expecting the other's certificate by fingerprint; with `mitm`, alice's
/// end of the connection presents another certificate than the one her
/// SDP's fingerprint names. Returns bob's session after the check and, if
/// it passed, what bob received.
async fn msrp_over_tls(mitm: bool) -> (Session, Option<Vec<u8>>) {
    let alice_creds = Credentials::self_signed("alice").expect("alice");
    let bob_creds = Credentials::self_signed("bob").expect("bob");
    let presented = if mitm {
        Credentials::self_signed("mallory").expect("mallory")
    } else {
        alice_creds.clone()
    };
    let fp = |c: &Credentials| {
        Fingerprint::of_certificate(HashFunc::Sha256, c.certificate().expect("cert"))
            .expect("fingerprint")
    };
    let l = TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let addr = l.local_addr().expect("address");
    let a_uri = MsrpUri::parse(&format!("msrps://{addr}/alice;tcp")).expect("uri");
    let b_uri = MsrpUri::parse("msrps://127.0.0.1:9/bob;tcp").expect("uri");
    let mut a_cfg = SessionConfig::new(a_uri.clone(), vec![b_uri.clone()]);
    let mut b_cfg = SessionConfig::new(b_uri, vec![a_uri]);
    a_cfg.peer_certificate = PeerCertificate::Fingerprints(vec![fp(&bob_creds)]);
    b_cfg.peer_certificate = PeerCertificate::Fingerprints(vec![fp(&alice_creds)]);
    let mut alice = Session::new(a_cfg).expect("alice's session");
    let mut bob = Session::new(b_cfg).expect("bob's session");

    let server = tls::msrp_server_config(&presented).expect("server config");
    let accept = async {
        let (tcp, _) = l.accept().await.expect("accept");
        tls::accept(server, tcp).await
    };
    let client = tls::msrp_client_config(&bob_creds).expect("client config");
    let (a, b) = tokio::join!(accept, tls::connect(client, addr, "127.0.0.1"));
    let (mut a_conn, from_bob) = a.expect("alice's handshake");
    let (mut b_conn, from_alice) = b.expect("bob's handshake");
    if bob.handle_peer_certificate(&from_alice.der).is_err() {
        return (bob, None);
    }
    alice
        .handle_peer_certificate(&from_bob.der)
        .expect("bob's certificate matches");
    alice
        .send_message(
            MessageSpec::new("text/plain"),
            Bytes::from_static(b"hi bob"),
        )
        .expect("send");
    let mut got = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let deadline = Instant::now() + WAIT;
    while got.len() < 6 {
        assert!(Instant::now() < deadline, "MSRP message did not arrive");
        while let Some(t) = alice.poll_transmit(Instant::now()) {
            for seg in &t.segments {
                a_conn.write_all(seg).await.expect("write");
            }
        }
        a_conn.flush().await.expect("flush");
        let n = tokio::time::timeout(WAIT, b_conn.read(&mut buf))
            .await
            .expect("read in time")
            .expect("read");
        assert!(n > 0, "alice closed");
        bob.handle_input(Instant::now(), Bytes::copy_from_slice(&buf[..n]));
        while let Some(ev) = bob.poll_event() {
            if let msrp::Event::Data { data, .. } = ev {
                got.extend_from_slice(&data);
            }
        }
    }
    (bob, Some(got))
}

#[tokio::test]
async fn an_msrp_session_with_a_wrong_fingerprint_is_refused() {
    // A man in the middle presents its own certificate at alice's address.
    let (mut bob, got) = msrp_over_tls(true).await;
    assert!(got.is_none(), "bob took the session");
    assert!(bob.peer_refused().is_some());
    assert!(matches!(
        bob.poll_event(),
        Some(msrp::Event::PeerRefused(msrp::FingerprintError::Mismatch))
    ));
    assert!(
        bob.poll_transmit(Instant::now()).is_none(),
        "bob sends nothing"
    );
}

#[tokio::test]
async fn an_msrp_session_with_the_right_fingerprint_carries_a_message() {
    // The same flow with alice's own certificate: the check passes and the
    // message arrives, so the refusal above is the fingerprint's doing.
    let (bob, got) = msrp_over_tls(false).await;
    assert_eq!(got.as_deref(), Some(&b"hi bob"[..]));
    assert!(bob.peer_refused().is_none());
}

/// An OPTIONS to example.com, as a client over the TLS connection.
fn options(call: &str) -> Message {
    let text = format!(
        "OPTIONS sip:example.com SIP/2.0\r\n\
         Via: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK{call}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@example.com>;tag={call}\r\n\
         To: <sip:example.com>\r\n\
         Call-ID: {call}@127.0.0.1\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    );
    Message::parse_datagram(Bytes::from(text), &views::limits()).expect("an OPTIONS")
}

#[tokio::test]
async fn presence_server_takes_sip_over_tls_with_the_given_certificate() {
    let pki = Pki::new();
    let _server_creds = pki.creds(COM);
    let client = pki.creds("client.example.net");
    let dir = pki.0.dir();
    let log = dir.join("server.log");
    let out = std::fs::File::create(&log).expect("log file");
    let pem = |f: &str| dir.join(f).display().to_string();
    let _running = Running(
        std::process::Command::new(bin("presence-server"))
            .args(["--listen", "127.0.0.1:0", "--domain", COM])
            .args(["--tls", "127.0.0.1:0"])
            .args(["--tls-cert", &pem("example.com.pem")])
            .args(["--tls-key", &pem("example.com.key")])
            .args(["--tls-ca", &pem("ca.pem")])
            .stdout(out)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("presence-server runs"),
    );
    let mut addr = None;
    for _ in 0..100 {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        addr = text
            .lines()
            .find(|l| l.contains("listening"))
            .and_then(|l| l.split(", ").nth(1))
            .and_then(|a| a.strip_suffix(" (TLS)"))
            .and_then(|a| a.parse::<SocketAddr>().ok());
        if addr.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let addr = addr.expect("presence-server names its TLS address");

    // A client with a certificate from the CA: its domain is logged.
    let (s, server_cert) = tls::connect(client.client_config().expect("config"), addr, COM)
        .await
        .expect("TLS to presence-server, checked as example.com");
    assert!(server_cert.identity.covers(COM));
    let mut link = Link::new(s, server_cert);
    link.send(&options("tls1")).await;
    match link.next().await {
        Some(Message::Response(r)) => assert_eq!(r.status().as_u16(), 200),
        other => panic!("expected 200 to OPTIONS, got {other:?}"),
    }
    // A client without a certificate is served too (anonymous).
    let anonymous = tokio_rustls::rustls::ClientConfig::builder_with_provider(tls::provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates({
            let mut roots = tokio_rustls::rustls::RootCertStore::empty();
            roots.add(pki.0.ca_certificate().clone()).expect("the CA");
            roots
        })
        .with_no_client_auth();
    let (s, server_cert) = tls::connect(Arc::new(anonymous), addr, COM)
        .await
        .expect("TLS without a client certificate");
    let mut anon = Link::new(s, server_cert);
    anon.send(&options("tls2")).await;
    match anon.next().await {
        Some(Message::Response(r)) => assert_eq!(r.status().as_u16(), 200),
        other => panic!("expected 200 to OPTIONS, got {other:?}"),
    }
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("client certificate [URI:sip:client.example.net, DNS:client.example.net], SIP domains [client.example.net]"),
        "{text}"
    );
    assert!(text.contains("no client certificate"), "{text}");
    assert!(
        text.contains("TLS 127.0.0.1:"),
        "a TLS transaction is logged: {text}"
    );
}
