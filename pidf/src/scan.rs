//! The fast path's tokenizer: a strict subset of XML 1.0, read in one
//! pass over a document already checked as UTF-8 and free of forbidden
//! characters.
//!
//! It takes what presence documents are made of and nothing more: an XML
//! declaration at the very start (section 2.8), start, empty-element and
//! end tags with quoted attributes (section 3.1), and character data with
//! the five predefined entity references and character references
//! (section 4.6, 4.1), normalizing line ends and attribute white space as
//! the reference path does (sections 2.11, 3.3.3; see [`crate::xml`]).
//! Everything else is `None`: comments, CDATA
//! sections, processing instructions, a DOCTYPE, a `<` in an attribute
//! value, `]]>` in text, names that are not QNames of ASCII NCNames,
//! attributes not separated by white space, more than [`MAX_ATTRS`]
//! attributes on a tag, an end tag that does not match. The fast path
//! then defers to the reference parser (quick-xml and [`crate::xml`]),
//! which decides and words the error. So this scanner never has to be as
//! lenient as quick-xml, only never more lenient; the fast path's tests
//! and the `pidf_parse` and `xml_tree` fuzz targets hold it to that.
//!
//! It exists because quick-xml's general reader (events, an attribute
//! iterator that checks as it goes, a name buffer for end-tag checks)
//! cost the typed parse more than building the model did.

use std::borrow::Cow;

use memchr::memchr;

use crate::text::Text;
use crate::xml::{
    name_byte, normalize_line_ends, push_line_ends, short_eq, Sink, NAME_ASCII, NAME_COLON,
    NAME_START,
};

/// What comes next in the document.
pub(crate) enum Token<'a> {
    /// A start tag (`false`) or an empty-element tag (`true`): its name
    /// is [`Scanner::tag`] and its attributes [`Scanner::attrs`] until the
    /// next token is read. (A token that carried the name was 40 bytes,
    /// and its copies from call to call stalled on the stores that had
    /// just made it.)
    Start(bool),
    /// The end tag of the innermost open element (its name checked).
    End,
    /// Character data up to the next `<`, as written: references not yet
    /// resolved nor line ends normalized (see [`unescape`]), and which of
    /// the two there is to do.
    Text(&'a str, Work),
    /// The end of the input, with no element open.
    Eof,
}

/// What a text run needs before it is read ([`unescape`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Work {
    /// It holds a reference (an `&`).
    pub(crate) refs: bool,
    /// It holds a CR, whose line end needs normalizing.
    pub(crate) cr: bool,
}

/// A start tag, its syntax checked and its name split: both parts are
/// ASCII NCNames (Namespaces in XML 1.0 section 3). Its attributes are
/// [`Scanner::attrs`] until the next token is read.
#[derive(Clone, Copy)]
pub(crate) struct StartTag<'a> {
    /// The prefix, if the name has one.
    pub(crate) prefix: Option<&'a [u8]>,
    /// The local part.
    pub(crate) local: &'a [u8],
}

/// One attribute of the start tag just read, as offsets into the
/// document: the scanner reads every attribute once and keeps where its
/// parts are, so that nothing reads them again to find them.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Attr {
    /// Where the name starts.
    name: usize,
    /// Where its local part starts (`name` when it has no prefix; the
    /// prefix ends one byte before, at the `:`).
    local: usize,
    /// Where the name ends.
    name_end: usize,
    /// The raw value, quotes excluded: `value..value_end`.
    value: usize,
    value_end: usize,
    /// The value holds a reference (an `&`).
    pub(crate) refs: bool,
    /// The value holds HTAB, LF or CR, to normalize (XML 1.0 section
    /// 3.3.3).
    pub(crate) ws: bool,
    /// The value holds a `"` (possible in a `'`-quoted one).
    pub(crate) quot: bool,
}

impl Attr {
    /// The qualified name as written.
    pub(crate) fn qname<'d>(&self, doc: &'d [u8]) -> &'d [u8] {
        doc.get(self.name..self.name_end).unwrap_or_default()
    }

    /// The prefix, if any.
    pub(crate) fn prefix<'d>(&self, doc: &'d [u8]) -> Option<&'d [u8]> {
        if self.local == self.name {
            return None;
        }
        doc.get(self.name..self.local - 1)
    }

    /// The local part.
    pub(crate) fn local<'d>(&self, doc: &'d [u8]) -> &'d [u8] {
        doc.get(self.local..self.name_end).unwrap_or_default()
    }

    /// The value as written (references not resolved).
    pub(crate) fn raw<'d>(&self, doc: &'d str) -> &'d str {
        doc.get(self.value..self.value_end).unwrap_or_default()
    }
}

