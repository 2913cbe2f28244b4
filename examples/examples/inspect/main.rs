//! `inspect KIND FILE`: the workspace's command-line inspector.
//!
//! For every kind the contract is the same: exit 0 and print the parsed input
//! in canonical form, or exit 1 and print a one-line error (what, where) on
//! stderr. `FILE` may be `-` for standard input. Any other exit code is a bug.

use std::io::Write;
use std::process::ExitCode;

mod msrp;
mod pidf;
mod policy;
mod rls;
mod simple_presence;
mod sip;

/// What one inspector kind produces: the canonical output, or a one-line error.
type Outcome = Result<Vec<u8>, String>;

/// A kind's entry point: the arguments after the kind name, to an outcome.
type Run = fn(&[String]) -> Outcome;

/// The kinds, each a function of the arguments that follow the kind.
/// Each module owns its kinds; a kind's function receives the arguments after
/// the kind name (usually just `FILE`).
const KINDS: &[(&str, &str, Run)] = &[
    ("sip", "one SIP message (a datagram)", sip::run),
    ("pidf", "a PIDF presence document", pidf::run),
    (
        "pidf-diff",
        "a partial PIDF (pidf-full or pidf-diff) document",
        pidf::run_diff,
    ),
    (
        "policy",
        "a common-policy or pres-rules document",
        policy::run,
    ),
    (
        "view",
        "--rules R --doc D --watcher URI: what a watcher sees",
        policy::run_view,
    ),
    (
        "rlmi",
        "an RLMI document or a multipart/related RLMI body",
        rls::run,
    ),
    (
        "resource-lists",
        "a resource-lists document",
        rls::run_resource_lists,
    ),
    (
        "rls-services",
        "an rls-services document",
        rls::run_rls_services,
    ),
    ("msrp", "a byte stream of MSRP chunks", msrp::run),
    (
        "winfo",
        "a watcherinfo document",
        simple_presence::run_winfo,
    ),
    (
        "iscomposing",
        "an isComposing document",
        simple_presence::run_iscomposing,
    ),
    ("imdn", "an IMDN notification", simple_presence::run_imdn),
];

fn usage() -> String {
    let mut s = String::from("usage: inspect KIND FILE   (FILE may be - for stdin)\nkinds:\n");
    for (name, help, _) in KINDS {
        s.push_str(&format!("  {name:<16} {help}\n"));
    }
    s
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(kind) = args.first() else {
        eprint!("{}", usage());
        return ExitCode::from(1);
    };
    if kind == "--help" || kind == "-h" {
        print!("{}", usage());
        return ExitCode::SUCCESS;
    }
    let Some((_, _, run)) = KINDS.iter().find(|(name, _, _)| name == kind) else {
        eprintln!("error: unknown kind {kind:?} (try --help)");
        return ExitCode::from(1);
    };
    match run(&args[1..]) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(&out)
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
