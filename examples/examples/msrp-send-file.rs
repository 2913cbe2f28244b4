//! `msrp-send-file`: sends one file over MSRP (RFC 4975), the session set
//! up by a SIP INVITE whose SDP offer describes the file (RFC 5547 push:
//! `a=sendonly`, `a=file-selector`, `a=file-transfer-id`, `a=setup:actpass`
//! of RFC 6135).
//!
//! ```text
//! msrp-send-file --server 127.0.0.1:5070 --as sip:alice@127.0.0.1 --to sip:bob@127.0.0.1:5070 report.pdf
//! ```
//!
//! The file is read block by block while it is sent (constant memory, any
//! size); it asks for a success REPORT and exits 0 once the REPORT says
//! every byte arrived, after hanging up (BYE).
#![allow(clippy::disallowed_methods)]

use examples::args::Args;
use examples::msrp_cli::{
    self, offer, Beside, Call, FileSource, MsrpConn, Role, DEFAULT_CHUNK, DEFAULT_TIMEOUT,
    MAX_CHUNK,
};
use examples::net::{peer_for, resolve, uri_arg};
use msrp::sdp::Direction;
use msrp::{MessageSpec, Session};
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: msrp-send-file --server HOST:PORT --as URI --to URI [--chunk-size N]
                      [--type TYPE] [--tcp] [--timeout S] FILE

Offers FILE to URI in an INVITE sent to HOST:PORT (SDP: sendonly,
file-selector with name, type and size, setup:actpass), sends it over MSRP
once the 200 answers, waits for the success REPORT, hangs up (BYE).
  --chunk-size N  bytes per MSRP chunk (default 65536, at most 4194304)
  --type TYPE     the file's media type (default: from its extension,
                  else application/octet-stream)
  --tcp           SIP over TCP (MSRP is always TCP)
  --timeout S     longest wait for any answer or progress (default 10)
Exit status: 0 when the REPORT confirms the file; 1 on refusal (e.g. 488
when the file is over the receiver's max-size), failure or timeout.";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("msrp-send-file: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let args = Args::parse(std::env::args().skip(1), &["tcp"])?;
    if args.flag("help") {
        examples::say!("{USAGE}");
        return Ok(());
    }
    args.only(&["server", "as", "to", "chunk-size", "type", "tcp", "timeout"])?;
    let server = resolve(args.require("server")?)?;
    let me = args.require("as")?;
    uri_arg("as", me)?;
    let to = args.require("to")?;
    uri_arg("to", to)?;
    let [path] = args.positional.as_slice() else {
        return Err("one FILE to send is needed (see --help)".into());
    };
    let chunk: usize = args.parsed("chunk-size", DEFAULT_CHUNK)?;
    if chunk == 0 || chunk > MAX_CHUNK {
        return Err(format!("--chunk-size {chunk}: 1 to {MAX_CHUNK}"));
    }
    let timeout = Duration::from_secs(args.parsed("timeout", DEFAULT_TIMEOUT)?);
    let tcp = args.flag("tcp");

    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let size = file.metadata().map_err(|e| format!("{path}: {e}"))?.len();
    let name = std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{path}: not a file name"))?;
    let media_type = args
        .get("type")
        .unwrap_or_else(|| msrp_cli::guess_type(&name))
        .to_owned();
    let well_formed = media_type.split_once('/').is_some_and(|(t, s)| {
        let token = |x: &str| {
            !x.is_empty()
                && x.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
        };
        token(t) && token(s)
    });
    if !well_formed {
        return Err(format!("--type {media_type}: a type/subtype is needed"));
    }

    let seed = examples::seed();
    // An actpass offer carries a real listening address (RFC 6135 4.2.2).
    let (mut drv, listener, listen, uri) = msrp_cli::bind_calling(server, tcp, seed).await?;
    let ours = offer::file(
        listen,
        uri,
        &name,
        &media_type,
        size,
        &msrp_cli::token(seed ^ 1, 16),
    );
    let sdp = ours.to_sdp(msrp_cli::user_of(me, "sender"), seed >> 1);
    let peer = peer_for(server, tcp);
    let (mut call, answer) = Call::invite(&mut drv, peer, me, to, &sdp, timeout).await?;

    let checked = check_answer(&answer, size);
    if let Err(e) = checked {
        let _ = call.hang_up(&mut drv).await;
        return Err(e);
    }
    let mut cfg = ours
        .session_config(&answer)
        .ok_or("our own MSRP path is empty")?;
    cfg.chunk_size = chunk;
    cfg.seed = seed;
    cfg.transaction_timeout = timeout;
    // A receiver that connects binds the connection with a SEND of its
    // own (RFC 4975 7.1.1): take it rather than refuse it.
    cfg.may_receive = true;
    let role = Role::of_offerer(answer.setup);
    let peer_path = answer.path.clone();
    let task = tokio::spawn(async move {
        let stream = msrp_cli::open_connection(role, &listener, &peer_path, timeout).await?;
        let session = Session::new(cfg).map_err(|e| format!("MSRP session: {e}"))?;
        let conn = MsrpConn::new(session, stream, timeout);
        send_file(conn, file, size, media_type, name).await
    });
    let outcome = call
        .run_beside(&mut drv, task, Duration::from_millis(500))
        .await;
    let result = match outcome {
        Beside::Done(r) => r,
        Beside::HungUp => Err("the receiver hung up (BYE) before the file was confirmed".into()),
    };
    let bye = call.hang_up(&mut drv).await;
    let (sent, took) = result?;
    bye?;
    examples::say!("sent {path} ({sent} bytes) in {:.2}s", took.as_secs_f64());
    Ok(())
}

/// Checks the receiver's answer (RFC 5547 8.3, RFC 4975 8): the stream
/// accepted (port not 0), a direction that lets us send, and a max-size
/// the file fits in.
fn check_answer(answer: &msrp::sdp::MsrpDescription, size: u64) -> Result<(), String> {
    if answer.port == 0 {
        return Err("the receiver declined the file (port 0 in its answer)".into());
    }
    if !matches!(answer.direction, Direction::RecvOnly | Direction::SendRecv) {
        return Err(format!(
            "the receiver answered {:?}: it will not receive",
            answer.direction
        ));
    }
    if let Some(max) = answer.max_size {
        if size > max {
            return Err(format!(
                "the file of {size} bytes is over the receiver's max-size of {max} bytes"
            ));
        }
    }
    Ok(())
}

/// Streams the file and waits for the success REPORT covering all of it.
async fn send_file(
    mut conn: MsrpConn,
    file: std::fs::File,
    size: u64,
    media_type: String,
    name: String,
) -> Result<(u64, Duration), String> {
    let started = Instant::now();
    let mut spec = MessageSpec::new(&media_type);
    let quoted = name.replace(['"', '\\'], "_");
    spec.extra_headers.push((
        "Content-Disposition".into(),
        format!("attachment; filename=\"{quoted}\""),
    ));
    let chunk = conn.session.config().chunk_size;
    let mut source = FileSource::new(std::io::BufReader::new(file), size, chunk);
    msrp_cli::send_file(&mut conn, &mut source, spec).await?;
    examples::say!("REPORT 200 for all {size} bytes");
    Ok((size, started.elapsed()))
}
