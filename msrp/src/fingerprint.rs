//! Certificate fingerprints: the SDP `a=fingerprint` attribute of RFC 8122
//! section 5, as MSRP uses it to authenticate a TLS peer that presents a
//! self-signed certificate (RFC 4975 section 14.4).
//!
//! ```text
//! fingerprint-attribute = "fingerprint" ":" hash-func SP fingerprint
//! hash-func   = "sha-1" / "sha-224" / "sha-256" / "sha-384" / "sha-512"
//!             / "md5" / "md2" / token
//! fingerprint = 2UHEX *(":" 2UHEX)
//! ```
//!
//! The hash function name is compared case-insensitively (RFC 4975's own
//! example writes `SHA-1`). Hex digits are written upper-case, as the
//! grammar asks, and read in either case. A fingerprint of a known hash
//! function must have that function's digest length.
//!
//! A fingerprint is a digest over the DER form of the certificate. This
//! crate computes SHA-224/256/384/512 and MD5; SHA-1 and MD2 fingerprints
//! are read and written but cannot be checked here, and [`verify`] says so
//! instead of accepting them. Several fingerprints may be offered (one per
//! hash function or per certificate, RFC 8122 section 5): a certificate is
//! accepted when any offered fingerprint it can compute matches.
//!
//! ```
//! use msrp::fingerprint::{verify, Fingerprint, HashFunc};
//!
//! let cert_der = b"not really DER, but any bytes hash";
//! let mine = Fingerprint::of_certificate(HashFunc::Sha256, cert_der).unwrap();
//! let text = mine.to_string(); // "sha-256 0F:..."
//! let offered = Fingerprint::parse(&text).unwrap();
//! assert!(verify(&[offered], cert_der).is_ok());
//! assert!(verify(&[mine], b"another certificate").is_err());
//! ```
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

pub use crate::error::FingerprintError;
use std::fmt;

/// Longest digest accepted for a hash function this crate does not know
/// (SHA-512, the longest defined one, has 64 bytes).
pub const MAX_DIGEST: usize = 64;

/// Longest hash function token accepted.
const MAX_TOKEN: usize = 32;

/// The hash function of a fingerprint (RFC 8122 section 5, names from
/// RFC 3279 and RFC 4055).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HashFunc {
    /// `sha-1` (20 bytes; read and written, not computed here).
    Sha1,
    /// `sha-224` (28 bytes).
    Sha224,
    /// `sha-256` (32 bytes).
    Sha256,
    /// `sha-384` (48 bytes).
    Sha384,
    /// `sha-512` (64 bytes).
    Sha512,
    /// `md5` (16 bytes).
    Md5,
    /// `md2` (16 bytes; read and written, not computed here).
    Md2,
    /// Any other token, kept lower-cased.
    Other(String),
}

impl HashFunc {
    /// Reads a hash function token, case-insensitively; `None` when it is
    /// not a token (RFC 4566 `token`: visible characters except
    /// separators) or is too long.
    pub fn parse(s: &str) -> Option<HashFunc> {
        if s.is_empty() || s.len() > MAX_TOKEN || !s.bytes().all(is_token_char) {
            return None;
        }
        let lower = s.to_ascii_lowercase();
        Some(match lower.as_str() {
            "sha-1" => HashFunc::Sha1,
            "sha-224" => HashFunc::Sha224,
            "sha-256" => HashFunc::Sha256,
            "sha-384" => HashFunc::Sha384,
            "sha-512" => HashFunc::Sha512,
            "md5" => HashFunc::Md5,
            "md2" => HashFunc::Md2,
            _ => HashFunc::Other(lower),
        })
    }

    /// The token as written on the wire (lower-case).
    pub fn as_str(&self) -> &str {
        match self {
            HashFunc::Sha1 => "sha-1",
            HashFunc::Sha224 => "sha-224",
            HashFunc::Sha256 => "sha-256",
            HashFunc::Sha384 => "sha-384",
            HashFunc::Sha512 => "sha-512",
            HashFunc::Md5 => "md5",
            HashFunc::Md2 => "md2",
            HashFunc::Other(s) => s,
        }
    }

