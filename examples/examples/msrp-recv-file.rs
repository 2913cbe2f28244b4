//! `msrp-recv-file`: receives files sent over MSRP (RFC 4975), each
//! offered in a SIP INVITE whose SDP describes it (RFC 5547 push: the
//! offer is `a=sendonly` with `a=file-selector`).
//!
//! ```text
//! msrp-recv-file --listen 127.0.0.1:5070 --dir /tmp/in --once
//! ```
//!
//! It answers `a=recvonly` with its MSRP path (and `a=setup:passive`, RFC
//! 6135, when the offer lets it listen), writes every piece of the file to
//! disk as it arrives (constant memory, any size), checks the size against
//! the file-selector, sends the REPORTs the sender asked for and prints
//! `received NAME (N bytes)`. An offer over `--max-size` is refused with
//! 488 and a Warning saying why.
#![allow(clippy::disallowed_methods)]

use examples::args::Args;
use examples::msrp_cli::{
    self, offer, Beside, FileSink, Incoming, MsrpConn, Role, DEFAULT_TIMEOUT,
};
use examples::net::Driver;
use msrp::sdp::{Direction, MsrpDescription};
use msrp::{MessageSpec, Session, SessionConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

const USAGE: &str = "\
usage: msrp-recv-file --listen ADDR [--msrp-listen ADDR] [--dir DIR] [--once]
                      [--max-size N] [--active] [--timeout S]

Listens for SIP (UDP and TCP on ADDR) and takes files offered in INVITEs
(RFC 5547: sendonly with a=file-selector), receiving each over MSRP into
DIR and printing \"received NAME (N bytes)\".
  --msrp-listen ADDR  where peers connect for MSRP (default: ADDR's host,
                      a free port)
  --dir DIR           where files go (default .); NAME is the offer's
                      file name less any directory; an existing file is
                      replaced
  --once              exit after the first call: 0 if its file arrived
                      whole, 1 otherwise
  --max-size N        refuse (488) files over N bytes; said in a=max-size
  --active            answer a=setup:active and connect to the sender
                      (as behind a NAT) instead of listening (RFC 6135)
  --timeout S         longest wait for the peer during a call (default 10)
Exit status: 0 after --once received a file; 1 on a failed --once call or
a bad command line. Without --once it serves calls one at a time until
killed.";

struct Opts {
    dir: PathBuf,
    max_size: Option<u64>,
    timeout: Duration,
    once: bool,
    active: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("msrp-recv-file: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let args = Args::parse(std::env::args().skip(1), &["once", "active"])?;
    if args.flag("help") {
        examples::say!("{USAGE}");
        return Ok(());
    }
    args.only(&[
        "listen",
        "msrp-listen",
        "dir",
        "once",
        "max-size",
        "active",
        "timeout",
    ])?;
    if let Some(p) = args.positional.first() {
        return Err(format!("unexpected argument {p:?} (see --help)"));
    }
    let addrs = msrp_cli::listen_addrs(&args)?;
    let opts = Opts {
        dir: PathBuf::from(args.get("dir").unwrap_or(".")),
        max_size: args
            .get("max-size")
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("--max-size: cannot read {v:?}"))
            })
            .transpose()?,
        timeout: Duration::from_secs(args.parsed("timeout", DEFAULT_TIMEOUT)?),
        once: args.flag("once"),
        active: args.flag("active"),
    };
    if !opts.dir.is_dir() {
        return Err(format!("--dir {}: not a directory", opts.dir.display()));
    }
    let once = opts.once;
    msrp_cli::serve(
        addrs,
        once,
        "msrp-recv-file",
        async |drv, listener, msrp_addr, inc, seed| {
            call(drv, listener, msrp_addr, inc, &opts, seed).await
        },
    )
    .await
}

/// Why an offer cannot be taken, if it cannot (RFC 5547 8.3: the answerer
/// refuses what it does not want).
fn unacceptable(offer: &MsrpDescription, max_size: Option<u64>) -> Option<String> {
    let Some(file) = &offer.file else {
        return Some("not a file transfer: no a=file-selector".into());
    };
    if offer.direction != Direction::SendOnly {
        return Some("only pushed files are taken: the offer must be a=sendonly".into());
    }
    if offer
        .path
        .last()
        .is_some_and(|u| u.is_secure() || u.is_websocket())
    {
        return Some("only msrp over TCP is supported (no TLS, no WebSocket)".into());
    }
    if let (Some(max), Some(size)) = (max_size, file.selector.size) {
        if size > max {
            return Some(format!(
                "file of {size} bytes is over the max-size of {max} bytes"
            ));
        }
    }
    None
}

