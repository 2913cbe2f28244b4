//! `publish`: publishes a presence document (RFC 3903 PUBLISH of an RFC 3863
//! PIDF document) to a presence server and exits 0 on a 2xx.
//!
//! ```text
//! publish --server 127.0.0.1:5070 --as sip:alice@127.0.0.1 --basic open --note "at lunch"
//! ```
#![allow(clippy::disallowed_methods)]

use examples::args::Args;
use examples::net::{peer_for, resolve, status_line, uri_arg, Driver};
use sip_core::publication::Publisher;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: publish --server HOST:PORT --as URI --basic open|closed [--note TEXT] [--expires S] [--tcp] [--timeout S]

Publishes a PIDF document for URI (the Request-URI is URI; the request goes
to HOST:PORT) with one tuple whose basic status is open or closed and an
optional note. Exits 0 when the server answers 2xx, 1 otherwise.";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    match run().await {
        Ok(()) => {}
        Err(e) => {
            eprintln!("publish: {e}");
            std::process::exit(1);
        }
    }
}

async fn run() -> Result<(), String> {
    let args = Args::parse(std::env::args().skip(1), &["tcp"])?;
    if args.flag("help") {
        examples::say!("{USAGE}");
        return Ok(());
    }
    let server = resolve(args.require("server")?)?;
    let me = args.require("as")?;
    let resource = uri_arg("as", me)?;
    let basic = match args.require("basic")? {
        "open" => pidf::Basic::Open,
        "closed" => pidf::Basic::Closed,
        other => return Err(format!("--basic {other}: expected open or closed")),
    };
    let expires: u32 = args.parsed("expires", 3600)?;
    let timeout = Duration::from_secs(args.parsed("timeout", 10)?);
    let tcp = args.flag("tcp");

    let mut tuple = pidf::Tuple::new(format!("t{:x}", examples::seed() & 0xffff_ffff)).basic(basic);
    if let Some(note) = args.get("note") {
        tuple = tuple.note(pidf::Note::new(note));
    }
    let doc = pidf::Presence::new(me).tuple(tuple);

    let mut drv = Driver::bind(
        "127.0.0.1:0".parse().map_err(|_| "address")?,
        tcp,
        examples::seed(),
    )
    .await
    .map_err(|e| format!("binding a local socket: {e}"))?;
    let from = format!("<{me}>;tag={}", drv.ep.new_tag());
    let call_id = drv.ep.new_call_id();
    let mut publisher = Publisher::new(
        &resource,
        &from,
        &call_id,
        "presence",
        expires,
        Duration::from_millis(500),
    );
    let now = Instant::now();
    let deadline = now + timeout;
    let mut next = publisher.publish(now, &examples::pidf_type(), doc.to_xml().into());
    let peer = peer_for(server, tcp);
    // The first answer, then at most a few follow-ups (412 recovery, 423).
    for _ in 0..4 {
        let Some(req) = next.take() else { break };
        let resp = drv.request(req, peer, deadline).await?;
        examples::say!("PUBLISH {me} -> {}", status_line(&resp));
        if resp.status().is_success() {
            if let Ok(Some(etag)) = resp.headers().typed::<sip_core::header::SipETag>() {
                examples::say!("SIP-ETag: {}", String::from_utf8_lossy(&etag.0));
            }
            return Ok(());
        }
        next = publisher.handle_response(Instant::now(), &resp);
        if next.is_none() {
            return Err(format!("server refused: {}", status_line(&resp)));
        }
    }
    Err("no 2xx after retries".into())
}