    /// The digest length in bytes, when the function is known.
    pub fn digest_len(&self) -> Option<usize> {
        match self {
            HashFunc::Sha1 => Some(20),
            HashFunc::Sha224 => Some(28),
            HashFunc::Sha256 => Some(32),
            HashFunc::Sha384 => Some(48),
            HashFunc::Sha512 => Some(64),
            HashFunc::Md5 | HashFunc::Md2 => Some(16),
            HashFunc::Other(_) => None,
        }
    }

    /// Whether this crate can compute the function (and so check a
    /// fingerprint made with it).
    pub fn is_computable(&self) -> bool {
        self.digest(b"").is_some()
    }

    /// The digest of `data`, when this crate can compute the function.
    pub fn digest(&self, data: &[u8]) -> Option<Vec<u8>> {
        use md5::Digest as _;
        Some(match self {
            HashFunc::Sha224 => sha2::Sha224::digest(data).to_vec(),
            HashFunc::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashFunc::Sha384 => sha2::Sha384::digest(data).to_vec(),
            HashFunc::Sha512 => sha2::Sha512::digest(data).to_vec(),
            HashFunc::Md5 => md5::Md5::digest(data).to_vec(),
            HashFunc::Sha1 | HashFunc::Md2 | HashFunc::Other(_) => return None,
        })
    }
}

impl fmt::Display for HashFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// RFC 4566 `token-char`.
fn is_token_char(b: u8) -> bool {
    matches!(b,
        b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'0'..=b'9'
        | b'A'..=b'Z' | b'^'..=b'~')
}

/// One certificate fingerprint: a hash function and the digest of the
/// certificate's DER form under it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    hash: HashFunc,
    digest: Vec<u8>,
}

impl Fingerprint {
    /// A fingerprint from its parts; the digest length must match a known
    /// hash function (1 to [`MAX_DIGEST`] bytes for others).
    pub fn new(hash: HashFunc, digest: Vec<u8>) -> Result<Self, FingerprintError> {
        let ok = match hash.digest_len() {
            Some(n) => digest.len() == n,
            None => (1..=MAX_DIGEST).contains(&digest.len()),
        };
        if !ok {
            return Err(FingerprintError::Length {
                expected: hash.digest_len(),
                found: digest.len(),
            });
        }
        Ok(Fingerprint { hash, digest })
    }

    /// Reads an attribute value: `hash-func SP fingerprint`, e.g.
    /// `sha-256 4A:AD:...`. Spaces or tabs around the value and between
    /// its two parts are tolerated; anything else is an error.
    pub fn parse(s: &str) -> Result<Self, FingerprintError> {
        let s = s.trim_matches([' ', '\t']);
        let (func, hex) = s.split_once([' ', '\t']).ok_or(FingerprintError::Syntax(
            "no digest after the hash function",
        ))?;
        let hash = HashFunc::parse(func).ok_or(FingerprintError::Syntax("bad hash function"))?;
        let hex = hex.trim_start_matches([' ', '\t']);
        // Each byte takes three characters ("AB:"), the last two.
        if hex.len() > MAX_DIGEST * 3 {
            return Err(FingerprintError::Length {
                expected: hash.digest_len(),
                found: hex.len().div_ceil(3),
            });
        }
        let mut digest = Vec::with_capacity(hex.len().div_ceil(3));
        for pair in hex.split(':') {
            let &[hi, lo] = pair.as_bytes() else {
                return Err(FingerprintError::Syntax("not two hex digits per byte"));
            };
            let (Some(hi), Some(lo)) = (hex_val(hi), hex_val(lo)) else {
                return Err(FingerprintError::Syntax("not a hex digit"));
            };
            digest.push(hi << 4 | lo);
        }
        Fingerprint::new(hash, digest)
    }

    /// The fingerprint of a certificate (its DER bytes) under `hash`;
    /// `None` when this crate cannot compute that function (SHA-1, MD2,
    /// unknown ones).
    pub fn of_certificate(hash: HashFunc, der: &[u8]) -> Option<Fingerprint> {
        let digest = hash.digest(der)?;
        Some(Fingerprint { hash, digest })
    }