/// Most attributes the scanner takes on one tag; a tag with more is
/// `None` (deferred to the reference parser).
pub(crate) const MAX_ATTRS: usize = 16;

/// The tokenizer over one document.
pub(crate) struct Scanner<'a> {
    doc: &'a str,
    pos: usize,
    /// The names of the open elements, innermost last, for end tags.
    open: Vec<&'a [u8]>,
    /// The attributes of the last start tag read.
    attrs: Vec<Attr>,
    /// The name of the last start tag read: where it starts, where its
    /// local part starts (the same when it has no prefix) and where it
    /// ends.
    name: (usize, usize, usize),
    /// Whether the document holds a CR anywhere: only then are long text
    /// runs searched for one (short runs note it in the same table probe).
    cr: bool,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Text runs up to this long are scanned a byte at a time (most are an
/// indentation or a short value); longer ones by `memchr3`.
const SHORT_TEXT: usize = 16;

/// [`TEXT_CLASS`] of `<`, `&`, `]`, CR, and HTAB and LF; every other
/// byte is 0.
const LT: u8 = 1;
const AMP: u8 = 2;
const BRACKET: u8 = 4;
const CR: u8 = 8;
const TAB_LF: u8 = 16;
/// Noted in attribute values only.
const QUOT: u8 = 32;

#[allow(clippy::indexing_slicing)] // constant indexes below 256
static TEXT_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'<' as usize] = LT;
    t[b'&' as usize] = AMP;
    t[b']' as usize] = BRACKET;
    t[b'\r' as usize] = CR;
    t[b'\t' as usize] = TAB_LF;
    t[b'\n' as usize] = TAB_LF;
    t[b'"' as usize] = QUOT;
    t
};

/// Bytes of the names the scanner takes: ASCII letters, digits, `_`, `-`,
/// `.` and `:` (whether a name is a well-formed QName is the caller's
/// check).
fn qname_byte(b: u8) -> bool {
    name_byte(b, NAME_ASCII | NAME_COLON)
}

/// Reads the name starting at `i` as a QName of two ASCII NCNames or
/// one, in one pass: where its local part starts (`i` when it has no
/// prefix) and where it ends. `None` for no name, or one that is not such
/// a QName (a digit, `-` or `.` first in a part, an empty part, a second
/// `:`).
fn qname(b: &[u8], i: usize) -> Option<(usize, usize)> {
    if !name_byte(*b.get(i)?, NAME_START) {
        return None;
    }
    let mut local = i;
    let mut j = i + 1;
    while let Some(&c) = b.get(j) {
        if name_byte(c, NAME_ASCII) {
            j += 1;
        } else if c == b':' && local == i {
            if !name_byte(*b.get(j + 1)?, NAME_START) {
                return None;
            }
            local = j + 1;
            j += 2;
        } else if c == b':' {
            return None;
        } else {
            break;
        }
    }
    Some((local, j))
}

/// The first byte at or after `i` that is not white space; `None` at the
/// end of the input.
fn skip_ws(b: &[u8], mut i: usize) -> Option<usize> {
    while is_ws(*b.get(i)?) {
        i += 1;
    }
    Some(i)
}

/// Reads one attribute, `QName S? '=' S? quoted-value`, at `at` (XML 1.0
/// section 3.1), noting what its value holds. `None` when there is none
/// there or it is malformed, or when its value holds a `<` (`AttValue`
/// may not).
fn attr_at(b: &[u8], at: usize) -> Option<Attr> {
    let (local, end) = qname(b, at)?;
    let eq = skip_ws(b, end)?;
    if *b.get(eq)? != b'=' {
        return None;
    }
    let q = skip_ws(b, eq + 1)?;
    let quote = *b.get(q)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    // Values are short: a plain loop, one table probe a byte, beats a
    // `memchr` call.
    let mut j = q + 1;
    let mut seen = 0u8;
    loop {
        let c = *b.get(j)?;
        if c == quote {
            break;
        }
        seen |= TEXT_CLASS.get(usize::from(c)).copied().unwrap_or(0);
        j += 1;
    }
    (seen & LT == 0).then_some(Attr {
        name: at,
        local,
        name_end: end,
        value: q + 1,
        value_end: j,
        refs: seen & AMP != 0,
        ws: seen & (CR | TAB_LF) != 0,
        quot: seen & QUOT != 0,
    })
}

