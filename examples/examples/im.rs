//! `im`: sends one pager-mode instant message (RFC 3428 MESSAGE), plain
//! text or wrapped in CPIM (RFC 3862) with `--cpim`, and exits 0 on a 2xx.
//!
//! ```text
//! im --server 127.0.0.1:5070 --as sip:alice@127.0.0.1 --to sip:sink@127.0.0.1:5070 "hello"
//! ```
#![allow(clippy::disallowed_methods)]

use examples::args::Args;
use examples::net::{peer_for, resolve, status_line, uri_arg, Driver};
use sip_core::NameAddr;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: im --server HOST:PORT --as URI --to URI [--cpim] [--tcp] [--timeout S] TEXT

Sends TEXT in a MESSAGE request to URI through HOST:PORT, as text/plain or,
with --cpim, as message/cpim wrapping text/plain. Exits 0 on a 2xx, 1
otherwise (refusal, timeout, or a message too large for UDP: use --tcp).";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("im: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let args = Args::parse(std::env::args().skip(1), &["tcp", "cpim"])?;
    if args.flag("help") {
        examples::say!("{USAGE}");
        return Ok(());
    }
    let server = resolve(args.require("server")?)?;
    let me = args.require("as")?;
    let from = uri_arg("as", me)?;
    let to_s = args.require("to")?;
    let to = uri_arg("to", to_s)?;
    let text = args.positional.join(" ");
    if text.is_empty() {
        return Err("no TEXT to send".into());
    }
    let timeout = Duration::from_secs(args.parsed("timeout", 10)?);
    let tcp = args.flag("tcp");

    let (ct, body) = if args.flag("cpim") {
        let cpim = msrp::cpim::Cpim::new(
            &format!("<{me}>"),
            &format!("<{to_s}>"),
            "text/plain",
            text.into_bytes(),
        );
        (examples::content_type("message", "cpim"), cpim.to_bytes())
    } else {
        (examples::content_type("text", "plain"), text.into_bytes())
    };

    let mut drv = Driver::bind(
        "127.0.0.1:0".parse().map_err(|_| "address")?,
        tcp,
        examples::seed(),
    )
    .await
    .map_err(|e| format!("binding a local socket: {e}"))?;
    let request = sip_core::pager::message(&mut drv.ep, NameAddr::new(from), to, &ct, body);
    let peer = peer_for(server, tcp);
    if let Some(limit) = sip_core::pager::size_limit(peer) {
        let size = request.to_bytes().len();
        if size > limit {
            return Err(format!(
                "MESSAGE of {size} bytes is over {limit} bytes for UDP; use --tcp"
            ));
        }
    }
    let resp = drv.request(request, peer, Instant::now() + timeout).await?;
    examples::say!("MESSAGE {to_s} -> {}", status_line(&resp));
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("refused: {}", status_line(&resp)))
    }
}