    /// The hash function.
    pub fn hash(&self) -> &HashFunc {
        &self.hash
    }

    /// The digest bytes.
    pub fn digest(&self) -> &[u8] {
        &self.digest
    }

    /// Whether `der` is the certificate this fingerprint was made of:
    /// `Some(true)` or `Some(false)` when the function can be computed,
    /// `None` when it cannot.
    pub fn matches(&self, der: &[u8]) -> Option<bool> {
        let d = self.hash.digest(der)?;
        // Not a secret comparison: the digest is public (it is in the SDP).
        Some(d == self.digest)
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for Fingerprint {
    /// `hash-func SP fingerprint`, the hex upper-case.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hash.as_str())?;
        for (i, b) in self.digest.iter().enumerate() {
            let sep = if i == 0 { ' ' } else { ':' };
            write!(f, "{sep}{b:02X}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = FingerprintError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fingerprint::parse(s)
    }
}

/// Checks the peer's certificate (DER) against the fingerprints offered in
/// its SDP (RFC 4975 section 14.4, RFC 8122 section 5).
///
/// Accepts when any offered fingerprint whose hash function this crate can
/// compute matches. Refuses with [`FingerprintError::Missing`] when nothing
/// was offered, [`FingerprintError::NoUsableHash`] (naming the functions)
/// when none of the offered functions can be computed, and
/// [`FingerprintError::Mismatch`] when every computable one differs. On a
/// refusal the application must tear the connection down.
pub fn verify(offered: &[Fingerprint], cert_der: &[u8]) -> Result<(), FingerprintError> {
    if offered.is_empty() {
        return Err(FingerprintError::Missing);
    }
    let mut computed = false;
    for fp in offered {
        match fp.matches(cert_der) {
            Some(true) => return Ok(()),
            Some(false) => computed = true,
            None => {}
        }
    }
    if computed {
        Err(FingerprintError::Mismatch)
    } else {
        let mut funcs: Vec<HashFunc> = Vec::new();
        for fp in offered {
            if !funcs.contains(&fp.hash) {
                funcs.push(fp.hash.clone());
            }
        }
        Err(FingerprintError::NoUsableHash(funcs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A fixed stand-in for a certificate: the bytes of a minimal DER
    /// SEQUENCE. The expected digests below were computed independently
    /// with coreutils:
    /// `printf '\x30\x0c\x02\x01\x01\x0c\x05hello\x05\x00' | sha256sum`
    /// (and sha224sum, sha384sum, sha512sum, md5sum).
    const DER: &[u8] = b"\x30\x0c\x02\x01\x01\x0c\x05hello\x05\x00";
    const DER_SHA256: &str = "216bb35c8912307f08607df254b6a11adcc84da555b01ef6a6862076bbdb0627";
    const DER_SHA224: &str = "9ac53e5651424c3758b49431e30b0644454a1704458839e4b1baddd0";
    const DER_SHA384: &str = "0a299119af977da5e044827f504eb1bd35ace7aa9d642022cb89a2def74a053b8a952aef5cb55181e2cf9296d44e3389";
    const DER_SHA512: &str = "c9930ff168a0e44aa3abbdb2ab5b5fd5f593ee6bbd99b59d7f9e4c5dfc2cb341dcbe1b870ebb034c73db65aaa149df4efa781c264b7f059e060d4dd3d2ae0fa5";
    const DER_MD5: &str = "5cd9ef14533209da3424030d300f9e48";

    fn colon_hex(plain: &str) -> String {
        plain
            .as_bytes()
            .chunks(2)
            .map(|p| std::str::from_utf8(p).unwrap().to_ascii_uppercase())
            .collect::<Vec<_>>()
            .join(":")
    }

    #[test]
    fn digests_match_coreutils() {
        for (hash, plain) in [
            (HashFunc::Sha224, DER_SHA224),
            (HashFunc::Sha256, DER_SHA256),
            (HashFunc::Sha384, DER_SHA384),
            (HashFunc::Sha512, DER_SHA512),
            (HashFunc::Md5, DER_MD5),
        ] {
            let fp = Fingerprint::of_certificate(hash.clone(), DER).unwrap();
            assert_eq!(fp.to_string(), format!("{hash} {}", colon_hex(plain)));
            assert_eq!(fp.digest().len(), hash.digest_len().unwrap());
            assert_eq!(Fingerprint::parse(&fp.to_string()).unwrap(), fp);
            assert_eq!(fp.matches(DER), Some(true));
            assert_eq!(fp.matches(b"other"), Some(false));
        }
        assert_eq!(Fingerprint::of_certificate(HashFunc::Sha1, DER), None);
        assert_eq!(Fingerprint::of_certificate(HashFunc::Md2, DER), None);
        assert_eq!(
            Fingerprint::of_certificate(HashFunc::Other("x-hash".into()), DER),
            None
        );
    }

    #[test]
    fn rfc4975_figure_19() {
        // RFC 4975 section 14.4, figure 19 (the value joined on one line).
        let v = "SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB";
        let fp = Fingerprint::parse(v).unwrap();
        assert_eq!(fp.hash(), &HashFunc::Sha1);
        assert_eq!(fp.digest().len(), 20);
        assert_eq!(fp.digest()[..3], [0x4A, 0xAD, 0xB9]);
        // Written back with the canonical lower-case name.
        assert_eq!(fp.to_string(), v.replace("SHA-1", "sha-1"));
        // SHA-1 cannot be checked here: the refusal says why.
        assert_eq!(
            verify(&[fp], DER),
            Err(FingerprintError::NoUsableHash(vec![HashFunc::Sha1]))
        );
    }

    #[test]
    fn hash_names_are_case_insensitive() {
        for (s, h) in [
            ("sha-256", HashFunc::Sha256),
            ("SHA-256", HashFunc::Sha256),
            ("Sha-224", HashFunc::Sha224),
            ("sHa-384", HashFunc::Sha384),
            ("SHA-512", HashFunc::Sha512),
            ("MD5", HashFunc::Md5),
            ("md2", HashFunc::Md2),
            ("X-New", HashFunc::Other("x-new".into())),
        ] {
            assert_eq!(HashFunc::parse(s), Some(h), "{s}");
        }
        for bad in ["", "sha 1", "sha:1", "a\"b", &"x".repeat(33)] {
            assert_eq!(HashFunc::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn malformed_values_are_refused() {
        let ok32 = vec!["AB"; 32].join(":");
        assert!(Fingerprint::parse(&format!("sha-256 {ok32}")).is_ok());
        assert!(Fingerprint::parse(&format!("  sha-256\t {}  ", ok32.to_lowercase())).is_ok());
        for (v, err) in [
            (
                "sha-256",
                FingerprintError::Syntax("no digest after the hash function"),
            ),
            (
                "",
                FingerprintError::Syntax("no digest after the hash function"),
            ),
            ("s(a 00", FingerprintError::Syntax("bad hash function")),
            (
                "sha-256 ",
                FingerprintError::Syntax("no digest after the hash function"),
            ),
            (
                "sha-256 A",
                FingerprintError::Syntax("not two hex digits per byte"),
            ),
            (
                "sha-256 ABC",
                FingerprintError::Syntax("not two hex digits per byte"),
            ),
            (
                "sha-256 AB::CD",
                FingerprintError::Syntax("not two hex digits per byte"),
            ),
            (
                "sha-256 AB:CD:",
                FingerprintError::Syntax("not two hex digits per byte"),
            ),
            (
                "sha-256 AB CD",
                FingerprintError::Syntax("not two hex digits per byte"),
            ),
            ("sha-256 G0", FingerprintError::Syntax("not a hex digit")),
            ("sha-256 +1", FingerprintError::Syntax("not a hex digit")),
            (
                "sha-256 AB:CD",
                FingerprintError::Length {
                    expected: Some(32),
                    found: 2,
                },
            ),
            (
                "md5 AB",
                FingerprintError::Length {
                    expected: Some(16),
                    found: 1,
                },
            ),
        ] {
            assert_eq!(Fingerprint::parse(v), Err(err), "{v:?}");
        }
        // 33 bytes for sha-256, and an over-long unknown one.
        let v = format!("sha-256 {ok32}:00");
        assert_eq!(
            Fingerprint::parse(&v),
            Err(FingerprintError::Length {
                expected: Some(32),
                found: 33
            })
        );
        let long = vec!["00"; 65].join(":");
        assert!(matches!(
            Fingerprint::parse(&format!("x-new {long}")),
            Err(FingerprintError::Length { expected: None, .. })
        ));
        assert!(Fingerprint::parse(&format!("x-new {}", vec!["00"; 64].join(":"))).is_ok());
        // Non-ASCII never splits a character or panics.
        assert!(Fingerprint::parse("sha-256 é").is_err());
        assert!(Fingerprint::parse("é é").is_err());
    }

    #[test]
    fn verify_rules() {
        let good = Fingerprint::of_certificate(HashFunc::Sha256, DER).unwrap();
        let good_md5 = Fingerprint::of_certificate(HashFunc::Md5, DER).unwrap();
        let other = Fingerprint::of_certificate(HashFunc::Sha256, b"other").unwrap();
        let sha1 = Fingerprint::new(HashFunc::Sha1, vec![0; 20]).unwrap();
        assert_eq!(verify(&[], DER), Err(FingerprintError::Missing));
        assert_eq!(verify(std::slice::from_ref(&good), DER), Ok(()));
        assert_eq!(
            verify(std::slice::from_ref(&other), DER),
            Err(FingerprintError::Mismatch)
        );
        // Any computable match among several is enough (one per certificate
        // or per hash function).
        assert_eq!(verify(&[other.clone(), good.clone()], DER), Ok(()));
        assert_eq!(verify(&[sha1.clone(), good_md5], DER), Ok(()));
        // An uncomputable fingerprint never counts as a match.
        assert_eq!(
            verify(&[sha1.clone(), other.clone()], DER),
            Err(FingerprintError::Mismatch)
        );
        let md2 = Fingerprint::new(HashFunc::Md2, vec![0; 16]).unwrap();
        assert_eq!(
            verify(&[sha1.clone(), md2, sha1], DER),
            Err(FingerprintError::NoUsableHash(vec![
                HashFunc::Sha1,
                HashFunc::Md2
            ]))
        );
        assert!(
            FingerprintError::NoUsableHash(vec![HashFunc::Sha1, HashFunc::Md2])
                .to_string()
                .contains("sha-1, md2")
        );
    }

    fn any_hash() -> impl Strategy<Value = HashFunc> {
        prop_oneof![
            Just(HashFunc::Sha1),
            Just(HashFunc::Sha224),
            Just(HashFunc::Sha256),
            Just(HashFunc::Sha384),
            Just(HashFunc::Sha512),
            Just(HashFunc::Md5),
            Just(HashFunc::Md2),
            "x-[a-z0-9]{1,8}".prop_map(HashFunc::Other),
        ]
    }

    proptest! {
        #[test]
        fn parse_display_round_trip(
            hash in any_hash(),
            bytes in proptest::collection::vec(any::<u8>(), 1..=MAX_DIGEST),
        ) {
            let n = hash.digest_len().unwrap_or(bytes.len());
            let digest: Vec<u8> = bytes.iter().cycle().take(n).copied().collect();
            let fp = Fingerprint::new(hash, digest).unwrap();
            let text = fp.to_string();
            let (_, hex) = text.split_once(' ').unwrap();
            prop_assert!(!hex.bytes().any(|b| b.is_ascii_lowercase()));
            prop_assert_eq!(Fingerprint::parse(&text).unwrap(), fp.clone());
            prop_assert_eq!(Fingerprint::parse(&text.to_ascii_lowercase()).unwrap(), fp);
        }

        #[test]
        fn parse_never_panics(s in ".{0,300}") {
            if let Ok(fp) = Fingerprint::parse(&s) {
                // Whatever is accepted writes back to something that reads
                // the same.
                prop_assert_eq!(Fingerprint::parse(&fp.to_string()).unwrap(), fp);
            }
        }

        #[test]
        fn parse_never_panics_near_grammar(s in "(sha-256|MD5|x) [0-9A-Fa-f:]{0,120}") {
            let _ = Fingerprint::parse(&s);
        }
    }
}
