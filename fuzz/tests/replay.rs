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
    table("seeds.txt")
}

/// A `target<TAB>words` file of this folder (`#` lines are comments).
fn table(file: &str) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .unwrap_or_else(|e| panic!("fuzz/{file}: {e}"));
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

/// One line of a libFuzzer dictionary: `"token"` or `name="token"`, with
/// only `\\`, `\"` and `\xHH` escapes and printable ASCII otherwise (what
/// libFuzzer's `-dict=` reads; any other line makes it refuse to start).
/// Returns the token's bytes.
fn dict_entry(line: &str) -> Option<Vec<u8>> {
    let body = match line.find('"') {
        Some(0) => line,
        Some(eq) if line.get(eq - 1..eq) == Some("=") => {
            let name = &line[..eq - 1];
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return None;
            }
            &line[eq..]
        }
        _ => return None,
    };
    let inner = body.strip_prefix('"')?.strip_suffix('"')?.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = inner.get(i) {
        match b {
            b'\\' => match inner.get(i + 1)? {
                b'\\' | b'"' => {
                    out.push(inner[i + 1]);
                    i += 2;
                }
                b'x' => {
                    let hex = std::str::from_utf8(inner.get(i + 2..i + 4)?).ok()?;
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 4;
                }
                _ => return None,
            },
            b'"' => return None,
            b' '..=b'~' => {
                out.push(b);
                i += 1;
            }
            _ => return None,
        }
    }
    (!out.is_empty()).then_some(out)
}

#[test]
fn dictionary_lines_are_read_as_libfuzzer_reads_them() {
    assert_eq!(dict_entry(r#""SIP/2.0""#), Some(b"SIP/2.0".to_vec()));
    assert_eq!(dict_entry(r#"kw1="a\"b""#), Some(b"a\"b".to_vec()));
    assert_eq!(
        dict_entry(r#""\r\n""#),
        None,
        "C escapes other than \\ \" \\x are not read"
    );
    assert_eq!(dict_entry(r#""\x0D\x0A""#), Some(b"\r\n".to_vec()));
    for bad in [
        r#""a"b""#,
        r#""\x4""#,
        "noquote",
        r#""""#,
        r#"="a""#,
        "\"tab\there\"",
    ] {
        assert_eq!(dict_entry(bad), None, "{bad}");
    }
}

#[test]
fn every_target_has_a_dictionary_libfuzzer_can_read() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dicts = table("dicts.txt");
    for (name, _) in TARGETS {
        let files = dicts
            .get(*name)
            .unwrap_or_else(|| panic!("{name} missing from dicts.txt"));
        assert_eq!(files.len(), 1, "{name}: libFuzzer takes one dictionary");
    }
    assert_eq!(
        dicts.len(),
        TARGETS.len(),
        "dicts.txt names a target that does not exist"
    );
    let used: std::collections::BTreeSet<&String> = dicts.values().flatten().collect();
    for file in used {
        let path = here.join("dict").join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut entries = 0;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            assert!(
                dict_entry(line).is_some(),
                "{file}:{}: libFuzzer cannot read {line}",
                n + 1
            );
            entries += 1;
        }
        assert!(entries >= 50, "{file}: only {entries} entries");
        println!("{file}: {entries} entries");
    }
}