/// Reads the attributes of a tag from `i` (just after its name) through
/// its `>` or `/>` into `out`, each name a QName of ASCII NCNames. Returns
/// whether the tag is empty and where the next token starts.
fn scan_attrs(b: &[u8], mut i: usize, out: &mut Vec<Attr>) -> Option<(bool, usize)> {
    out.clear();
    loop {
        let at = skip_ws(b, i)?;
        match *b.get(at)? {
            b'>' => return Some((false, at + 1)),
            b'/' => return (*b.get(at + 1)? == b'>').then_some((true, at + 2)),
            // Section 3.1: white space before every attribute.
            _ if at == i => return None,
            _ => {}
        }
        if out.len() == MAX_ATTRS {
            return None;
        }
        let attr = attr_at(b, at)?;
        i = attr.value_end + 1;
        out.push(attr);
    }
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `doc`; `cr` says whether it holds a CR
    /// anywhere.
    pub(crate) fn new(doc: &'a str, cr: bool) -> Scanner<'a> {
        Scanner {
            doc,
            pos: 0,
            open: Vec::with_capacity(16),
            attrs: Vec::with_capacity(MAX_ATTRS),
            name: (0, 0, 0),
            cr,
        }
    }

    /// Reads an XML declaration at the very start, if there is one: `true`
    /// when there was. `None` for one the fast path does not take: any
    /// version but 1.0, an encoding other than UTF-8, anything but the
    /// three pseudo-attributes in their order.
    pub(crate) fn declaration(&mut self) -> Option<bool> {
        let b = self.doc.as_bytes();
        let Some(rest) = b.strip_prefix(b"<?xml") else {
            return Some(false);
        };
        if !is_ws(*rest.first()?) {
            // `<?xml-stylesheet ...?>` and the like: a processing
            // instruction.
            return None;
        }
        // The first `?>` (a searcher built for it would cost more than the
        // declaration's few bytes).
        let body_end = b.windows(2).position(|w| w == b"?>")?;
        let body = b.get(5..body_end)?;
        // 0 before version, then the rank of the last pseudo-attribute.
        let mut seen = 0;
        let mut i = 0;
        // White space before each pseudo-attribute, and may end the body.
        while let Some(at) = skip_ws(body, i) {
            if at == i {
                return None;
            }
            let a = attr_at(body, at)?;
            let value = body.get(a.value..a.value_end)?;
            let (rank, ok) = match a.qname(body) {
                b"version" => (1, value == b"1.0"),
                b"encoding" => (
                    2,
                    value.eq_ignore_ascii_case(b"utf-8") || value.eq_ignore_ascii_case(b"utf8"),
                ),
                b"standalone" => (3, value == b"yes" || value == b"no"),
                _ => return None,
            };
            if !ok || rank <= seen || (seen == 0 && rank != 1) {
                return None;
            }
            seen = rank;
            i = a.value_end + 1;
        }
        if seen == 0 {
            return None;
        }
        self.pos = body_end + 2;
        Some(true)
    }

    /// The next token; `None` for anything outside the subset this
    /// scanner takes (see the module doc), and for malformed input.
    pub(crate) fn next(&mut self) -> Option<Token<'a>> {
        let b = self.doc.as_bytes();
        let rest = b.get(self.pos..)?;
        let Some(&first) = rest.first() else {
            return self.open.is_empty().then_some(Token::Eof);
        };
        if first != b'<' {
            return self.text(rest);
        }
        match rest.get(1) {
            Some(b'/') => self.end_tag(),
            Some(b'?' | b'!') | None => None,
            Some(_) => self.start_tag(),
        }
    }

    /// The next tag in element-only content: a start or end tag after
    /// any white space, which is passed over without a text token. `None`
    /// for anything else (text, comments, the end of the input), which
    /// element-only content of the fast path cannot hold.
    pub(crate) fn next_tag(&mut self) -> Option<Token<'a>> {
        let b = self.doc.as_bytes();
        let mut i = self.pos;
        while is_ws(*b.get(i)?) {
            i += 1;
        }
        if *b.get(i)? != b'<' {
            return None;
        }
        self.pos = i;
        match *b.get(i + 1)? {
            b'/' => self.end_tag(),
            b'?' | b'!' => None,
            _ => self.start_tag(),
        }
    }

    /// The next token after any white space, as [`Scanner::next`] gives
    /// it once the white space is passed over; text that is not all white
    /// space comes whole.
    pub(crate) fn next_skip_ws(&mut self) -> Option<Token<'a>> {
        let b = self.doc.as_bytes();
        let mut i = self.pos;
        while b.get(i).copied().is_some_and(is_ws) {
            i += 1;
        }
        if matches!(b.get(i), Some(b'<') | None) {
            self.pos = i;
        }
        self.next()
    }

    /// Character data: most runs are short (an indentation, a value), so
    /// one table probe a byte finds the `<` and notes any `&` or `]`.
    fn text(&mut self, rest: &[u8]) -> Option<Token<'a>> {
        let mut len = 0;
        let mut seen = 0u8;
        while let Some(&c) = rest.get(len) {
            let class = TEXT_CLASS.get(usize::from(c)).copied().unwrap_or(0);
            if class == LT {
                break;
            }
            seen |= class;
            len += 1;
            if len == SHORT_TEXT {
                // A long run: the vector search, from stop to stop.
                while let Some(at) = rest
                    .get(len..)
                    .and_then(|r| memchr::memchr3(b'<', b'&', b']', r))
                {
                    len += at;
                    let class = rest
                        .get(len)
                        .map_or(0, |&c| TEXT_CLASS.get(usize::from(c)).copied().unwrap_or(0));
                    if class == LT {
                        break;
                    }
                    seen |= class;
                    len += 1;
                }
                if rest.get(len) != Some(&b'<') {
                    len = rest.len();
                }
                if self.cr
                    && rest
                        .get(SHORT_TEXT..len)
                        .and_then(|r| memchr(b'\r', r))
                        .is_some()
                {
                    seen |= CR;
                }
                break;
            }
        }
        let text = self.doc.get(self.pos..self.pos + len)?;
        // Section 2.4: `]]>` may not appear in character data.
        if seen & BRACKET != 0 && text.contains("]]>") {
            return None;
        }
        self.pos += len;
        Some(Token::Text(
            text,
            Work {
                refs: seen & AMP != 0,
                cr: seen & CR != 0,
            },
        ))
    }

    fn start_tag(&mut self) -> Option<Token<'a>> {
        let b = self.doc.as_bytes();
        let start = self.pos + 1;
        let (local, end) = qname(b, start)?;
        let (empty, next) = scan_attrs(b, end, &mut self.attrs)?;
        if !empty {
            self.open.push(b.get(start..end)?);
        }
        self.name = (start, local, end);
        self.pos = next;
        Some(Token::Start(empty))
    }

    /// The name of the start tag just read.
    pub(crate) fn tag(&self) -> StartTag<'a> {
        let b = self.doc.as_bytes();
        let (start, local, end) = self.name;
        StartTag {
            prefix: if local == start {
                None
            } else {
                b.get(start..local - 1)
            },
            local: b.get(local..end).unwrap_or_default(),
        }
    }

    /// The attributes of the start tag just read (see [`Attr`]).
    pub(crate) fn attrs(&self) -> &[Attr] {
        &self.attrs
    }

    fn end_tag(&mut self) -> Option<Token<'a>> {
        let b = self.doc.as_bytes();
        let start = self.pos + 2;
        // The name can only be the open element's: compare it in place
        // rather than scan a name and compare after.
        let open = self.open.pop()?;
        let end = start + open.len();
        if !short_eq(b.get(start..end)?, open) || b.get(end).copied().is_some_and(qname_byte) {
            return None;
        }
        let close = skip_ws(b, end)?;
        if *b.get(close)? != b'>' {
            return None;
        }
        self.pos = close + 1;
        Some(Token::End)
    }
}

