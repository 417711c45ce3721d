//! Bytes → UTF-8 text, and the textual repairs that real feeds need before
//! an XML parser will accept them.
//!
//! Encoding precedence follows RFC 7303 and WHATWG: a byte-order mark wins,
//! then the HTTP `charset`, then the XML declaration's `encoding`, else UTF-8.
//! Labels are resolved by `encoding_rs`, so `ISO-8859-1` decodes as
//! windows-1252 exactly as browsers do. UTF-32 (which `encoding_rs` does not
//! know) is decoded here. Invalid byte sequences become U+FFFD instead of
//! failing the whole feed; labels we cannot honour are reported, not fatal.
//!
//! Valid UTF-8 in a UTF-8 document is not copied: [`decode_with_info`] and
//! [`repair`] borrow their input unless they really have to change it.

use std::borrow::Cow;
use std::fmt::Write as _;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};
use memchr::{memchr, memmem};

use crate::xml::entities::{html_entity, is_xml_char};
use crate::{ParsedFeed, Person, Text};

/// Decode `bytes` to a UTF-8 string and make the document self-consistent:
/// leading BOM/white space removed and the XML declaration rewritten to say
/// UTF-8 (the downstream XML parser would otherwise re-decode it).
pub(crate) fn decode<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Cow<'a, str> {
    decode_with_info(bytes, content_type).0
}

/// How the bytes were decoded.
#[derive(Debug, Clone)]
pub(crate) struct DecodeInfo {
    /// The encoding's name as the document or the server gave it, lower-cased
    /// (`utf-8` when nothing said; `utf-16le`, `utf-32be` … from a byte-order
    /// mark or the shape of the first bytes; `gb18030` for the GB family,
    /// which `encoding_rs` decodes as GB18030) — feedparser's `encoding`.
    pub label: String,
    /// Whether some byte sequences were invalid and became U+FFFD.
    pub had_errors: bool,
    /// A label that could not be honoured (unknown, or contradicted by the
    /// bytes): the document is not well-formed as given (feedparser's `bozo`).
    pub warning: Option<String>,
}

/// Which decoder to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    Rs(&'static Encoding),
    Utf32Be,
    Utf32Le,
}

impl Codec {
    fn name(self) -> String {
        match self {
            Codec::Rs(e) if e == encoding_rs::GBK || e == encoding_rs::GB18030 => "gb18030".into(),
            Codec::Rs(e) => e.name().to_ascii_lowercase(),
            Codec::Utf32Be => "utf-32be".into(),
            Codec::Utf32Le => "utf-32le".into(),
        }
    }

    /// The same family (UTF-16 LE/BE, UTF-32 LE/BE count as one).
    fn same_family(self, other: Codec) -> bool {
        let family = |c: Codec| match c {
            Codec::Rs(e) if e == UTF_16LE || e == UTF_16BE => 16,
            Codec::Utf32Be | Codec::Utf32Le => 32,
            Codec::Rs(e) if e == UTF_8 => 8,
            _ => 0,
        };
        self == other || (family(self) != 0 && family(self) == family(other))
    }
}

/// [`decode`], also saying which encoding was used and whether bytes were invalid.
///
/// The text is borrowed from `bytes` when they are valid UTF-8 and the
/// document is read as UTF-8 (its declaration, if any, already says so).
pub(crate) fn decode_with_info<'a>(
    bytes: &'a [u8],
    content_type: Option<&str>,
) -> (Cow<'a, str>, DecodeInfo) {
    let detected = detect(bytes, content_type);
    let (text, had_errors) = match detected.codec {
        Codec::Rs(encoding) => encoding.decode_without_bom_handling(detected.body),
        Codec::Utf32Be => {
            let (text, errors) = decode_utf32(detected.body, true);
            (Cow::Owned(text), errors)
        }
        Codec::Utf32Le => {
            let (text, errors) = decode_utf32(detected.body, false);
            (Cow::Owned(text), errors)
        }
    };
    let mut warning = detected.warning;
    if detected.from_bom {
        // A byte-order mark wins; say so when the declaration disagrees.
        if let Some(declared) = declared_encoding(text.as_bytes()) {
            if let Some(codec) = codec_for_label(&declared) {
                if !codec.same_family(detected.codec) {
                    warning.get_or_insert(format!(
                        "the byte-order mark says {} but the XML declaration says {}; read as {}",
                        detected.codec.name(),
                        declared.to_ascii_lowercase(),
                        detected.codec.name()
                    ));
                }
            }
        }
    }
    let lead = text.len()
        - text
            .trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace())
            .len();
    if text[..lead].contains('\u{feff}') {
        warning.get_or_insert(
            "a second byte-order mark (U+FEFF) before the document was dropped".into(),
        );
    }
    let is_gb = matches!(detected.codec, Codec::Rs(e) if e == encoding_rs::GBK || e == encoding_rs::GB18030);
    let label = match detected.label {
        Some(label) if !is_gb => label,
        _ => detected.codec.name(),
    };
    let keep_declaration = detected.codec == Codec::Rs(UTF_8);
    (
        tidy(text, keep_declaration),
        DecodeInfo {
            label,
            had_errors,
            warning,
        },
    )
}

