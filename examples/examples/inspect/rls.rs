//! `inspect` kinds for the `rls` documents: `rlmi` (an RLMI document, or a
//! whole multipart body carrying one), `resource-lists` and `rls-services`.
//!
//! Documents are printed written back from the typed model, indented.
//! Multipart bodies are printed as a canonical multipart body (CRLF, the
//! same boundaries, each part's headers unfolded), with the RLMI root
//! rewritten from the typed model and nested multiparts treated the same
//! way; other parts are kept byte for byte. A failure names the part it is
//! in (`part 2 > part 1: ...`).

use rls::mime::{ContentType, MimeLimits, Multipart, Part};
use rls::notify::{NotifyLimits, RlmiNotification};
use rls::resource_lists::ResourceLists;
use rls::rlmi::{self, Rlmi};
use rls::rls_services::RlsServices;

use crate::Outcome;

fn input(args: &[String], kind: &str) -> Result<(String, Vec<u8>), String> {
    let [path] = args else {
        return Err(format!("usage: inspect {kind} FILE"));
    };
    Ok((path.clone(), examples::read_input(path)?))
}

fn finish(s: String) -> Vec<u8> {
    let mut out = s.into_bytes();
    out.push(b'\n');
    out
}

/// An RLMI document, or a multipart body (told apart by its first bytes:
/// `<` for XML, `--` for a multipart delimiter).
pub(crate) fn run(args: &[String]) -> Outcome {
    let (path, bytes) = input(args, "rlmi")?;
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let head = bytes.get(start..).unwrap_or_default();
    if head.starts_with(b"<") {
        let doc = Rlmi::parse(&bytes).map_err(|e| format!("{path}: {e}"))?;
        return Ok(finish(doc.to_pretty_string()));
    }
    if !head.starts_with(b"--") {
        return Err(format!(
            "{path}: neither an XML document nor a multipart body (no leading '<' or '--')"
        ));
    }
    let limits = MimeLimits::default();
    let mp = Multipart::parse_detect(&bytes, &limits).map_err(|e| format!("{path}: {e}"))?;
    let mut out = Vec::new();
    canonical(&mp, None, 1, &limits)
        .map_err(|e| format!("{path}: {e}"))?
        .write(&mut out);
    Ok(out)
}

/// Rewrites a multipart body. `ct` is its Content-Type when known; without
/// it (the top level of a stored body) a first part of type
/// `application/rlmi+xml` makes it an RLMI notification.
fn canonical(
    mp: &Multipart,
    ct: Option<&ContentType>,
    depth: usize,
    limits: &MimeLimits,
) -> Result<Multipart, String> {
    if depth > limits.max_depth {
        return Err(format!("multipart nested deeper than {}", limits.max_depth));
    }
    let first_is_rlmi = mp
        .parts
        .first()
        .and_then(Part::content_type)
        .is_some_and(|c| c.mime == rlmi::CONTENT_TYPE);
    let is_rlmi = match ct {
        Some(c) => {
            c.mime == "multipart/related"
                && c.param("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case(rlmi::CONTENT_TYPE))
        }
        None => first_is_rlmi,
    };
    let mut root_index = None;
    if is_rlmi {
        let start = ct
            .and_then(|c| c.param("start"))
            .map(rls::mime::strip_angle);
        let n = RlmiNotification::from_multipart(mp, start, &NotifyLimits::default())
            .map_err(|e| format!("RLMI notification: {e}"))?;
        if let Some(cid) = n.dangling_cids().first() {
            return Err(format!(
                "RLMI instance cid {cid:?} names no part of the body"
            ));
        }
        root_index = mp
            .parts
            .iter()
            .position(|p| p.content_id() == Some(n.root_cid.as_str()));
    }
    let mut out = Multipart {
        boundary: mp.boundary.clone(),
        parts: Vec::with_capacity(mp.parts.len()),
    };
    for (i, p) in mp.parts.iter().enumerate() {
        let here = |e: String| format!("part {} > {e}", i + 1);
        let pct = p
            .content_type()
            .ok_or_else(|| here("malformed Content-Type".into()))?;
        let body = if root_index == Some(i) {
            let doc = Rlmi::parse(&p.body).map_err(|e| here(e.to_string()))?;
            doc.to_pretty_string().into_bytes()
        } else if pct.is_multipart() {
            let boundary = pct
                .param("boundary")
                .ok_or_else(|| here("multipart part without boundary".into()))?;
            let inner =
                Multipart::parse(&p.body, boundary, limits).map_err(|e| here(e.to_string()))?;
            canonical(&inner, Some(&pct), depth + 1, limits)
                .map_err(here)?
                .to_bytes()
        } else {
            p.body.clone()
        };
        out.parts.push(Part {
            headers: p.headers.clone(),
            body,
        });
    }
    Ok(out)
}

/// A resource-lists document.
pub(crate) fn run_resource_lists(args: &[String]) -> Outcome {
    let (path, bytes) = input(args, "resource-lists")?;
    let doc = ResourceLists::parse(&bytes).map_err(|e| format!("{path}: {e}"))?;
    Ok(finish(doc.to_pretty_string()))
}

/// An rls-services document.
pub(crate) fn run_rls_services(args: &[String]) -> Outcome {
    let (path, bytes) = input(args, "rls-services")?;
    let doc = RlsServices::parse(&bytes).map_err(|e| format!("{path}: {e}"))?;
    Ok(finish(doc.to_pretty_string()))
}