/// Writes character data with its line ends normalized and its references
/// resolved (see [`unescape`]).
fn unescape_into(raw: &str, work: Work, out: &mut impl Sink) -> Option<()> {
    let put = |out: &mut _, s: &str| {
        if work.cr {
            push_line_ends(out, s);
        } else {
            Sink::put(out, s);
        }
    };
    let mut rest = raw;
    while let Some(amp) = memchr(b'&', rest.as_bytes()) {
        put(out, rest.get(..amp)?);
        let after = rest.get(amp + 1..)?;
        let semi = memchr(b';', after.as_bytes())?;
        let c = reference(after.get(..semi)?)?;
        out.put(c.encode_utf8(&mut [0; 4]));
        rest = after.get(semi + 1..)?;
    }
    put(out, rest);
    Some(())
}

/// Character data with its line ends normalized (XML 1.0 section 2.11:
/// CR LF and a lone CR become LF) and its references resolved, in that
/// order, so `&#13;` still gives a CR: borrowed when there is neither to
/// do (see [`Token::Text`]). `None` for a reference the fast path does
/// not take (an entity other than the five predefined ones, a malformed or
/// forbidden character reference).
pub(crate) fn unescape(raw: &str, work: Work) -> Option<Cow<'_, str>> {
    if !work.refs {
        return Some(if work.cr {
            normalize_line_ends(raw)
        } else {
            Cow::Borrowed(raw)
        });
    }
    let mut out = String::with_capacity(raw.len());
    unescape_into(raw, work, &mut out)?;
    Some(Cow::Owned(out))
}