/// What [`detect`] decided.
struct Detected<'a> {
    codec: Codec,
    /// The bytes to decode (BOM stripped).
    body: &'a [u8],
    /// The label that chose the codec (`None` when a BOM, the shape of the
    /// bytes or the default did).
    label: Option<String>,
    /// Whether a byte-order mark chose the codec.
    from_bom: bool,
    warning: Option<String>,
}

/// Labels of UTF-32 (`encoding_rs` has none): UTF-32 of either byte order.
fn is_utf32_label(label: &str) -> bool {
    matches!(
        label.to_ascii_lowercase().as_str(),
        "utf-32" | "utf32" | "utf_32" | "u32" | "ucs-4" | "ucs4" | "iso-10646-ucs-4" | "csucs4"
    )
}

/// The codec for an encoding label, UTF-32 included.
fn codec_for_label(label: &str) -> Option<Codec> {
    let lower = label.trim().to_ascii_lowercase();
    match lower.as_str() {
        "utf-32be" | "utf_32be" | "utf32be" => Some(Codec::Utf32Be),
        "utf-32le" | "utf_32le" | "utf32le" => Some(Codec::Utf32Le),
        l if is_utf32_label(l) => Some(Codec::Utf32Be),
        // Python's (and feedparser's) names for UTF-16 that WHATWG lacks.
        "u16" | "utf16" | "utf_16" | "ucs-2" | "iso-10646-ucs-2" | "csunicode" => {
            Some(Codec::Rs(UTF_16LE))
        }
        _ => Encoding::for_label(lower.as_bytes()).map(Codec::Rs),
    }
}

/// The codec to use, the bytes to decode with it (BOM stripped), and the
/// label that chose it.
fn detect<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Detected<'a> {
    let by_shape = |codec: Codec, skip: usize, from_bom: bool| Detected {
        codec,
        body: bytes.get(skip..).unwrap_or_default(),
        label: None,
        from_bom,
        warning: None,
    };
    // UTF-32's BOMs first: FF FE 00 00 also starts like UTF-16LE's.
    if bytes.starts_with(&[0, 0, 0xfe, 0xff]) {
        return by_shape(Codec::Utf32Be, 4, true);
    }
    if bytes.starts_with(&[0xff, 0xfe, 0, 0]) {
        return by_shape(Codec::Utf32Le, 4, true);
    }
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return by_shape(Codec::Rs(encoding), bom_len, true);
    }
    // No BOM: an ASCII character (`<` or white space) in four or two bytes.
    let ascii_start = |b: u8| b == b'<' || b.is_ascii_whitespace();
    match bytes {
        [0, 0, 0, c, ..] if ascii_start(*c) => return by_shape(Codec::Utf32Be, 0, false),
        [c, 0, 0, 0, ..] if ascii_start(*c) => return by_shape(Codec::Utf32Le, 0, false),
        [0, c, 0, d, ..] if ascii_start(*c) && *d != 0 => {
            return by_shape(Codec::Rs(UTF_16BE), 0, false)
        }
        [c, 0, d, 0, ..] if ascii_start(*c) && *d != 0 => {
            return by_shape(Codec::Rs(UTF_16LE), 0, false)
        }
        _ => {}
    }
    // From here on the bytes are ASCII-compatible (or garbage).
    let fits = |codec: Codec| -> bool {
        match codec {
            // A UTF-16/32 label on bytes that are visibly ASCII-compatible is
            // a lie (the bytes were transcoded somewhere).
            Codec::Rs(e) if e == UTF_16LE || e == UTF_16BE => {
                bytes.iter().take(64).any(|&b| b == 0)
            }
            Codec::Utf32Be | Codec::Utf32Le => false,
            // The "replacement" encoding (ISO-2022-KR, HZ …) would destroy the document.
            Codec::Rs(e) => e != encoding_rs::REPLACEMENT,
        }
    };
    let mut warning = None;
    let mut chosen = None;
    let labels = [
        (content_type.and_then(charset_param), "the HTTP charset"),
        (declared_encoding(bytes), "the XML declaration"),
    ];
    for (label, source) in labels {
        let Some(label) = label else { continue };
        match codec_for_label(&label) {
            Some(codec) if fits(codec) => {
                chosen = Some((codec, label.to_ascii_lowercase()));
                break;
            }
            Some(_) => {
                warning.get_or_insert(format!(
                    "{source} says {label:?}, which the bytes are not; ignored"
                ));
            }
            None => {
                warning.get_or_insert(format!(
                    "{source} names an unknown encoding {label:?}; ignored"
                ));
            }
        }
    }
    let (codec, label) = match chosen {
        Some((codec, label)) => (codec, Some(label)),
        None => (Codec::Rs(UTF_8), None),
    };
    Detected {
        codec,
        body: bytes,
        label,
        from_bom: false,
        warning,
    }
}

