//! `inspect` kinds for the `policy` documents.
//!
//! - `policy FILE`: a common-policy or pres-rules document, written back as
//!   parsed (unknown extensions kept).
//! - `view --rules R --doc D (--watcher URI | --anonymous) [--time T]
//!   [--sphere S]`: what that watcher receives. The first line is
//!   `sub-handling: <value>`; the document follows when there is one. `T` is
//!   an XML dateTime (default: the system clock); the sphere defaults to the
//!   one the presence document states (RFC 5025 section 3.1.2).

use pidf::xml::{Document, Limits};
use policy::{presence_sphere, Context, DateTime, RuleSet, Watcher};

use crate::Outcome;

fn one_file(args: &[String]) -> Result<&str, String> {
    match args {
        [file] => Ok(file),
        _ => Err("usage: inspect policy FILE".into()),
    }
}

/// `inspect policy FILE`.
pub(crate) fn run(args: &[String]) -> Outcome {
    let path = one_file(args)?;
    let bytes = examples::read_input(path)?;
    let rules = RuleSet::parse(&bytes).map_err(|e| format!("{path}: {e}"))?;
    let mut out = rules.to_bytes();
    if out.last() != Some(&b'\n') {
        out.push(b'\n');
    }
    Ok(out)
}

const VIEW_USAGE: &str =
    "usage: inspect view --rules R --doc D (--watcher URI | --anonymous) [--time DATETIME] [--sphere S]";

/// `inspect view --rules R --doc D --watcher URI`.
pub(crate) fn run_view(args: &[String]) -> Outcome {
    let (mut rules, mut doc, mut watcher, mut time, mut sphere) = (None, None, None, None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value; {VIEW_USAGE}"))
        };
        match flag.as_str() {
            "--rules" => rules = Some(value()?),
            "--doc" => doc = Some(value()?),
            "--watcher" => watcher = Some(Watcher::authenticated(&value()?)),
            "--anonymous" => watcher = Some(Watcher::unauthenticated()),
            "--time" => {
                let v = value()?;
                time = Some(
                    DateTime::parse(&v)
                        .ok_or_else(|| format!("--time: not an XML dateTime: {v:?}"))?,
                );
            }
            "--sphere" => sphere = Some(value()?),
            other => return Err(format!("unknown argument {other:?}; {VIEW_USAGE}")),
        }
    }
    let (Some(rules_path), Some(doc_path), Some(watcher)) = (rules, doc, watcher) else {
        return Err(VIEW_USAGE.into());
    };
    let rules_bytes = examples::read_input(&rules_path)?;
    // A rule document that does not parse shows nothing: report and stop.
    let rules = RuleSet::parse(&rules_bytes).map_err(|e| format!("{rules_path}: {e}"))?;
    let doc_bytes = examples::read_input(&doc_path)?;
    let presence =
        Document::parse(&doc_bytes, &Limits::default()).map_err(|e| format!("{doc_path}: {e}"))?;
    #[allow(clippy::disallowed_methods)] // the example reads the clock and passes it in
    let now = time.unwrap_or_else(|| DateTime::from_system_time(std::time::SystemTime::now()));
    let sphere = sphere.or_else(|| presence_sphere(&presence));
    let ctx = Context::new(Some(now), sphere);
    let decision = rules
        .decide(&watcher, &ctx, &presence)
        .map_err(|e| format!("{doc_path}: {e}"))?;
    let mut out = format!("sub-handling: {}\n", decision.sub_handling.as_str()).into_bytes();
    if let Some(d) = decision.document_bytes() {
        out.extend_from_slice(&d);
        out.push(b'\n');
    }
    Ok(out)
}