/// The same as a [`Text`]. Neither normalizing nor resolving lengthens
/// text, so raw text short enough to keep in place is unescaped in place,
/// with no allocation.
pub(crate) fn unescape_text(raw: &str, work: Work) -> Option<Text> {
    if (work.refs || work.cr) && raw.len() <= crate::text::INLINE {
        let mut out = Text::inline_empty();
        unescape_into(raw, work, &mut out)?;
        return Some(out);
    }
    unescape(raw, work).map(Text::from)
}

/// The character a reference's name (between `&` and `;`) stands for.
fn reference(name: &str) -> Option<char> {
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let num = name.strip_prefix('#')?;
            let (digits, radix) = match num.strip_prefix('x') {
                Some(hex) if hex.bytes().all(|b| b.is_ascii_hexdigit()) => (hex, 16),
                Some(_) => return None,
                None if num.bytes().all(|b| b.is_ascii_digit()) => (num, 10),
                None => return None,
            };
            if digits.is_empty() || digits.len() > 8 {
                return None;
            }
            char::from_u32(u32::from_str_radix(digits, radix).ok()?)?
        }
    };
    (!crate::xml::forbidden_char(c)).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every token of `doc` in a compact form, or `Err(at)` with the
    /// index of the token the scanner refused.
    fn tokens(doc: &str) -> Result<Vec<String>, usize> {
        let mut s = Scanner::new(doc, doc.contains('\r'));
        let mut out = Vec::new();
        if s.declaration().ok_or(0usize)? {
            out.push("decl".to_owned());
        }
        loop {
            let t = s.next().ok_or(out.len())?;
            out.push(match t {
                Token::Start(empty) => {
                    let tag = s.tag();
                    let b = doc.as_bytes();
                    let attrs: Vec<String> = s
                        .attrs()
                        .iter()
                        .map(|a| {
                            format!(
                                "{}={}{}",
                                String::from_utf8_lossy(a.qname(b)),
                                a.raw(doc),
                                if a.refs { "&" } else { "" }
                            )
                        })
                        .collect();
                    let name = match tag.prefix {
                        Some(p) => format!(
                            "{}:{}",
                            String::from_utf8_lossy(p),
                            String::from_utf8_lossy(tag.local)
                        ),
                        None => String::from_utf8_lossy(tag.local).into_owned(),
                    };
                    format!(
                        "<{name}{}{}>",
                        attrs.iter().map(|a| format!(" {a}")).collect::<String>(),
                        if empty { "/" } else { "" }
                    )
                }
                Token::End => "end".to_owned(),
                Token::Text(t, work) => format!("text{}:{t}", if work.refs { "&" } else { "" }),
                Token::Eof => return Ok(out),
            });
        }
    }

    #[test]
    fn reads_tags_attributes_and_text() {
        let doc = "<?xml version='1.0' encoding=\"UTF-8\" standalone='no' ?>\n\
                   <p:a xmlns:p = 'urn:x'\n\tb=\"x>y'z\" c='q\"'><b/>t &amp; u<c\n/></p:a >\n";
        assert_eq!(
            tokens(doc).unwrap(),
            [
                "decl",
                "text:\n",
                "<p:a xmlns:p=urn:x b=x>y'z c=q\">",
                "<b/>",
                "text&:t &amp; u",
                "<c/>",
                "end",
                "text:\n",
            ]
        );
        assert_eq!(tokens("<a/>").unwrap(), ["<a/>"]);
        assert_eq!(
            tokens("<rpid:relationship></rpid:relationship\t>").unwrap(),
            ["<rpid:relationship>", "end"]
        );
    }

    #[test]
    fn refuses_what_it_leaves_to_the_reference_parser() {
        for (doc, at) in [
            ("<a><!-- c --></a>", 1),
            ("<a><![CDATA[x]]></a>", 1),
            ("<a><?pi x?></a>", 1),
            ("<!DOCTYPE a><a/>", 0),
            (" <?xml version='1.0'?><a/>", 1),
            ("<a b='<'/>", 0),
            ("<a>x]]>y</a>", 1),
            ("<a b='1'c='2'/>", 0),
            ("<a b=1/>", 0),
            ("<a b/>", 0),
            ("<a b='1/>", 0),
            ("<a></b>", 1),
            ("<ab></a>", 1),
            ("<a></ab>", 1),
            ("<rpid:relationship></rpid:relationshiq>", 1),
            ("<rpid:relationship></rpid:relationshi>", 1),
            ("<rpid:relationship></rpid:relationships>", 1),
            ("<a>", 1),
            ("<a></a", 1),
            ("</a>", 0),
            ("<é/>", 0),
            ("<a / >", 0),
            ("< a/>", 0),
            // Names that are not QNames of ASCII NCNames.
            ("<1a/>", 0),
            ("<-a/>", 0),
            ("<a:b:c/>", 0),
            ("<a:/>", 0),
            ("<:a/>", 0),
            ("<a:1b/>", 0),
            ("<a .b='1'/>", 0),
            ("<a b:c:d='1'/>", 0),
            ("<a b:='1'/>", 0),
            ("<a :b='1'/>", 0),
        ] {
            assert_eq!(tokens(doc), Err(at), "{doc}");
        }
    }

    #[test]
    fn passes_over_white_space_but_not_text() {
        let doc = "<a>\r\n\t <b/> x<c/>  </a>  ";
        let mut s = Scanner::new(doc, true);
        let mut seen = Vec::new();
        loop {
            match s.next_skip_ws().unwrap() {
                Token::Start(_) => seen.push(String::from_utf8_lossy(s.tag().local).into_owned()),
                Token::End => seen.push("end".to_owned()),
                Token::Text(t, _) => seen.push(format!("text:{t}")),
                Token::Eof => break,
            }
        }
        assert_eq!(seen, ["a", "b", "text: x", "c", "end"]);
    }

    #[test]
    fn reads_tags_of_element_only_content() {
        let doc = "<a>\n  <b x='1'/>\t<c></c>\r\n</a>";
        let mut s = Scanner::new(doc, true);
        let mut seen = Vec::new();
        while let Some(t) = s.next_tag() {
            seen.push(match t {
                Token::Start(empty) => format!(
                    "{}{}",
                    String::from_utf8_lossy(s.tag().local),
                    if empty { "/" } else { "" }
                ),
                Token::End => "end".to_owned(),
                _ => "other".to_owned(),
            });
        }
        // The end of the input is not a tag: `None` there too.
        assert_eq!(seen, ["a", "b/", "c", "end", "end"]);
        for doc in ["<a>text</a>", "<a><!-- c --></a>", "<a><?p?></a>"] {
            let mut s = Scanner::new(doc, false);
            assert!(matches!(s.next_tag(), Some(Token::Start(false))));
            assert!(s.next_tag().is_none(), "{doc}");
        }
    }

    #[test]
    fn records_attributes_up_to_its_limit() {
        let attrs = |n: usize| (0..n).map(|i| format!(" a{i}='{i}'")).collect::<String>();
        let doc = format!("<x{}/>", attrs(MAX_ATTRS));
        let t = tokens(&doc).unwrap();
        assert_eq!(t.len(), 1);
        assert!(t[0].ends_with(" a15=15/>"), "{t:?}");
        assert_eq!(tokens(&format!("<x{}/>", attrs(MAX_ATTRS + 1))), Err(0));
        // What a value holds is noted as it is scanned.
        let mut s = Scanner::new("<x a='&amp;' b='1\t2' c='\"' d='\u{e9}'/>", false);
        assert!(matches!(s.next(), Some(Token::Start(true))));
        let flags: Vec<_> = s.attrs().iter().map(|a| (a.refs, a.ws, a.quot)).collect();
        assert_eq!(
            flags,
            [
                (true, false, false),
                (false, true, false),
                (false, false, true),
                (false, false, false)
            ]
        );
    }

    #[test]
    fn notes_references_and_brackets_in_long_text() {
        let long = "x".repeat(40);
        assert_eq!(
            tokens(&format!("<a>{long}&amp;{long}]{long}</a>")).unwrap(),
            [
                "<a>".to_owned(),
                format!("text&:{long}&amp;{long}]{long}"),
                "end".to_owned()
            ]
        );
        assert_eq!(tokens(&format!("<a>{long}]]>{long}</a>")), Err(1));
        assert_eq!(tokens(&format!("<a>{long}]]]>x</a>")), Err(1));
        assert_eq!(
            tokens(&format!("<a/>{long}")).unwrap(),
            ["<a/>".to_owned(), format!("text:{long}")]
        );
    }

    #[test]
    fn takes_only_a_plain_declaration() {
        for doc in [
            "<?xml version='1.0'?><a/>",
            "<?xml version=\"1.0\" encoding='utf8'?><a/>",
            "<?xml version='1.0' standalone='yes'?><a/>",
        ] {
            assert_eq!(tokens(doc).unwrap(), ["decl", "<a/>"], "{doc}");
        }
        for doc in [
            "<?xml version='1.1'?><a/>",
            "<?xml encoding='UTF-8'?><a/>",
            "<?xml version='1.0' encoding='latin1'?><a/>",
            "<?xml version='1.0' standalone='maybe'?><a/>",
            "<?xml version='1.0' standalone='yes' encoding='UTF-8'?><a/>",
            "<?xml version='1.0' version='1.0'?><a/>",
            "<?xml version='1.0' other='x'?><a/>",
            "<?xml version='1.0'encoding='UTF-8'?><a/>",
            "<?xml?><a/>",
            "<?xml-stylesheet href='x'?><a/>",
            "<?xml version='1.0?>'?><a/>",
        ] {
            assert_eq!(tokens(doc), Err(0), "{doc}");
        }
    }

    #[test]
    fn resolves_the_references_xml_predefines() {
        let un = |s: &str| {
            let work = Work {
                refs: true,
                cr: s.contains('\r'),
            };
            unescape(s, work).map(Cow::into_owned)
        };
        assert_eq!(un("&lt;&gt;&amp;&apos;&quot;").as_deref(), Some("<>&'\""));
        assert_eq!(un("a&#65;&#x42;&#x00043;c").as_deref(), Some("aABCc"));
        assert_eq!(un("&#x1F600;").as_deref(), Some("\u{1F600}"));
        for bad in [
            "&nbsp;",
            "&#1;",
            "&#xFFFE;",
            "&#xD800;",
            "&#x110000;",
            "&#+65;",
            "&#X41;",
            "&#;",
            "&#x;",
            "&amp",
            "& amp;",
            "&#123456789;",
        ] {
            assert_eq!(un(bad), None, "{bad}");
        }
        assert!(matches!(
            unescape("a&b", Work::default()),
            Some(Cow::Borrowed("a&b"))
        ));
    }

    /// As a `Text`, unescaped text up to the inline length is built in
    /// place, and every result is the `String` path's.
    #[test]
    fn unescapes_short_text_in_place() {
        for raw in [
            "&lt;&gt;&amp;&apos;&quot;",
            "a&#65;&#x42;&#x00043;c",
            "&#x1F600;",
            "l1\r\nl2\rl3&#13;",
            "Service 0 &amp; friends",
            "exactly twenty-four &amp;",
            "a much longer note than fits in place &amp; more",
            "plain",
        ] {
            let work = Work {
                refs: raw.contains('&'),
                cr: raw.contains('\r'),
            };
            let text = unescape_text(raw, work).unwrap();
            assert_eq!(&*text, &*unescape(raw, work).unwrap(), "{raw}");
            assert_eq!(text.is_shared(), text.len() > crate::text::INLINE, "{raw}");
        }
        assert_eq!(
            unescape_text(
                "&nbsp;",
                Work {
                    refs: true,
                    cr: false
                }
            ),
            None
        );
    }
}