/// Strict UTF-32: every unit that is not a Unicode scalar value (a surrogate
/// or above U+10FFFF) and a trailing partial unit become U+FFFD.
fn decode_utf32(body: &[u8], big_endian: bool) -> (String, bool) {
    // Feeds are mostly ASCII: a quarter of the bytes is the usual size.
    let mut out = String::with_capacity(body.len() / 4 + 4);
    let mut errors = false;
    let mut units = body.chunks_exact(4);
    for unit in &mut units {
        let unit = [unit[0], unit[1], unit[2], unit[3]];
        let value = if big_endian {
            u32::from_be_bytes(unit)
        } else {
            u32::from_le_bytes(unit)
        };
        match char::from_u32(value) {
            Some(c) => out.push(c),
            None => {
                out.push('\u{fffd}');
                errors = true;
            }
        }
    }
    if !units.remainder().is_empty() {
        out.push('\u{fffd}');
        errors = true;
    }
    (out, errors)
}

/// The `charset` parameter of a `Content-Type` header value.
pub(crate) fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then(|| value.to_string())
    })
}

/// The `encoding` pseudo-attribute of an XML declaration at the start of `bytes`.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &bytes[start..];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).take(1024).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    pseudo_attr(decl, "encoding").map(str::to_string)
}

/// Value of `name="..."` (or single-quoted) inside an XML declaration.
fn pseudo_attr<'a>(decl: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = decl;
    while let Some(pos) = rest.find(name) {
        let after = rest[pos + name.len()..].trim_start();
        if let Some(after_eq) = after.strip_prefix('=') {
            let after_eq = after_eq.trim_start();
            let quote = after_eq.chars().next()?;
            if quote == '"' || quote == '\'' {
                let value = &after_eq[1..];
                let close = value.find(quote)?;
                return Some(value[..close].trim());
            }
        }
        rest = &rest[pos + name.len()..];
    }
    None
}

const UTF8_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Leading BOM/white space removed and the XML declaration (if any) replaced
/// by one that announces UTF-8. A borrowed text stays borrowed when it was
/// read as UTF-8 and its declaration does not name another encoding.
fn tidy(text: Cow<'_, str>, read_as_utf8: bool) -> Cow<'_, str> {
    let start = text.len()
        - text
            .trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace())
            .len();
    let decl_end = declaration_len(&text[start..]);
    match text {
        Cow::Borrowed(s) => {
            let s = &s[start..];
            let says_other = |end: usize| {
                pseudo_attr(&s[..end], "encoding").is_some_and(|e| {
                    !e.eq_ignore_ascii_case("utf-8") && !e.eq_ignore_ascii_case("utf8")
                })
            };
            match decl_end {
                Some(end) if !read_as_utf8 || says_other(end) => {
                    let mut out = String::with_capacity(s.len() - end + UTF8_DECLARATION.len());
                    out.push_str(UTF8_DECLARATION);
                    out.push_str(&s[end..]);
                    Cow::Owned(out)
                }
                _ => Cow::Borrowed(s),
            }
        }
        Cow::Owned(mut s) => {
            match decl_end {
                Some(end) => s.replace_range(..start + end, UTF8_DECLARATION),
                None => {
                    s.drain(..start);
                }
            }
            Cow::Owned(s)
        }
    }
}

/// Length of the XML declaration (through `?>`) at the start of `text`, if any.
fn declaration_len(text: &str) -> Option<usize> {
    let is_decl = text.starts_with("<?xml")
        && text[5..].starts_with(|c: char| c.is_ascii_whitespace() || c == '?');
    if !is_decl {
        return None;
    }
    memmem::find(text.as_bytes(), b"?>").map(|end| end + 2)
}