/// One incoming INVITE: refused (`Ok(false)`), or a call whose file
/// arrived whole (`Ok(true)`) or not (`Err`).
async fn call(
    drv: &mut Driver,
    listener: &Arc<TcpListener>,
    msrp_addr: SocketAddr,
    inc: Incoming,
    opts: &Opts,
    seed: u64,
) -> Result<bool, String> {
    let Some(offer) = msrp_cli::take_offer(drv, &inc, |o| unacceptable(o, opts.max_size)).await
    else {
        return Ok(false);
    };
    let selector = offer
        .file
        .as_ref()
        .map(|f| f.selector.clone())
        .unwrap_or_default();
    let transfer_id = offer.file.as_ref().map_or("", |f| f.transfer_id.as_str());
    let name = msrp_cli::safe_file_name(
        selector.name.as_deref(),
        &format!("file-{}", msrp_cli::safe_file_name(Some(transfer_id), "x")),
    );
    let (role, msrp_addr, uri) =
        msrp_cli::answering(offer.setup, opts.active, msrp_addr, inc.peer.addr, seed)?;
    let answer = offer::answer(
        &offer,
        role,
        msrp_addr,
        uri,
        vec!["*".into()],
        opts.max_size,
    );
    let mut call = msrp_cli::accept(
        drv,
        &inc,
        &answer.to_sdp("receiver", seed >> 1),
        "receiver",
        opts.timeout,
    )
    .await?;
    examples::say!(
        "INVITE from {}: {name} ({} bytes) -> 200 OK, setup:{}",
        inc.from(),
        selector.size.map_or("?".into(), |s| s.to_string()),
        role.setup().as_str()
    );
    let mut cfg = answer
        .session_config(&offer)
        .ok_or("our own MSRP path is empty")?;
    cfg.seed = seed;
    cfg.transaction_timeout = opts.timeout;
    let job = Job {
        role,
        listener: listener.clone(),
        peer_path: offer.path.clone(),
        cfg,
        expected: selector.size,
        dir: opts.dir.clone(),
        name: name.clone(),
        timeout: opts.timeout,
    };
    let task = tokio::spawn(receive(job));
    let result = match call.run_beside(drv, task, opts.timeout).await {
        Beside::Done(r) => r,
        Beside::HungUp => Err("the sender hung up before the file was complete".into()),
    };
    match result {
        Ok(total) => {
            examples::say!("received {name} ({total} bytes)");
            if let Some((alg, _)) = &selector.hash {
                examples::say!(
                    "hash {alg} not checked (no {alg} implementation in this workspace)"
                );
            }
            // The sender hangs up once it has the REPORT; if it does not,
            // we do.
            if !call.await_bye(drv, opts.timeout).await {
                call.hang_up(drv).await?;
            }
            Ok(true)
        }
        Err(e) => {
            let _ = call.hang_up(drv).await;
            Err(e)
        }
    }
}

/// What the MSRP side of one call needs.
struct Job {
    role: Role,
    listener: Arc<TcpListener>,
    peer_path: Vec<msrp::MsrpUri>,
    cfg: SessionConfig,
    expected: Option<u64>,
    dir: PathBuf,
    name: String,
    timeout: Duration,
}

/// Receives the file into `DIR/.NAME.part`, renamed to `DIR/NAME` once
/// whole; returns its size.
async fn receive(job: Job) -> Result<u64, String> {
    let part = job.dir.join(format!(".{}.part", job.name));
    let result = receive_into(&job, &part).await;
    match &result {
        Ok(_) => std::fs::rename(&part, job.dir.join(&job.name))
            .map_err(|e| format!("{}: {e}", job.dir.join(&job.name).display()))?,
        Err(_) => {
            let _ = std::fs::remove_file(&part);
        }
    }
    result
}

async fn receive_into(job: &Job, part: &Path) -> Result<u64, String> {
    let stream =
        msrp_cli::open_connection(job.role, &job.listener, &job.peer_path, job.timeout).await?;
    let session = Session::new(job.cfg.clone()).map_err(|e| format!("MSRP session: {e}"))?;
    let mut conn = MsrpConn::new(session, stream, job.timeout);
    if job.role == Role::Active {
        // RFC 4975 7.1.1: the side that connects sends a SEND at once,
        // so the sender can bind the connection to the session.
        conn.session
            .send_message(MessageSpec::new("text/plain"), msrp::Bytes::new())
            .map_err(|e| format!("MSRP: {e}"))?;
    }
    let out = std::fs::File::create(part).map_err(|e| format!("{}: {e}", part.display()))?;
    let mut sink = FileSink::new(out);
    let total = msrp_cli::receive_file(&mut conn, &mut sink, job.expected)
        .await
        .map_err(|e| format!("{}: {e}", job.name))?;
    let file = sink
        .finish()
        .map_err(|e| format!("{}: {e}", part.display()))?;
    file.sync_all()
        .map_err(|e| format!("{}: {e}", part.display()))?;
    Ok(total)
}
