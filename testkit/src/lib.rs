//! Test helpers shared by the workspace's crates.
//!
//! The public test vectors live outside the repository, in `../shared/corpus`
//! next to the checkout (see that folder's README). These helpers find and
//! read them so that every crate's tests name vectors the same way.
//! [`alloc`] counts allocations for the crates' `allocs` benches.

use std::path::{Path, PathBuf};

/// The root of the shared corpus: `<workspace>/../shared/corpus`.
///
/// The environment variable `SIMPLE_CORPUS_DIR` overrides it.
pub fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SIMPLE_CORPUS_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("..")
        .join("shared")
        .join("corpus")
}

/// Reads one vector, `rel` being its path below the corpus root
/// (e.g. `"sip/rfc4475/wsinv.dat"`).
///
/// # Panics
/// When the file cannot be read: a missing vector is a broken test setup.
pub fn vector(rel: &str) -> Vec<u8> {
    let path = corpus_dir().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Lists the files of one corpus folder whose name ends with `ext`, sorted by
/// name, as `(file name, bytes)` pairs.
///
/// # Panics
/// When the folder cannot be read.
pub fn vectors(dir: &str, ext: &str) -> Vec<(String, Vec<u8>)> {
    let path = corpus_dir().join(dir);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.ends_with(ext).then(|| {
                let bytes =
                    std::fs::read(e.path()).unwrap_or_else(|err| panic!("reading {name}: {err}"));
                (name, bytes)
            })
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Reads a tab-separated table (such as `sip/rfc4475/EXPECTED.tsv`), skipping
/// `#` comment lines, as rows of fields.
pub fn tsv(rel: &str) -> Vec<Vec<String>> {
    let text = String::from_utf8(vector(rel)).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

pub mod alloc;
pub mod interleave;
pub mod net;

/// The floor the XML parse benches compare against: every event of `doc`
/// read by a bare quick-xml `read_event` loop, nothing kept. Returns the
/// number of events (so the loop cannot be optimised away).
pub fn xml_floor(doc: &[u8]) -> usize {
    let mut r = quick_xml::Reader::from_reader(doc);
    let mut n = 0usize;
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Eof) | Err(_) => break,
            Ok(_) => n += 1,
        }
    }
    n
}

/// A second reference for the XML parse benches: every event of `doc` read
/// by quick-xml's namespace-resolving reader (`NsReader`), which binds each
/// element and attribute name to its namespace URI, as any reader of
/// namespaced vocabularies (PIDF, RLMI, common-policy) has to; nothing is
/// kept. Returns the number of events and resolved attribute names.
pub fn xml_ns_floor(doc: &[u8]) -> usize {
    use quick_xml::events::Event;
    let mut r = quick_xml::NsReader::from_reader(doc);
    let mut n = 0usize;
    loop {
        match r.read_resolved_event() {
            Ok((_, Event::Eof)) | Err(_) => break,
            Ok((ns, Event::Start(e) | Event::Empty(e))) => {
                n += usize::from(matches!(ns, quick_xml::name::ResolveResult::Bound(_)));
                for a in e.attributes().flatten() {
                    let (ans, _) = r.resolver().resolve_attribute(a.key);
                    n += usize::from(matches!(ans, quick_xml::name::ResolveResult::Bound(_)));
                }
            }
            Ok(_) => n += 1,
        }
    }
    n
}