/// Text repairs feedparser makes after parsing, on every text of the feed:
///
/// - in a UTF-8 document, a text whose characters are all below U+0100 and
///   whose Latin-1 bytes are valid UTF-8 was UTF-8 read as Latin-1 and
///   encoded again ("double-encoded", `&#226;&#128;&#166;` for `…`): it is
///   decoded once more;
/// - C1 control characters U+0080–U+009F, which no one means, are read as the
///   windows-1252 characters of those bytes (`don&#146;t` → `don’t`), the
///   rule WHATWG HTML applies to numeric references.
pub(crate) fn fix_feed_text(feed: &mut ParsedFeed, encoding: &str) {
    let utf8 = codec_for_label(encoding) == Some(Codec::Rs(UTF_8));
    let text = |t: &mut Option<Text>| {
        if let Some(t) = t {
            fix_text(&mut t.value, utf8);
        }
    };
    let people = |people: &mut Vec<Person>| {
        for name in people.iter_mut().filter_map(|p| p.name.as_mut()) {
            fix_text(name, utf8);
        }
    };
    text(&mut feed.title);
    text(&mut feed.description);
    people(&mut feed.authors);
    for entry in &mut feed.entries {
        text(&mut entry.title);
        text(&mut entry.summary);
        text(&mut entry.content);
        people(&mut entry.authors);
        for category in &mut entry.categories {
            fix_text(category, utf8);
        }
    }
}

/// [`fix_feed_text`] on one string. Byte checks first: most texts are ASCII,
/// or hold a character above U+00FF (a lead byte ≥ 0xC4) and so cannot be
/// double-encoded, and have no C1 character (`C2 80`–`C2 9F`).
fn fix_text(s: &mut String, utf8_document: bool) {
    let bytes = s.as_bytes();
    if bytes.is_ascii() {
        return;
    }
    // Double-encoded text has a UTF-8 lead byte read as Latin-1 (Â–ô, encoded
    // C3 82–C3 B4) followed by a continuation byte read as Latin-1 (U+0080–U+00BF,
    // encoded C2 80–C2 BF).
    let lead_then_continuation = |i: usize| {
        matches!(
            bytes.get(i + 1..i + 4),
            Some([0x82..=0xb4, 0xc2, 0x80..=0xbf])
        )
    };
    if utf8_document
        && memchr::memchr_iter(0xc3, bytes).any(lead_then_continuation)
        && !any_byte(bytes, |b| b >= 0xc4)
    {
        if let Some(once) = undo_double_encoding(s) {
            *s = once;
        }
    }
    let bytes = s.as_bytes();
    let has_c1 = memchr::memchr_iter(0xc2, bytes).any(|i| {
        bytes
            .get(i + 1)
            .is_some_and(|&next| (0x80..0xa0).contains(&next))
    });
    if has_c1 {
        *s = s.chars().map(c1_as_windows_1252).collect();
    }
}

/// Whether some byte satisfies `pred`, in a form the compiler vectorizes
/// (no early exit inside a 64-byte block).
fn any_byte(bytes: &[u8], pred: impl Fn(u8) -> bool) -> bool {
    bytes
        .chunks(64)
        .any(|block| block.iter().fold(false, |found, &b| found | pred(b)))
}

/// `s` read back as UTF-8 when all its characters are Latin-1 and those bytes are UTF-8.
fn undo_double_encoding(s: &str) -> Option<String> {
    // Latin-1 characters are one byte (ASCII) or C2/C3 + a continuation byte.
    let mut latin1 = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            0..=0x7f => latin1.push(b),
            0xc2 | 0xc3 => latin1.push(((b & 0x03) << 6) | (bytes.next()? & 0x3f)),
            _ => return None,
        }
    }
    String::from_utf8(latin1).ok()
}

/// A C1 control character as the windows-1252 character of its byte value
/// (the five bytes windows-1252 leaves undefined stay as they are).
fn c1_as_windows_1252(c: char) -> char {
    match u8::try_from(u32::from(c)) {
        Ok(b @ 0x80..=0x9f) => WINDOWS_1252
            .decode_without_bom_handling(&[b])
            .0
            .chars()
            .next()
            .unwrap_or(c),
        _ => c,
    }
}

