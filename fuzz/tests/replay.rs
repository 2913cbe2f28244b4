//! Replays every stored fuzz input on stable Rust, so CI checks the corpora
//! without a nightly toolchain or libFuzzer.
//!
//! For each target the inputs are: `fuzz/corpus/<target>/*` (what fuzzing
//! found interesting), `fuzz/regressions/<target>/*` (inputs that once crashed
//! or hung a parser, kept forever) and the public vectors in
//! `../shared/corpus` that seed it, as `fuzz/seeds.txt` lists (the same file
//! tells CI's fuzz smoke run where its seeds are).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A fuzz entry point.
type Entry = fn(&[u8]);

/// Every cargo-fuzz target, by the name of its binary in `fuzz/Cargo.toml`.
const TARGETS: &[(&str, Entry)] = &[
    ("msrp_chunk_stream", fuzz::msrp::chunk_stream),
    ("msrp_uri", fuzz::msrp::uri),
    ("msrp_sdp", fuzz::msrp::sdp),
    ("msrp_fingerprint", fuzz::msrp::fingerprint),
    ("msrp_cpim", fuzz::msrp::cpim),
    ("msrp_session", fuzz::msrp::session),
    ("msrp_session_pair", fuzz::msrp::session_pair),
    ("msrp_relay", fuzz::msrp::relay),
    ("msrp_chat", fuzz::msrp::chat),
    ("pidf_parse", fuzz::pidf::pidf_parse),
    ("pidf_diff_parse", fuzz::pidf::pidf_diff_parse),
    ("pidf_diff_apply", fuzz::pidf::pidf_diff_apply),
    ("policy_parse", fuzz::policy::policy_parse),
    ("policy_view", fuzz::policy::policy_view),
    ("rls_rlmi", fuzz::rls::rlmi),
    ("rls_resource_lists", fuzz::rls::resource_lists),
    ("rls_services", fuzz::rls::rls_services),
    ("rls_multipart", fuzz::rls::multipart),
    ("rls_server", fuzz::rls::server),
    ("sip_datagram", fuzz::sip::datagram),
    ("sip_round_trip", fuzz::sip::round_trip),
    ("sip_stream", fuzz::sip::stream),
    ("sip_differential", fuzz::sip::differential),
    ("sip_uri", fuzz::sip::uri),
    ("sip_headers", fuzz::sip::headers),
    ("sip_multipart", fuzz::sip::multipart),
    ("sip_endpoint", fuzz::sip_endpoint::endpoint),
    ("sip_subscriber", fuzz::sip_endpoint::subscriber),
    ("sp_winfo", fuzz::simple_presence::winfo),
    ("sp_iscomposing", fuzz::simple_presence::iscomposing),
    ("sp_imdn", fuzz::simple_presence::imdn),
    ("sp_view_bundle", fuzz::simple_presence::view_bundle),
    ("sp_roles", fuzz::simple_presence::roles),
    ("xml_tree", fuzz::xml::xml_tree),
];

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in rd.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_in(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn seeds() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds.txt"))
        .expect("fuzz/seeds.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (name, dirs) = l.split_once('\t').expect("target<TAB>dirs");
            (
                name.to_owned(),
                dirs.split_whitespace().map(str::to_owned).collect(),
            )
        })
        .collect()
}

#[test]
fn every_target_is_wired_and_seeded() {
    let seeds = seeds();
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .expect("fuzz/Cargo.toml");
    for (name, _) in TARGETS {
        assert!(seeds.contains_key(*name), "{name} missing from seeds.txt");
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} has no [[bin]] in fuzz/Cargo.toml"
        );
    }
    assert_eq!(
        seeds.len(),
        TARGETS.len(),
        "seeds.txt names a target that does not exist"
    );
}

#[test]
fn replay_all_targets() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = testkit::corpus_dir();
    let seeds = seeds();
    for (name, run) in TARGETS {
        let mut inputs = files_in(&here.join("corpus").join(name));
        inputs.extend(files_in(&here.join("regressions").join(name)));
        for dir in seeds.get(*name).into_iter().flatten() {
            inputs.extend(files_in(&shared.join(dir)));
        }
        assert!(!inputs.is_empty(), "target {name} has no inputs to replay");
        for path in &inputs {
            let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let result = std::panic::catch_unwind(|| run(&data));
            assert!(
                result.is_ok(),
                "target {name} panicked on {}",
                path.display()
            );
        }
        println!("{name}: {} inputs replayed", inputs.len());
    }
}