/// Make XML text acceptable to a strict parser without losing content:
///
/// - HTML named entities (`&nbsp;`, `&eacute;` …, the full HTML5 table)
///   become numeric character references, since XML only predefines five;
/// - an `&` that does not start a reference becomes `&amp;`;
/// - numeric references to characters XML forbids are dropped;
/// - C0 control characters other than tab, LF and CR are dropped.
///
/// CDATA sections, comments and the DOCTYPE are copied unchanged: their
/// content is not parsed for references.
///
/// A byte-level scan (every special character is ASCII): the text is
/// borrowed unless something really needs rewriting — the five XML entities
/// and numeric references to allowed characters are left alone.
pub(crate) fn repair(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let bang = memmem::Finder::new(b"<!");
    let has_controls = any_byte(bytes, is_forbidden_control);
    let next_control = |from: usize| -> Option<usize> {
        if !has_controls {
            return None;
        }
        bytes
            .get(from..)?
            .iter()
            .position(|&b| is_forbidden_control(b))
            .map(|i| from + i)
    };
    let next_amp = |from: usize| memchr(b'&', bytes.get(from..)?).map(|i| from + i);
    let next_bang = |from: usize| bang.find(bytes.get(from..)?).map(|i| from + i);

    let mut out: Option<String> = None;
    // `text[..copied]` is already in `out` (when there is one).
    let mut copied = 0;
    let mut pos = 0;
    let (mut amp, mut markup, mut control) = (next_amp(0), next_bang(0), next_control(0));
    loop {
        // Each cursor is searched again only once the scan has passed it.
        if amp.is_some_and(|i| i < pos) {
            amp = next_amp(pos);
        }
        if markup.is_some_and(|i| i < pos) {
            markup = next_bang(pos);
        }
        if control.is_some_and(|i| i < pos) {
            control = next_control(pos);
        }
        let Some(at) = [amp, markup, control].into_iter().flatten().min() else {
            break;
        };
        let rest = &text[at..];
        if Some(at) == markup {
            pos = at + verbatim_len(rest);
            continue;
        }
        let (consumed, fix) = if Some(at) == amp {
            classify_reference(rest)
        } else {
            // A forbidden control character (one byte in UTF-8): drop it.
            (1, Some(Fix::Drop))
        };
        if let Some(fix) = fix {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
            out.push_str(&text[copied..at]);
            match fix {
                Fix::Escape => out.push_str("&amp;"),
                Fix::Drop => {}
                Fix::Numeric(value) => {
                    for c in value.chars() {
                        let _ = write!(out, "&#{};", u32::from(c));
                    }
                }
            }
            copied = at + consumed;
        }
        pos = at + consumed;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

/// A C0 control character XML does not allow.
fn is_forbidden_control(b: u8) -> bool {
    // Non-short-circuiting, so that scans over it vectorize.
    (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r')
}

/// What a reference needs.
enum Fix {
    /// A bare `&`: write `&amp;` (consumes only the `&`).
    Escape,
    /// A reference to a character XML forbids: drop it.
    Drop,
    /// An HTML named entity: write its characters as numeric references.
    Numeric(&'static str),
}

/// Length of the markup at the start of `s` (which starts with `<`) that must
/// be copied verbatim: a whole CDATA section, comment or DOCTYPE, else just `<`.
fn verbatim_len(s: &str) -> usize {
    let through = |open: &str, close: &str| -> Option<usize> {
        if !s.starts_with(open) {
            return None;
        }
        Some(
            memmem::find(&s.as_bytes()[open.len()..], close.as_bytes())
                .map_or(s.len(), |i| open.len() + i + close.len()),
        )
    };
    if let Some(n) = through("<![CDATA[", "]]>").or_else(|| through("<!--", "-->")) {
        return n;
    }
    if s.len() >= 9 && s.as_bytes()[..9].eq_ignore_ascii_case(b"<!DOCTYPE") {
        // Skip to the closing '>' outside an internal subset `[...]`.
        let mut depth = 0usize;
        for (i, b) in s.bytes().enumerate() {
            match b {
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b'>' if depth == 0 => return i + 1,
                _ => {}
            }
        }
        return s.len();
    }
    1
}

/// How many bytes the reference at the start of `s` (which starts with `&`)
/// spans, and what it needs (`None`: it is fine as it is).
fn classify_reference(s: &str) -> (usize, Option<Fix>) {
    let body = &s[1..];
    // The common case first: escaped markup in HTML content.
    for predefined in ["amp;", "lt;", "gt;", "quot;", "apos;"] {
        if body.starts_with(predefined) {
            return (predefined.len() + 1, None);
        }
    }
    // A reference is `&` + name characters + `;` (the longest HTML entity
    // name is 31 characters; numeric references are shorter). Anything else
    // is a bare `&`, found without scanning further than the name.
    let name_len = body
        .bytes()
        .take(40)
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'#'));
    let Some(semi) = name_len.filter(|&n| body.as_bytes().get(n) == Some(&b';')) else {
        return (1, Some(Fix::Escape));
    };
    let name = &body[..semi];
    let consumed = semi + 2;
    if let Some(num) = name.strip_prefix('#') {
        let value = match num.strip_prefix(['x', 'X']) {
            Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                u32::from_str_radix(hex, 16).ok()
            }
            None if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) => num.parse().ok(),
            _ => return (1, Some(Fix::Escape)),
        };
        // A valid number: keep it if XML allows the character, else drop it.
        if value.and_then(char::from_u32).is_some_and(is_xml_char) {
            return (consumed, None);
        }
        return (consumed, Some(Fix::Drop));
    }
    let well_formed_name = name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric());
    if !well_formed_name {
        return (1, Some(Fix::Escape));
    }
    if matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
        return (consumed, None);
    }
    match html_entity(name) {
        Some(value) => (consumed, Some(Fix::Numeric(value))),
        None => (1, Some(Fix::Escape)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_declared_in_xml() {
        let doc = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><t>caf\xe9</t>";
        assert_eq!(
            decode(doc, None),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><t>caf\u{e9}</t>"
        );
    }

    #[test]
    fn iso_8859_1_decodes_as_windows_1252() {
        // 0x80 is the euro sign in windows-1252, a C1 control in real Latin-1.
        let doc = b"<?xml version='1.0' encoding='ISO-8859-1'?><t>\x80 caf\xe9</t>";
        assert!(decode(doc, None).ends_with("<t>\u{20ac} caf\u{e9}</t>"));
    }

    #[test]
    fn http_charset_overrides_declaration() {
        let doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><t>café</t>".as_bytes();
        let text = decode(doc, Some("application/rss+xml; charset=\"UTF-8\""));
        assert!(text.ends_with("<t>café</t>"), "{text}");
        // Without the header the declaration is believed and the UTF-8 is mis-decoded.
        assert!(!decode(doc, None).ends_with("<t>café</t>"));
    }

    #[test]
    fn utf16_with_bom() {
        let src = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><t>é</t>";
        let mut le = vec![0xff, 0xfe];
        le.extend(src.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xfe, 0xff];
        be.extend(src.encode_utf16().flat_map(u16::to_be_bytes));
        for bytes in [le, be] {
            assert_eq!(
                decode(&bytes, None),
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><t>é</t>"
            );
        }
    }

    #[test]
    fn utf16_without_bom_is_sniffed() {
        let bytes: Vec<u8> = "<?xml version=\"1.0\"?><t>x</t>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(decode(&bytes, None).ends_with("<t>x</t>"));
    }

    #[test]
    fn utf8_bom_and_leading_blank_lines_removed() {
        let doc = b"\xef\xbb\xbf\n\n  <?xml version=\"1.0\"?><t/>";
        assert!(decode(doc, None).starts_with("<?xml"));
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let doc = b"<t>ok \xff\xfe bad</t>";
        assert_eq!(decode(doc, None), "<t>ok \u{fffd}\u{fffd} bad</t>");
    }

    #[test]
    fn stylesheet_pi_is_not_mistaken_for_declaration() {
        let doc = b"<?xml-stylesheet href=\"a.xsl\"?><t/>";
        assert_eq!(decode(doc, None), "<?xml-stylesheet href=\"a.xsl\"?><t/>");
    }

    #[test]
    fn charset_param_parsing() {
        assert_eq!(
            charset_param("text/xml; Charset='gb2312'").as_deref(),
            Some("gb2312")
        );
        assert_eq!(charset_param("text/xml"), None);
    }

    #[test]
    fn html_entities_become_numeric() {
        assert_eq!(
            repair("a&nbsp;b &raquo; &eacute;"),
            "a&#160;b &#187; &#233;"
        );
    }

    #[test]
    fn predefined_and_numeric_entities_kept() {
        let s = "&amp; &lt; &#233; &#xE9;";
        assert_eq!(repair(s), s);
    }

    #[test]
    fn bare_ampersands_escaped() {
        assert_eq!(
            repair("<a href=\"?a=1&b=2\">R&D & co &bogus;</a>"),
            "<a href=\"?a=1&amp;b=2\">R&amp;D &amp; co &amp;bogus;</a>"
        );
    }

    #[test]
    fn control_characters_dropped_but_whitespace_kept() {
        assert_eq!(repair("a\u{1}b\u{8}c\td\ne\rf"), "abc\td\ne\rf");
    }

    #[test]
    fn forbidden_numeric_reference_dropped() {
        assert_eq!(repair("a&#1;b&#x0;c"), "abc");
    }

    #[test]
    fn cdata_and_comments_untouched() {
        let s = "<![CDATA[R&D &nbsp; \u{1}]]><!-- & --><t>&</t>";
        assert_eq!(
            repair(s),
            "<![CDATA[R&D &nbsp; \u{1}]]><!-- & --><t>&amp;</t>"
        );
    }

    #[test]
    fn unterminated_cdata_does_not_panic() {
        assert_eq!(repair("<![CDATA[ & "), "<![CDATA[ & ");
        assert_eq!(repair("&"), "&amp;");
        assert_eq!(repair("&#"), "&amp;#");
    }

    fn utf32(src: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let units = std::iter::once('\u{feff}')
            .filter(|_| bom)
            .chain(src.chars());
        for c in units {
            let v = u32::from(c);
            out.extend(if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn utf32_with_and_without_bom() {
        let src = "<?xml version=\"1.0\" encoding=\"utf-32\"?><t>é \u{1f600}</t>";
        for (be, bom, name) in [
            (true, true, "utf-32be"),
            (false, true, "utf-32le"),
            (true, false, "utf-32be"),
            (false, false, "utf-32le"),
        ] {
            let bytes = utf32(src, be, bom);
            let (text, info) = decode_with_info(&bytes, None);
            assert_eq!(
                text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><t>é \u{1f600}</t>",
                "{name} bom={bom}"
            );
            assert_eq!(info.label, name);
            assert!(!info.had_errors && info.warning.is_none(), "{info:?}");
        }
    }

    #[test]
    fn utf32_is_strict() {
        let mut bytes = utf32("<t>a", true, false);
        bytes.extend([0, 0, 0xd8, 0]); // a surrogate
        bytes.extend([0, 0x11, 0, 0]); // above U+10FFFF
        bytes.extend([0xff, 0xff, 0xff, 0xff]);
        bytes.extend(utf32("b</t>", true, false));
        bytes.extend([0, 0]); // a partial unit
        let (text, info) = decode_with_info(&bytes, None);
        assert_eq!(text, "<t>a\u{fffd}\u{fffd}\u{fffd}b</t>\u{fffd}");
        assert!(info.had_errors);
        assert_eq!(info.label, "utf-32be");
    }

    #[test]
    fn utf32le_bom_is_not_taken_for_utf16le() {
        // FF FE 00 00 starts both UTF-32LE's BOM and UTF-16LE's BOM + NUL.
        let bytes = utf32("<t/>", false, true);
        let (text, info) = decode_with_info(&bytes, None);
        assert_eq!((text.as_ref(), info.label.as_str()), ("<t/>", "utf-32le"));
    }

    #[test]
    fn unknown_or_impossible_labels_are_warnings() {
        let (text, info) =
            decode_with_info(b"<?xml version=\"1.0\" encoding=\"bogus\"?><rss/>", None);
        assert!(text.ends_with("<rss/>"));
        assert_eq!(info.label, "utf-8");
        assert!(
            info.warning
                .as_deref()
                .unwrap_or_default()
                .contains("\"bogus\""),
            "{info:?}"
        );

        let (_, info) = decode_with_info(b"<rss/>", Some("text/xml; charset=x-nonsense"));
        assert!(
            info.warning
                .as_deref()
                .unwrap_or_default()
                .contains("HTTP charset"),
            "{info:?}"
        );

        // UTF-16 or UTF-32 declared on ASCII-compatible bytes: a lie, ignored.
        for label in ["utf-16", "utf-32"] {
            let doc = format!("<?xml version=\"1.0\" encoding=\"{label}\"?><rss/>");
            let (text, info) = decode_with_info(doc.as_bytes(), None);
            assert!(text.ends_with("<rss/>"), "{label}: {text}");
            assert_eq!(info.label, "utf-8");
            assert!(info.warning.is_some(), "{label}");
        }

        let (_, info) = decode_with_info(b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss/>", None);
        assert!(info.warning.is_none());
    }

    #[test]
    fn bom_contradicting_the_declaration_is_a_warning() {
        let mut doc = b"\xef\xbb\xbf".to_vec();
        doc.extend("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><t>é</t>".as_bytes());
        let (text, info) = decode_with_info(&doc, None);
        assert!(text.ends_with("<t>é</t>"), "{text}");
        assert_eq!(info.label, "utf-8");
        assert!(info
            .warning
            .as_deref()
            .unwrap_or_default()
            .contains("byte-order mark"));
        // UTF-16 with a BOM saying "utf-16" agrees.
        let mut le = vec![0xff, 0xfe];
        le.extend(
            "<?xml version=\"1.0\" encoding=\"utf-16\"?><t/>"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        assert!(decode_with_info(&le, None).1.warning.is_none());
    }

    #[test]
    fn unpaired_surrogates_in_utf16_are_replaced() {
        let mut bytes = vec![0xff, 0xfe];
        bytes.extend("<t>".encode_utf16().flat_map(u16::to_le_bytes));
        bytes.extend(0xd800u16.to_le_bytes()); // high surrogate, then no low one
        bytes.extend("x</t>".encode_utf16().flat_map(u16::to_le_bytes));
        let (text, info) = decode_with_info(&bytes, None);
        assert_eq!(text, "<t>\u{fffd}x</t>");
        assert!(info.had_errors);
    }

    #[test]
    fn valid_utf8_is_borrowed() {
        for doc in [
            &b"<rss/>"[..],
            b"\xef\xbb\xbf\n <?xml version=\"1.0\"?><rss>caf\xc3\xa9</rss>",
            b"<?xml version='1.0' encoding='UTF-8'?><rss/>",
        ] {
            let (text, _) = decode_with_info(doc, Some("application/rss+xml"));
            assert!(matches!(text, Cow::Borrowed(_)), "{text}");
            assert!(text.starts_with('<'));
        }
        // Otherwise a copy: invalid bytes, another encoding, or a declaration
        // naming another encoding (the parser must not believe it).
        for (doc, ct) in [
            (&b"<rss>\xff</rss>"[..], None),
            (
                b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss/>",
                None,
            ),
            (
                b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss/>",
                Some("text/xml; charset=utf-8"),
            ),
        ] {
            let (text, _) = decode_with_info(doc, ct);
            assert!(matches!(text, Cow::Owned(_)), "{text}");
            assert!(!text.contains("iso-8859-1"), "{text}");
        }
    }

    #[test]
    fn repair_borrows_unless_something_changes() {
        let clean = "<t a=\"x&amp;y\">&lt;p&gt; &#233; &#x1F600; &quot;&apos;</t><![CDATA[&]]>";
        assert!(matches!(repair(clean), Cow::Borrowed(_)));
        assert!(matches!(repair("no specials at all"), Cow::Borrowed(_)));
        assert!(matches!(repair("a&b"), Cow::Owned(_)));
        assert!(matches!(repair("a\u{1}b"), Cow::Owned(_)));
    }

    #[test]
    fn repair_edge_cases() {
        // Only ampersands, multi-byte text around references, overlong references.
        assert_eq!(repair("&&&"), "&amp;&amp;&amp;");
        assert_eq!(repair("é&nbsp;é&é"), "é&#160;é&amp;é");
        assert_eq!(repair("&#99999999999999999999;x"), "x");
        assert_eq!(
            repair("&thisnameiswaytoolongtobeanhtmlentityatall;"),
            "&amp;thisnameiswaytoolongtobeanhtmlentityatall;"
        );
        assert_eq!(
            repair("<!DOCTYPE x [<!ENTITY a \"&\">]>&a;\u{2}"),
            "<!DOCTYPE x [<!ENTITY a \"&\">]>&amp;a;"
        );
        assert_eq!(repair("<!-- \u{1} -->\u{1}<!x&"), "<!-- \u{1} --><!x&amp;");
    }

    #[test]
    fn double_encoded_and_c1_text_is_fixed() {
        let mut s = "\u{e2}\u{80}\u{a6}".to_string();
        fix_text(&mut s, true);
        assert_eq!(s, "…");
        // Not in a document that was not UTF-8.
        let mut s = "\u{e2}\u{80}\u{a6}".to_string();
        fix_text(&mut s, false);
        assert_eq!(s, "\u{e2}\u{20ac}\u{a6}");
        let mut s = "don\u{92}t \u{81}".to_string();
        fix_text(&mut s, true);
        assert_eq!(s, "don\u{2019}t \u{81}");
        // Genuine Latin-1 text is left alone.
        for text in ["café crème", "naïve × ÷ ©", "Ünïcödé ½"] {
            let mut s = text.to_string();
            fix_text(&mut s, true);
            assert_eq!(s, text);
        }
    }
}
